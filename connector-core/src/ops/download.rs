//! Downloads to a file, fast and never lossy. Large objects come as parallel ranged GETs
//! written in place; every range after the first carries `If-Match` with the object's ETag, so
//! an object replaced mid-download is detected; a range that breaks off resumes from the byte
//! it reached. Before the temporary file is renamed into place, its size is checked, and its
//! bytes against the checksum S3 stored with the object (asked for with
//! `x-amz-checksum-mode: ENABLED`), hashed while they are written:
//! - a full-object checksum (single-part objects, full-object multipart uploads): the CRC of
//!   each range, combined in order into the CRC of the whole;
//! - a composite one (`value-N`, the checksum of the N parts' checksums): the ranges are laid
//!   out like the parts (the size of part 1 comes from a HEAD or GET with `partNumber=1`, the
//!   others are taken to be as large, as every SDK uploads them, the last smaller) and the composite
//!   is recomputed from their digests;
//! - a multipart object's checksum whose type the store does not say: laid out like the parts,
//!   checked as their composite and, for a CRC, as the combination of their CRCs.
//!
//! Only an object without a usable checksum is checked by reading the saved file once more for
//! its MD5, when its ETag is one (a single-part object without SSE-KMS or SSE-C).

use crate::error::{Error, ErrorKind, Result};
use crate::ops::part_file::{FileWriter, WRITE_BATCH, io_error, put_in_place, temp_file_beside};
use crate::ops::transfer::{MAX_OBJECT_SIZE, Progress, TransferOptions};
use crate::wire::checksum::{Checksum, ChecksumAlgorithm, ChecksumType, Digest};
use crate::wire::client::S3Client;
use crate::wire::endpoint::Target;
use crate::wire::headers::{ObjectChecksum, etag_parts};
use crate::wire::payload::ChecksumPolicy;
use crate::wire::response::Response;
use futures_util::{StreamExt, TryStreamExt};
use http::{HeaderMap, Method};
use md5::{Digest as _, Md5};
use std::io::Read;
use std::path::Path;

/// How many times one range is resumed after breaking off.
const RESUMES_PER_RANGE: u32 = 3;

/// The object to fetch.
#[derive(Debug, Clone)]
pub struct ObjectSource {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// A specific version.
    pub version_id: Option<String>,
}

/// A finished download.
#[derive(Debug)]
pub struct Fetched {
    /// Bytes written.
    pub size: u64,
    /// The headers of the first answer (content type, ETag, metadata, …).
    pub headers: HeaderMap,
    /// How the saved bytes were checked against the object.
    pub verified: Verified,
}

/// How a download was checked against the object S3 stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// Against the checksum S3 stored with the object.
    Checksum(Checksum),
    /// Against the object's MD5 (its ETag), the saved file read once more: the object has no
    /// checksum that could be used.
    Md5(String),
    /// Only its length: the object has neither a usable checksum nor an MD5 ETag (a multipart
    /// or SSE-KMS object uploaded without a checksum).
    Length,
}

/// Downloads `source` into `dest` atomically.
pub async fn fetch_to_path(
    client: &S3Client,
    source: &ObjectSource,
    dest: &Path,
    options: &TransferOptions,
    progress: Option<&dyn Progress>,
) -> Result<Fetched> {
    let (file, temp_path) = temp_file_beside(dest)?;
    drop(file);
    let result = fetch_into(client, source, &temp_path, options, progress).await;
    if let Some(progress) = progress {
        progress.finish();
    }
    let fetched = result?;
    put_in_place(temp_path, dest)?;
    Ok(fetched)
}

