//! ListObjectsV2: one page of keys and common prefixes, typed, with keys URL-decoded.
//!
//! Listings ask for `encoding-type=url` so keys with characters XML cannot carry (control
//! characters) still list exactly; keys are decoded when S3 says it encoded them.

use crate::error::{Error, ErrorKind, Result};
use crate::wire::answer::XmlAnswer;
use crate::wire::client::S3Client;
use crate::wire::encode::decode_listing_key;
use crate::wire::endpoint::Target;
use crate::wire::headers::unquote_etag;
use crate::wire::request::Request;
use http::Method;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// The most keys S3 returns in one page.
pub const MAX_KEYS_PER_PAGE: u32 = 1000;

/// The most pages one listing reads unless the code that starts it sets another cap (100
/// million keys at 1,000 a page).
pub const DEFAULT_MAX_PAGES: u64 = 100_000;

/// The most empty pages in a row (a cursor and nothing else) a listing goes on after.
pub const MAX_EMPTY_PAGES_IN_A_ROW: u64 = 100;

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    /// Only keys starting with this.
    pub prefix: String,
    /// Group keys by this (usually `/`) into common prefixes.
    pub delimiter: Option<String>,
    /// At most this many keys and prefixes together (1 to 1,000).
    pub max_keys: u32,
    /// Where the previous page stopped.
    pub continuation_token: Option<String>,
    /// Only keys after this one (ignored by S3 when a continuation token is given).
    pub start_after: Option<String>,
}

/// One object in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    /// The full key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// ETag without quotes.
    pub etag: Option<String>,
    /// Last modified, RFC 3339.
    pub last_modified: Option<String>,
    /// Storage class (`STANDARD`, …).
    pub storage_class: Option<String>,
}

/// One page of a listing.
#[derive(Debug, Clone, Default)]
pub struct ListPage {
    /// Objects, in key order.
    pub objects: Vec<ListedObject>,
    /// Common prefixes (folders) when a delimiter was given, each ending with the delimiter.
    pub common_prefixes: Vec<String>,
    /// Pass this to get the next page; `None` on the last page.
    pub next_continuation_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListBucketResult {
    #[serde(default)]
    contents: Vec<Contents>,
    #[serde(default)]
    common_prefixes: Vec<CommonPrefix>,
    #[serde(default)]
    is_truncated: Option<bool>,
    #[serde(default)]
    next_continuation_token: Option<String>,
    #[serde(default)]
    encoding_type: Option<String>,
}

impl XmlAnswer for ListBucketResult {
    const ROOT: &'static str = "ListBucketResult";
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Contents {
    key: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default, rename = "ETag")]
    etag: Option<String>,
    #[serde(default)]
    last_modified: Option<String>,
    #[serde(default)]
    storage_class: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CommonPrefix {
    prefix: String,
}

/// Items gathered over one or more pages.
#[derive(Debug, Clone)]
pub struct Collected<T> {
    /// The items, in listing order.
    pub items: Vec<T>,
    /// Where to continue, when more remain.
    pub next_continuation_token: Option<String>,
}

/// Pages through a listing of `bucket` from `request`, turning each page into items with
/// `take`, until the listing ends or `limit` items are gathered. Page sizes never exceed what
/// is still wanted, so a limit never cuts a page and the returned token resumes exactly after
/// the last item returned. A store whose listing never ends is stopped (see [`PageGuard`]).
pub async fn collect<T>(
    client: &S3Client,
    bucket: &str,
    request: ListRequest,
    limit: Option<u64>,
    mut take: impl FnMut(ListPage) -> Vec<T>,
) -> Result<Collected<T>> {
    let mut pages = Pages::new(client, bucket, request);
    let mut items = Vec::new();
    loop {
        let remaining = limit.map(|limit| limit.saturating_sub(items.len() as u64));
        pages.request.max_keys = remaining.map_or(MAX_KEYS_PER_PAGE, |r| {
            r.min(u64::from(MAX_KEYS_PER_PAGE)) as u32
        });
        let Some(page) = pages.next().await? else {
            return Ok(Collected {
                items,
                next_continuation_token: None,
            });
        };
        let next_continuation_token = page.next_continuation_token.clone();
        items.extend(take(page));
        let full = limit.is_some_and(|limit| items.len() as u64 >= limit);
        if next_continuation_token.is_none() || full {
            return Ok(Collected {
                items,
                next_continuation_token,
            });
        }
    }
}

/// The pages of a listing, one at a time (`while let Some(page) = pages.next().await? {…}`),
/// for work done page by page in bounded memory. A store whose listing never ends is
/// stopped with a `server` error (see [`PageGuard`]).
pub struct Pages<'a> {
    client: &'a S3Client,
    bucket: &'a str,
    request: ListRequest,
    done: bool,
    guard: PageGuard,
}

