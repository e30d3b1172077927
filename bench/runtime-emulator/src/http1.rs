//! The small part of HTTP/1.1 (RFC 9112) that a Lambda runtime client speaks: request
//! heads, `Content-Length` and chunked bodies, and responses written in one piece.

use std::fmt;

/// The largest request head accepted, in bytes.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The largest request body accepted, in bytes: about Lambda's 6 MB limit on a
/// synchronous response payload.
pub const MAX_BODY_BYTES: usize = 6 * 1024 * 1024;

/// A request that cannot be parsed. The message names what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid HTTP request: {}", self.0)
    }
}

impl std::error::Error for ParseError {}

fn invalid(message: impl Into<String>) -> ParseError {
    ParseError(message.into())
}

/// The request line and header fields of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    pub target: String,
    /// Header fields in arrival order, names lowercased.
    pub headers: Vec<(String, String)>,
}

impl RequestHead {
    /// Returns the value of the first field named `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }

    /// Returns how the body that follows this head is delimited.
    pub fn body_framing(&self) -> Result<BodyFraming, ParseError> {
        if let Some(coding) = self.header("transfer-encoding") {
            // RFC 9112 §6.3 makes chunked the final coding, and runtime clients use no
            // other.
            if coding.trim().eq_ignore_ascii_case("chunked") {
                return Ok(BodyFraming::Chunked);
            }
            return Err(invalid(format!("unsupported transfer-encoding `{coding}`")));
        }
        match self.header("content-length") {
            None => Ok(BodyFraming::Length(0)),
            Some(value) => {
                let length: usize = value
                    .trim()
                    .parse()
                    .map_err(|_| invalid(format!("content-length `{value}` is not a number")))?;
                if length > MAX_BODY_BYTES {
                    return Err(invalid(format!(
                        "content-length {length} exceeds {MAX_BODY_BYTES} bytes"
                    )));
                }
                Ok(BodyFraming::Length(length))
            }
        }
    }
}

/// The framing of a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    Length(usize),
    Chunked,
}

/// Parses a request head from the start of `buffer`.
///
/// Returns `Ok(None)` while the blank line that ends the head has not arrived, and
/// otherwise the head with the number of bytes it took.
pub fn parse_head(buffer: &[u8]) -> Result<Option<(RequestHead, usize)>, ParseError> {
    let Some(end) = find(buffer, b"\r\n\r\n") else {
        if buffer.len() > MAX_HEAD_BYTES {
            return Err(invalid(format!(
                "the request head exceeds {MAX_HEAD_BYTES} bytes"
            )));
        }
        return Ok(None);
    };
    let text = std::str::from_utf8(&buffer[..end])
        .map_err(|_| invalid("the request head is not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid(format!("malformed request line `{request_line}`")));
    };
    if method.is_empty() || !target.starts_with('/') {
        return Err(invalid(format!("malformed request line `{request_line}`")));
    }
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(invalid(format!("unsupported HTTP version `{version}`")));
    }

    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| invalid(format!("header line without a colon: `{line}`")))?;
        if name.is_empty() || name.ends_with(' ') || name.ends_with('\t') {
            return Err(invalid(format!("malformed header name in `{line}`")));
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    let head = RequestHead {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
    };
    Ok(Some((head, end + 4)))
}

/// Decodes a chunked body from the start of `buffer` (RFC 9112 §7.1). Chunk extensions
/// and trailer fields are read and dropped.
///
/// Returns `Ok(None)` while the body is incomplete, and otherwise the decoded bytes with
/// the number of bytes the encoded body took.
pub fn decode_chunked(buffer: &[u8]) -> Result<Option<(Vec<u8>, usize)>, ParseError> {
    let mut body = Vec::new();
    let mut position = 0;
    loop {
        let Some(line_end) = find(&buffer[position..], b"\r\n") else {
            return Ok(None);
        };
        let line = std::str::from_utf8(&buffer[position..position + line_end])
            .map_err(|_| invalid("a chunk size line is not UTF-8"))?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| invalid(format!("chunk size `{size_text}` is not hexadecimal")))?;
        position += line_end + 2;

        if size == 0 {
            // Trailer fields, if any, end with an empty line.
            loop {
                let Some(trailer_end) = find(&buffer[position..], b"\r\n") else {
                    return Ok(None);
                };
                position += trailer_end + 2;
                if trailer_end == 0 {
                    return Ok(Some((body, position)));
                }
            }
        }

        if body.len() + size > MAX_BODY_BYTES {
            return Err(invalid(format!(
                "the chunked body exceeds {MAX_BODY_BYTES} bytes"
            )));
        }
        if buffer.len() < position + size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&buffer[position..position + size]);
        if &buffer[position + size..position + size + 2] != b"\r\n" {
            return Err(invalid("a chunk is not followed by CRLF"));
        }
        position += size + 2;
    }
}

/// A Runtime API endpoint, from a request's method and target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /2018-06-01/runtime/invocation/next`
    Next,
    /// `POST /2018-06-01/runtime/invocation/{request_id}/response`
    Response(String),
    /// `POST /2018-06-01/runtime/invocation/{request_id}/error`
    InvocationError(String),
    /// `POST /2018-06-01/runtime/init/error`
    InitError,
    Unknown,
}

const RUNTIME_PREFIX: &str = "/2018-06-01/runtime/";

