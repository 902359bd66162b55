//! Get Bucket Policy: a bucket's policy document (GetBucketPolicy), or that it has none.
//!
//! Also the input the other bucket-configuration modules (policy and CORS) share.

use connector_core::Effects;
use connector_core::framework::types::BucketName;
use connector_core::ops::policy;
use connector_core::{Context, Module, ModuleKind, Result, async_trait, register_module};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The bucket whose configuration to read or delete.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketConfigInput {
    /// The bucket.
    #[schemars(title = "Bucket", extend("x-options" = {"provider": "buckets"}))]
    pub bucket: BucketName,
}

/// The bucket's policy.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GetBucketPolicyOutput {
    /// The bucket.
    pub bucket: String,
    /// Whether the bucket has a policy. A bucket without one gives `false` (and no `policy`)
    /// rather than an error, so a scenario can branch on it; a bucket that does not exist is
    /// still a `not_found` error.
    pub exists: bool,
    /// The policy document, e.g. `{"Version": "2012-10-17", "Statement": [...]}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<Map<String, Value>>,
    /// The policy as the text S3 returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_text: Option<String>,
}

/// Reads a bucket policy.
pub struct GetBucketPolicy;

#[async_trait]
impl Module for GetBucketPolicy {
    type Input = BucketConfigInput;
    type Output = GetBucketPolicyOutput;
    const NAME: &'static str = "get_bucket_policy";
    const LABEL: &'static str = "Get Bucket Policy";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Reads a bucket's policy as JSON; a bucket without a \
        policy gives exists = false.";
    const EFFECTS: Effects = Effects::READS;

    async fn run(&self, ctx: &Context, input: BucketConfigInput) -> Result<GetBucketPolicyOutput> {
        let policy = policy::get_bucket_policy(ctx.client(), &input.bucket).await?;
        Ok(GetBucketPolicyOutput {
            bucket: input.bucket.into(),
            exists: policy.is_some(),
            policy_text: policy.as_ref().map(|policy| policy.text.clone()),
            policy: policy.map(|policy| policy.document),
        })
    }
}

register_module!(GetBucketPolicy);
