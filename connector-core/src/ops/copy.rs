//! CopyObject: S3 copies one object to another key (or bucket) itself, up to 5 GiB, without the
//! bytes passing through here. The request is built by [`CopyObject::request`], its answer read
//! by [`read_copy_answer`]; S3 may answer `200 OK` and still fail, with an `<Error>` document
//! (recognised by [`s3_error::answer_error`], as everywhere). The source is described first by
//! [`CopyObject::head_source`] (its size decides whether one CopyObject can copy it).

use crate::error::{Error, ErrorKind, Result};
use crate::wire::checksum::{Checksum, ChecksumAlgorithm, ChecksumType};
use crate::wire::client::S3Client;
use crate::wire::encode;
use crate::wire::endpoint::Target;
use crate::wire::headers::{self, META_PREFIX, unquote_etag};
use crate::wire::payload::ChecksumPolicy;
use crate::wire::request::Request;
use crate::wire::s3_error;
use crate::wire::xml;
use http::{HeaderMap, Method, StatusCode};
use serde::Deserialize;

/// The most of a copy answer that is read (it is a small XML document, after whatever
/// whitespace S3 sends while it copies).
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// A copy of one object to another place.
#[derive(Debug, Clone, Default)]
pub struct CopyObject<'a> {
    /// The bucket of the object to copy.
    pub source_bucket: &'a str,
    /// The key of the object to copy.
    pub source_key: &'a str,
    /// The version of the source to copy; `None`: the current one.
    pub source_version_id: Option<&'a str>,
    /// The bucket the copy goes to.
    pub bucket: &'a str,
    /// The key of the copy.
    pub key: &'a str,
    /// The copy's storage class (`x-amz-storage-class`, e.g. `STANDARD_IA`); `None`:
    /// `STANDARD`, whatever the source's.
    pub storage_class: Option<&'a str>,
    /// A canned ACL for the copy (`x-amz-acl`); `None`: private (ACLs are not copied).
    pub acl: Option<&'a str>,
    /// `Some`: the copy gets these headers (lower-case names: `content-type`, `cache-control`,
    /// `x-amz-meta-…`) instead of the source's (`x-amz-metadata-directive: REPLACE`); the ones
    /// left out are removed. `None`: the copy keeps the source's content type and metadata.
    pub replace_metadata: Option<Vec<(String, String)>>,
    /// `Some`: the copy gets a new checksum of this algorithm, computed by the store
    /// (`x-amz-checksum-algorithm` on CopyObject, or on the CreateMultipartUpload of a copy in
    /// parts). `None`: the copy carries the source's checksum, if it has one.
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
}

/// What S3 says about a copy it made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Copied {
    /// The copy's ETag, without quotes.
    pub etag: Option<String>,
    /// When the copy was written (as S3 wrote it, RFC 3339).
    pub last_modified: Option<String>,
    /// The copy's version ID (versioned destination bucket).
    pub version_id: Option<String>,
    /// The version of the source that was copied (versioned source bucket).
    pub source_version_id: Option<String>,
    /// The copy's checksum, when S3 answered one.
    pub checksum: Option<Checksum>,
}

/// The document S3 answers a copy with: `<CopyObjectResult>` for CopyObject, `<CopyPartResult>`
/// for UploadPartCopy (the same elements).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CopyResult {
    /// The ETag of the copy (or of the part), quoted as S3 sends it.
    #[serde(rename = "ETag", default)]
    pub etag: Option<String>,
    /// When the copy was written.
    #[serde(default)]
    pub last_modified: Option<String>,
    #[serde(rename = "ChecksumCRC32", default)]
    crc32: Option<String>,
    #[serde(rename = "ChecksumCRC32C", default)]
    crc32c: Option<String>,
    #[serde(rename = "ChecksumCRC64NVME", default)]
    crc64nvme: Option<String>,
    #[serde(rename = "ChecksumSHA1", default)]
    sha1: Option<String>,
    #[serde(rename = "ChecksumSHA256", default)]
    sha256: Option<String>,
}

