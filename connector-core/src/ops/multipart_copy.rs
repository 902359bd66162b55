//! Copies of any size. Up to a threshold (5 GiB, the most one CopyObject copies) a copy is one
//! CopyObject ([`copy`](crate::ops::copy)); above it, a multipart upload whose parts S3 copies
//! itself (UploadPartCopy, in parallel, each a byte range of the source), so the bytes never
//! pass through here either.
//!
//! Every part names the source's ETag (`x-amz-copy-source-if-match`): a source replaced while it
//! is copied fails the part with `412 PreconditionFailed` instead of making a copy of two
//! different objects; any failure aborts the upload, so nothing half-copied stays behind. The
//! source's checksum algorithm and type are carried (or the copy gets the algorithm it asks
//! for: [`CopyObject::checksum_algorithm`]); a full-object CRC is checked against the
//! source's (combined from the parts' CRCs when S3 answers them, else as S3 answers it for the
//! finished copy).

use crate::error::{Error, ErrorKind, Result};
use crate::ops::copy::{
    Copied, CopyObject, CopyResult, SourceObject, copy_source, read_copy_result,
};
use crate::ops::transfer::{MAX_PART_SIZE, MIB, MIN_PART_SIZE, Progress, TransferOptions};
use crate::wire::body::Body;
use crate::wire::checksum::{Checksum, ChecksumAlgorithm, ChecksumType, Digest};
use crate::wire::client::S3Client;
use crate::wire::encode;
use crate::wire::endpoint::Target;
use crate::wire::headers::{self, unquote_etag};
use crate::wire::payload::{ChecksumPolicy, ChecksumSettings};
use crate::wire::request::Request;
use crate::wire::xml;
use futures_util::StreamExt;
use http::{HeaderMap, Method};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Sources larger than this are copied in parts by default: 5 GiB, the most one CopyObject
/// copies.
pub const DEFAULT_COPY_THRESHOLD: u64 = MAX_PART_SIZE;
/// The smallest part of a multipart copy by default (parts grow for sources over 2.4 TiB, so
/// that 10,000 parts are enough).
pub const DEFAULT_COPY_PART_SIZE: u64 = 256 * MIB;

/// The most of an UploadPartCopy or CompleteMultipartUpload answer that is read.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// How copies are made: when in parts, how large, how many at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyOptions {
    /// Sources larger than this are copied in parts (never below 5 MiB: S3 copies a range
    /// only of a source larger than that).
    pub multipart_threshold: u64,
    /// The smallest part size (grown so that 10,000 parts are enough, at most 5 GiB).
    pub part_size: u64,
    /// How many parts are copied at once.
    pub concurrency: usize,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            multipart_threshold: DEFAULT_COPY_THRESHOLD,
            part_size: DEFAULT_COPY_PART_SIZE,
            concurrency: TransferOptions::default().concurrency,
        }
    }
}

/// One part of a multipart copy: its number (from 1) and the source's bytes `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartRange {
    /// The part number, from 1.
    pub number: u32,
    /// The offset of the part's first byte in the source.
    pub first: u64,
    /// The offset of its last byte (inclusive).
    pub last: u64,
}

impl PartRange {
    /// The part's length in bytes.
    pub fn len(&self) -> u64 {
        self.last - self.first + 1
    }

    /// Always false: a part has at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The `x-amz-copy-source-range` value, both ends always (`bytes=0-5242879`): some stores
    /// read `bytes=N-` as the whole object.
    pub fn header(&self) -> String {
        format!("bytes={}-{}", self.first, self.last)
    }
}

impl CopyOptions {
    /// Whether a source of `size` bytes is copied in parts.
    pub fn in_parts(&self, size: u64) -> bool {
        size > self.multipart_threshold.max(MIN_PART_SIZE)
    }

    /// The part size for a source of `size` bytes: the configured size (at least 5 MiB), grown
    /// in whole MiB so that 10,000 parts are enough, at most 5 GiB.
    pub fn part_size_for(&self, size: u64) -> u64 {
        let transfer = TransferOptions {
            multipart_threshold: self.multipart_threshold,
            part_size: self.part_size,
            concurrency: self.concurrency,
        };
        transfer.part_size_for(size)
    }

    /// The parts a source of `size` bytes is copied in.
    pub fn ranges(&self, size: u64) -> Vec<PartRange> {
        let part_size = self.part_size_for(size);
        (0..size.div_ceil(part_size))
            .map(|i| {
                let first = i * part_size;
                PartRange {
                    number: i as u32 + 1,
                    first,
                    last: (first + part_size).min(size) - 1,
                }
            })
            .collect()
    }
}

/// Copy settings a person may tune on a form (all optional; the defaults fit Amazon S3).
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CopySettings {
    /// Files larger than this (in MiB) are copied in parts, in parallel (5 to 5120).
    /// Default: 5120 (5 GiB, the most S3 copies in one request).
    #[serde(default)]
    #[schemars(title = "Multipart copy threshold (MiB)", range(min = 5, max = 5120))]
    pub multipart_threshold_mib: Option<u64>,
    /// The size of each copied part in MiB (5 to 5120; grown automatically for very large
    /// files). Default: 256.
    #[serde(default)]
    #[schemars(title = "Part size (MiB)", range(min = 5, max = 5120))]
    pub part_size_mib: Option<u64>,
    /// How many parts are copied at once (1 to 64). Default: 8.
    #[serde(default)]
    #[schemars(title = "Parallel parts", range(min = 1, max = 64))]
    pub concurrency: Option<usize>,
}

impl CopySettings {
    /// The options these settings give.
    pub fn options(&self) -> CopyOptions {
        let default = CopyOptions::default();
        CopyOptions {
            multipart_threshold: self
                .multipart_threshold_mib
                .map_or(default.multipart_threshold, |mib| mib * MIB),
            part_size: self
                .part_size_mib
                .map_or(default.part_size, |mib| mib * MIB),
            concurrency: self.concurrency.unwrap_or(default.concurrency).clamp(1, 64),
        }
    }
}

