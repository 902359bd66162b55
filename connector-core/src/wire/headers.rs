//! Reading S3's response headers: dates, ETags, user metadata, stored checksums.

use crate::wire::checksum::{Checksum, ChecksumAlgorithm, ChecksumType};
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
    /// The checksum S3 stored with the file (asked for with `x-amz-checksum-mode: ENABLED`;
    /// absent when the file was uploaded without one or the connection's checksum policy is
    /// `when_required`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<ObjectChecksum>,
}

/// A checksum stored with an object, as S3 answers it in `x-amz-checksum-<algorithm>`,
/// `x-amz-checksum-type` and `x-amz-mp-parts-count`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct ObjectChecksum {
    /// The algorithm: `CRC32`, `CRC32C`, `CRC64NVME`, `SHA1` or `SHA256`.
    pub algorithm: ChecksumAlgorithm,
    /// The value as S3 gives it: base64 of the digest, followed by `-N` for a composite
    /// checksum of N parts (e.g. `4waSgw==` or `rVWtRw==-3`).
    pub value: String,
    /// `FULL_OBJECT` (the checksum of all the bytes) or `COMPOSITE` (the checksum of the
    /// parts' checksums); absent when the store does not say and the value does not show it.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<ChecksumType>,
    /// How many parts a composite checksum covers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parts: Option<u32>,
}

impl ObjectChecksum {
    /// The stored checksum the headers of a GET or HEAD answer carry, if any (the first of
    /// the algorithms S3 lists; algorithms not computed here are ignored).
    pub fn from_headers(h: &HeaderMap) -> Option<Self> {
        let (algorithm, value) = ChecksumAlgorithm::ALL
            .into_iter()
            .find_map(|algorithm| Some((algorithm, text(h, algorithm.header_name())?)))?;
        let value = value.trim().to_owned();
        let counted = value
            .rsplit_once('-')
            .and_then(|(_, count)| count.parse::<u32>().ok());
        let stated = text(h, "x-amz-checksum-type").and_then(ChecksumType::from_name);
        let kind = stated.or_else(|| match counted {
            Some(_) => Some(ChecksumType::Composite),
            // A single-part object's checksum is of all its bytes.
            None if !multipart_etag(h) => Some(ChecksumType::FullObject),
            None => None,
        });
        // A composite value without its count (moto's HEAD): the count S3 gives with
        // `partNumber`, else the ETag's (`"…-N"`, N parts).
        let parts = counted.or_else(|| {
            let count = text(h, "x-amz-mp-parts-count")
                .and_then(|count| count.trim().parse().ok())
                .or_else(|| etag_parts(h));
            count.filter(|_| kind == Some(ChecksumType::Composite))
        });
        Some(ObjectChecksum {
            algorithm,
            value,
            kind,
            parts,
        })
    }

    /// The value a download can be checked against, or `None` (logged at warn) when it cannot
    /// be one: not base64 of a digest of the algorithm's length, a type that contradicts the
    /// value, or a multipart object whose checksum's type is not known.
    pub fn verifiable(&self) -> Option<Checksum> {
        let unverifiable = |reason: &str| {
            tracing::warn!(
                algorithm = %self.algorithm,
                value = %self.value,
                "the object's stored checksum cannot be checked against: {reason}"
            );
            None
        };
        let parsed = match Checksum::parse(self.algorithm, &self.value) {
            Ok(parsed) => parsed,
            Err(err) => return unverifiable(&err.to_string()),
        };
        match (self.kind, parsed.parts(), self.parts) {
            (Some(ChecksumType::FullObject), None, _) => Some(parsed),
            (Some(ChecksumType::Composite), Some(_), _) => Some(parsed),
            // The type said apart from the count (`x-amz-mp-parts-count`).
            (Some(ChecksumType::Composite), None, Some(parts)) => {
                Checksum::parse(self.algorithm, &format!("{}-{parts}", self.value)).ok()
            }
            (Some(ChecksumType::Composite), None, None) => {
                unverifiable("it is composite, and the number of parts is not known")
            }
            (Some(ChecksumType::FullObject), Some(_), _) => {
                unverifiable("it is said to be FULL_OBJECT but counts parts")
            }
            (None, _, _) => unverifiable(
                "the object was uploaded in parts and the store does not say whether the \
                 checksum is FULL_OBJECT or COMPOSITE",
            ),
        }
    }
}

