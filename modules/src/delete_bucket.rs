//! Delete Bucket: a bucket, which must be empty — or, with `force`, is emptied first.

use connector_core::Effects;
use connector_core::framework::types::BucketName;
use connector_core::ops::delete_objects::DeleteFailure;
use connector_core::ops::emptying;
use connector_core::{
    Context, Error, Method, Module, ModuleKind, Result, Target, async_trait, register_module,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The bucket to delete.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteBucketInput {
    /// The bucket.
    #[schemars(title = "Bucket", extend("x-options" = {"provider": "buckets"}))]
    pub bucket: BucketName,

    /// Delete everything in the bucket first: every file, every version of it (versioned
    /// buckets) and every unfinished upload. This cannot be undone.
    #[serde(default)]
    #[schemars(title = "Delete its contents too")]
    pub force: bool,
}

/// What was deleted.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeleteBucketOutput {
    /// The bucket.
    pub bucket: String,
    /// Whether the bucket was deleted.
    pub deleted: bool,
    /// With force: how many objects (versions included) were deleted first.
    pub objects_deleted: u64,
    /// With force: how many unfinished multipart uploads were aborted.
    pub uploads_aborted: u64,
    /// With force: objects S3 refused to delete (the bucket then stays).
    pub failed: Vec<DeleteFailure>,
}

/// Deletes buckets.
pub struct DeleteBucket;

#[async_trait]
impl Module for DeleteBucket {
    type Input = DeleteBucketInput;
    type Output = DeleteBucketOutput;
    const NAME: &'static str = "delete_bucket";
    const LABEL: &'static str = "Delete Bucket";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Deletes a bucket. A bucket with files is refused unless \
        force is set, which deletes all its files, versions and unfinished uploads first.";
    const EFFECTS: Effects = Effects::DELETES;

    async fn run(&self, ctx: &Context, input: DeleteBucketInput) -> Result<DeleteBucketOutput> {
        let client = ctx.client();
        let bucket = &input.bucket;
        let mut output = DeleteBucketOutput {
            bucket: bucket.to_string(),
            deleted: false,
            objects_deleted: 0,
            uploads_aborted: 0,
            failed: Vec::new(),
        };
        if !input.force {
            // Some S3-compatible stores delete a bucket with its files; never rely on them.
            let (count, keys) = emptying::preview_first(client, bucket).await?;
            if count > 0 {
                return Err(Error::new(
                    connector_core::ErrorKind::Conflict,
                    format!(
                        "BucketNotEmpty: {bucket} still has files (e.g. {:?}): delete them first, \
                         or set force to delete them with the bucket",
                        keys[0]
                    ),
                )
                .with_field("force"));
            }
        } else {
            output.uploads_aborted = emptying::abort_all_uploads(client, bucket)
                .await?
                .unwrap_or(0);
            let mut report = match emptying::delete_all_versions(client, bucket).await? {
                Some(report) => report,
                None => emptying::delete_prefix(client, bucket, "").await?,
            };
            // A store that lists versions may still hold objects it lists only as current.
            let rest = emptying::delete_prefix(client, bucket, "").await?;
            report.deleted.extend(rest.deleted);
            report.failed.extend(rest.failed);
            output.objects_deleted = report.deleted.len() as u64;
            output.failed = report.failed;
            if !output.failed.is_empty() {
                return Err(Error::new(
                    connector_core::ErrorKind::Conflict,
                    format!(
                        "{} objects could not be deleted (first: {} — {}), so the bucket stays",
                        output.failed.len(),
                        output.failed[0].key,
                        output.failed[0].code
                    ),
                ));
            }
        }
        client
            .request(Method::DELETE, Target::bucket(bucket))
            .send()
            .await
            .map_err(|err| match err.code() {
                Some("BucketNotEmpty") => err.context(format!(
                    "{bucket} still has files: delete them first, or set force to delete them with the bucket"
                )),
                _ => err,
            })?;
        output.deleted = true;
        Ok(output)
    }
}

register_module!(DeleteBucket);
