//! Get Bucket Region: the AWS region a bucket lives in.

use connector_core::Effects;
use connector_core::framework::types::BucketName;
use connector_core::ops::buckets;
use connector_core::{Context, Module, ModuleKind, Result, async_trait, register_module};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The bucket to locate.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetBucketRegionInput {
    /// The bucket.
    #[schemars(title = "Bucket", extend("x-options" = {"provider": "buckets"}))]
    pub bucket: BucketName,
}

/// Where the bucket is.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GetBucketRegionOutput {
    /// The bucket.
    pub bucket: String,
    /// Its region, e.g. `eu-west-1`.
    pub region: String,
}

/// Finds a bucket's region.
pub struct GetBucketRegion;

#[async_trait]
impl Module for GetBucketRegion {
    type Input = GetBucketRegionInput;
    type Output = GetBucketRegionOutput;
    const NAME: &'static str = "get_bucket_region";
    const LABEL: &'static str = "Get Bucket Region";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Finds the AWS region a bucket lives in, whatever the \
        connection's region.";
    const EFFECTS: Effects = Effects::READS;

    async fn run(
        &self,
        ctx: &Context,
        input: GetBucketRegionInput,
    ) -> Result<GetBucketRegionOutput> {
        let region = buckets::bucket_region(ctx.client(), &input.bucket).await?;
        Ok(GetBucketRegionOutput {
            bucket: input.bucket.into(),
            region,
        })
    }
}

register_module!(GetBucketRegion);
