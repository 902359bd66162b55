//! Emptying folders and buckets: every key under a prefix, every version of every object, and
//! every unfinished multipart upload, a page at a time (memory stays bounded whatever the count).

use crate::error::{Error, Result};
use crate::ops::delete_objects::{DeleteReport, ObjectId, delete_objects};
use crate::ops::listing::{
    ListRequest, MAX_KEYS_PER_PAGE, PageGuard, Pages, list_objects_v2, truncated_without,
};
use crate::wire::answer::XmlAnswer;
use crate::wire::client::S3Client;
use crate::wire::encode::decode_listing_key;
use crate::wire::endpoint::Target;
use http::Method;
use serde::Deserialize;

/// Deletes every key starting with `prefix` (an empty prefix: the whole bucket's current
/// versions), listing and deleting one page of up to 1,000 keys at a time.
pub async fn delete_prefix(client: &S3Client, bucket: &str, prefix: &str) -> Result<DeleteReport> {
    let mut report = DeleteReport::default();
    let mut pages = Pages::under(client, bucket, prefix);
    while let Some(page) = pages.next().await? {
        let objects: Vec<ObjectId> = page
            .objects
            .into_iter()
            .map(|o| ObjectId::key(o.key))
            .collect();
        let deleted_before = report.deleted.len();
        let deleted = delete_objects(client, bucket, objects)
            .await
            .map_err(|err| err.context(format!("after deleting {deleted_before} objects")))?;
        merge(&mut report, deleted);
    }
    Ok(report)
}

/// Whether `bucket` holds any object: (0 or 1, the first key).
pub async fn preview_first(client: &S3Client, bucket: &str) -> Result<(u64, Vec<String>)> {
    let request = ListRequest {
        max_keys: 1,
        ..ListRequest::default()
    };
    let page = list_objects_v2(client, bucket, &request).await?;
    let keys: Vec<String> = page.objects.into_iter().take(1).map(|o| o.key).collect();
    Ok((keys.len() as u64, keys))
}