async fn fetch_into(
    client: &S3Client,
    source: &ObjectSource,
    temp: &Path,
    options: &TransferOptions,
    progress: Option<&dyn Progress>,
) -> Result<Fetched> {
    let part = options.part_size_for(0);
    // The first part tells the object's size and ETag; a store that ignores ranges sends it
    // all, and an empty object has no range to ask for.
    let first = match get(client, source, Some((0, part - 1)), None).await {
        Err(err) if err.code() == Some("InvalidRange") => get(client, source, None, None).await?,
        other => other?,
    };
    let headers = first.headers().clone();
    let etag = first.header("etag").map(str::to_owned);
    // The object's size, as the answer states it; the file grows only with what arrives.
    let (total, first_end) = first_extent(&first, part)?;
    if let Some(progress) = progress {
        progress.start(&source.key, Some(total));
    }
    let check = plan_check(
        client,
        source,
        etag.as_deref(),
        &headers,
        total,
        first_end,
        part,
    )
    .await?;
    let step = check.range_size(part, total);
    // The first answer's bytes are used unless the ranges must be laid out otherwise; the
    // ranges after it are made as they are needed, not all up front.
    let (first, from) = if !check.fixes_ranges() || first_end == step.min(total) {
        (Some((0, first_end, Some(first))), first_end)
    } else {
        drop(first);
        (None, 0)
    };
    let rest = (from..total)
        .step_by(step as usize)
        .map(|start| (start, (start + step).min(total), None));
    let ranges = first.into_iter().chain(rest);
    let algorithm = check.algorithm();
    let mut digests = futures_util::stream::iter(ranges)
        .map(|(start, end, response)| {
            fetch_range(
                client,
                source,
                etag.as_deref(),
                temp,
                Span { start, end, total },
                response,
                algorithm,
                progress,
            )
        })
        .buffer_unordered(options.concurrency.max(1))
        .try_collect::<Vec<(u64, Option<Digest>)>>()
        .await?;
    digests.sort_by_key(|(start, _)| *start);
    let digests: Vec<Digest> = digests.into_iter().filter_map(|(_, d)| d).collect();

    let file = tokio::fs::OpenOptions::new().write(true).open(temp).await?;
    file.sync_all().await?;
    let written = file.metadata().await?.len();
    if written != total {
        return Err(Error::new(
            ErrorKind::Network,
            format!("the download ended at {written} of {total} bytes; nothing was saved"),
        ));
    }
    let verified = match check.verify(&source.key, &digests)? {
        Some(checksum) => Verified::Checksum(checksum),
        None => verify_md5(&headers, temp).await?,
    };
    Ok(Fetched {
        size: total,
        headers,
        verified,
    })
}

/// Checks the checksum of the bytes `received` of `key` against the one S3 `stored`: a
/// mismatch is a retryable `network` error (the bytes were damaged on the way).
pub fn check_received(key: &str, stored: &Checksum, received: &Checksum) -> Result<()> {
    if received == stored {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Network,
        format!(
            "the downloaded bytes of {key} do not match the object's {} checksum (stored \
             {stored}, received {received}): they were damaged on the way and were not kept; \
             download it again",
            stored.algorithm()
        ),
    )
    .with_retryable(true))
}

/// Checks the saved file against the object's MD5 when its ETag is one.
async fn verify_md5(headers: &HeaderMap, temp: &Path) -> Result<Verified> {
    let Some(expected) = plain_md5_etag(headers) else {
        return Ok(Verified::Length);
    };
    let path = temp.to_owned();
    let actual = tokio::task::spawn_blocking(move || md5_of_file(&path))
        .await
        .map_err(|err| Error::new(ErrorKind::Server, format!("hashing task failed: {err}")))??;
    if actual != expected {
        return Err(Error::new(
            ErrorKind::Network,
            format!(
                "the downloaded bytes do not match the object's MD5 ({expected}); they were \
                 damaged on the way, so nothing was saved"
            ),
        )
        .with_retryable(true));
    }
    Ok(Verified::Md5(expected))
}

/// How a download's bytes are checked against the stored checksum.
#[derive(Debug)]
enum Check {
    /// No usable checksum: the MD5 ETag, if any.
    Unchecked,
    /// A full-object checksum: the ranges' CRCs combined (any ranges for a CRC; one range for
    /// a SHA, which does not combine).
    FullObject(Checksum),
    /// A composite checksum: ranges of `part_size` bytes, the parts'.
    Composite {
        /// The stored value.
        stored: Checksum,
        /// The size of every part but the last.
        part_size: u64,
        /// Whether the value may also be a full-object CRC (the store did not say which).
        or_full_object: bool,
    },
}