impl From<&Checksum> for ObjectChecksum {
    /// The description of a checksum value (one a download was checked against).
    fn from(checksum: &Checksum) -> Self {
        ObjectChecksum {
            algorithm: checksum.algorithm(),
            value: checksum.to_string(),
            kind: Some(checksum.kind()),
            parts: checksum.parts(),
        }
    }
}

/// Whether the ETag is a multipart upload's (`"…-N"`).
fn multipart_etag(h: &HeaderMap) -> bool {
    text(h, "etag").is_some_and(|etag| etag.trim_matches('"').contains('-'))
}

/// The number of parts a multipart upload's ETag (`"…-N"`) counts; `None` for another ETag.
pub fn etag_parts(h: &HeaderMap) -> Option<u32> {
    let etag = text(h, "etag")?.trim_matches('"');
    etag.rsplit_once('-')?.1.parse().ok()
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
            checksum: ObjectChecksum::from_headers(h),
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

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    value.parse().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn stored_checksums() {
        assert_eq!(
            ObjectChecksum::from_headers(&headers(&[("etag", "\"a\"")])),
            None
        );
        // A single-part object: full-object, whether or not the store says so.
        let single = headers(&[("etag", "\"abc\""), ("x-amz-checksum-crc32c", "4waSgw==")]);
        let checksum = ObjectChecksum::from_headers(&single).unwrap();
        assert_eq!(checksum.kind, Some(ChecksumType::FullObject));
        assert_eq!(checksum.verifiable().unwrap().to_string(), "4waSgw==");
        assert_eq!(
            serde_json::to_value(&checksum).unwrap(),
            serde_json::json!({"algorithm": "CRC32C", "value": "4waSgw==", "type": "FULL_OBJECT"})
        );
        // A composite value counts its parts.
        let composite = headers(&[
            ("etag", "\"abc-3\""),
            ("x-amz-checksum-sha1", "mO8dQ4HgOcsCiqVllNzDTKeuNEE=-3"),
            ("x-amz-checksum-type", "COMPOSITE"),
        ]);
        let checksum = ObjectChecksum::from_headers(&composite).unwrap();
        assert_eq!(
            (checksum.kind, checksum.parts),
            (Some(ChecksumType::Composite), Some(3))
        );
        assert_eq!(checksum.verifiable().unwrap().parts(), Some(3));
        // The count given apart, with the type.
        let counted = headers(&[
            ("etag", "\"abc-2\""),
            ("x-amz-checksum-crc32", "y/Q5Jg=="),
            ("x-amz-checksum-type", "COMPOSITE"),
            ("x-amz-mp-parts-count", "2"),
        ]);
        let checksum = ObjectChecksum::from_headers(&counted).unwrap();
        assert_eq!(checksum.verifiable().unwrap().to_string(), "y/Q5Jg==-2");
        // Or counted by the ETag only (moto's HEAD).
        let by_etag = headers(&[
            ("etag", "\"abc-4\""),
            ("x-amz-checksum-crc32", "y/Q5Jg=="),
            ("x-amz-checksum-type", "COMPOSITE"),
        ]);
        let checksum = ObjectChecksum::from_headers(&by_etag).unwrap();
        assert_eq!(checksum.verifiable().unwrap().to_string(), "y/Q5Jg==-4");
        // Unverifiable, never a mismatch: a value of the wrong length; a multipart object
        // whose checksum's type is unknown (moto's HEAD); a full-object value with a count.
        for bad in [
            headers(&[("etag", "\"abc\""), ("x-amz-checksum-crc32c", "AAAA")]),
            headers(&[("etag", "\"abc-2\""), ("x-amz-checksum-crc32c", "4waSgw==")]),
            headers(&[
                ("x-amz-checksum-crc32c", "4waSgw==-2"),
                ("x-amz-checksum-type", "FULL_OBJECT"),
            ]),
        ] {
            let checksum = ObjectChecksum::from_headers(&bad).unwrap();
            assert_eq!(checksum.verifiable(), None, "{bad:?}");
        }
    }
}