/// How a copy was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CopyMethod {
    /// One CopyObject request.
    CopyObject,
    /// A multipart upload of parts S3 copied (UploadPartCopy).
    MultipartCopy,
}

/// A finished copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyOutcome {
    /// What S3 said about the copy (its checksum, when it answered one).
    pub copied: Copied,
    /// How it was made.
    pub method: CopyMethod,
    /// The parts of a multipart copy (0 for a CopyObject).
    pub parts: u32,
    /// The bytes copied.
    pub size: u64,
    /// Whether the copy's full-object checksum was found equal to the source's.
    pub checksum_verified: bool,
}

/// Copies `copy`'s source, described by `source` ([`CopyObject::head_source`]): one CopyObject
/// up to the threshold of `options`, else in parts. A multipart copy carries the source's
/// content headers and metadata (or the replaced ones of `copy`), reports each part copied to
/// `progress`, and is aborted when anything fails.
pub async fn copy(
    client: &S3Client,
    copy: &CopyObject<'_>,
    source: &SourceObject,
    options: &CopyOptions,
    progress: Option<&dyn Progress>,
) -> Result<CopyOutcome> {
    if let Some(progress) = progress {
        progress.start(copy.key, Some(source.size));
    }
    let result = if options.in_parts(source.size) {
        multipart_copy(client, copy, source, options, progress).await
    } else {
        copy.send(client).await.map(|copied| {
            if let Some(progress) = progress {
                progress.advance(source.size);
            }
            CopyOutcome {
                checksum_verified: same_full_object(source, copied.checksum.as_ref()),
                copied,
                method: CopyMethod::CopyObject,
                parts: 0,
                size: source.size,
            }
        })
    };
    if let Some(progress) = progress {
        progress.finish();
    }
    result
}

/// Whether `answered` is the source's own full-object checksum.
fn same_full_object(source: &SourceObject, answered: Option<&Checksum>) -> bool {
    let expected = source
        .checksum
        .as_ref()
        .and_then(|checksum| checksum.value.as_ref());
    matches!((expected, answered), (Some(expected), Some(answered))
        if expected.kind() == ChecksumType::FullObject && expected == answered)
}

/// The checksum algorithm and type a multipart copy of `source` asks for. An algorithm `asked`
/// for (the copy's `checksum_algorithm`) is used whatever the policy, as an upload's is, with
/// the type a multipart upload of it gets on this store. Else the source's algorithm, and its
/// type where a multipart upload may have it (a single-part SHA-256 object is full-object, a
/// multipart SHA-256 upload only composite; a full-object CRC32C source gets a composite copy
/// on a store whose `settings` say it takes only those); `None` when the source has no
/// checksum or the policy is `when_required` (stores that refuse `x-amz-checksum-*`).
pub fn carried_checksum(
    settings: &ChecksumSettings,
    source: &SourceObject,
    asked: Option<ChecksumAlgorithm>,
) -> Option<(ChecksumAlgorithm, ChecksumType)> {
    if let Some(algorithm) = asked {
        return Some((algorithm, settings.multipart_type(algorithm)));
    }
    if settings.policy == ChecksumPolicy::WhenRequired {
        return None;
    }
    let checksum = source.checksum.as_ref()?;
    let algorithm = checksum.algorithm;
    let kind = match checksum.kind {
        ChecksumType::FullObject => settings.multipart_type(algorithm),
        ChecksumType::Composite if algorithm.allows(ChecksumType::Composite) => {
            ChecksumType::Composite
        }
        ChecksumType::Composite => algorithm.default_type(),
    };
    Some((algorithm, kind))
}

/// The CreateMultipartUpload request of a multipart copy: the replaced headers of `copy`, else
/// the source's content headers and metadata; `copy`'s storage class and ACL; the source's
/// `tagging` (`x-amz-tagging`, as [`tagging_header`] writes it: CopyObject copies tags, a
/// multipart upload only gets those it is given); and the `checksum` algorithm and type to
/// carry.
pub fn create_request(
    copy: &CopyObject<'_>,
    source: &SourceObject,
    tagging: Option<&str>,
    checksum: Option<(ChecksumAlgorithm, ChecksumType)>,
) -> Request {
    let mut request = Request::new(Method::POST, Target::object(copy.bucket, copy.key))
        .query("uploads", "")
        .header_opt("x-amz-storage-class", copy.storage_class)
        .header_opt("x-amz-acl", copy.acl)
        .header_opt("x-amz-tagging", tagging);
    let kept = copy.replace_metadata.as_ref().unwrap_or(&source.headers);
    for (name, value) in kept {
        request = request.header(name, value.as_str());
    }
    if let Some((algorithm, kind)) = checksum {
        request = request
            .header("x-amz-checksum-algorithm", algorithm.as_str())
            .header("x-amz-checksum-type", kind.as_str());
    }
    request
}

