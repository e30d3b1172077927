//! Summary statistics of latencies, and the analysis of the downstream calls made during
//! one invocation.

use std::time::{Duration, Instant};

/// Returns the `p`-th percentile (0 < p ≤ 100) of `values` by the nearest-rank method:
/// the smallest value with at least p % of the values at or below it. `None` when empty.
pub fn percentile(values: &[Duration], p: f64) -> Option<Duration> {
    if values.is_empty() || !(p > 0.0 && p <= 100.0) {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Returns the median (the 50th percentile by nearest rank).
pub fn median(values: &[Duration]) -> Option<Duration> {
    percentile(values, 50.0)
}

/// A downstream request seen by the recording proxy: when it arrived and when its
/// response was ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// What was called, such as `DynamoDB.Query` or `Webflow GET /v2/sites`.
    pub operation: String,
    pub started_at: Instant,
    pub finished_at: Instant,
}

/// Returns how long at least one of `exchanges` was in flight: the length of the union
/// of their intervals.
pub fn busy_time(exchanges: &[Exchange]) -> Duration {
    let mut intervals: Vec<(Instant, Instant)> = exchanges
        .iter()
        .map(|exchange| (exchange.started_at, exchange.finished_at))
        .collect();
    intervals.sort_unstable();
    let mut total = Duration::ZERO;
    let mut current: Option<(Instant, Instant)> = None;
    for (start, end) in intervals {
        current = match current {
            Some((open, close)) if start <= close => Some((open, close.max(end))),
            Some((open, close)) => {
                total += close - open;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((open, close)) = current {
        total += close.saturating_duration_since(open);
    }
    total
}

/// Groups `exchanges` into sequential round trips.
///
/// An exchange's level is one more than the highest level among the exchanges that
/// finished before it started, so requests sent together (a `join`) share a level and a
/// request that waits for another's response sits one level deeper. The number of levels
/// is the number of sequential round trips on the critical path. Each level lists its
/// operations sorted by name, so that concurrent calls started in either order give the
/// same levels.
pub fn round_trip_levels(exchanges: &[Exchange]) -> Vec<Vec<String>> {
    let mut ordered: Vec<&Exchange> = exchanges.iter().collect();
    ordered.sort_by_key(|exchange| exchange.started_at);
    let mut levels: Vec<usize> = Vec::with_capacity(ordered.len());
    for (index, exchange) in ordered.iter().enumerate() {
        let level = ordered[..index]
            .iter()
            .zip(&levels)
            .filter(|(earlier, _)| earlier.finished_at <= exchange.started_at)
            .map(|(_, level)| level + 1)
            .max()
            .unwrap_or(0);
        levels.push(level);
    }
    let depth = levels.iter().max().map_or(0, |deepest| deepest + 1);
    let mut grouped = vec![Vec::new(); depth];
    for (exchange, level) in ordered.iter().zip(levels) {
        grouped[level].push(exchange.operation.clone());
    }
    for level in &mut grouped {
        level.sort_unstable();
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(value: u64) -> Duration {
        Duration::from_millis(value)
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let values: Vec<Duration> = (1..=100).rev().map(ms).collect();
        assert_eq!(median(&values), Some(ms(50)));
        assert_eq!(percentile(&values, 99.0), Some(ms(99)));
        assert_eq!(percentile(&values, 100.0), Some(ms(100)));
        assert_eq!(median(&[ms(7)]), Some(ms(7)));
        assert_eq!(median(&[]), None);
        assert_eq!(percentile(&values, 0.0), None);
    }

    fn exchange(name: &str, origin: Instant, start: u64, end: u64) -> Exchange {
        Exchange {
            operation: name.to_owned(),
            started_at: origin + ms(start),
            finished_at: origin + ms(end),
        }
    }

    #[test]
    fn busy_time_merges_overlaps() {
        let origin = Instant::now();
        let exchanges = [
            exchange("a", origin, 0, 10),
            exchange("b", origin, 5, 12),
            exchange("c", origin, 20, 25),
        ];
        assert_eq!(busy_time(&exchanges), ms(17));
        assert_eq!(busy_time(&[]), Duration::ZERO);
    }

    #[test]
    fn levels_of_a_join_then_two_sequential_calls() {
        let origin = Instant::now();
        let exchanges = [
            exchange("user", origin, 0, 5),
            exchange("sites", origin, 1, 4),
            exchange("query", origin, 6, 8),
            exchange("put", origin, 9, 12),
        ];
        assert_eq!(
            round_trip_levels(&exchanges),
            vec![
                vec!["sites".to_owned(), "user".to_owned()],
                vec!["query".to_owned()],
                vec!["put".to_owned()],
            ]
        );
        assert!(round_trip_levels(&[]).is_empty());
    }

    #[test]
    fn levels_follow_the_longest_chain() {
        let origin = Instant::now();
        // `c` starts after `a` but overlaps the longer `b`: one level below `a`, beside `b`.
        let exchanges = [
            exchange("a", origin, 0, 2),
            exchange("b", origin, 3, 10),
            exchange("c", origin, 4, 6),
            exchange("d", origin, 11, 12),
        ];
        assert_eq!(
            round_trip_levels(&exchanges),
            vec![
                vec!["a".to_owned()],
                vec!["b".to_owned(), "c".to_owned()],
                vec!["d".to_owned()],
            ]
        );
    }
}