impl<'a> Pages<'a> {
    /// The pages of `bucket` for `request` (from its continuation token or start key, if any),
    /// at most [`DEFAULT_MAX_PAGES`] of them.
    pub fn new(client: &'a S3Client, bucket: &'a str, request: ListRequest) -> Self {
        let guard = PageGuard::new(
            "continuation token",
            request.continuation_token.as_deref().map(|token| [token]),
        );
        Pages {
            client,
            bucket,
            request,
            done: false,
            guard,
        }
    }

    /// The pages of every key under `prefix`, 1,000 at a time.
    pub fn under(client: &'a S3Client, bucket: &'a str, prefix: &str) -> Self {
        let request = ListRequest {
            prefix: prefix.to_owned(),
            max_keys: MAX_KEYS_PER_PAGE,
            ..ListRequest::default()
        };
        Self::new(client, bucket, request)
    }

    /// Reads at most `max_pages` pages (instead of [`DEFAULT_MAX_PAGES`]); asking for more is
    /// a `server` error.
    pub fn max_pages(mut self, max_pages: u64) -> Self {
        self.guard = self.guard.max_pages(max_pages);
        self
    }

    /// The next page, or `None` after the last.
    pub async fn next(&mut self) -> Result<Option<ListPage>> {
        if self.done {
            return Ok(None);
        }
        // After an error nothing moves on: asking again fails again, never reads as the end.
        let page = list_objects_v2(self.client, self.bucket, &self.request).await?;
        let next = page.next_continuation_token.as_deref();
        let items = page.objects.len() + page.common_prefixes.len();
        self.guard.next_page(items, next.map(|token| [token]))?;
        match next {
            Some(token) => {
                self.request.continuation_token = Some(token.to_owned());
                self.request.start_after = None;
            }
            None => self.done = true,
        }
        Ok(Some(page))
    }
}

/// Keeps a paged listing from running without end when a store never ends it. Each page's
/// cursor for the next page (a continuation token, or key and version or upload markers) is
/// told to the guard, which stops the listing with a `server` error when a cursor comes back
/// that this listing already used (the same page again, or a cycle), or when the listing
/// reaches its cap on pages ([`DEFAULT_MAX_PAGES`] unless set). Every pager of the connector
/// (objects, buckets, versions, multipart uploads) goes through one.
///
/// `N` is how many parts a cursor has: 1 for a token, 2 for a pair of markers.
#[derive(Debug)]
pub struct PageGuard<const N: usize = 1> {
    /// What the cursor is called, for messages ("continuation token").
    cursor: &'static str,
    max_pages: u64,
    pages: u64,
    /// Pages in a row that had nothing in them but a cursor to the next.
    empty_in_a_row: u64,
    /// Digests of the cursors used so far (32 bytes each, whatever a token's length).
    used: HashSet<[u8; 32]>,
}

impl<const N: usize> PageGuard<N> {
    /// A guard for a listing whose cursor is called `cursor` in messages, and whose first
    /// request starts from `start` (when it resumes a listing).
    pub fn new(cursor: &'static str, start: Option<[&str; N]>) -> Self {
        PageGuard {
            cursor,
            max_pages: DEFAULT_MAX_PAGES,
            pages: 0,
            empty_in_a_row: 0,
            used: start.iter().map(|parts| digest(parts)).collect(),
        }
    }

    /// Caps the listing at `max_pages` pages (at least one).
    pub fn max_pages(mut self, max_pages: u64) -> Self {
        self.max_pages = max_pages.max(1);
        self
    }