/// The GetObjectTagging request for the source's tags.
pub fn source_tagging_request(copy: &CopyObject<'_>) -> Request {
    Request::new(
        Method::GET,
        Target::object(copy.source_bucket, copy.source_key),
    )
    .query("tagging", "")
    .query_opt("versionId", copy.source_version_id)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Tagging {
    #[serde(default)]
    tag_set: TagSet,
}

impl crate::wire::answer::XmlAnswer for Tagging {
    const ROOT: &'static str = "Tagging";
}

#[derive(Debug, Default, Deserialize)]
struct TagSet {
    #[serde(rename = "Tag", default)]
    tags: Vec<Tag>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Tag {
    key: String,
    #[serde(default)]
    value: String,
}

/// The `x-amz-tagging` value for `tags`: `key=value` pairs joined by `&`, each part
/// percent-encoded as a query is; `None` for no tags.
pub fn tagging_header<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<String> {
    let pairs: Vec<String> = tags
        .into_iter()
        .map(|(key, value)| {
            format!(
                "{}={}",
                encode::encode_query(key),
                encode::encode_query(value)
            )
        })
        .collect();
    (!pairs.is_empty()).then(|| pairs.join("&"))
}

/// The source's tags as an `x-amz-tagging` value (GetObjectTagging); `None` when it has none
/// or the store does not keep tags (`NotImplemented`).
async fn source_tagging(client: &S3Client, copy: &CopyObject<'_>) -> Result<Option<String>> {
    let answer = client.send(source_tagging_request(copy)).await;
    let tagging: Tagging = match answer {
        Ok(response) => response.xml().await?,
        Err(err) if err.code() == Some("NotImplemented") => return Ok(None),
        Err(err) => {
            return Err(err.context(
                "reading the source's tags, which a copy in parts carries over as CopyObject \
                 does (it needs the s3:GetObjectTagging permission)",
            ));
        }
    };
    let tags = tagging.tag_set.tags;
    Ok(tagging_header(
        tags.iter()
            .map(|tag| (tag.key.as_str(), tag.value.as_str())),
    ))
}

/// The UploadPartCopy request of part `range` of upload `upload_id`: the source, its byte
/// range, and the ETag it must still have (`source_etag`, without quotes).
pub fn upload_part_copy_request(
    copy: &CopyObject<'_>,
    upload_id: &str,
    range: &PartRange,
    source_etag: &str,
) -> Request {
    Request::new(Method::PUT, Target::object(copy.bucket, copy.key))
        .query("partNumber", range.number.to_string())
        .query("uploadId", upload_id)
        .header(
            "x-amz-copy-source",
            copy_source(copy.source_bucket, copy.source_key, copy.source_version_id),
        )
        .header("x-amz-copy-source-range", range.header())
        .header("x-amz-copy-source-if-match", format!("\"{source_etag}\""))
}

/// A part S3 copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopiedPart {
    /// Its number and range.
    pub range: PartRange,
    /// Its ETag, as S3 sent it.
    pub etag: String,
    /// Its checksum (of the upload's algorithm), when S3 answered one.
    pub digest: Option<Digest>,
}

#[derive(Debug, Serialize)]
struct CompleteMultipartUpload {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "Part")]
    parts: Vec<CompletedPart>,
}

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
    fn new(part: &CopiedPart) -> Self {
        let mut completed = CompletedPart {
            etag: part.etag.clone(),
            number: part.range.number,
            ..CompletedPart::default()
        };
        if let Some(digest) = &part.digest {
            let slot = match digest.algorithm() {
                ChecksumAlgorithm::Crc32 => &mut completed.crc32,
                ChecksumAlgorithm::Crc32c => &mut completed.crc32c,
                ChecksumAlgorithm::Crc64Nvme => &mut completed.crc64nvme,
                ChecksumAlgorithm::Sha1 => &mut completed.sha1,
                ChecksumAlgorithm::Sha256 => &mut completed.sha256,
            };
            *slot = Some(digest.to_base64());
        }
        completed
    }
}

/// The CompleteMultipartUpload request: the `parts` (in part order) with their ETags and
/// checksums, and the `full_object` checksum they make, for S3 to check.
pub fn complete_request(
    copy: &CopyObject<'_>,
    upload_id: &str,
    parts: &[CopiedPart],
    full_object: Option<&Checksum>,
) -> Result<Request> {
    let document = CompleteMultipartUpload {
        xmlns: "http://s3.amazonaws.com/doc/2006-03-01/",
        parts: parts.iter().map(CompletedPart::new).collect(),
    };
    let xml = xml::to_string("CompleteMultipartUpload", &document)?;
    let mut request = Request::new(Method::POST, Target::object(copy.bucket, copy.key))
        .query("uploadId", upload_id)
        .header("content-type", "application/xml")
        .body(Body::from_bytes(xml));
    if let Some(checksum) = full_object {
        request = request
            .header(checksum.algorithm().header_name(), checksum.to_base64())
            .header("x-amz-checksum-type", ChecksumType::FullObject.as_str());
    }
    Ok(request)
}

/// The full-object checksum the parts' CRCs make, when every part answered one.
pub fn combined_checksum(parts: &[CopiedPart]) -> Option<Checksum> {
    let mut digests = parts.iter().map(|part| part.digest);
    let first = digests.next()??;
    let combined = digests.try_fold(first, |sum, next| sum.combine(&next?))?;
    Some(Checksum::full_object(&combined))
}

/// A 412 on a part: the source is no longer the object whose ETag the copy started from.
fn explain_part_error(err: Error, source_etag: &str) -> Error {
    if err.kind() == ErrorKind::Conflict && err.code() == Some("PreconditionFailed")
        || err.status() == Some(412)
    {
        return Error::new(
            ErrorKind::Conflict,
            format!(
                "the source changed during the copy (it is no longer the object with ETag \
                 {source_etag} the copy started from), so the copy was abandoned; run it again \
                 to copy the new content"
            ),
        )
        .with_status(412)
        .with_retryable(false);
    }
    err
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InitiateMultipartUploadResult {
    upload_id: String,
}

impl crate::wire::answer::XmlAnswer for InitiateMultipartUploadResult {
    const ROOT: &'static str = "InitiateMultipartUploadResult";
}

/// Aborts a multipart copy whose future was dropped (a timeout, Ctrl-C) before it finished or
/// was aborted, in a background clean-up task a program about to exit waits for.
struct AbortOnDrop {
    client: S3Client,
    bucket: String,
    key: String,
    upload_id: Option<String>,
}

impl AbortOnDrop {
    /// Aborts the upload now (the guard stays armed until the abort answered).
    async fn abort(&mut self) -> Result<()> {
        let Some(upload_id) = &self.upload_id else {
            return Ok(());
        };
        let aborted = abort_request(&self.bucket, &self.key, upload_id);
        let result = self.client.send(aborted).await.map(drop);
        self.upload_id = None;
        result
    }
}

fn abort_request(bucket: &str, key: &str, upload_id: &str) -> Request {
    Request::new(Method::DELETE, Target::object(bucket, key)).query("uploadId", upload_id)
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        let Some(upload_id) = self.upload_id.take() else {
            return;
        };
        let (client, bucket, key) = (self.client.clone(), self.bucket.clone(), self.key.clone());
        crate::wire::cleanup::spawn(async move {
            if let Err(err) = client.send(abort_request(&bucket, &key, &upload_id)).await {
                tracing::warn!(%bucket, %key, error = %err, "aborting an interrupted multipart copy failed");
            }
        });
    }
}