impl Check {
    /// The size of the ranges the object is fetched in.
    fn range_size(&self, part: u64, total: u64) -> u64 {
        match self {
            Check::Composite { part_size, .. } => *part_size,
            // A SHA does not combine: the whole object as one range.
            Check::FullObject(stored) if !stored.algorithm().is_crc() => total.max(1),
            _ => part,
        }
    }

    /// Whether the ranges must be exactly those of [`Check::range_size`] (the parts of a
    /// composite checksum, the one range of a SHA); a CRC combines over any ranges.
    fn fixes_ranges(&self) -> bool {
        match self {
            Check::Unchecked => false,
            Check::FullObject(stored) => !stored.algorithm().is_crc(),
            Check::Composite { .. } => true,
        }
    }

    /// The algorithm each range is hashed with.
    fn algorithm(&self) -> Option<ChecksumAlgorithm> {
        match self {
            Check::Unchecked => None,
            Check::FullObject(stored) | Check::Composite { stored, .. } => Some(stored.algorithm()),
        }
    }

    /// Checks the ranges' digests (in order) against the stored checksum: the checksum the
    /// bytes of `key` were found to have, `None` when there is none to check against, an
    /// error when they differ.
    fn verify(&self, key: &str, digests: &[Digest]) -> Result<Option<Checksum>> {
        let (stored, received) = match self {
            Check::Unchecked => return Ok(None),
            Check::FullObject(stored) => (stored, combined(digests)),
            Check::Composite {
                stored,
                or_full_object,
                ..
            } => {
                let composite = Checksum::composite(stored.algorithm(), digests);
                if *or_full_object
                    && composite.as_ref() != Some(stored)
                    && let Some(whole) = combined(digests)
                    && whole.as_bytes() == stored.as_bytes()
                {
                    return Ok(Some(whole));
                }
                (stored, composite)
            }
        };
        let received = received.ok_or_else(|| {
            Error::new(
                ErrorKind::Server,
                "the ranges' checksums could not be put together; nothing was saved",
            )
        })?;
        check_received(key, stored, &received)?;
        Ok(Some(stored.clone()))
    }
}

/// The full-object CRC of consecutive ranges' digests; `None` for a SHA or no ranges.
fn combined(digests: &[Digest]) -> Option<Checksum> {
    let (first, rest) = digests.split_first()?;
    let whole = rest
        .iter()
        .try_fold(*first, |whole, next| whole.combine(next))?;
    Some(Checksum::full_object(&whole))
}

/// What the download is checked against: the checksum in the first answer when it holds the
/// whole object, else in a HEAD's (ranges carry none); for a composite checksum, the size of
/// part 1 from a HEAD with `partNumber=1`. A checksum that cannot be used is logged and the
/// download is checked as before (MD5 ETag, length).
async fn plan_check(
    client: &S3Client,
    source: &ObjectSource,
    etag: Option<&str>,
    first: &HeaderMap,
    total: u64,
    first_end: u64,
    part: u64,
) -> Result<Check> {
    if !asks_checksums(client) {
        return Ok(Check::Unchecked);
    }
    let headed = match first_end == total {
        true => None,
        false => Some(head(client, source, etag, None).await?),
    };
    let answer = headed.as_ref().map_or(first, Response::headers);
    let Some(described) = ObjectChecksum::from_headers(answer) else {
        return Ok(Check::Unchecked);
    };
    let (stored, or_full_object) = match (described.kind, etag_parts(answer)) {
        // A multipart object's checksum of a type the store does not say (moto's HEAD gives
        // the bare value): checked as the composite of the parts, and for a CRC also as the
        // whole object's.
        (None, Some(parts)) => {
            let value = format!("{}-{parts}", described.value);
            match Checksum::parse(described.algorithm, &value) {
                Ok(stored) => (stored, described.algorithm.is_crc()),
                Err(err) => {
                    tracing::warn!("the object's stored checksum cannot be checked: {err}");
                    return Ok(Check::Unchecked);
                }
            }
        }
        _ => match described.verifiable() {
            Some(stored) => (stored, false),
            None => return Ok(Check::Unchecked),
        },
    };
    let parts = match (stored.kind(), stored.parts()) {
        (ChecksumType::Composite, Some(parts)) => u64::from(parts),
        _ if stored.algorithm().is_crc() || total <= part => return Ok(Check::FullObject(stored)),
        _ => {
            // One range of the whole object would lose the parallel download.
            tracing::info!(
                algorithm = %stored.algorithm(),
                "a full-object SHA cannot be computed from parallel ranges; the download is \
                 checked by its MD5 where the ETag is one"
            );
            return Ok(Check::Unchecked);
        }
    };
    let part_size = if parts == 1 {
        total
    } else {
        first_part_size(client, source, total).await?
    };
    if part_size == 0 || total.div_ceil(part_size) != parts {
        tracing::warn!(
            parts,
            part_size,
            total,
            "the object's parts are not laid out as equal parts; its composite checksum \
             cannot be checked"
        );
        return Ok(Check::Unchecked);
    }
    Ok(Check::Composite {
        stored,
        part_size,
        or_full_object,
    })
}

