//! Buckets: listing the account's buckets, finding the region a bucket lives in, and creating
//! one.

use crate::error::{Error, ErrorKind, Result};
use crate::ops::listing::PageGuard;
use crate::wire::answer::XmlAnswer;
use crate::wire::body::Body;
use crate::wire::client::S3Client;
use crate::wire::endpoint::Target;
use crate::wire::request::Request;
use http::Method;
use serde::{Deserialize, Serialize};

/// One bucket of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketEntry {
    /// The bucket's name.
    pub name: String,
    /// When it was created (RFC 3339).
    pub creation_date: Option<String>,
    /// Its region, when S3 says it in the listing.
    pub region: Option<String>,
}

/// One page of buckets.
#[derive(Debug, Clone, Default)]
pub struct BucketPage {
    /// The buckets, by name.
    pub buckets: Vec<BucketEntry>,
    /// Where the next page starts; `None` on the last page.
    pub continuation_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListAllMyBucketsResult {
    #[serde(default)]
    buckets: Option<BucketsXml>,
    #[serde(default)]
    continuation_token: Option<String>,
}

impl XmlAnswer for ListAllMyBucketsResult {
    const ROOT: &'static str = "ListAllMyBucketsResult";
}

#[derive(Debug, Deserialize)]
struct BucketsXml {
    #[serde(default, rename = "Bucket")]
    bucket: Vec<BucketXml>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BucketXml {
    name: String,
    #[serde(default)]
    creation_date: Option<String>,
    #[serde(default)]
    bucket_region: Option<String>,
}

/// Lists one page of at most `max_buckets` (1 to 1,000) of the account's buckets
/// (ListBuckets), optionally only names starting with `prefix`.
pub async fn list_buckets(
    client: &S3Client,
    prefix: Option<&str>,
    continuation_token: Option<&str>,
    max_buckets: u32,
) -> Result<BucketPage> {
    let result: ListAllMyBucketsResult = client
        .request(Method::GET, Target::Service)
        .query("max-buckets", max_buckets.clamp(1, 1000).to_string())
        .query_opt("prefix", prefix)
        .query_opt("continuation-token", continuation_token)
        .send()
        .await?
        .xml()
        .await?;
    Ok(page_from(result, prefix))
}

/// The pages of the account's buckets, one at a time (`while let Some(page) =
/// pages.next(1000).await? {…}`). A store whose listing never ends is stopped with a `server`
/// error (see [`PageGuard`]).
pub struct BucketPages<'a> {
    client: &'a S3Client,
    prefix: Option<String>,
    continuation_token: Option<String>,
    done: bool,
    guard: PageGuard,
}

impl<'a> BucketPages<'a> {
    /// The pages of the buckets whose names start with `prefix` (all when `None`), from
    /// `continuation_token` when resuming a listing.
    pub fn new(
        client: &'a S3Client,
        prefix: Option<&str>,
        continuation_token: Option<&str>,
    ) -> Self {
        BucketPages {
            client,
            prefix: prefix.map(str::to_owned),
            continuation_token: continuation_token.map(str::to_owned),
            done: false,
            guard: PageGuard::new("continuation token", continuation_token.map(|t| [t])),
        }
    }

    /// Reads at most `max_pages` pages (instead of
    /// [`DEFAULT_MAX_PAGES`](crate::ops::listing::DEFAULT_MAX_PAGES)).
    pub fn max_pages(mut self, max_pages: u64) -> Self {
        self.guard = self.guard.max_pages(max_pages);
        self
    }

    /// The next page of at most `max_buckets` (1 to 1,000) buckets, or `None` after the last.
    pub async fn next(&mut self, max_buckets: u32) -> Result<Option<BucketPage>> {
        if self.done {
            return Ok(None);
        }
        // After an error nothing moves on: asking again fails again, never reads as the end.
        let page = list_buckets(
            self.client,
            self.prefix.as_deref(),
            self.continuation_token.as_deref(),
            max_buckets,
        )
        .await?;
        let next = page.continuation_token.as_deref();
        self.guard
            .next_page(page.buckets.len(), next.map(|token| [token]))?;
        self.continuation_token = page.continuation_token.clone();
        self.done = self.continuation_token.is_none();
        Ok(Some(page))
    }
}

fn page_from(result: ListAllMyBucketsResult, prefix: Option<&str>) -> BucketPage {
    let buckets = result
        .buckets
        .map(|b| b.bucket)
        .unwrap_or_default()
        .into_iter()
        // Stores that ignore `prefix` still get it applied.
        .filter(|b| prefix.is_none_or(|p| b.name.starts_with(p)))
        .map(|b| BucketEntry {
            name: b.name,
            creation_date: b.creation_date,
            region: b.bucket_region,
        })
        .collect();
    BucketPage {
        buckets,
        continuation_token: result.continuation_token.filter(|t| !t.is_empty()),
    }
}

#[derive(Debug, Deserialize)]
struct LocationConstraint {
    #[serde(rename = "$text", default)]
    region: Option<String>,
}

impl XmlAnswer for LocationConstraint {
    const ROOT: &'static str = "LocationConstraint";
}

/// The region `bucket` lives in: from `HEAD` (S3 names it in `x-amz-bucket-region`, even
/// when it answers 301 or 403), else from GetBucketLocation.
pub async fn bucket_region(client: &S3Client, bucket: &str) -> Result<String> {
    let head = client
        .request(Method::HEAD, Target::bucket(bucket))
        .send_any()
        .await?;
    if let Some(region) = head.header("x-amz-bucket-region") {
        return Ok(region.to_owned());
    }
    if head.status() == http::StatusCode::NOT_FOUND {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!("NoSuchBucket: there is no bucket called {bucket:?}"),
        )
        .with_status(404));
    }
    let location: LocationConstraint = client
        .request(Method::GET, Target::bucket(bucket))
        .query("location", "")
        .send()
        .await?
        .xml()
        .await?;
    Ok(normalize_location(location.region.as_deref()))
}

