//! Get Bucket Policy: a bucket's policy document (GetBucketPolicy), or that it has none.
//!
//! Also the input and the read helper the other bucket-configuration modules (policy and CORS)
//! share: a bucket without the configuration is an answer (`exists: false`), not an error.

use connector_core::framework::types::BucketName;
use connector_core::{
    Context, Error, ErrorKind, Method, Module, ModuleKind, Response, Result, Target, async_trait,
    register_module,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The most of a policy that is read (S3 allows 20 KB; other stores may allow more).
const MAX_POLICY_READ_BYTES: usize = 1024 * 1024;

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

/// GETs the bucket's configuration `subresource` (`policy`, `cors`). `None` when S3 answers
/// `missing_code` (the bucket exists but has no such configuration); every other failure,
/// `NoSuchBucket` included, is an error.
pub(crate) async fn get_bucket_config(
    ctx: &Context,
    bucket: &str,
    subresource: &str,
    missing_code: &str,
) -> Result<Option<Response>> {
    let sent = ctx
        .client()
        .request(Method::GET, Target::bucket(bucket))
        .query(subresource, "")
        .send()
        .await;
    match sent {
        Ok(response) => Ok(Some(response)),
        Err(err) if err.code() == Some(missing_code) => Ok(None),
        Err(err) => Err(err),
    }
}

#[async_trait]
impl Module for GetBucketPolicy {
    type Input = BucketConfigInput;
    type Output = GetBucketPolicyOutput;
    const NAME: &'static str = "get_bucket_policy";
    const LABEL: &'static str = "Get Bucket Policy";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Reads a bucket's policy as JSON; a bucket without a \
        policy gives exists = false.";

    async fn run(&self, ctx: &Context, input: BucketConfigInput) -> Result<GetBucketPolicyOutput> {
        let Some(response) =
            get_bucket_config(ctx, &input.bucket, "policy", "NoSuchBucketPolicy").await?
        else {
            return Ok(GetBucketPolicyOutput {
                bucket: input.bucket.into(),
                exists: false,
                policy: None,
                policy_text: None,
            });
        };
        let bytes = response
            .bytes_capped(MAX_POLICY_READ_BYTES, "the bucket policy")
            .await?;
        let unreadable = |why: String| {
            Error::new(
                ErrorKind::Server,
                format!("the store answered with a policy that is not a JSON object: {why}"),
            )
        };
        let text = String::from_utf8(bytes.to_vec()).map_err(|err| unreadable(err.to_string()))?;
        let policy: Map<String, Value> =
            serde_json::from_str(&text).map_err(|err| unreadable(err.to_string()))?;
        Ok(GetBucketPolicyOutput {
            bucket: input.bucket.into(),
            exists: true,
            policy: Some(policy),
            policy_text: Some(text),
        })
    }
}

register_module!(GetBucketPolicy);