/// The size of part 1 of a multipart object of `total` bytes, or 0 when the store does not
/// tell: the `Content-Length` of a HEAD with `partNumber=1` (moto ignores `partNumber` on a
/// GET), else the `Content-Range` of a GET with it (ministack ignores it on a HEAD), whose
/// body is not read. Without If-Match (moto compares it with the part's own ETag): the ranges
/// carry it, so an object replaced meanwhile is still caught.
async fn first_part_size(client: &S3Client, source: &ObjectSource, total: u64) -> Result<u64> {
    let by_head = head(client, source, None, Some(1)).await?.content_length();
    if let Some(size) = by_head.filter(|size| (1..total).contains(size)) {
        return Ok(size);
    }
    let answer = client
        .request(Method::GET, Target::object(&source.bucket, &source.key))
        .query_opt("versionId", source.version_id.as_deref())
        .query("partNumber", "1")
        .send()
        .await
        .map_err(|err| describe_get_error(err, source))?;
    let range = answer.header("content-range").and_then(ContentRange::parse);
    Ok(match range {
        Some(range)
            if answer.status().as_u16() == 206 && range.start == 0 && range.total == total =>
        {
            range.len()
        }
        _ => 0,
    })
}

/// Whether this client asks S3 for stored checksums (`x-amz-checksum-mode: ENABLED`): not with
/// the `when_required` policy (stores that refuse the flexible-checksum headers).
pub fn asks_checksums(client: &S3Client) -> bool {
    client.checksum_settings().policy == ChecksumPolicy::WhenSupported
}

/// HEAD of the object (of one part with `part_number`), with `If-Match` when an ETag is known,
/// asking for its stored checksum unless the client's checksum policy is `when_required`. A
/// HEAD with checksum mode refused with AccessDenied (an SSE-KMS object needs `kms:Decrypt`
/// for it) is sent once more without it.
pub async fn head(
    client: &S3Client,
    source: &ObjectSource,
    etag: Option<&str>,
    part_number: Option<u32>,
) -> Result<Response> {
    let asks = asks_checksums(client);
    let answer = match head_once(client, source, etag, part_number, asks).await {
        Err(err) if asks && err.kind() == ErrorKind::AccessDenied => {
            tracing::info!(
                key = %source.key,
                "HEAD with checksum mode refused (AccessDenied): sent again without it"
            );
            head_once(client, source, etag, part_number, false).await
        }
        other => other,
    };
    answer.map_err(|err| describe_get_error(err, source))
}

async fn head_once(
    client: &S3Client,
    source: &ObjectSource,
    etag: Option<&str>,
    part_number: Option<u32>,
    checksum_mode: bool,
) -> Result<Response> {
    client
        .request(Method::HEAD, Target::object(&source.bucket, &source.key))
        .query_opt("versionId", source.version_id.as_deref())
        .query_opt("partNumber", part_number.map(|n| n.to_string()))
        .header_opt("if-match", etag)
        .header_opt("x-amz-checksum-mode", checksum_mode.then_some("ENABLED"))
        .send()
        .await
}