/// CreateMultipartUpload, the parts, CompleteMultipartUpload; aborted on any failure.
async fn multipart_copy(
    client: &S3Client,
    copy: &CopyObject<'_>,
    source: &SourceObject,
    options: &CopyOptions,
    progress: Option<&dyn Progress>,
) -> Result<CopyOutcome> {
    let Some(source_etag) = source.etag.as_deref() else {
        return Err(Error::new(
            ErrorKind::Server,
            "the store did not give the source's ETag, which a copy in parts needs to make sure \
             the source does not change while it is copied; copy it with a larger multipart \
             threshold",
        )
        .with_retryable(false));
    };
    let checksum = carried_checksum(client.checksum_settings(), source, copy.checksum_algorithm);
    let tagging = source_tagging(client, copy).await?;
    let started: InitiateMultipartUploadResult = client
        .send(create_request(copy, source, tagging.as_deref(), checksum))
        .await?
        .xml()
        .await?;
    let mut guard = AbortOnDrop {
        client: client.clone(),
        bucket: copy.bucket.to_owned(),
        key: copy.key.to_owned(),
        upload_id: Some(started.upload_id.clone()),
    };
    let run = Run {
        client,
        copy,
        source,
        source_etag,
        upload_id: &started.upload_id,
        algorithm: checksum.map(|(algorithm, _)| algorithm),
        full_object: checksum.is_some_and(|(_, kind)| kind == ChecksumType::FullObject),
    };
    match run.parts_and_complete(options, progress).await {
        Ok(outcome) => {
            guard.upload_id = None;
            Ok(outcome)
        }
        Err(err) => {
            let note = match guard.abort().await {
                Ok(()) => "the multipart copy was aborted; nothing was stored".to_owned(),
                Err(abort) => format!(
                    "aborting the multipart copy {} failed too ({}); its parts may stay billed \
                     until a lifecycle rule removes them",
                    started.upload_id,
                    abort.message()
                ),
            };
            Err(err.context(format!("copying to {} ({note})", copy.key)))
        }
    }
}

/// One multipart copy under way.
struct Run<'a> {
    client: &'a S3Client,
    copy: &'a CopyObject<'a>,
    source: &'a SourceObject,
    source_etag: &'a str,
    upload_id: &'a str,
    /// The upload's checksum algorithm, if it has one.
    algorithm: Option<ChecksumAlgorithm>,
    /// Whether the upload's checksum is full-object (then comparable with the source's).
    full_object: bool,
}

