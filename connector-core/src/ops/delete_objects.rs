//! DeleteObjects: many objects deleted with few requests.
//!
//! Keys go to S3 in batches of at most 1,000 (`POST /?delete`, with `Content-MD5` as S3
//! requires), a few batches at a time, in quiet mode: S3 then lists only the objects it could
//! not delete, and every other object of the batch counts as deleted. A key that XML 1.0 cannot
//! carry exactly (a control character other than tab and line feed, or a carriage return, which
//! XML parsers turn into a line feed) is deleted on its own with DeleteObject instead, so it
//! neither breaks its batch nor deletes another object.

use crate::error::{Error, ErrorKind, Result};
use crate::wire::body::Body;
use crate::wire::client::S3Client;
use crate::wire::encode::decode_listing_key;
use crate::wire::endpoint::Target;
use crate::wire::request::Request;
use futures_util::StreamExt;
use http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};

/// The most keys S3 accepts in one DeleteObjects request.
pub const MAX_KEYS_PER_REQUEST: usize = 1000;

/// How many requests run at once.
const CONCURRENT_REQUESTS: usize = 4;

/// The namespace of S3's XML.
const S3_XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// One object to delete: a key, and a version in a versioned bucket.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectId {
    /// The key, exactly.
    pub key: String,
    /// The version to delete; `None` deletes the current version (in a versioned bucket: adds
    /// a delete marker).
    pub version_id: Option<String>,
}

impl ObjectId {
    /// The current version of `key`.
    pub fn key(key: impl Into<String>) -> Self {
        ObjectId {
            key: key.into(),
            version_id: None,
        }
    }
}

/// An object S3 did not delete. It serializes as module output (`key`, `version_id` when
/// given, `code`, `message`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DeleteFailure {
    /// The key.
    pub key: String,
    /// The version, when one was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// S3's error code, e.g. `AccessDenied`.
    pub code: String,
    /// S3's message.
    pub message: String,
}

/// What a deletion did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteReport {
    /// The objects deleted (S3 answers success for keys that did not exist).
    pub deleted: Vec<ObjectId>,
    /// The objects S3 refused to delete, with its reason.
    pub failed: Vec<DeleteFailure>,
}

/// Deletes `objects` from `bucket`: in batches of at most [`MAX_KEYS_PER_REQUEST`], a few at
/// a time; keys XML cannot carry one by one.
///
/// Objects S3 refuses to delete are reported in [`DeleteReport::failed`]. A request that fails
/// as a whole (no such bucket, credentials, network after retries) is an error: no further
/// request is started, and the message says how many objects were deleted before it.
pub async fn delete_objects(
    client: &S3Client,
    bucket: &str,
    objects: Vec<ObjectId>,
) -> Result<DeleteReport> {
    let total = objects.len();
    let (batched, single): (Vec<ObjectId>, Vec<ObjectId>) =
        objects.into_iter().partition(|o| xml_can_carry(&o.key));
    let mut units: Vec<Unit> = Vec::with_capacity(total.div_ceil(MAX_KEYS_PER_REQUEST));
    let mut batched = batched.into_iter().peekable();
    while batched.peek().is_some() {
        units.push(Unit::Batch(
            batched.by_ref().take(MAX_KEYS_PER_REQUEST).collect(),
        ));
    }
    units.extend(single.into_iter().map(Unit::Single));

    let stop = AtomicBool::new(false);
    let mut results = futures_util::stream::iter(units)
        .map(|unit| {
            let stop = &stop;
            async move {
                if stop.load(Ordering::Relaxed) {
                    return None;
                }
                let result = unit.run(client, bucket).await;
                if result.is_err() {
                    stop.store(true, Ordering::Relaxed);
                }
                Some(result)
            }
        })
        .buffered(CONCURRENT_REQUESTS);

    let mut report = DeleteReport::default();
    let mut first_error = None;
    while let Some(result) = results.next().await {
        match result {
            Some(Ok(part)) => {
                report.deleted.extend(part.deleted);
                report.failed.extend(part.failed);
            }
            Some(Err(err)) => {
                first_error.get_or_insert(err);
            }
            None => {}
        }
    }
    match first_error {
        None => Ok(report),
        Some(err) if report.deleted.is_empty() => Err(err),
        Some(err) => Err(err.context(format!(
            "{} of {total} objects were deleted before a request failed",
            report.deleted.len()
        ))),
    }
}

/// One request's worth of work.
enum Unit {
    Batch(Vec<ObjectId>),
    Single(ObjectId),
}

impl Unit {
    async fn run(self, client: &S3Client, bucket: &str) -> Result<DeleteReport> {
        match self {
            Unit::Batch(objects) => delete_batch(client, bucket, objects).await,
            Unit::Single(object) => delete_one(client, bucket, object).await,
        }
    }
}

