//! Uploads of any size, in bounded memory: one PUT for small files, else a multipart upload
//! whose parts go in parallel. A failed multipart upload is aborted, so no orphaned parts stay
//! billed. Sources of unknown length (standard input, a pipe) are read part by part.
//!
//! Each body carries a flexible checksum (`x-amz-checksum-*`, CRC32C unless another algorithm
//! is asked for) when the connection's checksum policy sends them: a file streams aws-chunked
//! with the checksum in a trailer, computed while it is sent (the file is read once); bytes in
//! memory carry it in a header. A multipart upload asks for the object's checksum type when it
//! starts, lists every part's checksum when it completes, and checks the object's checksum S3
//! answers against the one its parts make. With the `when_required` policy (and no algorithm
//! asked for) every body is sent as before: signed by its SHA-256, with a `Content-MD5`.

use crate::error::{Error, ErrorKind, Result};
use crate::ops::transfer::{MAX_PARTS, Progress, TransferOptions};
use crate::wire::answer::parse_answer;
use crate::wire::body::Body;
use crate::wire::checksum::{Checksum, ChecksumAlgorithm, ChecksumType, Digest};
use crate::wire::client::S3Client;
use crate::wire::endpoint::Target;
use crate::wire::headers::unquote_etag;
use crate::wire::payload::BodySource;
use crate::wire::request::{PayloadChecksum, Request};
use crate::wire::response::Response;
use crate::wire::s3_error;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use http::{HeaderMap, Method};
use md5::{Digest as _, Md5};
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
    /// The checksum algorithm the object is stored with. `None`: the connection's (CRC32C by
    /// default), or none at all when its checksum policy is `when_required`.
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
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
    /// The object's checksum as S3 keeps it (checked against what S3 answered, when it
    /// answered one): of the whole object (`FULL_OBJECT`), or for a composite multipart upload
    /// the checksum of its parts' checksums, with the part count. `None` when no checksum was
    /// sent (the `when_required` policy).
    pub checksum: Option<Checksum>,
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
    // The file as it is now: every part is read from this version of it, and a read that finds
    // it changed fails the upload.
    let file = Body::file(path)
        .await
        .map_err(|err| err.reading_local_file(path))?;
    let size = file.len();
    if let Some(progress) = progress {
        progress.start(&target.key, Some(size));
    }
    let result = if size < options.multipart_threshold {
        let uploaded = put_single(client, target, file, BodySource::File).await;
        if let (Ok(_), Some(progress)) = (&uploaded, progress) {
            progress.advance(size);
        }
        uploaded
    } else {
        let parts = options.parts(size);
        let count = parts.len() as u32;
        let bodies = futures_util::stream::iter(parts)
            .map(move |(number, offset, len)| -> PartFuture {
                let part = file.slice(offset, len).map(|body| (number, body));
                Box::pin(async move { part })
            })
            .boxed();
        multipart(
            client,
            target,
            bodies,
            BodySource::File,
            options.concurrency,
            progress,
        )
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
        let uploaded =
            put_single(client, target, Body::from_bytes(first), BodySource::Memory).await;
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
        multipart(
            client,
            target,
            bodies,
            BodySource::Memory,
            options.concurrency,
            progress,
        )
        .await
    };
    if let Some(progress) = progress {
        progress.finish();
    }
    result
}

/// A part to send.
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

/// The PutObject request of `body` to `target`, with its headers, and the body's flexible
/// `checksum` when one is given, else a `Content-MD5` (a file body's digests computed first:
/// [`Body::compute_digests`]).
pub fn put_object_request(
    target: &PutTarget,
    body: Body,
    checksum: Option<PayloadChecksum>,
) -> Request {
    let request = Request::new(Method::PUT, Target::object(&target.bucket, &target.key)).body(body);
    with_integrity(request, checksum).headers(target.headers.clone())
}

/// The UploadPart request of part `number` of upload `upload_id`, with `part_headers` (those
/// of the target S3 wants on every part: SSE-C), and the part's flexible `checksum` when one is
/// given, else a `Content-MD5` (as [`put_object_request`]).
pub fn upload_part_request(
    target: &PutTarget,
    upload_id: &str,
    number: u32,
    part_headers: HeaderMap,
    body: Body,
    checksum: Option<PayloadChecksum>,
) -> Request {
    let request = Request::new(Method::PUT, Target::object(&target.bucket, &target.key))
        .query("partNumber", number.to_string())
        .query("uploadId", upload_id)
        .body(body);
    with_integrity(request, checksum).headers(part_headers)
}

