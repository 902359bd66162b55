//! Get Bucket CORS: a bucket's CORS rules (GetBucketCors), or that it has none.

use crate::get_bucket_policy::{BucketConfigInput, get_bucket_config};
use crate::put_bucket_cors::{CorsConfigurationXml, CorsRule};
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

    async fn run(&self, ctx: &Context, input: BucketConfigInput) -> Result<GetBucketCorsOutput> {
        let response =
            get_bucket_config(ctx, &input.bucket, "cors", "NoSuchCORSConfiguration").await?;
        let rules = match response {
            Some(response) => Some(response.xml::<CorsConfigurationXml>().await?.into_rules()?),
            None => None,
        };
        Ok(GetBucketCorsOutput {
            bucket: input.bucket.into(),
            exists: rules.is_some(),
            rules: rules.unwrap_or_default(),
        })
    }
}

impl connector_core::wire::answer::XmlAnswer for CorsConfigurationXml {
    const ROOT: &'static str = "CORSConfiguration";
}

register_module!(GetBucketCors);