/// Maps a request to the Runtime API endpoint it calls. A query string is ignored.
pub fn route(method: &str, target: &str) -> Route {
    let path = target.split('?').next().unwrap_or_default();
    let Some(rest) = path.strip_prefix(RUNTIME_PREFIX) else {
        return Route::Unknown;
    };
    match (method, rest) {
        ("GET", "invocation/next") => Route::Next,
        ("POST", "init/error") => Route::InitError,
        ("POST", _) => {
            let Some(invocation) = rest.strip_prefix("invocation/") else {
                return Route::Unknown;
            };
            match invocation.split_once('/') {
                Some((id, "response")) if !id.is_empty() => Route::Response(id.to_owned()),
                Some((id, "error")) if !id.is_empty() => Route::InvocationError(id.to_owned()),
                _ => Route::Unknown,
            }
        }
        _ => Route::Unknown,
    }
}

/// Serializes a response with a `Content-Length` body into one buffer, so that it leaves
/// in one write and Nagle's algorithm cannot hold back a trailing segment.
pub fn encode_response(
    status: u16,
    reason: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + body.len());
    out.extend_from_slice(format!("HTTP/1.1 {status} {reason}\r\n").as_bytes());
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_parses_with_headers() {
        let raw = b"POST /2018-06-01/runtime/invocation/abc/response HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nContent-Length: 2\r\nX-Odd:  spaced value \r\n\r\n{}";
        let (head, used) = parse_head(raw).unwrap().unwrap();
        assert_eq!(head.method, "POST");
        assert_eq!(head.target, "/2018-06-01/runtime/invocation/abc/response");
        assert_eq!(head.header("host"), Some("127.0.0.1:9001"));
        assert_eq!(head.header("x-odd"), Some("spaced value"));
        assert_eq!(head.body_framing(), Ok(BodyFraming::Length(2)));
        assert_eq!(&raw[used..], b"{}");
    }

    #[test]
    fn head_incomplete_until_blank_line() {
        assert_eq!(parse_head(b"GET / HTTP/1.1\r\nHost: x\r\n"), Ok(None));
        assert_eq!(parse_head(b""), Ok(None));
    }

    #[test]
    fn head_rejects_malformed_input() {
        for raw in [
            &b"GET\r\n\r\n"[..],
            b"GET / HTTP/2\r\n\r\n",
            b"GET noslash HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nno colon\r\n\r\n",
            b"GET / HTTP/1.1\r\nName : value\r\n\r\n",
        ] {
            assert!(
                parse_head(raw).is_err(),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn head_too_large_is_rejected() {
        let raw = vec![b'a'; MAX_HEAD_BYTES + 1];
        assert!(parse_head(&raw).is_err());
    }

    #[test]
    fn framing_from_headers() {
        let head = |headers: &[(&str, &str)]| RequestHead {
            method: "POST".to_owned(),
            target: "/".to_owned(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        };
        assert_eq!(head(&[]).body_framing(), Ok(BodyFraming::Length(0)));
        assert_eq!(
            head(&[("transfer-encoding", "Chunked")]).body_framing(),
            Ok(BodyFraming::Chunked)
        );
        assert!(
            head(&[("transfer-encoding", "gzip")])
                .body_framing()
                .is_err()
        );
        assert!(head(&[("content-length", "x")]).body_framing().is_err());
        assert!(
            head(&[("content-length", &(MAX_BODY_BYTES + 1).to_string())])
                .body_framing()
                .is_err()
        );
    }

    #[test]
    fn chunked_body_decodes() {
        let raw = b"4;name=value\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\nNEXT";
        let (body, used) = decode_chunked(raw).unwrap().unwrap();
        assert_eq!(body, b"Wikipedia");
        assert_eq!(&raw[used..], b"NEXT");
    }

    #[test]
    fn chunked_body_with_trailer() {
        let raw = b"2\r\nok\r\n0\r\nTrailer: x\r\n\r\n";
        let (body, used) = decode_chunked(raw).unwrap().unwrap();
        assert_eq!(body, b"ok");
        assert_eq!(used, raw.len());
    }

    #[test]
    fn chunked_body_incomplete() {
        for raw in [
            &b""[..],
            b"4\r\nWi",
            b"4\r\nWiki\r\n",
            b"4\r\nWiki\r\n0\r\n",
        ] {
            assert_eq!(
                decode_chunked(raw),
                Ok(None),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn chunked_body_rejects_bad_sizes() {
        assert!(decode_chunked(b"zz\r\n").is_err());
        assert!(decode_chunked(b"2\r\nokX\r\n").is_err());
    }

    #[test]
    fn routes_of_the_runtime_api() {
        assert_eq!(
            route("GET", "/2018-06-01/runtime/invocation/next"),
            Route::Next
        );
        assert_eq!(
            route("POST", "/2018-06-01/runtime/invocation/id-1/response"),
            Route::Response("id-1".to_owned())
        );
        assert_eq!(
            route("POST", "/2018-06-01/runtime/invocation/id-1/error?x=1"),
            Route::InvocationError("id-1".to_owned())
        );
        assert_eq!(
            route("POST", "/2018-06-01/runtime/init/error"),
            Route::InitError
        );
        for (method, target) in [
            ("POST", "/2018-06-01/runtime/invocation/next"),
            ("GET", "/2018-06-01/runtime/invocation/id-1/response"),
            ("POST", "/2018-06-01/runtime/invocation//response"),
            ("POST", "/2018-06-01/runtime/invocation/id-1/other"),
            ("GET", "/2018-06-01/runtime/restore/next"),
            ("GET", "/other"),
        ] {
            assert_eq!(route(method, target), Route::Unknown, "{method} {target}");
        }
    }

    #[test]
    fn response_is_one_buffer_with_length() {
        let bytes = encode_response(
            202,
            "Accepted",
            &[("Content-Type", "application/json")],
            b"{}",
        );
        assert_eq!(
            bytes,
            b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        );
    }
}