impl CopyResult {
    /// The checksum S3 answered for `algorithm`, if it answered a readable one.
    pub fn checksum_for(&self, algorithm: ChecksumAlgorithm) -> Option<Checksum> {
        let value = match algorithm {
            ChecksumAlgorithm::Crc32 => &self.crc32,
            ChecksumAlgorithm::Crc32c => &self.crc32c,
            ChecksumAlgorithm::Crc64Nvme => &self.crc64nvme,
            ChecksumAlgorithm::Sha1 => &self.sha1,
            ChecksumAlgorithm::Sha256 => &self.sha256,
        };
        Checksum::parse(algorithm, value.as_deref()?).ok()
    }

    /// The first readable checksum S3 answered, of any algorithm.
    pub fn checksum(&self) -> Option<Checksum> {
        ChecksumAlgorithm::ALL
            .into_iter()
            .find_map(|algorithm| self.checksum_for(algorithm))
    }
}

/// The source of a copy as its HEAD describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceObject {
    /// Its size in bytes.
    pub size: u64,
    /// Its ETag, without quotes (what `x-amz-copy-source-if-match` compares).
    pub etag: Option<String>,
    /// The headers a copy that keeps the metadata carries over, lower-case names:
    /// `content-type`, `cache-control`, `content-disposition`, `content-encoding`,
    /// `content-language`, `expires` (as stored) and every `x-amz-meta-*`.
    pub headers: Vec<(String, String)>,
    /// Its storage class as S3 named it (S3 leaves it out for `STANDARD`).
    pub storage_class: Option<String>,
    /// Its checksum: the algorithm and type, and the value when S3 answered a readable one.
    pub checksum: Option<SourceChecksum>,
}

/// What S3 says of a source's checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceChecksum {
    /// The algorithm.
    pub algorithm: ChecksumAlgorithm,
    /// Full-object or composite (`x-amz-checksum-type`; else told by a `-N` in the value).
    pub kind: ChecksumType,
    /// The value; `None` when S3 answered one that cannot be read (a value of the wrong
    /// length, as moto answers without the optional CRC packages).
    pub value: Option<Checksum>,
}

/// The content headers a copy that keeps the metadata carries over (with `x-amz-meta-*`).
const CONTENT_HEADERS: [&str; 6] = [
    "content-type",
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
];

impl SourceObject {
    /// Reads a HEAD answer's headers.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let kept = headers
            .iter()
            .filter(|(name, _)| {
                CONTENT_HEADERS.contains(&name.as_str()) || name.as_str().starts_with(META_PREFIX)
            })
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            });
        SourceObject {
            size: headers::text(headers, "content-length")
                .and_then(|length| length.trim().parse().ok())
                .unwrap_or(0),
            etag: headers::text(headers, "etag").map(unquote_etag),
            headers: kept.collect(),
            storage_class: headers::text(headers, "x-amz-storage-class").map(str::to_owned),
            checksum: source_checksum(headers),
        }
    }
}

/// The checksum a HEAD answer names (`x-amz-checksum-<alg>`, `x-amz-checksum-type`).
fn source_checksum(headers: &HeaderMap) -> Option<SourceChecksum> {
    let (algorithm, value) = ChecksumAlgorithm::ALL.into_iter().find_map(|algorithm| {
        Some((algorithm, headers::text(headers, algorithm.header_name())?))
    })?;
    let value = Checksum::parse(algorithm, value).ok();
    let kind = headers::text(headers, "x-amz-checksum-type")
        .and_then(ChecksumType::from_name)
        .or(value.as_ref().map(Checksum::kind))
        .unwrap_or(ChecksumType::FullObject);
    Some(SourceChecksum {
        algorithm,
        kind,
        value,
    })
}

/// The `x-amz-copy-source` header: `/bucket/key` with the key encoded as in a URL path, and
/// `?versionId=` for a version.
pub fn copy_source(bucket: &str, key: &str, version_id: Option<&str>) -> String {
    let mut source = format!("/{bucket}/{}", encode::encode_path(key));
    if let Some(version_id) = version_id {
        source.push_str("?versionId=");
        source.push_str(&encode::encode_query(version_id));
    }
    source
}

