//! Uploads of any size, in bounded memory: one signed PUT for small files, else a multipart
//! upload whose parts go in parallel, each with its own SHA-256 and Content-MD5. A failed
//! multipart upload is aborted, so no orphaned parts stay billed. Sources of unknown length
//! (standard input, a pipe) are read part by part.

use crate::error::{Error, ErrorKind, Result};
use crate::ops::transfer::{MAX_PARTS, Progress, TransferOptions};
use crate::wire::answer::parse_answer;
use crate::wire::body::Body;
use crate::wire::client::S3Client;
use crate::wire::endpoint::Target;
use crate::wire::headers::unquote_etag;
use crate::wire::request::Request;
use crate::wire::s3_error;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use http::{HeaderMap, Method};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::path::Path;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Where an upload goes and the headers it is stored with (content type, metadata, …).
#[derive(Debug, Clone)]
pub struct PutTarget {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// Headers for PutObject, e.g. `content-type`, `x-amz-meta-*`; a multipart upload sends
    /// each where S3 wants it (on creation, on every part, or on completion).
    pub headers: HeaderMap,
}

impl PutTarget {
    /// The target's headers that go where `wanted` says.
    fn headers_for(&self, wanted: fn(HeaderUse) -> bool) -> HeaderMap {
        self.headers
            .iter()
            .filter(|(name, _)| wanted(header_use(name.as_str())))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect()
    }
}

/// A finished upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    /// The ETag, without quotes.
    pub etag: Option<String>,
    /// The version ID, in a versioned bucket.
    pub version_id: Option<String>,
    /// Bytes uploaded.
    pub size: u64,
    /// Parts, for a multipart upload (0 for a single PUT).
    pub parts: u32,
}

/// Where a header of PutObject goes in a multipart upload.
enum HeaderUse {
    /// CreateMultipartUpload only (content type, metadata, ACL, storage class, …).
    Create,
    /// Create and every part (SSE-C keys).
    CreateAndParts,
    /// CompleteMultipartUpload (conditional writes).
    Complete,
}

fn header_use(name: &str) -> HeaderUse {
    if name.starts_with("x-amz-server-side-encryption-customer-") {
        HeaderUse::CreateAndParts
    } else if name == "if-none-match" || name == "if-match" {
        HeaderUse::Complete
    } else {
        HeaderUse::Create
    }
}

/// Uploads the file at `path` (`-`: standard input; a pipe or other non-regular file is read
/// as a stream). A file that cannot be opened, or a folder, is refused before anything is
/// sent, as a local-file error ([`Error::local_file`]: `invalid_input`, with the path).
pub async fn upload_path(
    client: &S3Client,
    target: &PutTarget,
    path: &Path,
    options: &TransferOptions,
    progress: Option<&dyn Progress>,
) -> Result<Uploaded> {
    if path.as_os_str() == "-" {
        return upload_reader(client, target, tokio::io::stdin(), options, progress).await;
    }
    let metadata = tokio::fs::metadata(path)
        .await
        .map_err(|err| Error::local_file(path, err))?;
    if metadata.is_dir() {
        return Err(Error::local_file_refused(
            path,
            std::io::ErrorKind::IsADirectory,
            format!("{} is a folder: give the path of a file", path.display()),
        ));
    }
    if !metadata.is_file() {
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|err| Error::local_file(path, err))?;
        return upload_reader(client, target, file, options, progress).await;
    }
    let size = metadata.len();
    if let Some(progress) = progress {
        progress.start(&target.key, Some(size));
    }
    let result = if size < options.multipart_threshold {
        let body = Body::file(path)
            .await
            .map_err(|err| err.reading_local_file(path))?;
        let uploaded = put_single(client, target, body).await;
        if let (Ok(_), Some(progress)) = (&uploaded, progress) {
            progress.advance(size);
        }
        uploaded
    } else {
        let parts = options.parts(size);
        let count = parts.len() as u32;
        let path = path.to_owned();
        let bodies = futures_util::stream::iter(parts)
            .map(move |(number, offset, len)| -> PartFuture {
                let path = path.clone();
                Box::pin(async move {
                    let body = Body::file_range(&path, offset, Some(len))
                        .await
                        .map_err(|err| err.reading_local_file(&path))?;
                    Ok((number, body))
                })
            })
            .boxed();
        multipart(client, target, bodies, options.concurrency, progress)
            .await
            .map(|mut done| {
                done.parts = count;
                done
            })
    };
    if let Some(progress) = progress {
        progress.finish();
    }
    result
}

