//! Delete Bucket Policy: remove a bucket's policy (DeleteBucketPolicy).
//!
//! Also the output and the helper Delete Bucket CORS shares.

use crate::get_bucket_policy::BucketConfigInput;
use connector_core::{
    Context, Method, Module, ModuleKind, Result, Target, async_trait, register_module,
};
use schemars::JsonSchema;
use serde::Serialize;

/// The bucket whose configuration was deleted.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BucketConfigDeleted {
    /// The bucket.
    pub bucket: String,
    /// Always true. S3 answers success also when the bucket had no such configuration.
    pub deleted: bool,
}

/// DELETEs the bucket's configuration `subresource` (`policy`, `cors`).
pub(crate) async fn delete_bucket_config(
    ctx: &Context,
    bucket: String,
    subresource: &str,
) -> Result<BucketConfigDeleted> {
    ctx.client()
        .request(Method::DELETE, Target::bucket(&bucket))
        .query(subresource, "")
        .send()
        .await?;
    Ok(BucketConfigDeleted {
        bucket,
        deleted: true,
    })
}

/// Deletes a bucket policy.
pub struct DeleteBucketPolicy;

#[async_trait]
impl Module for DeleteBucketPolicy {
    type Input = BucketConfigInput;
    type Output = BucketConfigDeleted;
    const NAME: &'static str = "delete_bucket_policy";
    const LABEL: &'static str = "Delete Bucket Policy";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Deletes a bucket's policy, so that only the IAM policies \
        of users and roles grant access to it. Succeeds also when there was no policy.";

    async fn run(&self, ctx: &Context, input: BucketConfigInput) -> Result<BucketConfigDeleted> {
        delete_bucket_config(ctx, input.bucket.into(), "policy").await
    }
}

register_module!(DeleteBucketPolicy);