impl CopyObject<'_> {
    /// The CopyObject request.
    pub fn request(&self) -> Request {
        let mut request = Request::new(Method::PUT, Target::object(self.bucket, self.key))
            .header(
                "x-amz-copy-source",
                copy_source(self.source_bucket, self.source_key, self.source_version_id),
            )
            .header_opt("x-amz-storage-class", self.storage_class)
            .header_opt("x-amz-acl", self.acl)
            .header_opt(
                "x-amz-checksum-algorithm",
                self.checksum_algorithm.map(ChecksumAlgorithm::as_str),
            );
        if let Some(replaced) = &self.replace_metadata {
            request = request.header("x-amz-metadata-directive", "REPLACE");
            for (name, value) in replaced {
                request = request.header(name, value.as_str());
            }
        }
        request
    }

    /// Makes the copy: sends [`CopyObject::request`] and reads the answer. An error names the
    /// missing source, or the 5 GiB limit ([`CopyObject::explain`]).
    pub async fn send(&self, client: &S3Client) -> Result<Copied> {
        let response = client
            .send(self.request())
            .await
            .map_err(|err| self.explain(err))?;
        let (status, headers) = (response.status(), response.headers().clone());
        let body = response
            .bytes_capped(MAX_ANSWER_BYTES, "the copy answer")
            .await?;
        read_copy_answer(status, &headers, &body, self.checksum_algorithm)
            .map_err(|err| self.explain(err))
    }

    /// The HeadObject request for the source; `checksum_mode` asks for its checksum
    /// (`x-amz-checksum-mode: ENABLED`).
    pub fn head_source_request(&self, checksum_mode: bool) -> Request {
        Request::new(
            Method::HEAD,
            Target::object(self.source_bucket, self.source_key),
        )
        .query_opt("versionId", self.source_version_id)
        .header_opt("x-amz-checksum-mode", checksum_mode.then_some("ENABLED"))
    }

    /// Describes the source (HeadObject): size, ETag, content headers, metadata, storage class,
    /// and its checksum unless the client's checksum policy is `when_required` (stores that
    /// refuse `x-amz-checksum-mode`). A source encrypted with a KMS key the caller may not
    /// decrypt refuses the checksum mode: it is asked again without.
    pub async fn head_source(&self, client: &S3Client) -> Result<SourceObject> {
        let checksum_mode = client.checksum_settings().policy != ChecksumPolicy::WhenRequired;
        let mut answer = client.send(self.head_source_request(checksum_mode)).await;
        if checksum_mode
            && let Err(err) = &answer
            && err.kind() == ErrorKind::AccessDenied
        {
            answer = client.send(self.head_source_request(false)).await;
        }
        let response = answer.map_err(|err| {
            s3_error::name_missing_object(err, self.source_bucket, self.source_key)
        })?;
        Ok(SourceObject::from_headers(response.headers()))
    }

    /// Names the source when it is missing, and the 5 GiB limit when it is too large.
    pub fn explain(&self, err: Error) -> Error {
        let message = err.s3().and_then(|s3| s3.message.as_deref()).unwrap_or("");
        let too_large = match err.code() {
            Some("EntityTooLarge") => true,
            Some("InvalidRequest") => message.contains("maximum allowable size"),
            _ => false,
        };
        if too_large {
            return err.context(
                "the file is too large for the store to copy in one request (Amazon S3 copies \
                 up to 5 GiB so): lower the multipart threshold (transfer.multipart_threshold_mib) \
                 so that it is copied in parts",
            );
        }
        match err.code() {
            Some("NoSuchKey" | "NotFound" | "NoSuchVersion") => {
                s3_error::name_missing_object(err, self.source_bucket, self.source_key)
            }
            _ => err,
        }
    }
}

