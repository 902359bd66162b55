//! Downloads to a file, fast and never lossy. Large objects come as parallel ranged GETs
//! written in place; every range after the first carries `If-Match` with the object's ETag, so
//! an object replaced mid-download is detected; a range that breaks off resumes from the byte
//! it reached. The size (and, for a single-part object whose ETag is its MD5, the MD5) is
//! verified before the temporary file is renamed into place.

use crate::client::S3Client;
use crate::download::{io_error, put_in_place, temp_file_beside};
use crate::endpoint::Target;
use crate::error::{Error, ErrorKind, Result};
use crate::response::Response;
use crate::transfer::{Progress, TransferOptions};
use futures_util::{StreamExt, TryStreamExt};
use http::{HeaderMap, Method};
use md5::{Digest, Md5};
use std::io::{Read, SeekFrom};
use std::path::Path;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

/// The write buffer of each range in flight.
const WRITE_BUFFER: usize = 1024 * 1024;

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
    let total = match first.status().as_u16() {
        206 => total_of(first.header("content-range")).ok_or_else(|| {
            Error::new(
                ErrorKind::Server,
                "a partial answer without a usable Content-Range",
            )
        })?,
        _ => first.content_length().ok_or_else(|| {
            Error::new(
                ErrorKind::Server,
                "the store's answer has no Content-Length; nothing was saved",
            )
        })?,
    };
    if let Some(progress) = progress {
        progress.start(&source.key, Some(total));
    }
    let file = tokio::fs::OpenOptions::new().write(true).open(temp).await?;
    file.set_len(total).await?;
    drop(file);
    let first_end = first.content_length().map_or(total, |len| len.min(total));
    let mut ranges = vec![(0, first_end, Some(first))];
    let mut start = first_end;
    while start < total {
        let end = (start + part).min(total);
        ranges.push((start, end, None));
        start = end;
    }
    futures_util::stream::iter(ranges)
        .map(|(start, end, response)| {
            fetch_range(
                client,
                source,
                etag.as_deref(),
                temp,
                start,
                end,
                response,
                progress,
            )
        })
        .buffer_unordered(options.concurrency.max(1))
        .try_collect::<Vec<()>>()
        .await?;

    let file = tokio::fs::OpenOptions::new().write(true).open(temp).await?;
    file.sync_all().await?;
    if let Some(expected) = plain_md5_etag(&headers) {
        let path = temp.to_owned();
        let actual = tokio::task::spawn_blocking(move || md5_of_file(&path))
            .await
            .map_err(|err| {
                Error::new(ErrorKind::Server, format!("hashing task failed: {err}"))
            })??;
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
    }
    Ok(Fetched {
        size: total,
        headers,
    })
}

/// GET of the object, or of bytes `start..=end`, with `If-Match` when an ETag is known.
async fn get(
    client: &S3Client,
    source: &ObjectSource,
    range: Option<(u64, u64)>,
    etag: Option<&str>,
) -> Result<Response> {
    client
        .request(Method::GET, Target::object(&source.bucket, &source.key))
        .query_opt("versionId", source.version_id.as_deref())
        .header_opt(
            "range",
            range.map(|(start, end)| format!("bytes={start}-{end}")),
        )
        .header_opt("if-match", etag)
        .send()
        .await
        .map_err(|err| match err.code() {
            Some("PreconditionFailed") => err.context(format!(
                "{} changed while it was being downloaded; nothing was saved",
                source.key
            )),
            _ => crate::s3_error::name_missing_object(err, &source.bucket, &source.key),
        })
}

/// Writes bytes `start..end` of the object at their place in `temp`, from `response` if given,
/// resuming from the byte reached when the transfer breaks off.
#[allow(clippy::too_many_arguments)]
async fn fetch_range(
    client: &S3Client,
    source: &ObjectSource,
    etag: Option<&str>,
    temp: &Path,
    start: u64,
    end: u64,
    response: Option<Response>,
    progress: Option<&dyn Progress>,
) -> Result<()> {
    let mut file = tokio::fs::OpenOptions::new().write(true).open(temp).await?;
    let mut position = start;
    let mut response = response;
    let mut resumes = 0;
    while position < end {
        let current = match response.take() {
            Some(response) => response,
            None => {
                let answer = get(client, source, Some((position, end - 1)), etag).await?;
                let starts_here = answer
                    .header("content-range")
                    .is_some_and(|range| range.starts_with(&format!("bytes {position}-")));
                if answer.status().as_u16() != 206 || !starts_here {
                    return Err(Error::new(
                        ErrorKind::Server,
                        format!(
                            "asked for bytes {position}-{} of {}, the store answered {} {}: nothing was saved",
                            end - 1,
                            source.key,
                            answer.status().as_u16(),
                            answer
                                .header("content-range")
                                .unwrap_or("without a Content-Range")
                        ),
                    ));
                }
                answer
            }
        };
        file.seek(SeekFrom::Start(position)).await?;
        // Written in large blocks: one write per network chunk costs a syscall each.
        let mut writer = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, &mut file);
        let mut stream = std::pin::pin!(current.into_stream());
        let mut broke = None;
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(chunk) => {
                    let room = (end - position) as usize;
                    let chunk = &chunk[..chunk.len().min(room)];
                    writer
                        .write_all(chunk)
                        .await
                        .map_err(|err| io_error(err, "writing", temp))?;
                    position += chunk.len() as u64;
                    if let Some(progress) = progress {
                        progress.advance(chunk.len() as u64);
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
        drop(writer);
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
    file.flush().await?;
    Ok(())
}

/// The total of `bytes START-END/TOTAL`.
fn total_of(content_range: Option<&str>) -> Option<u64> {
    content_range?.rsplit_once('/')?.1.trim().parse().ok()
}

/// The object's MD5 when its ETag is one: a single-part object stored without SSE-KMS or
/// SSE-C (their ETags are not the MD5 of the content).
fn plain_md5_etag(headers: &HeaderMap) -> Option<String> {
    let etag = crate::headers::text(headers, "etag")?
        .trim_matches('"')
        .to_ascii_lowercase();
    let encrypted_with_keys = crate::headers::text(headers, "x-amz-server-side-encryption")
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
    fn ranges_and_etags() {
        assert_eq!(total_of(Some("bytes 0-99/5000")), Some(5000));
        assert_eq!(total_of(Some("bytes */5000")), Some(5000));
        assert_eq!(total_of(None), None);
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