impl Run<'_> {
    async fn parts_and_complete(
        &self,
        options: &CopyOptions,
        progress: Option<&dyn Progress>,
    ) -> Result<CopyOutcome> {
        let ranges = options.ranges(self.source.size);
        let mut parts = Vec::with_capacity(ranges.len());
        let mut source_version_id = None;
        let mut copying = futures_util::stream::iter(ranges)
            .map(|range| self.copy_part(range, progress))
            .buffer_unordered(options.concurrency.max(1));
        // The first failure stops the rest (dropping the parts in flight).
        while let Some(part) = copying.next().await {
            let (part, version) = part?;
            source_version_id = source_version_id.or(version);
            parts.push(part);
        }
        drop(copying);
        parts.sort_by_key(|part| part.range.number);

        // The source's full-object value, when the copy gets one of the same algorithm.
        let expected = self.source.checksum.as_ref().and_then(|checksum| {
            let value = checksum.value.as_ref()?;
            (self.full_object
                && checksum.kind == ChecksumType::FullObject
                && value.kind() == ChecksumType::FullObject
                && Some(value.algorithm()) == self.algorithm)
                .then_some(value)
        });
        let combined = expected.and(combined_checksum(&parts));
        if let (Some(expected), Some(combined)) = (expected, &combined)
            && expected != combined
        {
            return Err(Error::new(
                ErrorKind::Server,
                format!(
                    "the parts the store copied make the {} checksum {combined}, but the source's \
                     is {expected}: the copy is not the source",
                    expected.algorithm()
                ),
            )
            .with_retryable(true));
        }
        let (completed, version_id) = self.complete(&parts, combined.as_ref()).await?;
        let mut checksum = self
            .algorithm
            .and_then(|algorithm| completed.checksum_for(algorithm));
        let mut verified = combined.is_some();
        if let Some(expected) = expected
            && !verified
        {
            if checksum.is_none() {
                checksum = self.head_copy_checksum(version_id.as_deref()).await;
            }
            if let Some(answered) = &checksum
                && answered.kind() == ChecksumType::FullObject
            {
                if answered != expected {
                    return Err(Error::new(
                        ErrorKind::Server,
                        format!(
                            "the copy {} in the bucket {} has the {} checksum {answered}, the \
                             source {expected}: the copy is not the source (it was not deleted)",
                            self.copy.key,
                            self.copy.bucket,
                            expected.algorithm()
                        ),
                    )
                    .with_retryable(false));
                }
                verified = true;
            }
        }
        // A checksum asked for and not answered by Complete (moto answers none): read what the
        // copy keeps, so that the output says it (only a checksum of that algorithm).
        if checksum.is_none()
            && expected.is_none()
            && let Some(asked) = self.copy.checksum_algorithm
        {
            checksum = self
                .head_copy_checksum(version_id.as_deref())
                .await
                .filter(|answered| answered.algorithm() == asked);
        }
        Ok(CopyOutcome {
            copied: Copied {
                etag: completed.etag.as_deref().map(unquote_etag),
                last_modified: completed.last_modified.clone(),
                version_id,
                source_version_id,
                checksum: checksum.or(combined),
            },
            method: CopyMethod::MultipartCopy,
            parts: parts.len() as u32,
            size: self.source.size,
            checksum_verified: verified,
        })
    }

    /// UploadPartCopy of one range; the copied part and the source version S3 names.
    async fn copy_part(
        &self,
        range: PartRange,
        progress: Option<&dyn Progress>,
    ) -> Result<(CopiedPart, Option<String>)> {
        let request = || {
            Ok(upload_part_copy_request(
                self.copy,
                self.upload_id,
                &range,
                self.source_etag,
            ))
        };
        let (result, answer_headers) = self
            .send_copy_request(request, "CopyPartResult", "the UploadPartCopy answer")
            .await
            .map_err(|err| explain_part_error(err, self.source_etag))
            .map_err(|err| err.context(format!("copying part {}", range.number)))?;
        let Some(etag) = result.etag.clone() else {
            return Err(Error::new(
                ErrorKind::Server,
                format!("part {} was copied without an ETag", range.number),
            ));
        };
        let digest = self.algorithm.and_then(|algorithm| {
            let answered = result.checksum_for(algorithm)?;
            Digest::from_bytes(algorithm, answered.as_bytes(), range.len())
        });
        if let Some(progress) = progress {
            progress.advance(range.len());
        }
        let version = headers::text(&answer_headers, "x-amz-copy-source-version-id");
        Ok((
            CopiedPart {
                range,
                etag,
                digest,
            },
            version.map(str::to_owned),
        ))
    }

    /// CompleteMultipartUpload; the result and the copy's version ID.
    async fn complete(
        &self,
        parts: &[CopiedPart],
        full_object: Option<&Checksum>,
    ) -> Result<(CopyResult, Option<String>)> {
        let request = || complete_request(self.copy, self.upload_id, parts, full_object);
        let (result, answer_headers) = self
            .send_copy_request(
                request,
                "CompleteMultipartUploadResult",
                "the CompleteMultipartUpload answer",
            )
            .await
            .map_err(|err| err.context("completing the multipart copy"))?;
        let version_id = headers::text(&answer_headers, "x-amz-version-id").map(str::to_owned);
        Ok((result, version_id))
    }

    /// Sends the request `request` builds and reads the answer document, whose root must be
    /// `root`. UploadPartCopy and CompleteMultipartUpload may answer `200 OK` with an `<Error>`
    /// (S3 starts answering before it is done): a transient one is tried again, up to 3 times
    /// in all (transient HTTP statuses are already tried again by the send path).
    async fn send_copy_request(
        &self,
        request: impl Fn() -> Result<Request>,
        root: &str,
        what: &str,
    ) -> Result<(CopyResult, HeaderMap)> {
        let mut attempt: u32 = 1;
        loop {
            let response = self.client.send(request()?).await?;
            let (status, answer_headers) = (response.status(), response.headers().clone());
            let body = response.bytes_capped(MAX_ANSWER_BYTES, what).await?;
            match read_copy_result(status, &answer_headers, &body, root) {
                Err(err)
                    if status.is_success()
                        && err.code().is_some()
                        && err.is_retryable()
                        && attempt < 3 =>
                {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(200 * u64::from(attempt)))
                        .await;
                }
                Err(err) => return Err(err),
                Ok(result) => return Ok((result, answer_headers)),
            }
        }
    }

    /// The finished copy's checksum as S3 answers a HEAD with checksum mode; `None` when it
    /// answers none (or the HEAD fails: the copy is made, only not verified).
    async fn head_copy_checksum(&self, version_id: Option<&str>) -> Option<Checksum> {
        // `null` is the version of an object in an unversioned bucket; moto refuses to be asked
        // for it by name.
        let version_id = version_id.filter(|version| *version != "null");
        let head = Request::new(
            Method::HEAD,
            Target::object(self.copy.bucket, self.copy.key),
        )
        .query_opt("versionId", version_id)
        .header("x-amz-checksum-mode", "ENABLED");
        let response = self.client.send(head).await.ok()?;
        SourceObject::from_headers(response.headers())
            .checksum?
            .value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::copy::SourceChecksum;
    use crate::ops::transfer::{MAX_OBJECT_SIZE, MAX_PARTS};

    const GIB: u64 = 1024 * MIB;

    fn assert_cover(options: &CopyOptions, size: u64) -> Vec<PartRange> {
        let ranges = options.ranges(size);
        assert!(
            ranges.len() as u64 <= MAX_PARTS,
            "{size}: {} parts",
            ranges.len()
        );
        let mut next = 0;
        for (i, range) in ranges.iter().enumerate() {
            assert_eq!(range.number, i as u32 + 1);
            assert_eq!(range.first, next);
            assert!(range.len() <= MAX_PART_SIZE);
            if i + 1 < ranges.len() {
                assert!(range.len() >= MIN_PART_SIZE, "{size}: part {i} too small");
            }
            next = range.last + 1;
        }
        assert_eq!(next, size);
        ranges
    }

    #[test]
    fn copies_go_in_parts_only_above_the_threshold() {
        let options = CopyOptions::default();
        assert!(!options.in_parts(5 * GIB));
        assert!(options.in_parts(5 * GIB + 1));
        // Never below 5 MiB: S3 copies a range only of a source larger than that.
        let low = CopyOptions {
            multipart_threshold: 0,
            ..options
        };
        assert!(!low.in_parts(0));
        assert!(!low.in_parts(5 * MIB));
        assert!(low.in_parts(5 * MIB + 1));
    }

    #[test]
    fn part_ranges_respect_s3s_limits() {
        let options = CopyOptions::default();
        // Just above 5 GiB: 256 MiB parts, the last one a single byte.
        let ranges = assert_cover(&options, 5 * GIB + 1);
        assert_eq!(ranges.len(), 21);
        assert_eq!(ranges[0].header(), "bytes=0-268435455");
        assert_eq!(
            ranges[20],
            PartRange {
                number: 21,
                first: 5 * GIB,
                last: 5 * GIB
            }
        );
        assert_eq!(ranges[20].header(), "bytes=5368709120-5368709120");
        // 256 MiB × 10,000 fits exactly; one byte more grows the parts to 257 MiB.
        let at_limit = 256 * MIB * MAX_PARTS;
        assert_eq!(options.part_size_for(at_limit), 256 * MIB);
        assert_eq!(assert_cover(&options, at_limit).len(), 10_000);
        assert_eq!(options.part_size_for(at_limit + 1), 257 * MIB);
        assert_eq!(assert_cover(&options, at_limit + 1).len(), 9_962);
        // 5 TiB: ceil(5 TiB / 10,000) rounded up to a MiB.
        assert_eq!(options.part_size_for(MAX_OBJECT_SIZE), 525 * MIB);
        assert_cover(&options, MAX_OBJECT_SIZE);
        // Parts never exceed 5 GiB, whatever is asked.
        let huge = CopyOptions {
            part_size: 6 * GIB,
            ..options
        };
        assert_eq!(huge.part_size_for(6 * GIB), MAX_PART_SIZE);
        // A part size below 5 MiB is raised to 5 MiB.
        let small = CopyOptions {
            multipart_threshold: 5 * MIB,
            part_size: MIB,
            concurrency: 2,
        };
        let ranges = assert_cover(&small, 12 * MIB);
        assert_eq!(
            ranges.iter().map(PartRange::len).collect::<Vec<_>>(),
            [5 * MIB, 5 * MIB, 2 * MIB]
        );
        assert_eq!(ranges[2].header(), "bytes=10485760-12582911");
        let ranges = assert_cover(&small, 5 * MIB + 1);
        assert_eq!(
            ranges[1],
            PartRange {
                number: 2,
                first: 5 * MIB,
                last: 5 * MIB
            }
        );
    }

    #[test]
    fn settings_give_options() {
        assert_eq!(CopySettings::default().options(), CopyOptions::default());
        let settings = CopySettings {
            multipart_threshold_mib: Some(5),
            part_size_mib: Some(5),
            concurrency: Some(100),
        };
        assert_eq!(
            settings.options(),
            CopyOptions {
                multipart_threshold: 5 * MIB,
                part_size: 5 * MIB,
                concurrency: 64
            }
        );
    }

    fn copy() -> CopyObject<'static> {
        CopyObject {
            source_bucket: "src",
            source_key: "big file.bin",
            source_version_id: Some("v1"),
            bucket: "dst",
            key: "copy.bin",
            storage_class: Some("STANDARD_IA"),
            acl: Some("bucket-owner-full-control"),
            replace_metadata: None,
            checksum_algorithm: None,
        }
    }

    fn source() -> SourceObject {
        let mut answer = http::HeaderMap::new();
        for (name, value) in [
            ("content-length", "12582912"),
            ("etag", "\"0123abcd\""),
            ("content-type", "application/x-test"),
            ("cache-control", "no-cache"),
            ("expires", "Wed, 21 Oct 2026 07:28:00 GMT"),
            ("x-amz-meta-origin", "lab"),
            ("x-amz-storage-class", "GLACIER_IR"),
            ("x-amz-checksum-crc64nvme", "rosUhgp5mIg="),
            ("x-amz-checksum-type", "FULL_OBJECT"),
            ("x-amz-request-id", "R1"),
            ("last-modified", "Wed, 21 Oct 2026 07:28:00 GMT"),
        ] {
            answer.insert(name, value.parse().unwrap());
        }
        SourceObject::from_headers(&answer)
    }

    #[test]
    fn the_source_head_gives_size_etag_headers_and_checksum() {
        let source = source();
        assert_eq!(source.size, 12 * MIB);
        assert_eq!(source.etag.as_deref(), Some("0123abcd"));
        let mut kept = source.headers.clone();
        kept.sort();
        assert_eq!(
            kept,
            [
                ("cache-control", "no-cache"),
                ("content-type", "application/x-test"),
                ("expires", "Wed, 21 Oct 2026 07:28:00 GMT"),
                ("x-amz-meta-origin", "lab"),
            ]
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
        );
        assert_eq!(source.storage_class.as_deref(), Some("GLACIER_IR"));
        let checksum = source.checksum.unwrap();
        assert_eq!(checksum.algorithm, ChecksumAlgorithm::Crc64Nvme);
        assert_eq!(checksum.kind, ChecksumType::FullObject);
        assert_eq!(checksum.value.unwrap().to_string(), "rosUhgp5mIg=");
        // A composite value says so by its `-N`; a value of the wrong length cannot be read.
        let mut answer = http::HeaderMap::new();
        answer.insert("x-amz-checksum-crc32c", "4waSgw==-3".parse().unwrap());
        let checksum = SourceObject::from_headers(&answer).checksum.unwrap();
        assert_eq!(checksum.kind, ChecksumType::Composite);
        assert_eq!(checksum.value.unwrap().parts(), Some(3));
        answer.insert("x-amz-checksum-crc32c", "AAAAAAAAAAA=".parse().unwrap());
        let checksum = SourceObject::from_headers(&answer).checksum.unwrap();
        assert_eq!(checksum.algorithm, ChecksumAlgorithm::Crc32c);
        assert_eq!(checksum.value, None);
        assert_eq!(
            SourceObject::from_headers(&http::HeaderMap::new()).checksum,
            None
        );
    }

    #[test]
    fn the_source_head_asks_for_the_checksum_only_when_told() {
        let copy = copy();
        let head = copy.head_source_request(true);
        assert_eq!(head.method(), Method::HEAD);
        assert_eq!(
            crate::ops::testing::url(&head),
            "http://127.0.0.1:9000/src/big%20file.bin?versionId=v1"
        );
        assert_eq!(head.header_value("x-amz-checksum-mode"), Some("ENABLED"));
        let head = copy.head_source_request(false);
        assert_eq!(head.header_value("x-amz-checksum-mode"), None);
    }

    #[test]
    fn creation_carries_the_source_headers_or_the_replaced_ones() {
        let copy = copy();
        let source = source();
        let checksum = Some((ChecksumAlgorithm::Crc64Nvme, ChecksumType::FullObject));
        let create = create_request(&copy, &source, Some("a=1&b=x%20y"), checksum);
        assert_eq!(create.method(), Method::POST);
        assert_eq!(
            crate::ops::testing::url(&create),
            "http://127.0.0.1:9000/dst/copy.bin?uploads"
        );
        assert_eq!(
            create.header_value("content-type"),
            Some("application/x-test")
        );
        assert_eq!(create.header_value("cache-control"), Some("no-cache"));
        assert_eq!(
            create.header_value("expires"),
            Some("Wed, 21 Oct 2026 07:28:00 GMT")
        );
        assert_eq!(create.header_value("x-amz-meta-origin"), Some("lab"));
        // The storage class is the one asked for (as with CopyObject), not the source's.
        assert_eq!(
            create.header_value("x-amz-storage-class"),
            Some("STANDARD_IA")
        );
        assert_eq!(
            create.header_value("x-amz-acl"),
            Some("bucket-owner-full-control")
        );
        assert_eq!(
            create.header_value("x-amz-checksum-algorithm"),
            Some("CRC64NVME")
        );
        assert_eq!(
            create.header_value("x-amz-checksum-type"),
            Some("FULL_OBJECT")
        );
        assert_eq!(create.header_value("x-amz-tagging"), Some("a=1&b=x%20y"));
        assert_eq!(create.header_value("x-amz-metadata-directive"), None);
        assert_eq!(create.header_value("x-amz-copy-source"), None);

        let replaced = CopyObject {
            replace_metadata: Some(vec![
                ("content-type".into(), "text/plain".into()),
                ("x-amz-meta-stage".into(), "two".into()),
            ]),
            storage_class: None,
            ..copy
        };
        let create = create_request(&replaced, &source, None, None);
        assert_eq!(create.header_value("content-type"), Some("text/plain"));
        assert_eq!(create.header_value("x-amz-meta-stage"), Some("two"));
        for absent in [
            "x-amz-meta-origin",
            "cache-control",
            "expires",
            "x-amz-storage-class",
            "x-amz-checksum-algorithm",
            "x-amz-checksum-type",
            "x-amz-tagging",
        ] {
            assert_eq!(create.header_value(absent), None, "{absent}");
        }
    }

    #[test]
    fn tags_are_read_from_the_source_and_written_as_a_query() {
        let request = source_tagging_request(&copy());
        assert_eq!(request.method(), Method::GET);
        assert_eq!(
            crate::ops::testing::url(&request),
            "http://127.0.0.1:9000/src/big%20file.bin?tagging&versionId=v1"
        );
        let tagging: Tagging = crate::wire::answer::parse(
            "<Tagging><TagSet><Tag><Key>team</Key><Value>a&amp;b c</Value></Tag>\
             <Tag><Key>empty</Key><Value></Value></Tag></TagSet></Tagging>",
        )
        .unwrap();
        let tags = &tagging.tag_set.tags;
        assert_eq!(
            tagging_header(
                tags.iter()
                    .map(|tag| (tag.key.as_str(), tag.value.as_str()))
            ),
            Some("team=a%26b%20c&empty=".to_owned())
        );
        let none: Tagging = crate::wire::answer::parse("<Tagging><TagSet/></Tagging>").unwrap();
        assert!(none.tag_set.tags.is_empty());
        assert_eq!(tagging_header([]), None);
    }

    #[test]
    fn the_source_checksum_is_carried_unless_the_policy_says_when_required() {
        let settings = ChecksumSettings::default();
        let source = source();
        assert_eq!(
            carried_checksum(&settings, &source, None),
            Some((ChecksumAlgorithm::Crc64Nvme, ChecksumType::FullObject))
        );
        let when_required = ChecksumSettings {
            policy: ChecksumPolicy::WhenRequired,
            ..settings
        };
        assert_eq!(carried_checksum(&when_required, &source, None), None);
        let plain = SourceObject {
            checksum: None,
            ..source.clone()
        };
        assert_eq!(carried_checksum(&settings, &plain, None), None);
        let with = |algorithm, kind| SourceObject {
            checksum: Some(SourceChecksum {
                algorithm,
                kind,
                value: None,
            }),
            ..source.clone()
        };
        // A single-part SHA-256 object is full-object; a multipart upload of it only composite.
        let sha = with(ChecksumAlgorithm::Sha256, ChecksumType::FullObject);
        assert_eq!(
            carried_checksum(&settings, &sha, None),
            Some((ChecksumAlgorithm::Sha256, ChecksumType::Composite))
        );
        let crc = with(ChecksumAlgorithm::Crc32c, ChecksumType::FullObject);
        assert_eq!(
            carried_checksum(&settings, &crc, None),
            Some((ChecksumAlgorithm::Crc32c, ChecksumType::FullObject))
        );
        let composite_only = ChecksumSettings {
            full_object_multipart: false,
            ..settings
        };
        assert_eq!(
            carried_checksum(&composite_only, &crc, None),
            Some((ChecksumAlgorithm::Crc32c, ChecksumType::Composite))
        );
        let composite = with(ChecksumAlgorithm::Crc32, ChecksumType::Composite);
        assert_eq!(
            carried_checksum(&settings, &composite, None),
            Some((ChecksumAlgorithm::Crc32, ChecksumType::Composite))
        );
        // An algorithm asked for replaces the source's, with the type its multipart upload
        // gets, even when the policy is when_required (as an upload's asked algorithm is).
        assert_eq!(
            carried_checksum(&settings, &source, Some(ChecksumAlgorithm::Sha1)),
            Some((ChecksumAlgorithm::Sha1, ChecksumType::Composite))
        );
        assert_eq!(
            carried_checksum(&composite_only, &plain, Some(ChecksumAlgorithm::Crc32c)),
            Some((ChecksumAlgorithm::Crc32c, ChecksumType::Composite))
        );
        assert_eq!(
            carried_checksum(&when_required, &source, Some(ChecksumAlgorithm::Crc32)),
            Some((ChecksumAlgorithm::Crc32, ChecksumType::FullObject))
        );
    }

    #[test]
    fn each_part_names_its_range_and_the_source_etag() {
        let range = PartRange {
            number: 2,
            first: 5 * MIB,
            last: 10 * MIB - 1,
        };
        let part = upload_part_copy_request(&copy(), "up/1", &range, "0123abcd");
        assert_eq!(part.method(), Method::PUT);
        assert_eq!(
            crate::ops::testing::url(&part),
            "http://127.0.0.1:9000/dst/copy.bin?partNumber=2&uploadId=up%2F1"
        );
        assert_eq!(
            part.header_value("x-amz-copy-source"),
            Some("/src/big%20file.bin?versionId=v1")
        );
        assert_eq!(
            part.header_value("x-amz-copy-source-range"),
            Some("bytes=5242880-10485759")
        );
        assert_eq!(
            part.header_value("x-amz-copy-source-if-match"),
            Some("\"0123abcd\"")
        );
        assert!(part.body_ref().is_empty());
        // Nothing of the object's own headers goes on a part.
        assert_eq!(part.header_value("x-amz-storage-class"), None);
        assert_eq!(part.header_value("x-amz-acl"), None);
    }

    fn part(number: u32, bytes: &[u8], at: u64) -> CopiedPart {
        CopiedPart {
            range: PartRange {
                number,
                first: at,
                last: at + bytes.len() as u64 - 1,
            },
            etag: format!("\"e{number}\""),
            digest: Some(ChecksumAlgorithm::Crc64Nvme.digest(bytes)),
        }
    }

    #[test]
    fn completion_lists_the_parts_with_their_checksums() {
        let parts = [part(1, b"12345", 0), part(2, b"6789", 5)];
        let combined = combined_checksum(&parts).unwrap();
        // The parts' CRCs combine to the CRC of the whole ("123456789").
        assert_eq!(combined.to_string(), "rosUhgp5mIg=");
        let complete = complete_request(&copy(), "u1", &parts, Some(&combined)).unwrap();
        assert_eq!(complete.method(), Method::POST);
        assert_eq!(
            crate::ops::testing::url(&complete),
            "http://127.0.0.1:9000/dst/copy.bin?uploadId=u1"
        );
        assert_eq!(
            complete.header_value("x-amz-checksum-crc64nvme"),
            Some("rosUhgp5mIg=")
        );
        assert_eq!(
            complete.header_value("x-amz-checksum-type"),
            Some("FULL_OBJECT")
        );
        let xml = String::from_utf8(complete.body_ref().bytes().unwrap().to_vec()).unwrap();
        let first = ChecksumAlgorithm::Crc64Nvme.digest(b"12345").to_base64();
        assert!(
            xml.contains(&format!(
                "<Part><ETag>\"e1\"</ETag><ChecksumCRC64NVME>{first}</ChecksumCRC64NVME>\
                 <PartNumber>1</PartNumber></Part>"
            )),
            "{xml}"
        );
        // Parts without checksums: only ETags, and no full-object header.
        let bare: Vec<CopiedPart> = parts
            .iter()
            .map(|part| CopiedPart {
                digest: None,
                ..part.clone()
            })
            .collect();
        assert_eq!(combined_checksum(&bare), None);
        let complete = complete_request(&copy(), "u1", &bare, None).unwrap();
        let xml = String::from_utf8(complete.body_ref().bytes().unwrap().to_vec()).unwrap();
        assert!(!xml.contains("Checksum"), "{xml}");
        assert!(xml.contains("<Part><ETag>\"e2\"</ETag><PartNumber>2</PartNumber></Part>"));
        assert_eq!(complete.header_value("x-amz-checksum-type"), None);
        // One part missing its CRC: nothing to combine.
        let mixed = [parts[0].clone(), bare[1].clone()];
        assert_eq!(combined_checksum(&mixed), None);
    }

    #[test]
    fn a_refused_precondition_means_the_source_changed() {
        let refused = Error::new(ErrorKind::Conflict, "PreconditionFailed: At least one …")
            .with_status(412)
            .with_s3(crate::error::S3ErrorBody {
                code: "PreconditionFailed".to_owned(),
                ..Default::default()
            });
        let err = explain_part_error(refused, "0123abcd");
        assert_eq!(err.kind(), ErrorKind::Conflict);
        assert!(!err.is_retryable());
        assert!(
            err.message().contains("the source changed during the copy"),
            "{}",
            err.message()
        );
        assert!(err.message().contains("0123abcd"), "{}", err.message());
        let other = Error::new(ErrorKind::Server, "InternalError: oops").with_status(500);
        let err = explain_part_error(other, "0123abcd");
        assert_eq!(err.message(), "InternalError: oops");
    }
}
