//! List Buckets: the buckets of the connection's account.

use connector_core::Effects;
use connector_core::framework::page::Page;
use connector_core::framework::types::ContinuationToken;
use connector_core::ops::buckets;
use connector_core::{Context, Module, ModuleKind, Result, async_trait, register_module};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which buckets to list.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListBucketsInput {
    /// Only buckets whose name starts with this.
    #[serde(default)]
    #[schemars(title = "Name prefix")]
    pub prefix: Option<String>,

    /// Also give each bucket's region (one extra request per bucket when S3 does not say it).
    #[serde(default)]
    #[schemars(title = "Include regions")]
    pub include_region: bool,

    /// Return at most this many buckets. Empty: all of them.
    #[serde(default)]
    #[schemars(title = "Limit", range(min = 1))]
    pub limit: Option<u64>,

    /// Continue a previous listing: its `next_continuation_token`.
    #[serde(default)]
    #[schemars(title = "Continuation token")]
    pub continuation_token: Option<ContinuationToken>,
}

/// One bucket.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BucketItem {
    /// The bucket's name.
    pub name: String,
    /// When it was created (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<String>,
    /// Its region (with `include_region`, or when S3 says it anyway).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// The buckets found.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ListBucketsOutput {
    /// The buckets, by name.
    pub buckets: Vec<BucketItem>,
    /// Where the listing stopped.
    #[serde(flatten)]
    pub page: Page,
}

/// Lists buckets.
pub struct ListBuckets;

#[async_trait]
impl Module for ListBuckets {
    type Input = ListBucketsInput;
    type Output = ListBucketsOutput;
    const NAME: &'static str = "list_buckets";
    const LABEL: &'static str = "List Buckets";
    const KIND: ModuleKind = ModuleKind::Search;
    const DESCRIPTION: &'static str = "Lists the buckets of the connection's AWS account, with \
        their creation dates and, if asked, their regions.";
    const EFFECTS: Effects = Effects::READS;

    async fn run(&self, ctx: &Context, input: ListBucketsInput) -> Result<ListBucketsOutput> {
        let client = ctx.client();
        let mut found = Vec::new();
        let mut pages = buckets::BucketPages::new(
            client,
            input.prefix.as_deref(),
            input.continuation_token.as_deref(),
        );
        let mut token = input.continuation_token.map(String::from);
        loop {
            let remaining = input
                .limit
                .map_or(1000, |l| l.saturating_sub(found.len() as u64));
            let Some(page) = pages.next(remaining.min(1000) as u32).await? else {
                break;
            };
            found.extend(page.buckets);
            token = page.continuation_token;
            if token.is_none() || input.limit.is_some_and(|limit| found.len() as u64 >= limit) {
                break;
            }
        }
        // Stores that ignore max-buckets may return more than asked: cut there, and say more
        // remain without a token that would skip them.
        let mut truncated = token.is_some();
        if let Some(limit) = input.limit
            && found.len() as u64 > limit
        {
            found.truncate(limit as usize);
            truncated = true;
            token = None;
        }
        let mut items = Vec::with_capacity(found.len());
        for bucket in found {
            let region = match (bucket.region, input.include_region) {
                (Some(region), _) => Some(region),
                (None, true) => Some(buckets::bucket_region(client, &bucket.name).await?),
                (None, false) => None,
            };
            items.push(BucketItem {
                name: bucket.name,
                creation_date: bucket.creation_date,
                region,
            });
        }
        Ok(ListBucketsOutput {
            buckets: items,
            page: Page {
                truncated,
                next_continuation_token: token,
            },
        })
    }
}

register_module!(ListBuckets);
