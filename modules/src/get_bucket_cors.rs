//! Get Bucket CORS: a bucket's CORS rules (GetBucketCors), or that it has none.

use crate::get_bucket_policy::BucketConfigInput;
use crate::put_bucket_cors::{CorsRule, from_stored};
use connector_core::Effects;
use connector_core::ops::cors;
use connector_core::{Context, Module, ModuleKind, Result, async_trait, register_module};
use schemars::JsonSchema;
use serde::Serialize;

/// The bucket's CORS configuration.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GetBucketCorsOutput {
    /// The bucket.
    pub bucket: String,
    /// Whether the bucket has a CORS configuration. A bucket without one gives `false` (and no
    /// rules) rather than an error, so a scenario can branch on it; a bucket that does not
    /// exist is still a `not_found` error.
    pub exists: bool,
    /// The rules, in order, as Set Bucket CORS takes them (empty when there are none).
    pub rules: Vec<CorsRule>,
}

/// Reads a bucket's CORS configuration.
pub struct GetBucketCors;

#[async_trait]
impl Module for GetBucketCors {
    type Input = BucketConfigInput;
    type Output = GetBucketCorsOutput;
    const NAME: &'static str = "get_bucket_cors";
    const LABEL: &'static str = "Get Bucket CORS";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Reads a bucket's CORS rules; a bucket without a CORS \
        configuration gives exists = false.";
    const EFFECTS: Effects = Effects::READS;

    async fn run(&self, ctx: &Context, input: BucketConfigInput) -> Result<GetBucketCorsOutput> {
        let rules = match cors::get_bucket_cors(ctx.client(), &input.bucket).await? {
            Some(rules) => Some(from_stored(rules)?),
            None => None,
        };
        Ok(GetBucketCorsOutput {
            bucket: input.bucket.into(),
            exists: rules.is_some(),
            rules: rules.unwrap_or_default(),
        })
    }
}

register_module!(GetBucketCors);