    /// Counts a page just read, with `items` in it, whose cursor for the next page is `next`
    /// (`None` on the last page). Errs when the listing must stop: `next` was already used,
    /// too many pages in a row were empty, or the cap is reached.
    pub fn next_page(&mut self, items: usize, next: Option<[&str; N]>) -> Result<()> {
        self.pages += 1;
        let Some(parts) = next else {
            return Ok(());
        };
        // Amazon S3 may send a few empty pages where delete markers hide every key; a store
        // that sends nothing but new cursors is stopped long before the cap.
        self.empty_in_a_row = if items == 0 {
            self.empty_in_a_row + 1
        } else {
            0
        };
        if self.empty_in_a_row > MAX_EMPTY_PAGES_IN_A_ROW {
            return Err(server_fault(format!(
                "the store sent {} empty pages in a row, each with a new {}: its listing would \
                 not end, so it was stopped (the store is at fault, not the request)",
                self.empty_in_a_row, self.cursor
            )));
        }
        if !self.used.insert(digest(&parts)) {
            return Err(server_fault(format!(
                "the store sent the {} {} again after {} pages: its listing would never end, so \
                 it was stopped (the store is at fault, not the request)",
                self.cursor,
                shown(&parts),
                self.pages
            )));
        }
        if self.pages >= self.max_pages {
            return Err(server_fault(format!(
                "the listing did not end after {} pages, the most one listing reads here, so it \
                 was stopped (a store whose listing never ends is at fault; a larger listing \
                 needs a higher cap where it is started)",
                self.max_pages
            )));
        }
        Ok(())
    }
}

/// The error for a truncated page that gives no `cursor` to go on from: the listing is
/// stopped rather than returned incomplete as if it were whole.
pub fn truncated_without(cursor: &str) -> Error {
    server_fault(format!(
        "the store said its listing goes on (IsTruncated) but sent no {cursor} to go on from; \
         it was stopped rather than returned incomplete"
    ))
}

fn server_fault(message: String) -> Error {
    Error::new(ErrorKind::Server, message).with_retryable(false)
}

/// A cursor's digest: its parts, each with its length, so no two cursors share one.
fn digest(parts: &[&str]) -> [u8; 32] {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize().into()
}

/// A cursor as a message shows it (long tokens cut).
fn shown(parts: &[&str]) -> String {
    let text = parts.join(" / ");
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{:?}…", &text[..cut]),
        None => format!("{text:?}"),
    }
}

/// Lists one page of `bucket`.
pub async fn list_objects_v2(
    client: &S3Client,
    bucket: &str,
    request: &ListRequest,
) -> Result<ListPage> {
    let result: ListBucketResult = client
        .send(list_objects_v2_request(bucket, request))
        .await?
        .xml()
        .await?;
    page_from(result)
}

/// The ListObjectsV2 request for one page of `bucket` (keys URL-encoded in the answer, so
/// that any key survives XML).
pub fn list_objects_v2_request(bucket: &str, request: &ListRequest) -> Request {
    let max_keys = request.max_keys.clamp(1, MAX_KEYS_PER_PAGE).to_string();
    Request::new(Method::GET, Target::bucket(bucket))
        .query("list-type", "2")
        .query("encoding-type", "url")
        .query("max-keys", max_keys)
        .query("prefix", request.prefix.as_str())
        .query_opt("delimiter", request.delimiter.as_deref())
        .query_opt("continuation-token", request.continuation_token.as_deref())
        .query_opt("start-after", request.start_after.as_deref())
}

/// Reads a ListObjectsV2 answer body into a page (keys decoded, ETags unquoted).
pub fn parse_page(text: &str) -> Result<ListPage> {
    crate::wire::answer::parse(text).and_then(page_from)
}