/// GET of the object, or of bytes `start..=end`, with `If-Match` when an ETag is known. The
/// first GET (without an ETag) asks for the stored checksum unless the client's checksum
/// policy is `when_required`.
async fn get(
    client: &S3Client,
    source: &ObjectSource,
    range: Option<(u64, u64)>,
    etag: Option<&str>,
) -> Result<Response> {
    let checksum_mode = etag.is_none() && asks_checksums(client);
    client
        .request(Method::GET, Target::object(&source.bucket, &source.key))
        .query_opt("versionId", source.version_id.as_deref())
        .header_opt(
            "range",
            range.map(|(start, end)| format!("bytes={start}-{end}")),
        )
        .header_opt("if-match", etag)
        .header_opt("x-amz-checksum-mode", checksum_mode.then_some("ENABLED"))
        .send()
        .await
        .map_err(|err| describe_get_error(err, source))
}

/// An error of a GET or HEAD of `source`, named for the person.
fn describe_get_error(err: Error, source: &ObjectSource) -> Error {
    match err.code() {
        Some("PreconditionFailed") => err.context(format!(
            "{} changed while it was being downloaded; nothing was saved",
            source.key
        )),
        _ => crate::wire::s3_error::name_missing_object(err, &source.bucket, &source.key),
    }
}

/// Bytes `start..end` of an object of `total` bytes.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u64,
    end: u64,
    total: u64,
}

/// Writes the bytes of `span` at their place in `temp`, from `response` if given, resuming
/// from the byte reached when the transfer breaks off; hashes them with `algorithm` (a resumed
/// range continues the same hash). Returns where the range starts and its digest.
#[allow(clippy::too_many_arguments)]
async fn fetch_range(
    client: &S3Client,
    source: &ObjectSource,
    etag: Option<&str>,
    temp: &Path,
    span: Span,
    response: Option<Response>,
    algorithm: Option<ChecksumAlgorithm>,
    progress: Option<&dyn Progress>,
) -> Result<(u64, Option<Digest>)> {
    let Span { start, end, total } = span;
    let mut hasher = algorithm.map(ChecksumAlgorithm::hasher);
    let file = tokio::fs::OpenOptions::new().write(true).open(temp).await?;
    // Written in large blocks (one write per network chunk costs a system call each), from
    // the received buffers themselves.
    let mut writer = FileWriter::new(file.into_std().await, start, WRITE_BATCH);
    let mut position = start;
    let mut response = response;
    let mut resumes = 0;
    while position < end {
        let current = match response.take() {
            Some(response) => response,
            None => {
                let answer = get(client, source, Some((position, end - 1)), etag).await?;
                check_range(&answer, position, end, total, &source.key)?;
                answer
            }
        };
        let mut stream = std::pin::pin!(current.into_stream());
        let mut broke = None;
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(chunk) => {
                    let room = (end - position) as usize;
                    let chunk = chunk.slice(..chunk.len().min(room));
                    if let Some(hasher) = &mut hasher {
                        hasher.update(&chunk);
                    }
                    let len = chunk.len() as u64;
                    writer
                        .write(chunk)
                        .await
                        .map_err(|err| io_error(err, "writing", temp))?;
                    position += len;
                    if let Some(progress) = progress {
                        progress.advance(len);
                    }
                }
                Err(err) => {
                    broke = Some(err);
                    break;
                }
            }
        }
        writer
            .flush()
            .await
            .map_err(|err| io_error(err, "writing", temp))?;
        if position >= end {
            break;
        }
        resumes += 1;
        let err = broke.unwrap_or_else(|| {
            Error::new(
                ErrorKind::Network,
                "the answer ended before the range was complete",
            )
        });
        if resumes > RESUMES_PER_RANGE {
            return Err(err.context(format!(
                "the download of {} broke off at byte {position} of {end} and did not resume; \
                 nothing was saved",
                source.key
            )));
        }
        tracing::debug!(position, error = %err, "resuming the download");
    }
    Ok((start, hasher.map(|hasher| hasher.finish())))
}

