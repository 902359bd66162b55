//! CopyObject: S3 copies one object to another key (or bucket) itself, up to 5 GiB, without the
//! bytes passing through here. The request is built by [`CopyObject::request`], its answer read
//! by [`read_copy_answer`]; S3 may answer `200 OK` and still fail, with an `<Error>` document
//! (recognised by [`s3_error::answer_error`], as everywhere).

use crate::error::{Error, ErrorKind, Result};
use crate::wire::client::S3Client;
use crate::wire::encode;
use crate::wire::endpoint::Target;
use crate::wire::headers::{self, unquote_etag};
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
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CopyObjectResult {
    #[serde(rename = "ETag", default)]
    etag: Option<String>,
    #[serde(default)]
    last_modified: Option<String>,
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
            .header_opt("x-amz-acl", self.acl);
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
        read_copy_answer(status, &headers, &body).map_err(|err| self.explain(err))
    }

    /// The content type of the source (HeadObject), for a copy that replaces the metadata but
    /// should keep it.
    pub async fn source_content_type(&self, client: &S3Client) -> Result<Option<String>> {
        let head = Request::new(
            Method::HEAD,
            Target::object(self.source_bucket, self.source_key),
        )
        .query_opt("versionId", self.source_version_id);
        let response = client.send(head).await.map_err(|err| {
            s3_error::name_missing_object(err, self.source_bucket, self.source_key)
        })?;
        Ok(response.header("content-type").map(str::to_owned))
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
                "the file is larger than 5 GiB, the most S3 copies in one request (a multipart \
                 copy is needed, which this module does not do yet)",
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
/// XML, another document) is a `server` error saying the copy may not have been made.
pub fn read_copy_answer(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Result<Copied> {
    if let Some(err) = s3_error::answer_error(status, headers, body) {
        return Err(err);
    }
    let text = String::from_utf8_lossy(body);
    let result = match xml::document_root(&text) {
        Ok(root) if root == "CopyObjectResult" => xml::deserialize::<CopyObjectResult>(&text).ok(),
        _ => None,
    };
    let Some(result) = result else {
        return Err(Error::new(
            ErrorKind::Server,
            "the store answered the copy without a result, so the copy may not have been \
             made; try again",
        )
        .with_status(status.as_u16()));
    };
    Ok(Copied {
        etag: result.etag.as_deref().map(unquote_etag),
        last_modified: result.last_modified,
        version_id: headers::text(headers, "x-amz-version-id").map(str::to_owned),
        source_version_id: headers::text(headers, "x-amz-copy-source-version-id")
            .map(str::to_owned),
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
    }

    #[test]
    fn a_200_answer_may_be_an_error() {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-version-id", "v2".parse().unwrap());
        let ok = br#"<?xml version="1.0" encoding="UTF-8"?>
<CopyObjectResult><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>"abc"</ETag></CopyObjectResult>"#;
        let copied = read_copy_answer(StatusCode::OK, &headers, ok).unwrap();
        assert_eq!(
            copied,
            Copied {
                etag: Some("abc".into()),
                last_modified: Some("2026-01-02T03:04:05.000Z".into()),
                version_id: Some("v2".into()),
                source_version_id: None,
            }
        );
        // S3 sends whitespace while it copies, then the result or an error.
        let failed =
            b"   \n  <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>\
            <Message>We encountered an internal error. Please try again.</Message></Error>";
        let err = read_copy_answer(StatusCode::OK, &headers, failed).unwrap_err();
        assert_eq!(err.code(), Some("InternalError"));
        assert!(err.is_retryable());
        for unreadable in [&b""[..], b"   ", b"<html>oops", b"<Other/>"] {
            let err = read_copy_answer(StatusCode::OK, &headers, unreadable).unwrap_err();
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
