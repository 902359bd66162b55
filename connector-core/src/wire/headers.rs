//! Reading S3's response headers: dates, ETags, user metadata.

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use http::HeaderMap;
use std::collections::BTreeMap;

/// What S3's answer headers say about an object (GET and HEAD).
#[derive(Debug, Clone, Default, serde::Serialize, schemars::JsonSchema)]
pub struct ObjectInfo {
    /// The content type stored with the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The ETag, without quotes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// When the file was last changed, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// The version ID (versioned buckets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// The storage class, e.g. `STANDARD` or `GLACIER` (S3 names it only when it is not
    /// `STANDARD`).
    pub storage_class: String,
    /// User metadata (the `x-amz-meta-*` headers, without the prefix).
    pub metadata: BTreeMap<String, String>,
    /// `Cache-Control` stored with the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// `Content-Disposition` stored with the file (e.g. `attachment; filename="a.pdf"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    /// `Content-Encoding` stored with the file (e.g. `gzip`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    /// `Content-Language` stored with the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    /// `Expires` stored with the file: RFC 3339 when it is a date, else as S3 returned it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// The server-side encryption, e.g. `AES256` or `aws:kms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_side_encryption: Option<String>,
}

impl ObjectInfo {
    /// Reads the object's description from an answer's headers.
    pub fn from_headers(h: &HeaderMap) -> Self {
        let owned = |name: &str| text(h, name).map(str::to_owned);
        ObjectInfo {
            content_type: owned("content-type"),
            etag: text(h, "etag").map(unquote_etag),
            last_modified: text(h, "last-modified").and_then(http_date_to_rfc3339),
            version_id: owned("x-amz-version-id"),
            storage_class: owned("x-amz-storage-class").unwrap_or_else(|| "STANDARD".to_owned()),
            metadata: user_metadata(h),
            cache_control: owned("cache-control"),
            content_disposition: owned("content-disposition"),
            content_encoding: owned("content-encoding"),
            content_language: owned("content-language"),
            expires: text(h, "expires")
                .map(|value| http_date_to_rfc3339(value).unwrap_or_else(|| value.to_owned())),
            server_side_encryption: owned("x-amz-server-side-encryption"),
        }
    }
}

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

/// Strips the quotes S3 puts around ETags.
pub fn unquote_etag(etag: &str) -> String {
    etag.trim_matches('"').to_owned()
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