/// The page an answer stands for; a truncated answer without a token to go on from is an
/// error.
fn page_from(result: ListBucketResult) -> Result<ListPage> {
    let encoded = result
        .encoding_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("url"));
    let decode = |text: String| {
        if encoded {
            decode_listing_key(&text)
        } else {
            text
        }
    };
    let truncated = result.is_truncated.unwrap_or(false);
    let next_continuation_token = result.next_continuation_token.filter(|t| !t.is_empty());
    if truncated && next_continuation_token.is_none() {
        return Err(truncated_without("NextContinuationToken"));
    }
    Ok(ListPage {
        objects: result
            .contents
            .into_iter()
            .map(|c| ListedObject {
                key: decode(c.key),
                size: c.size.unwrap_or(0),
                etag: c.etag.as_deref().map(unquote_etag),
                last_modified: c.last_modified,
                storage_class: c.storage_class,
            })
            .collect(),
        common_prefixes: result
            .common_prefixes
            .into_iter()
            .map(|p| decode(p.prefix))
            .collect(),
        next_continuation_token: next_continuation_token.filter(|_| truncated),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_encoded_page() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
<Name>b</Name><Prefix>a%2F</Prefix><KeyCount>3</KeyCount><MaxKeys>2</MaxKeys>
<Delimiter>%2F</Delimiter><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>
<NextContinuationToken>tok</NextContinuationToken>
<Contents><Key>a/x+y%2Bz</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>
<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>6</Size><StorageClass>STANDARD</StorageClass></Contents>
<CommonPrefixes><Prefix>a/sub%20dir/</Prefix></CommonPrefixes>
</ListBucketResult>"#;
        let page = parse_page(xml).unwrap();
        assert_eq!(page.objects.len(), 1);
        let o = &page.objects[0];
        assert_eq!(o.key, "a/x y+z");
        assert_eq!(o.size, 6);
        assert_eq!(o.etag.as_deref(), Some("9b2cf535f27731c974343645a3985328"));
        assert_eq!(o.storage_class.as_deref(), Some("STANDARD"));
        assert_eq!(page.common_prefixes, vec!["a/sub dir/"]);
        assert_eq!(page.next_continuation_token.as_deref(), Some("tok"));
    }

    #[test]
    fn an_empty_page() {
        let xml =
            "<ListBucketResult><Name>b</Name><IsTruncated>false</IsTruncated></ListBucketResult>";
        let page = parse_page(xml).unwrap();
        assert!(page.objects.is_empty() && page.common_prefixes.is_empty());
        assert!(page.next_continuation_token.is_none());
    }

    #[test]
    fn a_truncated_page_needs_a_token() {
        for xml in [
            "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
            "<ListBucketResult><IsTruncated>true</IsTruncated>\
             <NextContinuationToken></NextContinuationToken></ListBucketResult>",
        ] {
            let err = parse_page(xml).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Server);
            assert!(
                err.message().contains("NextContinuationToken"),
                "{}",
                err.message()
            );
        }
    }

    #[test]
    fn the_guard_stops_repeats_cycles_and_endless_listings() {
        let mut guard = PageGuard::new("continuation token", Some(["start"]));
        guard.next_page(1, Some(["a"])).unwrap();
        let err = guard.next_page(1, Some(["start"])).unwrap_err();
        assert!(
            err.message().contains("\"start\" again after 2 pages"),
            "{}",
            err.message()
        );
        assert!(!err.is_retryable());

        let mut guard = PageGuard::<2>::new("key marker", None);
        guard.next_page(1, Some(["k", "v1"])).unwrap();
        guard.next_page(1, Some(["k", "v2"])).unwrap();
        guard.next_page(1, Some(["k2", "v1"])).unwrap();
        assert!(guard.next_page(1, Some(["k", "v2"])).is_err());
        // Parts do not run into each other.
        let mut guard = PageGuard::<2>::new("key marker", None);
        guard.next_page(1, Some(["ab", "c"])).unwrap();
        guard.next_page(1, Some(["a", "bc"])).unwrap();
        guard.next_page(1, None).unwrap();

        let mut guard = PageGuard::<1>::new("continuation token", None).max_pages(3);
        guard.next_page(1, Some(["1"])).unwrap();
        guard.next_page(1, Some(["2"])).unwrap();
        let err = guard.next_page(1, Some(["3"])).unwrap_err();
        assert!(err.message().contains("3 pages"), "{}", err.message());
        // The last page is always taken.
        let mut guard = PageGuard::<1>::new("continuation token", None).max_pages(1);
        guard.next_page(1, None).unwrap();
    }
}
