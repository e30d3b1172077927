//! Timestamps as the API and the table store them.

use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

/// RFC 3339 in UTC with exactly three fractional digits, so that stored timestamps compare
/// correctly as strings (DynamoDB conditions compare them that way).
const FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Returns the current time, formatted.
pub fn now() -> String {
    format(OffsetDateTime::now_utc())
}

pub fn format(at: OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    // The format has only numeric components, so formatting cannot fail.
    utc.format(FORMAT).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn formats_fixed_width_utc() {
        assert_eq!(
            format(datetime!(2026-01-02 03:04:05.6 +01:00)),
            "2026-01-02T02:04:05.600Z"
        );
        assert_eq!(now().len(), "2026-01-02T02:04:05.600Z".len());
    }
}
