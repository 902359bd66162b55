//! Delete Bucket Policy: remove a bucket's policy (DeleteBucketPolicy).
//!
//! Also the output Delete Bucket CORS shares.

use crate::get_bucket_policy::BucketConfigInput;
use connector_core::Effects;
use connector_core::ops::policy;
use connector_core::{Context, Module, ModuleKind, Result, async_trait, register_module};
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
    const EFFECTS: Effects = Effects::DELETES;

    async fn run(&self, ctx: &Context, input: BucketConfigInput) -> Result<BucketConfigDeleted> {
        policy::delete_bucket_policy(ctx.client(), &input.bucket).await?;
        Ok(BucketConfigDeleted {
            bucket: input.bucket.into(),
            deleted: true,
        })
    }
}

register_module!(DeleteBucketPolicy);