/// A body's guard against damage on the way: its flexible checksum, else its `Content-MD5`.
fn with_integrity(request: Request, checksum: Option<PayloadChecksum>) -> Request {
    match checksum {
        Some(checksum) => request.checksum(checksum),
        None => request.with_content_md5(),
    }
}

/// The CreateMultipartUpload request for `target`: the headers S3 wants at creation, and the
/// object's checksum `algorithm` and `kind` when it has one.
pub fn create_multipart_upload_request(
    target: &PutTarget,
    checksum: Option<(ChecksumAlgorithm, ChecksumType)>,
) -> Request {
    let mut request = Request::new(Method::POST, Target::object(&target.bucket, &target.key))
        .query("uploads", "")
        .headers(target.headers_for(|what| !matches!(what, HeaderUse::Complete)));
    if let Some((algorithm, kind)) = checksum {
        request = request
            .header("x-amz-checksum-algorithm", algorithm.as_str())
            .header("x-amz-checksum-type", kind.as_str());
    }
    request
}

/// One PutObject of `body` (from `source`), with a flexible checksum when the connection's
/// policy or the target asks for one, else with Content-MD5.
async fn put_single(
    client: &S3Client,
    target: &PutTarget,
    body: Body,
    source: BodySource,
) -> Result<Uploaded> {
    let size = body.len();
    let payload = client.upload_payload(target.checksum_algorithm, source);
    if payload.is_none() {
        body.compute_digests().await?;
    }
    let response = client
        .send(put_object_request(target, body, payload))
        .await?;
    let checksum = match payload {
        Some(payload) => {
            let digest = sent_digest(&response, payload.algorithm(), &target.key)?;
            Some(Checksum::full_object(&digest))
        }
        None => None,
    };
    Ok(Uploaded {
        etag: response.header("etag").map(unquote_etag),
        version_id: response.header("x-amz-version-id").map(str::to_owned),
        size,
        parts: 0,
        checksum,
    })
}