/// The object's size and where the first answer's bytes end: a `206` must state a range
/// from byte 0 that its `Content-Length` agrees with, a `200` its length; either way at most
/// S3's largest object ([`MAX_OBJECT_SIZE`], 5 TiB), asked for `part` bytes at most.
fn first_extent(first: &Response, part: u64) -> Result<(u64, u64)> {
    let length = first.content_length();
    let (total, first_end) = if first.status().as_u16() == 206 {
        let raw = first.header("content-range");
        let range = raw.and_then(ContentRange::parse);
        let agrees = range.is_some_and(|r| {
            r.start == 0 && r.end < part && length.is_none_or(|len| len == r.len())
        });
        match range {
            Some(range) if agrees => (range.total, range.end + 1),
            _ => {
                return Err(forged(format!(
                    "asked for bytes 0-{}, the store answered 206 with Content-Range {} and \
                     Content-Length {}, which do not agree",
                    part - 1,
                    raw.unwrap_or("(none)"),
                    length.map_or("(none)".to_owned(), |len| len.to_string())
                )));
            }
        }
    } else {
        let total = length.ok_or_else(|| {
            Error::new(
                ErrorKind::Server,
                "the store's answer has no Content-Length; nothing was saved",
            )
        })?;
        (total, total)
    };
    if total > MAX_OBJECT_SIZE {
        return Err(forged(format!(
            "the store says the object has {total} bytes, more than S3's largest object (5 TiB)"
        )));
    }
    Ok((total, first_end))
}

/// Checks that the answer to a request for bytes `position..end` of an object of `total`
/// bytes is a `206` of a range that starts there, ends within it, is of the same object size,
/// and is as long as its `Content-Length`.
fn check_range(answer: &Response, position: u64, end: u64, total: u64, key: &str) -> Result<()> {
    let raw = answer.header("content-range");
    let fits = raw.and_then(ContentRange::parse).is_some_and(|range| {
        range.start == position
            && range.end < end
            && range.total == total
            && answer.content_length().is_none_or(|len| len == range.len())
    });
    if answer.status().as_u16() == 206 && fits {
        return Ok(());
    }
    Err(forged(format!(
        "asked for bytes {position}-{} of {key} ({total} bytes), the store answered {} {}",
        end - 1,
        answer.status().as_u16(),
        raw.unwrap_or("without a Content-Range")
    )))
}

/// A refusal of an answer that contradicts itself or what came before.
fn forged(what: String) -> Error {
    Error::new(ErrorKind::Server, format!("{what}: nothing was saved")).with_retryable(false)
}

/// `Content-Range: bytes START-END/TOTAL` of a partial answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ContentRange {
    start: u64,
    end: u64,
    total: u64,
}

impl ContentRange {
    /// Parses a satisfied range (`bytes */TOTAL` is not one), with `START <= END < TOTAL`.
    fn parse(text: &str) -> Option<ContentRange> {
        let (range, total) = text.trim().strip_prefix("bytes ")?.split_once('/')?;
        let (start, end) = range.split_once('-')?;
        // Digits only: `parse` would also take a sign.
        let number = |digits: &str| -> Option<u64> {
            let digits = digits.trim();
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            digits.parse().ok()
        };
        let range = ContentRange {
            start: number(start)?,
            end: number(end)?,
            total: number(total)?,
        };
        (range.start <= range.end && range.end < range.total).then_some(range)
    }

    /// How many bytes the range holds.
    fn len(&self) -> u64 {
        self.end - self.start + 1
    }
}

/// The object's MD5 when its ETag is one: a single-part object stored without SSE-KMS or
/// SSE-C (their ETags are not the MD5 of the content).
fn plain_md5_etag(headers: &HeaderMap) -> Option<String> {
    let etag = crate::wire::headers::text(headers, "etag")?
        .trim_matches('"')
        .to_ascii_lowercase();
    let encrypted_with_keys = crate::wire::headers::text(headers, "x-amz-server-side-encryption")
        .is_some_and(|sse| sse.starts_with("aws:kms"))
        || headers.contains_key("x-amz-server-side-encryption-customer-algorithm");
    (etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit()) && !encrypted_with_keys)
        .then_some(etag)
}