/// Uploads everything `reader` yields, of a length not known in advance: one PUT if it ends
/// before the multipart threshold, else a multipart upload read one part at a time (memory:
/// about `concurrency + 1` parts).
pub async fn upload_reader(
    client: &S3Client,
    target: &PutTarget,
    mut reader: impl AsyncRead + Unpin + Send + 'static,
    options: &TransferOptions,
    progress: Option<&dyn Progress>,
) -> Result<Uploaded> {
    if let Some(progress) = progress {
        progress.start(&target.key, None);
    }
    let part_size = options.part_size_for(0);
    // A whole number of parts, so that every part cut from it is full-sized.
    let threshold = options
        .multipart_threshold
        .max(part_size)
        .div_ceil(part_size)
        * part_size;
    let first = read_up_to(&mut reader, threshold).await?;
    let result = if (first.len() as u64) < threshold {
        let size = first.len() as u64;
        let uploaded = put_single(client, target, Body::from_bytes(first)).await;
        if let (Ok(_), Some(progress)) = (&uploaded, progress) {
            progress.advance(size);
        }
        uploaded
    } else {
        // The first read is cut into parts; the rest is read part by part as parts finish.
        let mut pending: Vec<Bytes> = (0..first.len())
            .step_by(part_size as usize)
            .map(|start| first.slice(start..(start + part_size as usize).min(first.len())))
            .collect();
        pending.reverse();
        let bodies = futures_util::stream::unfold(
            (reader, pending, 1u32, false),
            move |(mut reader, mut pending, number, done)| {
                Box::pin(async move {
                    if let Some(chunk) = pending.pop() {
                        return Some((
                            ready_part(number, chunk),
                            (reader, pending, number + 1, done),
                        ));
                    }
                    if done {
                        return None;
                    }
                    match read_up_to(&mut reader, part_size).await {
                        Ok(chunk) if chunk.is_empty() => None,
                        Ok(chunk) => {
                            // A short read from the source is its end.
                            let last = (chunk.len() as u64) < part_size;
                            Some((
                                ready_part(number, chunk),
                                (reader, pending, number + 1, last),
                            ))
                        }
                        Err(err) => Some((ready_err(err), (reader, pending, number, true))),
                    }
                })
            },
        )
        .boxed();
        multipart(client, target, bodies, options.concurrency, progress).await
    };
    if let Some(progress) = progress {
        progress.finish();
    }
    result
}

/// A part to send, once read (and hashed).
type PartFuture = std::pin::Pin<Box<dyn Future<Output = Result<(u32, Body)>> + Send>>;
/// The parts of an upload, in order.
type PartStream = futures_util::stream::BoxStream<'static, PartFuture>;

fn ready_part(number: u32, chunk: Bytes) -> PartFuture {
    Box::pin(async move {
        if u64::from(number) > MAX_PARTS {
            return Err(Error::invalid_input(
                "part_size",
                "the stream needs more than 10,000 parts: use a larger part size",
            ));
        }
        Ok((number, Body::from_bytes(chunk)))
    })
}

fn ready_err(err: Error) -> PartFuture {
    Box::pin(async move { Err(err) })
}

/// Reads until `limit` bytes or the end.
async fn read_up_to(reader: &mut (impl AsyncRead + Unpin), limit: u64) -> Result<Bytes> {
    let mut buf = BytesMut::with_capacity(limit.min(64 * 1024 * 1024) as usize);
    let mut handle = reader.take(limit);
    while handle.read_buf(&mut buf).await? > 0 {}
    Ok(buf.freeze())
}

/// The PutObject request of `body` to `target`, with its headers and a `Content-MD5`.
pub fn put_object_request(target: &PutTarget, body: Body) -> Request {
    let request = Request::new(Method::PUT, Target::object(&target.bucket, &target.key))
        .body(body)
        .with_content_md5();
    request.headers(target.headers.clone())
}

/// The UploadPart request of part `number` of upload `upload_id`, with `part_headers` (those
/// of the target S3 wants on every part: SSE-C) and a `Content-MD5`.
pub fn upload_part_request(
    target: &PutTarget,
    upload_id: &str,
    number: u32,
    part_headers: HeaderMap,
    body: Body,
) -> Request {
    Request::new(Method::PUT, Target::object(&target.bucket, &target.key))
        .query("partNumber", number.to_string())
        .query("uploadId", upload_id)
        .body(body)
        .with_content_md5()
        .headers(part_headers)
}