/// Counts the keys under `prefix` and returns the first `keep` of them, without deleting.
pub async fn preview_prefix(
    client: &S3Client,
    bucket: &str,
    prefix: &str,
    keep: usize,
) -> Result<(u64, Vec<String>)> {
    let mut count = 0u64;
    let mut keys = Vec::new();
    let mut pages = Pages::under(client, bucket, prefix);
    while let Some(page) = pages.next().await? {
        count += page.objects.len() as u64;
        let room = keep.saturating_sub(keys.len());
        keys.extend(page.objects.into_iter().take(room).map(|o| o.key));
    }
    Ok((count, keys))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListVersionsResult {
    #[serde(default)]
    version: Vec<VersionXml>,
    #[serde(default)]
    delete_marker: Vec<VersionXml>,
    #[serde(default)]
    is_truncated: Option<bool>,
    #[serde(default)]
    next_key_marker: Option<String>,
    #[serde(default)]
    next_version_id_marker: Option<String>,
    #[serde(default)]
    encoding_type: Option<String>,
}

impl XmlAnswer for ListVersionsResult {
    const ROOT: &'static str = "ListVersionsResult";
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VersionXml {
    key: String,
    version_id: Option<String>,
}

/// Deletes every version and delete marker in `bucket` (ListObjectVersions, page by page).
/// `None` when the store does not implement versions (it then has none to delete).
pub async fn delete_all_versions(client: &S3Client, bucket: &str) -> Result<Option<DeleteReport>> {
    let mut report = DeleteReport::default();
    let mut markers: Option<(String, Option<String>)> = None;
    let mut guard = PageGuard::<2>::new("key and version markers", None);
    loop {
        let (key_marker, version_marker) = markers.clone().unzip();
        let answer = client
            .request(Method::GET, Target::bucket(bucket))
            .query("versions", "")
            .query("encoding-type", "url")
            .query("max-keys", MAX_KEYS_PER_PAGE.to_string())
            .query_opt("key-marker", key_marker)
            .query_opt("version-id-marker", version_marker.flatten())
            .send()
            .await;
        let page: ListVersionsResult = match answer {
            Ok(response) => response.xml().await?,
            Err(err) if not_implemented(&err) => return Ok(None),
            Err(err) => return Err(err),
        };
        let encoded = page.encoding_type.as_deref() == Some("url");
        let decode = |key: String| {
            if encoded {
                decode_listing_key(&key)
            } else {
                key
            }
        };
        markers = next_markers(
            page.is_truncated,
            page.next_key_marker.map(decode),
            page.next_version_id_marker,
            "NextKeyMarker",
        )?;
        let items = page.version.len() + page.delete_marker.len();
        guard.next_page(items, markers.as_ref().map(marker_parts))?;
        let objects: Vec<ObjectId> = page
            .version
            .into_iter()
            .chain(page.delete_marker)
            .map(|v| ObjectId {
                key: decode(v.key),
                // "null" names the version stored before versioning was enabled: it is sent as
                // is (without a version, S3 would only add a delete marker).
                version_id: v.version_id,
            })
            .collect();
        merge(&mut report, delete_objects(client, bucket, objects).await?);
        if markers.is_none() {
            return Ok(Some(report));
        }
    }
}

/// Where a marker-paged listing goes on: `None` after the last page; a truncated page without
/// a key marker is an error, not the end.
fn next_markers(
    truncated: Option<bool>,
    key_marker: Option<String>,
    second_marker: Option<String>,
    key_marker_name: &str,
) -> Result<Option<(String, Option<String>)>> {
    if truncated != Some(true) {
        return Ok(None);
    }
    match key_marker.filter(|key| !key.is_empty()) {
        Some(key) => Ok(Some((key, second_marker))),
        None => Err(truncated_without(key_marker_name)),
    }
}

/// A pair of markers as the page guard knows them.
fn marker_parts((key, second): &(String, Option<String>)) -> [&str; 2] {
    [key.as_str(), second.as_deref().unwrap_or("")]
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListMultipartUploadsResult {
    #[serde(default)]
    upload: Vec<UploadXml>,
    #[serde(default)]
    is_truncated: Option<bool>,
    #[serde(default)]
    next_key_marker: Option<String>,
    #[serde(default)]
    next_upload_id_marker: Option<String>,
}

impl XmlAnswer for ListMultipartUploadsResult {
    const ROOT: &'static str = "ListMultipartUploadsResult";
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UploadXml {
    key: String,
    upload_id: String,
}

/// Aborts every unfinished multipart upload in `bucket` (their parts are billed storage).
/// Returns how many were aborted; `None` when the store does not list uploads.
pub async fn abort_all_uploads(client: &S3Client, bucket: &str) -> Result<Option<u64>> {
    let mut aborted = 0;
    let mut markers: Option<(String, Option<String>)> = None;
    let mut guard = PageGuard::<2>::new("key and upload ID markers", None);
    loop {
        let (key_marker, upload_marker) = markers.clone().unzip();
        let answer = client
            .request(Method::GET, Target::bucket(bucket))
            .query("uploads", "")
            .query_opt("key-marker", key_marker)
            .query_opt("upload-id-marker", upload_marker.flatten())
            .send()
            .await;
        let page: ListMultipartUploadsResult = match answer {
            Ok(response) => response.xml().await?,
            Err(err) if not_implemented(&err) => return Ok(None),
            Err(err) => return Err(err),
        };
        markers = next_markers(
            page.is_truncated,
            page.next_key_marker,
            page.next_upload_id_marker,
            "NextKeyMarker",
        )?;
        guard.next_page(page.upload.len(), markers.as_ref().map(marker_parts))?;
        for upload in page.upload {
            client
                .request(Method::DELETE, Target::object(bucket, &upload.key))
                .query("uploadId", &upload.upload_id)
                .send()
                .await?;
            aborted += 1;
        }
        if markers.is_none() {
            return Ok(Some(aborted));
        }
    }
}

fn not_implemented(err: &Error) -> bool {
    err.code() == Some("NotImplemented") || err.status() == Some(501)
}

fn merge(into: &mut DeleteReport, from: DeleteReport) {
    into.deleted.extend(from.deleted);
    into.failed.extend(from.failed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_version_and_upload_listings() {
        let versions = r#"<ListVersionsResult><IsTruncated>true</IsTruncated>
<NextKeyMarker>b</NextKeyMarker><NextVersionIdMarker>v2</NextVersionIdMarker>
<Version><Key>a</Key><VersionId>v1</VersionId><IsLatest>true</IsLatest></Version>
<DeleteMarker><Key>b</Key><VersionId>v2</VersionId></DeleteMarker>
<Version><Key>c</Key><VersionId>null</VersionId></Version></ListVersionsResult>"#;
        let page: ListVersionsResult = crate::wire::answer::parse(versions).unwrap();
        assert_eq!(page.version.len(), 2);
        assert_eq!(page.delete_marker[0].key, "b");
        assert_eq!(page.next_version_id_marker.as_deref(), Some("v2"));
        let uploads = r#"<ListMultipartUploadsResult><Upload><Key>big.bin</Key><UploadId>u-1</UploadId></Upload></ListMultipartUploadsResult>"#;
        let page: ListMultipartUploadsResult = crate::wire::answer::parse(uploads).unwrap();
        assert_eq!(page.upload[0].upload_id, "u-1");
        assert!(page.is_truncated.is_none());
    }
}