/// Reads S3's answer to a copy: the `<CopyObjectResult>` and the version headers. An `<Error>`
/// document is the error it describes even in a `200 OK`; anything else (an empty body, not
/// XML, another document) is a `server` error saying the copy may not have been made. The
/// copy's checksum is the one of the algorithm `asked` for (`None`: the first one answered).
pub fn read_copy_answer(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    asked: Option<ChecksumAlgorithm>,
) -> Result<Copied> {
    let result = read_copy_result(status, headers, body, "CopyObjectResult")?;
    let checksum = match asked {
        Some(algorithm) => result.checksum_for(algorithm),
        None => result.checksum(),
    };
    Ok(Copied {
        etag: result.etag.as_deref().map(unquote_etag),
        last_modified: result.last_modified.clone(),
        version_id: headers::text(headers, "x-amz-version-id").map(str::to_owned),
        source_version_id: headers::text(headers, "x-amz-copy-source-version-id")
            .map(str::to_owned),
        checksum,
    })
}

/// Reads a copy's answer document, whose root must be `root` (`CopyObjectResult` or
/// `CopyPartResult`), as [`read_copy_answer`] does.
pub fn read_copy_result(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    root: &str,
) -> Result<CopyResult> {
    if let Some(err) = s3_error::answer_error(status, headers, body) {
        return Err(err);
    }
    let text = String::from_utf8_lossy(body);
    match xml::document_root(&text) {
        Ok(found) if found == root => xml::deserialize::<CopyResult>(&text).ok(),
        _ => None,
    }
    .ok_or_else(|| {
        Error::new(
            ErrorKind::Server,
            "the store answered the copy without a result, so the copy may not have been \
             made; try again",
        )
        .with_status(status.as_u16())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::S3ErrorBody;
    use crate::ops::testing::url;

    #[test]
    fn copy_sources_are_encoded_like_paths() {
        assert_eq!(copy_source("b", "a b/c+d.txt", None), "/b/a%20b/c%2Bd.txt");
        assert_eq!(
            copy_source("b", "/lead//x%y é", Some("3/L+v")),
            "/b//lead//x%25y%20%C3%A9?versionId=3%2FL%2Bv"
        );
    }

    #[test]
    fn the_request_names_the_source_and_what_changes() {
        let copy = CopyObject {
            source_bucket: "src",
            source_key: "a b.txt",
            source_version_id: Some("v1"),
            bucket: "dst",
            key: "c.txt",
            storage_class: Some("STANDARD_IA"),
            acl: Some("public-read"),
            replace_metadata: Some(vec![
                ("content-type".into(), "text/plain".into()),
                ("x-amz-meta-owner".into(), "me".into()),
            ]),
            checksum_algorithm: None,
        };
        let sent = copy.request();
        assert_eq!(sent.method(), Method::PUT);
        assert_eq!(url(&sent), "http://127.0.0.1:9000/dst/c.txt");
        assert_eq!(
            sent.header_value("x-amz-copy-source"),
            Some("/src/a%20b.txt?versionId=v1")
        );
        assert_eq!(
            sent.header_value("x-amz-storage-class"),
            Some("STANDARD_IA")
        );
        assert_eq!(sent.header_value("x-amz-acl"), Some("public-read"));
        assert_eq!(
            sent.header_value("x-amz-metadata-directive"),
            Some("REPLACE")
        );
        assert_eq!(sent.header_value("content-type"), Some("text/plain"));
        assert_eq!(sent.header_value("x-amz-meta-owner"), Some("me"));
        assert!(sent.body_ref().is_empty());
        // Keeping the metadata sends no directive (COPY is S3's default).
        let keep = CopyObject {
            replace_metadata: None,
            ..copy
        };
        let sent = keep.request();
        assert_eq!(sent.header_value("x-amz-metadata-directive"), None);
        // No algorithm asked for: the copy carries the source's checksum, no header says so.
        assert_eq!(sent.header_value("x-amz-checksum-algorithm"), None);
    }

    #[test]
    fn an_asked_algorithm_is_sent_and_its_checksum_read_back() {
        let copy = CopyObject {
            source_bucket: "b",
            source_key: "a.txt",
            bucket: "b",
            key: "c.txt",
            checksum_algorithm: Some(ChecksumAlgorithm::Sha256),
            ..CopyObject::default()
        };
        let sent = copy.request();
        assert_eq!(
            sent.header_value("x-amz-checksum-algorithm"),
            Some("SHA256")
        );
        let crc64 = CopyObject {
            checksum_algorithm: Some(ChecksumAlgorithm::Crc64Nvme),
            ..copy.clone()
        };
        assert_eq!(
            crc64.request().header_value("x-amz-checksum-algorithm"),
            Some("CRC64NVME")
        );
        // An answer with the source's CRC32C and the asked SHA-256: the asked one is the copy's.
        let body = br#"<CopyObjectResult><ETag>"abc"</ETag>
<ChecksumCRC32C>4waSgw==</ChecksumCRC32C>
<ChecksumSHA256>FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=</ChecksumSHA256></CopyObjectResult>"#;
        let headers = HeaderMap::new();
        let asked = read_copy_answer(
            StatusCode::OK,
            &headers,
            body,
            Some(ChecksumAlgorithm::Sha256),
        )
        .unwrap();
        let checksum = asked.checksum.unwrap();
        assert_eq!(checksum.algorithm(), ChecksumAlgorithm::Sha256);
        assert_eq!(
            checksum.to_string(),
            "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU="
        );
        let first = read_copy_answer(StatusCode::OK, &headers, body, None).unwrap();
        assert_eq!(
            first.checksum.unwrap().algorithm(),
            ChecksumAlgorithm::Crc32c
        );
        // A store that did not compute the asked algorithm: no checksum is claimed for it.
        let other = read_copy_answer(
            StatusCode::OK,
            &headers,
            body,
            Some(ChecksumAlgorithm::Crc32),
        )
        .unwrap();
        assert_eq!(other.checksum, None);
    }

    #[test]
    fn a_200_answer_may_be_an_error() {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-version-id", "v2".parse().unwrap());
        let ok = br#"<?xml version="1.0" encoding="UTF-8"?>
<CopyObjectResult><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>"abc"</ETag></CopyObjectResult>"#;
        let copied = read_copy_answer(StatusCode::OK, &headers, ok, None).unwrap();
        assert_eq!(
            copied,
            Copied {
                etag: Some("abc".into()),
                last_modified: Some("2026-01-02T03:04:05.000Z".into()),
                version_id: Some("v2".into()),
                source_version_id: None,
                checksum: None,
            }
        );
        // S3 sends whitespace while it copies, then the result or an error.
        let failed =
            b"   \n  <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>\
            <Message>We encountered an internal error. Please try again.</Message></Error>";
        let err = read_copy_answer(StatusCode::OK, &headers, failed, None).unwrap_err();
        assert_eq!(err.code(), Some("InternalError"));
        assert!(err.is_retryable());
        for unreadable in [&b""[..], b"   ", b"<html>oops", b"<Other/>"] {
            let err = read_copy_answer(StatusCode::OK, &headers, unreadable, None).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Server);
            assert!(err.message().contains("may not have been made"));
        }
    }

    fn s3_error(kind: ErrorKind, code: &str, message: &str) -> Error {
        Error::new(kind, format!("{code}: {message}")).with_s3(S3ErrorBody {
            code: code.to_owned(),
            message: Some(message.to_owned()),
            ..S3ErrorBody::default()
        })
    }

    #[test]
    fn too_large_or_missing_sources_are_explained() {
        let copy = CopyObject {
            source_bucket: "b",
            source_key: "big.bin",
            bucket: "b",
            key: "copy.bin",
            ..CopyObject::default()
        };
        let err = copy.explain(s3_error(
            ErrorKind::InvalidInput,
            "InvalidRequest",
            "The specified copy source is larger than the maximum allowable size for a copy \
             source: 5368709120",
        ));
        assert!(err.message().contains("5 GiB"), "{}", err.message());
        assert!(
            err.message().contains("multipart_threshold_mib"),
            "{}",
            err.message()
        );
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let err = copy.explain(s3_error(
            ErrorKind::NotFound,
            "NoSuchKey",
            "The specified key does not exist.",
        ));
        assert!(err.message().contains("\"big.bin\""), "{}", err.message());
        let err = copy.explain(s3_error(ErrorKind::InvalidInput, "InvalidRequest", "other"));
        assert_eq!(err.message(), "InvalidRequest: other");
    }
}