/// One PutObject with Content-MD5.
async fn put_single(client: &S3Client, target: &PutTarget, body: Body) -> Result<Uploaded> {
    let size = body.len();
    let response = client.send(put_object_request(target, body)).await?;
    Ok(Uploaded {
        etag: response.header("etag").map(unquote_etag),
        version_id: response.header("x-amz-version-id").map(str::to_owned),
        size,
        parts: 0,
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InitiateMultipartUploadResult {
    upload_id: String,
}

impl crate::wire::answer::XmlAnswer for InitiateMultipartUploadResult {
    const ROOT: &'static str = "InitiateMultipartUploadResult";
}

#[derive(Debug, Serialize)]
struct CompleteMultipartUpload {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "Part")]
    parts: Vec<CompletedPart>,
}

#[derive(Debug, Serialize)]
struct CompletedPart {
    #[serde(rename = "ETag")]
    etag: String,
    #[serde(rename = "PartNumber")]
    number: u32,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CompleteMultipartUploadResult {
    #[serde(default, rename = "ETag")]
    etag: Option<String>,
}

impl crate::wire::answer::XmlAnswer for CompleteMultipartUploadResult {
    const ROOT: &'static str = "CompleteMultipartUploadResult";
}

/// A part that was stored: its number, ETag and size.
struct StoredPart {
    number: u32,
    etag: String,
    size: u64,
}

/// Runs a multipart upload of the parts `bodies` yields, `concurrency` at a time; aborts it
/// when anything fails.
async fn multipart(
    client: &S3Client,
    target: &PutTarget,
    bodies: PartStream,
    concurrency: usize,
    progress: Option<&dyn Progress>,
) -> Result<Uploaded> {
    let create = client
        .request(Method::POST, Target::object(&target.bucket, &target.key))
        .query("uploads", "")
        .headers(target.headers_for(|what| !matches!(what, HeaderUse::Complete)));
    let started: InitiateMultipartUploadResult = create.send().await?.xml().await?;
    let upload_id = started.upload_id;
    // If this future is dropped half-way (a timeout, Ctrl-C), the upload is aborted anyway.
    let mut guard = AbortOnDrop {
        client: client.clone(),
        bucket: target.bucket.clone(),
        key: target.key.clone(),
        upload_id: Some(upload_id.clone()),
    };
    let result = upload_parts(client, target, &upload_id, bodies, concurrency, progress).await;
    match result {
        Ok((uploaded, None)) => {
            guard.upload_id = None;
            Ok(uploaded)
        }
        // Completed, so nothing to abort: the object is there, but not as it should be.
        Ok((_, Some(mismatch))) => {
            guard.upload_id = None;
            Err(Error::new(ErrorKind::Server, mismatch).with_retryable(false))
        }
        Err(err) => {
            // The guard stays armed while aborting: dropped during the abort, it aborts anyway.
            let aborted = client
                .request(Method::DELETE, Target::object(&target.bucket, &target.key))
                .query("uploadId", &upload_id)
                .send()
                .await;
            guard.upload_id = None;
            let note = match aborted {
                Ok(_) => "the multipart upload was aborted; nothing was stored".to_owned(),
                Err(abort) => format!(
                    "aborting the multipart upload {upload_id} failed too ({}); its parts may \
                     stay billed until a lifecycle rule removes them",
                    abort.message()
                ),
            };
            Err(err.context(format!("uploading {} ({note})", target.key)))
        }
    }
}

/// Aborts a multipart upload whose future was dropped before it finished or was aborted, in a
/// [`cleanup`](crate::wire::cleanup) task that a program about to exit waits for.
struct AbortOnDrop {
    client: S3Client,
    bucket: String,
    key: String,
    upload_id: Option<String>,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        let Some(upload_id) = self.upload_id.take() else {
            return;
        };
        let (client, bucket, key) = (self.client.clone(), self.bucket.clone(), self.key.clone());
        crate::wire::cleanup::spawn(async move {
            let aborted = client
                .request(Method::DELETE, Target::object(&bucket, &key))
                .query("uploadId", &upload_id)
                .send()
                .await;
            if let Err(err) = aborted {
                tracing::warn!(%bucket, %key, error = %err, "aborting an interrupted multipart upload failed");
            }
        });
    }
}

async fn upload_parts<'a>(
    client: &'a S3Client,
    target: &'a PutTarget,
    upload_id: &'a str,
    bodies: PartStream,
    concurrency: usize,
    progress: Option<&'a dyn Progress>,
) -> Result<(Uploaded, Option<String>)> {
    let part_headers = target.headers_for(|what| matches!(what, HeaderUse::CreateAndParts));
    // Parts are read and sent `concurrency` at a time; the first failure stops the rest.
    let mut bodies = bodies;
    let mut in_flight = futures_util::stream::FuturesUnordered::new();
    let mut parts: Vec<StoredPart> = Vec::new();
    let mut more = true;
    loop {
        while more && in_flight.len() < concurrency.max(1) {
            match bodies.next().await {
                Some(body) => in_flight.push(send_part(
                    client,
                    target,
                    upload_id,
                    part_headers.clone(),
                    body,
                    progress,
                )),
                None => more = false,
            }
        }
        match in_flight.next().await {
            Some(part) => parts.push(part?),
            None => break,
        }
    }
    parts.sort_by_key(|part| part.number);
    let size = parts.iter().map(|part| part.size).sum();
    let expected_etag = multipart_etag(&parts);
    let document = CompleteMultipartUpload {
        xmlns: "http://s3.amazonaws.com/doc/2006-03-01/",
        parts: parts
            .iter()
            .map(|part| CompletedPart {
                etag: part.etag.clone(),
                number: part.number,
            })
            .collect(),
    };
    let xml = crate::wire::xml::to_string("CompleteMultipartUpload", &document)?;
    let completed = complete(client, target, upload_id, xml).await?;
    let etag = completed.0.etag.as_deref().map(unquote_etag);
    let mismatch = match (&etag, expected_etag) {
        (Some(etag), Some(expected))
            if !completed.2 && looks_like_multipart_etag(etag) && *etag != expected =>
        {
            Some(format!(
                "S3 completed {} with ETag {etag}, but the parts it acknowledged make {expected}: \
                 the stored object may not be what was sent (it was not deleted)",
                target.key
            ))
        }
        _ => None,
    };
    Ok((
        Uploaded {
            etag,
            version_id: completed.1,
            size,
            parts: parts.len() as u32,
        },
        mismatch,
    ))
}