fn md5_of_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut md5 = Md5::new();
    let mut buf = vec![0u8; 1024 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex::encode(md5.finalize()));
        }
        md5.update(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        let range = |start, end, total| Some(ContentRange { start, end, total });
        assert_eq!(ContentRange::parse("bytes 0-99/5000"), range(0, 99, 5000));
        assert_eq!(ContentRange::parse("bytes 7-7/8"), range(7, 7, 8));
        assert_eq!(ContentRange::parse("bytes 0-99/5000").unwrap().len(), 100);
        for bad in [
            "bytes */5000",
            "bytes 0-99/*",
            "bytes 0-99/99",
            "bytes 5-4/10",
            "bytes -1-2/10",
            "bytes 0-1/+3",
            "bytes 0-1/99999999999999999999999",
            "items 0-1/10",
            "",
        ] {
            assert_eq!(ContentRange::parse(bad), None, "{bad}");
        }
    }

    fn digests(algorithm: ChecksumAlgorithm, pieces: &[&[u8]]) -> Vec<Digest> {
        pieces.iter().map(|piece| algorithm.digest(piece)).collect()
    }

    #[test]
    fn checks_of_range_digests() {
        let whole = b"the quick brown fox jumps over the lazy dog";
        let pieces: [&[u8]; 3] = [&whole[..10], &whole[10..20], &whole[20..]];
        let crc = ChecksumAlgorithm::Crc32c;
        let full = Checksum::full_object(&crc.digest(whole));
        // Full object: the ranges' CRCs combined.
        let check = Check::FullObject(full.clone());
        assert_eq!(
            check.verify("k", &digests(crc, &pieces)).unwrap(),
            Some(full.clone())
        );
        let mut damaged = digests(crc, &pieces);
        damaged[1] = crc.digest(b"the quick!");
        let err = check.verify("k", &damaged).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Network);
        assert!(err.is_retryable());
        // Composite: the parts' digests.
        let composite = Checksum::composite(crc, &digests(crc, &pieces)).unwrap();
        let check = Check::Composite {
            stored: composite.clone(),
            part_size: 10,
            or_full_object: false,
        };
        assert_eq!(check.range_size(5, 43), 10);
        assert_eq!(
            check.verify("k", &digests(crc, &pieces)).unwrap(),
            Some(composite)
        );
        assert!(check.verify("k", &damaged).is_err());
        // Type unstated: the full-object value read with the count is found as such.
        let unstated = Checksum::parse(crc, &format!("{}-3", full.to_base64())).unwrap();
        let check = Check::Composite {
            stored: unstated,
            part_size: 10,
            or_full_object: true,
        };
        assert_eq!(
            check.verify("k", &digests(crc, &pieces)).unwrap(),
            Some(full)
        );
        assert!(check.verify("k", &damaged).is_err());
        // A SHA does not combine: one range.
        let sha = Checksum::full_object(&ChecksumAlgorithm::Sha256.digest(whole));
        assert_eq!(Check::FullObject(sha).range_size(5, 43), 43);
        assert_eq!(Check::Unchecked.verify("k", &damaged).unwrap(), None);
    }

    #[test]
    fn etags() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "etag",
            "\"9B2CF535F27731C974343645A3985328\"".parse().unwrap(),
        );
        assert_eq!(
            plain_md5_etag(&headers).as_deref(),
            Some("9b2cf535f27731c974343645a3985328")
        );
        headers.insert("x-amz-server-side-encryption", "aws:kms".parse().unwrap());
        assert_eq!(plain_md5_etag(&headers), None);
        headers.insert(
            "etag",
            "\"9b2cf535f27731c974343645a3985328-3\"".parse().unwrap(),
        );
        headers.remove("x-amz-server-side-encryption");
        assert_eq!(plain_md5_etag(&headers), None);
    }
}

#[cfg(test)]
mod send_probe {
    use super::*;
    fn assert_send<T: Send>(_: T) {}
    #[allow(dead_code)]
    fn probe(client: &S3Client, source: &ObjectSource, options: &TransferOptions) {
        assert_send(fetch_to_path(client, source, Path::new("x"), options, None));
    }
}
