//! Delete Bucket CORS: remove a bucket's CORS configuration (DeleteBucketCors).

use crate::delete_bucket_policy::BucketConfigDeleted;
use crate::get_bucket_policy::BucketConfigInput;
use connector_core::Effects;
use connector_core::ops::cors;
use connector_core::{Context, Module, ModuleKind, Result, async_trait, register_module};

/// Deletes a bucket's CORS configuration.
pub struct DeleteBucketCors;

#[async_trait]
impl Module for DeleteBucketCors {
    type Input = BucketConfigInput;
    type Output = BucketConfigDeleted;
    const NAME: &'static str = "delete_bucket_cors";
    const LABEL: &'static str = "Delete Bucket CORS";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Deletes a bucket's CORS configuration: browsers on other \
        sites can then no longer read from or upload to it. Succeeds also when there was none.";
    const EFFECTS: Effects = Effects::DELETES;

    async fn run(&self, ctx: &Context, input: BucketConfigInput) -> Result<BucketConfigDeleted> {
        cors::delete_bucket_cors(ctx.client(), &input.bucket).await?;
        Ok(BucketConfigDeleted {
            bucket: input.bucket.into(),
            deleted: true,
        })
    }
}

register_module!(DeleteBucketCors);