/// UploadPart: one part, with its own SHA-256 and Content-MD5.
async fn send_part(
    client: &S3Client,
    target: &PutTarget,
    upload_id: &str,
    part_headers: HeaderMap,
    body: PartFuture,
    progress: Option<&dyn Progress>,
) -> Result<StoredPart> {
    let (number, body) = body.await?;
    let size = body.len();
    let request = upload_part_request(target, upload_id, number, part_headers, body);
    let response = client.send(request).await?;
    let etag = response.header("etag").map(str::to_owned).ok_or_else(|| {
        Error::new(
            ErrorKind::Server,
            format!("part {number} was stored without an ETag"),
        )
    })?;
    if let Some(progress) = progress {
        progress.advance(size);
    }
    Ok(StoredPart { number, etag, size })
}

/// The CompleteMultipartUpload request of upload `upload_id`: the `xml` listing the parts, and
/// the target's headers S3 wants at completion (conditional writes: `If-None-Match`,
/// `If-Match`).
pub fn complete_multipart_upload_request(
    target: &PutTarget,
    upload_id: &str,
    xml: String,
) -> Request {
    let request = Request::new(Method::POST, Target::object(&target.bucket, &target.key))
        .query("uploadId", upload_id)
        .header("content-type", "application/xml")
        .body(Body::from_bytes(xml));
    request.headers(target.headers_for(|what| matches!(what, HeaderUse::Complete)))
}

/// CompleteMultipartUpload, which may answer `200 OK` with an `<Error>` body: that is an error,
/// and tried again (up to 3 times) when it is transient.
async fn complete(
    client: &S3Client,
    target: &PutTarget,
    upload_id: &str,
    xml: String,
) -> Result<(CompleteMultipartUploadResult, Option<String>, bool)> {
    let mut attempt: u32 = 1;
    loop {
        let request = complete_multipart_upload_request(target, upload_id, xml.clone());
        let response = client.send(request).await?;
        let version_id = response.header("x-amz-version-id").map(str::to_owned);
        // With SSE-KMS (or DSSE) ETags are not digests of the content.
        let kms = response
            .header("x-amz-server-side-encryption")
            .is_some_and(|sse| sse.starts_with("aws:kms"));
        let (status, headers) = (response.status(), response.headers().clone());
        let body = response
            .bytes_capped(
                crate::wire::xml::MAX_XML_BYTES,
                "the CompleteMultipartUpload answer",
            )
            .await
            .map_err(|err| match err.kind() {
                // Too large: the store's doing, not the input's.
                ErrorKind::InvalidInput => Error::new(ErrorKind::Server, err.message())
                    .with_retryable(false)
                    .context("completing the multipart upload"),
                _ => err.context("completing the multipart upload"),
            })?;
        // S3 may answer 200 and still fail: an error document is an error, tried again while
        // it is transient (the one decision: `s3_error::is_retryable`).
        if let Some(err) = s3_error::answer_error(status, &headers, &body) {
            if err.is_retryable() && attempt < 3 {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(200 * u64::from(attempt)))
                    .await;
                continue;
            }
            return Err(err.context("completing the multipart upload"));
        }
        // Another document than the result is an error too, never a silent success.
        return parse_answer::<CompleteMultipartUploadResult>(status, &headers, &body)
            .map(|result| (result, version_id, kms))
            .map_err(|err| err.context("completing the multipart upload"));
    }
}