/// Whether `key` survives a trip through an XML document unchanged: every character is one
/// XML 1.0 allows, and none is a carriage return (which parsers normalize to a line feed).
pub fn xml_can_carry(key: &str) -> bool {
    key.chars().all(|c| {
        matches!(c, '\t' | '\n' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
    })
}

/// One DeleteObjects request.
async fn delete_batch(
    client: &S3Client,
    bucket: &str,
    objects: Vec<ObjectId>,
) -> Result<DeleteReport> {
    let result: DeleteResultXml = client
        .send(delete_objects_request(bucket, &objects)?)
        .await?
        .xml()
        .await?;
    Ok(report_from(objects, result))
}

/// The DeleteObjects request for `objects` of `bucket` (quiet: the answer names only failures),
/// with the `Content-MD5` S3 requires for it.
pub fn delete_objects_request(bucket: &str, objects: &[ObjectId]) -> Result<Request> {
    let body = delete_request_xml(objects)?;
    Ok(Request::new(Method::POST, Target::bucket(bucket))
        .query("delete", "")
        .header("content-type", "application/xml")
        .body(Body::from_bytes(body))
        .with_content_md5())
}

/// One DeleteObject request, for a key XML cannot carry. A refusal that concerns the object
/// is reported as a failure, like DeleteObjects does; one that concerns the whole request is
/// an error.
async fn delete_one(client: &S3Client, bucket: &str, object: ObjectId) -> Result<DeleteReport> {
    let sent = client
        .request(Method::DELETE, Target::object(bucket, &object.key))
        .query_opt("versionId", object.version_id.as_deref())
        .send()
        .await;
    match sent {
        Ok(_) => Ok(DeleteReport {
            deleted: vec![object],
            failed: Vec::new(),
        }),
        Err(err) if concerns_the_object(&err) => Ok(DeleteReport {
            deleted: Vec::new(),
            failed: vec![DeleteFailure {
                code: err.code().unwrap_or(err.kind().as_str()).to_owned(),
                message: err.message().to_owned(),
                key: object.key,
                version_id: object.version_id,
            }],
        }),
        Err(err) => Err(err),
    }
}

/// Whether S3 refused this one object (not the bucket, the credentials or the connection).
fn concerns_the_object(err: &Error) -> bool {
    match err.kind() {
        ErrorKind::AccessDenied | ErrorKind::InvalidInput | ErrorKind::Conflict => true,
        ErrorKind::NotFound => err.code() != Some("NoSuchBucket"),
        _ => false,
    }
}

/// The body of a DeleteObjects request.
#[derive(Serialize)]
struct DeleteXml<'a> {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "Quiet")]
    quiet: bool,
    #[serde(rename = "Object")]
    objects: Vec<ObjectXml<'a>>,
}

#[derive(Serialize)]
struct ObjectXml<'a> {
    #[serde(rename = "Key")]
    key: &'a str,
    #[serde(rename = "VersionId", skip_serializing_if = "Option::is_none")]
    version_id: Option<&'a str>,
}

/// The XML document that asks S3 to delete `objects`, quietly.
fn delete_request_xml(objects: &[ObjectId]) -> Result<String> {
    let document = DeleteXml {
        xmlns: S3_XMLNS,
        quiet: true,
        objects: objects
            .iter()
            .map(|o| ObjectXml {
                key: &o.key,
                version_id: o.version_id.as_deref(),
            })
            .collect(),
    };
    crate::wire::xml::to_string("Delete", &document)
}

/// S3's answer. Its children are read in any order: some stores list `Deleted` entries even in
/// quiet mode, between the errors.
#[derive(Debug, Deserialize)]
struct DeleteResultXml {
    #[serde(rename = "$value", default)]
    entries: Vec<ResultEntry>,
}

impl crate::wire::answer::XmlAnswer for DeleteResultXml {
    const ROOT: &'static str = "DeleteResult";
}