/// GetBucketLocation's answer as a region: empty means us-east-1, `EU` the old name of eu-west-1.
fn normalize_location(location: Option<&str>) -> String {
    match location.map(str::trim) {
        None | Some("") => "us-east-1".to_owned(),
        Some("EU") => "eu-west-1".to_owned(),
        Some(region) => region.to_owned(),
    }
}

/// The `CreateBucketConfiguration` document: where the bucket is made.
#[derive(Serialize)]
struct CreateBucketConfiguration<'a> {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "LocationConstraint")]
    location_constraint: &'a str,
}

/// The CreateBucket request of `bucket` in `region`, sent to that region. In us-east-1 it has
/// no body (S3's default location, which it refuses as an explicit constraint); elsewhere a
/// `CreateBucketConfiguration` naming the region, with a `Content-MD5`.
pub fn create_bucket_request(bucket: &str, region: &str) -> Result<Request> {
    let request = Request::new(Method::PUT, Target::bucket(bucket)).in_region(region);
    if region == "us-east-1" {
        return Ok(request);
    }
    let xml = crate::wire::xml::to_string(
        "CreateBucketConfiguration",
        &CreateBucketConfiguration {
            xmlns: "http://s3.amazonaws.com/doc/2006-03-01/",
            location_constraint: region,
        },
    )?;
    Ok(request.body(Body::from_bytes(xml)).with_content_md5())
}

/// Creates `bucket` in `region`; returns the bucket's location as S3 answers it (`Location`),
/// if it does. A bucket the caller already owns is a `conflict` that says so.
pub async fn create_bucket(
    client: &S3Client,
    bucket: &str,
    region: &str,
) -> Result<Option<String>> {
    let response = client
        .send(create_bucket_request(bucket, region)?)
        .await
        .map_err(|err| match err.code() {
            Some("BucketAlreadyOwnedByYou") => {
                err.context(format!("you already own a bucket called {bucket:?}"))
            }
            _ => err,
        })?;
    Ok(response.header("location").map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testing::url;

    #[test]
    fn create_bucket_names_its_region_outside_us_east_1() {
        let request = create_bucket_request("new-bucket", "eu-west-1").unwrap();
        assert_eq!(request.method(), Method::PUT);
        assert_eq!(url(&request), "http://127.0.0.1:9000/new-bucket");
        assert_eq!(request.region(), Some("eu-west-1"));
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
                   <CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                   <LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>";
        assert_eq!(request.body_ref().bytes().unwrap().as_ref(), xml.as_bytes());
        assert_eq!(
            request.header_value("content-md5"),
            Some(Body::from_bytes(xml).content_md5().as_str())
        );
        let request = create_bucket_request("new-bucket", "us-east-1").unwrap();
        assert!(request.body_ref().is_empty());
        assert_eq!(request.header_value("content-md5"), None);
        assert_eq!(request.region(), Some("us-east-1"));
    }

    #[test]
    fn parses_bucket_listings() {
        let xml = r#"<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
<Owner><ID>abc</ID></Owner><Buckets>
<Bucket><Name>a-bucket</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate><BucketRegion>eu-west-1</BucketRegion></Bucket>
<Bucket><Name>b-bucket</Name><CreationDate>2026-01-02T00:00:00.000Z</CreationDate></Bucket>
</Buckets><ContinuationToken>next</ContinuationToken></ListAllMyBucketsResult>"#;
        let page = page_from(crate::wire::answer::parse(xml).unwrap(), None);
        assert_eq!(page.buckets.len(), 2);
        assert_eq!(page.buckets[0].region.as_deref(), Some("eu-west-1"));
        assert_eq!(page.continuation_token.as_deref(), Some("next"));
        let filtered = page_from(crate::wire::answer::parse(xml).unwrap(), Some("b-"));
        assert_eq!(filtered.buckets.len(), 1);
        let empty = page_from(
            crate::wire::answer::parse(
                "<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>",
            )
            .unwrap(),
            None,
        );
        assert!(empty.buckets.is_empty() && empty.continuation_token.is_none());
    }

    #[test]
    fn locations() {
        let parse = |xml: &str| {
            let l: LocationConstraint = crate::wire::answer::parse(xml).unwrap();
            normalize_location(l.region.as_deref())
        };
        assert_eq!(parse(r#"<LocationConstraint xmlns="x"/>"#), "us-east-1");
        assert_eq!(
            parse("<LocationConstraint>EU</LocationConstraint>"),
            "eu-west-1"
        );
        assert_eq!(
            parse("<LocationConstraint>ap-south-1</LocationConstraint>"),
            "ap-south-1"
        );
    }
}