/// S3's ETag of a multipart object: the MD5 of the parts' binary ETags, then `-` and the part
/// count; `None` when a part's ETag is not an MD5-sized hex value.
fn multipart_etag(parts: &[StoredPart]) -> Option<String> {
    let mut md5 = Md5::new();
    for part in parts {
        let bytes = hex::decode(part.etag.trim_matches('"')).ok()?;
        if bytes.len() != 16 {
            return None;
        }
        md5.update(bytes);
    }
    Some(format!("{}-{}", hex::encode(md5.finalize()), parts.len()))
}

fn looks_like_multipart_etag(etag: &str) -> bool {
    etag.split_once('-').is_some_and(|(hash, count)| {
        hash.len() == 32
            && hash.bytes().all(|b| b.is_ascii_hexdigit())
            && count.bytes().all(|b| b.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use http::header::{CONTENT_TYPE, IF_NONE_MATCH};

    #[test]
    fn the_completion_carries_the_parts_and_only_its_own_headers() {
        let target = PutTarget {
            bucket: "b".into(),
            key: "big file".into(),
            headers: HeaderMap::from_iter([
                (CONTENT_TYPE, HeaderValue::from_static("text/plain")),
                (IF_NONE_MATCH, HeaderValue::from_static("*")),
            ]),
        };
        let xml = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>\
                   <ETag>\"e1\"</ETag></Part></CompleteMultipartUpload>";
        let request = complete_multipart_upload_request(&target, "u/1+", xml.to_owned());
        assert_eq!(request.method(), Method::POST);
        assert_eq!(
            crate::ops::testing::url(&request),
            "http://127.0.0.1:9000/b/big%20file?uploadId=u%2F1%2B"
        );
        assert_eq!(
            request.header_value("content-type"),
            Some("application/xml")
        );
        assert_eq!(request.header_value("if-none-match"), Some("*"));
        assert_eq!(request.body_ref().bytes().unwrap().as_ref(), xml.as_bytes());
    }

    #[test]
    fn multipart_etags() {
        let part = |bytes: &[u8], number| StoredPart {
            number,
            etag: format!("\"{}\"", hex::encode(Md5::digest(bytes))),
            size: bytes.len() as u64,
        };
        let etag = multipart_etag(&[part(b"a", 1), part(b"b", 2)]).unwrap();
        assert!(etag.ends_with("-2") && looks_like_multipart_etag(&etag));
        let kms = StoredPart {
            number: 1,
            etag: "opaque".into(),
            size: 1,
        };
        assert_eq!(multipart_etag(&[kms]), None);
        assert!(!looks_like_multipart_etag(
            "9b2cf535f27731c974343645a3985328"
        ));
    }

    #[test]
    fn headers_go_where_s3_wants_them() {
        assert!(matches!(header_use("content-type"), HeaderUse::Create));
        assert!(matches!(header_use("x-amz-meta-a"), HeaderUse::Create));
        assert!(matches!(
            header_use("x-amz-server-side-encryption-customer-key"),
            HeaderUse::CreateAndParts
        ));
        assert!(matches!(header_use("if-none-match"), HeaderUse::Complete));
    }
}

#[cfg(test)]
mod send_probe {
    use super::*;
    fn assert_send<T: Send>(_: T) {}
    #[allow(dead_code)]
    fn probe(client: &S3Client, target: &PutTarget, options: &TransferOptions) {
        assert_send(upload_path(client, target, Path::new("x"), options, None));
        assert_send(upload_reader(
            client,
            target,
            std::io::Cursor::new(Vec::<u8>::new()),
            options,
            None,
        ));
        assert_send(put_single(client, target, Body::empty()));
        assert_send(complete(client, target, "id", String::new()));
        assert_send(multipart(
            client,
            target,
            futures_util::stream::empty().boxed(),
            1,
            None,
        ));
        assert_send(upload_parts(
            client,
            target,
            "id",
            futures_util::stream::empty().boxed(),
            1,
            None,
        ));
        assert_send(send_part(
            client,
            target,
            "id",
            HeaderMap::new(),
            ready_err(Error::new(ErrorKind::Server, "x")),
            None,
        ));
    }
}