#[derive(Debug, Deserialize)]
enum ResultEntry {
    Error(ErrorEntry),
    EncodingType(String),
    #[serde(other)]
    Other,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ErrorEntry {
    key: Option<String>,
    version_id: Option<String>,
    code: Option<String>,
    message: Option<String>,
}

/// The report of one batch: the errors S3 listed, and every other object as deleted.
fn report_from(objects: Vec<ObjectId>, result: DeleteResultXml) -> DeleteReport {
    let encoded = result.entries.iter().any(
        |entry| matches!(entry, ResultEntry::EncodingType(t) if t.eq_ignore_ascii_case("url")),
    );
    let failed: Vec<DeleteFailure> = result
        .entries
        .into_iter()
        .filter_map(|entry| match entry {
            ResultEntry::Error(error) => Some(error),
            _ => None,
        })
        .map(|error| {
            let key = error.key.unwrap_or_default();
            DeleteFailure {
                key: if encoded {
                    decode_listing_key(&key)
                } else {
                    key
                },
                version_id: error.version_id.filter(|v| !v.is_empty()),
                code: error.code.unwrap_or_else(|| "Unknown".to_owned()),
                message: error.message.unwrap_or_default(),
            }
        })
        .collect();
    let deleted = objects
        .into_iter()
        .filter(|o| {
            !failed
                .iter()
                .any(|f| f.key == o.key && (f.version_id.is_none() || f.version_id == o.version_id))
        })
        .collect();
    DeleteReport { deleted, failed }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(key: &str, version: Option<&str>) -> ObjectId {
        ObjectId {
            key: key.to_owned(),
            version_id: version.map(str::to_owned),
        }
    }

    #[test]
    fn writes_a_quiet_delete_request() {
        let xml = delete_request_xml(&[id("a & <b>.txt", None), id(" x/y ", Some("v1"))]).unwrap();
        assert_eq!(
            xml,
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                r#"<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>"#,
                r#"<Object><Key>a &amp; &lt;b&gt;.txt</Key></Object>"#,
                r#"<Object><Key> x/y </Key><VersionId>v1</VersionId></Object>"#,
                r#"</Delete>"#
            )
        );
    }

    #[test]
    fn keys_xml_cannot_carry() {
        for good in ["a b/c", "tab\there", "line\nfeed", "é日本🎉", "\u{FFFD}"] {
            assert!(xml_can_carry(good), "{good:?}");
        }
        for bad in [
            "nul\0",
            "bell\u{7}",
            "cr\r",
            "esc\u{1b}",
            "\u{FFFE}",
            "\u{FFFF}",
        ] {
            assert!(!xml_can_carry(bad), "{bad:?}");
        }
    }

    #[test]
    fn reads_failures_and_counts_the_rest_as_deleted() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Deleted><Key>ok-listed</Key></Deleted>
  <Error><Key>locked/a.txt</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>
  <Deleted><Key>ok-2</Key></Deleted>
  <Error><Key>v.txt</Key><VersionId>v9</VersionId><Code>InvalidArgument</Code><Message>Invalid version id specified</Message></Error>
</DeleteResult>"#;
        let objects = vec![
            id("ok-listed", None),
            id("locked/a.txt", None),
            id("ok-2", None),
            id("v.txt", Some("v9")),
            id("v.txt", Some("v1")),
        ];
        let report = report_from(objects, crate::wire::answer::parse(xml).unwrap());
        assert_eq!(
            report.failed,
            vec![
                DeleteFailure {
                    key: "locked/a.txt".into(),
                    version_id: None,
                    code: "AccessDenied".into(),
                    message: "Access Denied".into(),
                },
                DeleteFailure {
                    key: "v.txt".into(),
                    version_id: Some("v9".into()),
                    code: "InvalidArgument".into(),
                    message: "Invalid version id specified".into(),
                },
            ]
        );
        assert_eq!(
            report.deleted,
            vec![
                id("ok-listed", None),
                id("ok-2", None),
                id("v.txt", Some("v1"))
            ]
        );
    }

    #[test]
    fn an_empty_answer_means_everything_was_deleted() {
        for xml in [
            r#"<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#,
            "<DeleteResult>\n</DeleteResult>",
        ] {
            let report = report_from(
                vec![id("a", None)],
                crate::wire::answer::parse(xml).unwrap(),
            );
            assert_eq!(report.deleted, vec![id("a", None)]);
            assert!(report.failed.is_empty());
        }
    }

    #[test]
    fn decodes_url_encoded_keys_and_keeps_spaces() {
        let failed_keys = |xml: &str, objects: Vec<ObjectId>| {
            let report = report_from(objects, crate::wire::answer::parse(xml).unwrap());
            let keys: Vec<String> = report.failed.into_iter().map(|f| f.key).collect();
            (keys, report.deleted)
        };
        let (keys, deleted) = failed_keys(
            "<DeleteResult><EncodingType>url</EncodingType>\
             <Error><Key>a+b%2Bc%C3%A9</Key><Code>AccessDenied</Code><Message>no</Message></Error>\
             </DeleteResult>",
            vec![id("a b+cé", None), id("other", None)],
        );
        assert_eq!(keys, ["a b+cé"]);
        assert_eq!(deleted, vec![id("other", None)]);
        let (keys, deleted) = failed_keys(
            "<DeleteResult><Error><Key>  a+b\t</Key><Code>AccessDenied</Code></Error></DeleteResult>",
            vec![id("  a+b\t", None)],
        );
        assert_eq!(keys, ["  a+b\t"]);
        assert!(deleted.is_empty());
    }
}
