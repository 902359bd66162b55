//! Reading S3's response headers: dates, ETags, user metadata.

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use http::HeaderMap;
use std::collections::BTreeMap;

/// The prefix of user-defined metadata headers.
pub const META_PREFIX: &str = "x-amz-meta-";

/// An HTTP date (`Wed, 12 Oct 2009 17:50:00 GMT`) as RFC 3339 (`2009-10-12T17:50:00Z`).
pub fn http_date_to_rfc3339(value: &str) -> Option<String> {
    DateTime::from_str(value, Format::HttpDate)
        .ok()?
        .fmt(Format::DateTime)
        .ok()
}

/// Parses an HTTP date (`Wed, 12 Oct 2009 17:50:00 GMT`).
pub fn parse_http_date(value: &str) -> Option<std::time::SystemTime> {
    std::time::SystemTime::try_from(DateTime::from_str(value, Format::HttpDate).ok()?).ok()
}

/// A time as an HTTP date.
pub fn to_http_date(time: std::time::SystemTime) -> String {
    DateTime::from(time)
        .fmt(Format::HttpDate)
        .unwrap_or_default()
}

/// Parses an RFC 3339 time (`2026-01-15T12:34:56Z`, fractions and offsets allowed).
pub fn parse_rfc3339(value: &str) -> Option<std::time::SystemTime> {
    let time = DateTime::from_str(value, Format::DateTimeWithOffset)
        .or_else(|_| DateTime::from_str(value, Format::DateTime))
        .ok()?;
    std::time::SystemTime::try_from(time).ok()
}

/// A time as RFC 3339 in UTC, to the second (`2026-01-15T12:34:56Z`).
pub fn to_rfc3339(time: std::time::SystemTime) -> String {
    let secs = DateTime::from(time).secs();
    DateTime::from_secs(secs)
        .fmt(Format::DateTime)
        .unwrap_or_default()
}

/// A header as text.
pub fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The user metadata (`x-amz-meta-*`), keyed by the name after the prefix, lower case.
pub fn user_metadata(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .filter_map(|(name, value)| {
            let name = name.as_str().strip_prefix(META_PREFIX)?;
            Some((name.to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_metadata() {
        assert_eq!(
            http_date_to_rfc3339("Wed, 12 Oct 2009 17:50:00 GMT").as_deref(),
            Some("2009-10-12T17:50:00Z")
        );
        assert!(http_date_to_rfc3339("yesterday").is_none());
        let t = parse_rfc3339("2026-01-15T12:34:56Z").unwrap();
        assert_eq!(to_rfc3339(t), "2026-01-15T12:34:56Z");
        assert_eq!(parse_rfc3339("2026-01-15T13:34:56+01:00"), Some(t));
        assert!(parse_rfc3339("2026-01-15T12:34:56.250Z").is_some());
        assert!(parse_rfc3339("soon").is_none());
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-meta-author", "me".parse().unwrap());
        headers.insert("content-type", "text/plain".parse().unwrap());
        let meta = user_metadata(&headers);
        assert_eq!(meta.len(), 1);
        assert_eq!(meta["author"], "me");
    }
}
