//! ListObjectsV2: one page of keys and common prefixes, typed, with keys URL-decoded.
//!
//! Listings ask for `encoding-type=url` so keys with characters XML cannot carry (control
//! characters) still list exactly; keys are decoded when S3 says it encoded them.

use crate::client::S3Client;
use crate::encode::decode_listing_key;
use crate::endpoint::Target;
use crate::error::Result;
use http::Method;
use serde::Deserialize;

/// The most keys S3 returns in one page.
pub const MAX_KEYS_PER_PAGE: u32 = 1000;

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
/// the last item returned.
pub async fn collect<T>(
    client: &S3Client,
    bucket: &str,
    mut request: ListRequest,
    limit: Option<u64>,
    mut take: impl FnMut(ListPage) -> Vec<T>,
) -> Result<Collected<T>> {
    let mut items = Vec::new();
    loop {
        let remaining = limit.map(|limit| limit.saturating_sub(items.len() as u64));
        request.max_keys = remaining.map_or(MAX_KEYS_PER_PAGE, |r| {
            r.min(u64::from(MAX_KEYS_PER_PAGE)) as u32
        });
        let page = list_objects_v2(client, bucket, &request).await?;
        request.continuation_token = page.next_continuation_token.clone();
        items.extend(take(page));
        let full = limit.is_some_and(|limit| items.len() as u64 >= limit);
        if request.continuation_token.is_none() || full {
            return Ok(Collected {
                items,
                next_continuation_token: request.continuation_token,
            });
        }
    }
}

/// The pages of a listing, one at a time (`while let Some(page) = pages.next().await? {…}`),
/// for work done page by page in bounded memory.
pub struct Pages<'a> {
    client: &'a S3Client,
    bucket: &'a str,
    request: ListRequest,
    done: bool,
}

impl<'a> Pages<'a> {
    /// The pages of `bucket` for `request` (from its continuation token or start key, if any).
    pub fn new(client: &'a S3Client, bucket: &'a str, request: ListRequest) -> Self {
        Pages {
            client,
            bucket,
            request,
            done: false,
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

    /// The next page, or `None` after the last.
    pub async fn next(&mut self) -> Result<Option<ListPage>> {
        if self.done {
            return Ok(None);
        }
        let page = list_objects_v2(self.client, self.bucket, &self.request).await?;
        match &page.next_continuation_token {
            Some(token) => {
                self.request.continuation_token = Some(token.clone());
                self.request.start_after = None;
            }
            None => self.done = true,
        }
        Ok(Some(page))
    }
}

/// Strips the quotes S3 puts around ETags.
pub fn unquote_etag(etag: &str) -> String {
    etag.trim_matches('"').to_owned()
}

/// Lists one page of `bucket`.
pub async fn list_objects_v2(
    client: &S3Client,
    bucket: &str,
    request: &ListRequest,
) -> Result<ListPage> {
    let max_keys = request.max_keys.clamp(1, MAX_KEYS_PER_PAGE).to_string();
    let result: ListBucketResult = client
        .request(Method::GET, Target::bucket(bucket))
        .query("list-type", "2")
        .query("encoding-type", "url")
        .query("max-keys", max_keys)
        .query("prefix", request.prefix.as_str())
        .query_opt("delimiter", request.delimiter.as_deref())
        .query_opt("continuation-token", request.continuation_token.as_deref())
        .query_opt("start-after", request.start_after.as_deref())
        .send()
        .await?
        .xml()
        .await?;
    Ok(page_from(result))
}

/// Reads a ListObjectsV2 answer body into a page (keys decoded, ETags unquoted).
pub fn parse_page(text: &str) -> Result<ListPage> {
    crate::xml::parse(text).map(page_from)
}

fn page_from(result: ListBucketResult) -> ListPage {
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
    ListPage {
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
        next_continuation_token: result.next_continuation_token.filter(|_| truncated),
    }
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
        let page = page_from(crate::xml::parse(xml).unwrap());
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
        let page = page_from(crate::xml::parse(xml).unwrap());
        assert!(page.objects.is_empty() && page.common_prefixes.is_empty());
        assert!(page.next_continuation_token.is_none());
    }
}