/// The checksum a body was sent with (`what` names it), checked against the one S3 answered
/// for it when it answered one: a different value means S3 stored other bytes than were sent.
fn sent_digest(response: &Response, algorithm: ChecksumAlgorithm, what: &str) -> Result<Digest> {
    let digest = response.sent_checksum().ok_or_else(|| {
        Error::new(
            ErrorKind::Server,
            format!("the {algorithm} checksum of {what} was not computed while it was sent"),
        )
    })?;
    if let Some(answered) = response.header(algorithm.header_name()) {
        match Checksum::parse(algorithm, answered) {
            Ok(answered) if answered.as_bytes() != digest.as_bytes() => {
                return Err(Error::new(
                    ErrorKind::Server,
                    format!(
                        "S3 stored {what} with the {algorithm} checksum {answered}, but {} was \
                         sent: the bytes stored are not the bytes sent; upload it again",
                        digest.to_base64()
                    ),
                )
                .with_retryable(false));
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(%err, "the checksum S3 answered cannot be verified"),
        }
    }
    Ok(digest)
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

/// A part as CompleteMultipartUpload lists it: its ETag, its checksum (in the element of its
/// algorithm, in the order S3's schema has them) and its number.
#[derive(Debug, Default, Serialize)]
struct CompletedPart {
    #[serde(rename = "ETag")]
    etag: String,
    #[serde(rename = "ChecksumCRC32", skip_serializing_if = "Option::is_none")]
    crc32: Option<String>,
    #[serde(rename = "ChecksumCRC32C", skip_serializing_if = "Option::is_none")]
    crc32c: Option<String>,
    #[serde(rename = "ChecksumCRC64NVME", skip_serializing_if = "Option::is_none")]
    crc64nvme: Option<String>,
    #[serde(rename = "ChecksumSHA1", skip_serializing_if = "Option::is_none")]
    sha1: Option<String>,
    #[serde(rename = "ChecksumSHA256", skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    #[serde(rename = "PartNumber")]
    number: u32,
}

impl CompletedPart {
    fn of(part: &StoredPart) -> Self {
        let mut completed = CompletedPart {
            etag: part.etag.clone(),
            number: part.number,
            ..CompletedPart::default()
        };
        if let Some(digest) = &part.checksum {
            let value = Some(digest.to_base64());
            match digest.algorithm() {
                ChecksumAlgorithm::Crc32 => completed.crc32 = value,
                ChecksumAlgorithm::Crc32c => completed.crc32c = value,
                ChecksumAlgorithm::Crc64Nvme => completed.crc64nvme = value,
                ChecksumAlgorithm::Sha1 => completed.sha1 = value,
                ChecksumAlgorithm::Sha256 => completed.sha256 = value,
            }
        }
        completed
    }
}

/// The CompleteMultipartUpload document listing `parts` (in part order).
pub(crate) fn complete_multipart_upload_xml(parts: &[StoredPart]) -> Result<String> {
    let document = CompleteMultipartUpload {
        xmlns: "http://s3.amazonaws.com/doc/2006-03-01/",
        parts: parts.iter().map(CompletedPart::of).collect(),
    };
    crate::wire::xml::to_string("CompleteMultipartUpload", &document)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CompleteMultipartUploadResult {
    #[serde(default, rename = "ETag")]
    etag: Option<String>,
    #[serde(default, rename = "ChecksumCRC32")]
    crc32: Option<String>,
    #[serde(default, rename = "ChecksumCRC32C")]
    crc32c: Option<String>,
    #[serde(default, rename = "ChecksumCRC64NVME")]
    crc64nvme: Option<String>,
    #[serde(default, rename = "ChecksumSHA1")]
    sha1: Option<String>,
    #[serde(default, rename = "ChecksumSHA256")]
    sha256: Option<String>,
}

impl CompleteMultipartUploadResult {
    /// The object's `algorithm` checksum S3 answered, if it did.
    fn checksum(&self, algorithm: ChecksumAlgorithm) -> Option<&str> {
        match algorithm {
            ChecksumAlgorithm::Crc32 => self.crc32.as_deref(),
            ChecksumAlgorithm::Crc32c => self.crc32c.as_deref(),
            ChecksumAlgorithm::Crc64Nvme => self.crc64nvme.as_deref(),
            ChecksumAlgorithm::Sha1 => self.sha1.as_deref(),
            ChecksumAlgorithm::Sha256 => self.sha256.as_deref(),
        }
    }
}

impl crate::wire::answer::XmlAnswer for CompleteMultipartUploadResult {
    const ROOT: &'static str = "CompleteMultipartUploadResult";
}

/// A part that was stored: its number, ETag, size and the checksum it was sent with.
pub(crate) struct StoredPart {
    pub(crate) number: u32,
    pub(crate) etag: String,
    pub(crate) size: u64,
    pub(crate) checksum: Option<Digest>,
}

/// The object checksum the `parts` (in part order) make as `kind`: the CRC of the whole object
/// (their CRCs combined), or the composite checksum of their checksums. `None` when a part has
/// none, or for a full-object SHA (SHAs do not combine).
pub(crate) fn object_checksum(
    algorithm: ChecksumAlgorithm,
    kind: ChecksumType,
    parts: &[StoredPart],
) -> Option<Checksum> {
    let digests: Option<Vec<Digest>> = parts.iter().map(|part| part.checksum).collect();
    let digests = digests?;
    match kind {
        ChecksumType::Composite => Checksum::composite(algorithm, &digests),
        ChecksumType::FullObject if algorithm.is_crc() => {
            let (first, rest) = digests.split_first()?;
            let whole = rest
                .iter()
                .try_fold(*first, |whole, next| whole.combine(next))?;
            Some(Checksum::full_object(&whole))
        }
        ChecksumType::FullObject => None,
    }
}

/// Why the object checksum S3 `answered` is not `ours`, if it is not (a value that cannot be
/// read is only logged: it cannot be checked).
fn checksum_mismatch(ours: &Checksum, answered: Option<&str>, key: &str) -> Option<String> {
    let answered = answered?;
    match Checksum::parse(ours.algorithm(), answered) {
        Ok(theirs)
            if theirs.as_bytes() != ours.as_bytes()
                || theirs
                    .parts()
                    .zip(ours.parts())
                    .is_some_and(|(a, b)| a != b) =>
        {
            Some(format!(
                "S3 completed {key} with the {} checksum {theirs}, but the parts sent make \
                 {ours}: the stored object may not be what was sent (it was not deleted)",
                ours.algorithm()
            ))
        }
        Ok(_) => None,
        Err(err) => {
            tracing::warn!(%err, "the object checksum S3 answered cannot be verified");
            None
        }
    }
}

/// How one multipart upload sends its parts: each part's body form, and the object's checksum
/// algorithm and type.
#[derive(Debug, Clone, Copy)]
struct MultipartPlan {
    part_payload: Option<PayloadChecksum>,
    checksum: Option<(ChecksumAlgorithm, ChecksumType)>,
}

impl MultipartPlan {
    fn new(client: &S3Client, target: &PutTarget, source: BodySource) -> Self {
        let settings = client.checksum_settings();
        let checksum = settings
            .algorithm_for(target.checksum_algorithm)
            .map(|algorithm| (algorithm, settings.multipart_type(algorithm)));
        MultipartPlan {
            part_payload: client.upload_payload(target.checksum_algorithm, source),
            checksum,
        }
    }
}

/// Runs a multipart upload of the parts `bodies` yields (from `source`), `concurrency` at a
/// time; aborts it when anything fails.
async fn multipart(
    client: &S3Client,
    target: &PutTarget,
    bodies: PartStream,
    source: BodySource,
    concurrency: usize,
    progress: Option<&dyn Progress>,
) -> Result<Uploaded> {
    let plan = MultipartPlan::new(client, target, source);
    let create = create_multipart_upload_request(target, plan.checksum);
    let started: InitiateMultipartUploadResult = client.send(create).await?.xml().await?;
    let upload_id = started.upload_id;
    // If this future is dropped half-way (a timeout, Ctrl-C), the upload is aborted anyway.
    let mut guard = AbortOnDrop {
        client: client.clone(),
        bucket: target.bucket.clone(),
        key: target.key.clone(),
        upload_id: Some(upload_id.clone()),
    };
    let result = upload_parts(
        client,
        target,
        &upload_id,
        plan,
        bodies,
        concurrency,
        progress,
    )
    .await;
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
    plan: MultipartPlan,
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
                    plan.part_payload,
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
    let checksum = match plan.checksum {
        Some((algorithm, kind)) => {
            Some(object_checksum(algorithm, kind, &parts).ok_or_else(|| {
                Error::new(
                    ErrorKind::Server,
                    format!("the parts' {algorithm} checksums do not make a {kind} checksum"),
                )
            })?)
        }
        None => None,
    };
    let xml = complete_multipart_upload_xml(&parts)?;
    let totals = checksum.as_ref().map(|checksum| (checksum, size));
    let completed = complete(client, target, upload_id, xml, totals).await?;
    let etag = completed.0.etag.as_deref().map(unquote_etag);
    let checksum_mismatch = checksum.as_ref().and_then(|ours| {
        checksum_mismatch(ours, completed.0.checksum(ours.algorithm()), &target.key)
    });
    let etag_mismatch = match (&etag, expected_etag) {
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
            checksum,
        },
        checksum_mismatch.or(etag_mismatch),
    ))
}

/// UploadPart: one part, with its flexible checksum (`payload`), else its SHA-256 and
/// Content-MD5.
async fn send_part(
    client: &S3Client,
    target: &PutTarget,
    upload_id: &str,
    part_headers: HeaderMap,
    body: PartFuture,
    payload: Option<PayloadChecksum>,
    progress: Option<&dyn Progress>,
) -> Result<StoredPart> {
    let (number, body) = body.await?;
    let size = body.len();
    if payload.is_none() {
        body.compute_digests().await?;
    }
    let request = upload_part_request(target, upload_id, number, part_headers, body, payload);
    let response = client.send(request).await?;
    let checksum = match payload {
        Some(payload) => Some(sent_digest(
            &response,
            payload.algorithm(),
            &format!("part {number}"),
        )?),
        None => None,
    };
    let etag = response.header("etag").map(str::to_owned).ok_or_else(|| {
        Error::new(
            ErrorKind::Server,
            format!("part {number} was stored without an ETag"),
        )
    })?;
    if let Some(progress) = progress {
        progress.advance(size);
    }
    Ok(StoredPart {
        number,
        etag,
        size,
        checksum,
    })
}

/// The CompleteMultipartUpload request of upload `upload_id`: the `xml` listing the parts, and
/// the target's headers S3 wants at completion (conditional writes: `If-None-Match`,
/// `If-Match`). With `totals` (the object's checksum and size, for an upload with checksums)
/// S3 is told what to check: the checksum type, the object's size (`x-amz-mp-object-size`)
/// and, for a full-object checksum, its value.
pub fn complete_multipart_upload_request(
    target: &PutTarget,
    upload_id: &str,
    xml: String,
    totals: Option<(&Checksum, u64)>,
) -> Request {
    let mut request = Request::new(Method::POST, Target::object(&target.bucket, &target.key))
        .query("uploadId", upload_id)
        .header("content-type", "application/xml")
        .body(Body::from_bytes(xml));
    if let Some((checksum, size)) = totals {
        if checksum.kind() == ChecksumType::FullObject {
            request = request.header(checksum.algorithm().header_name(), checksum.to_base64());
        }
        request = request
            .header("x-amz-checksum-type", checksum.kind().as_str())
            .header("x-amz-mp-object-size", size.to_string());
    }
    request.headers(target.headers_for(|what| matches!(what, HeaderUse::Complete)))
}

/// CompleteMultipartUpload, which may answer `200 OK` with an `<Error>` body: that is an error,
/// and tried again (up to 3 times) when it is transient.
async fn complete(
    client: &S3Client,
    target: &PutTarget,
    upload_id: &str,
    xml: String,
    totals: Option<(&Checksum, u64)>,
) -> Result<(CompleteMultipartUploadResult, Option<String>, bool)> {
    let mut attempt: u32 = 1;
    loop {
        let request = complete_multipart_upload_request(target, upload_id, xml.clone(), totals);
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
            checksum_algorithm: None,
        };
        let xml = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>\
                   <ETag>\"e1\"</ETag></Part></CompleteMultipartUpload>";
        let request = complete_multipart_upload_request(&target, "u/1+", xml.to_owned(), None);
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
            checksum: None,
        };
        let etag = multipart_etag(&[part(b"a", 1), part(b"b", 2)]).unwrap();
        assert!(etag.ends_with("-2") && looks_like_multipart_etag(&etag));
        let kms = StoredPart {
            number: 1,
            etag: "opaque".into(),
            size: 1,
            checksum: None,
        };
        assert_eq!(multipart_etag(&[kms]), None);
        assert!(!looks_like_multipart_etag(
            "9b2cf535f27731c974343645a3985328"
        ));
    }

    /// The object checksum S3 answers is compared with the one the parts make: another value
    /// (or part count) is a mismatch; a value that cannot be read is not one.
    #[test]
    fn answered_object_checksums_are_checked() {
        let digest = ChecksumAlgorithm::Crc32c.digest(b"part");
        let composite = Checksum::composite(ChecksumAlgorithm::Crc32c, &[digest, digest]).unwrap();
        let value = composite.to_string();
        assert!(value.ends_with("-2"));
        assert_eq!(checksum_mismatch(&composite, Some(&value), "k"), None);
        assert_eq!(checksum_mismatch(&composite, None, "k"), None);
        let three = value.replace("-2", "-3");
        assert!(checksum_mismatch(&composite, Some(&three), "k").is_some());
        let other = Checksum::full_object(&ChecksumAlgorithm::Crc32c.digest(b"other")).to_string();
        let mismatch = checksum_mismatch(&composite, Some(&other), "k").unwrap();
        assert!(
            mismatch.contains("CRC32C") && mismatch.contains(&value),
            "{mismatch}"
        );
        // moto without crc32c answers a 4-byte CRC for a CRC64NVME: not a mismatch.
        let full = Checksum::full_object(&ChecksumAlgorithm::Crc64Nvme.digest(b"x"));
        assert_eq!(checksum_mismatch(&full, Some("AAAAAA=="), "k"), None);
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
        assert_send(put_single(
            client,
            target,
            Body::empty(),
            BodySource::Memory,
        ));
        assert_send(complete(client, target, "id", String::new(), None));
        assert_send(multipart(
            client,
            target,
            futures_util::stream::empty().boxed(),
            BodySource::File,
            1,
            None,
        ));
        assert_send(upload_parts(
            client,
            target,
            "id",
            MultipartPlan::new(client, target, BodySource::File),
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
            None,
        ));
    }
}
