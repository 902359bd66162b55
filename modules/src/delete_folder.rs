//! Delete Folder: every file under a folder, in batches, with a dry run to see what would go.

use connector_core::Effects;
use connector_core::framework::types::{BucketName, Prefix, rules};
use connector_core::ops::delete_objects::DeleteFailure;
use connector_core::ops::emptying;
use connector_core::ops::keys;
use connector_core::{Context, Error, Module, ModuleKind, Result, async_trait, register_module};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How many keys a dry run shows.
const PREVIEW_KEYS: usize = 1000;

/// The folder to delete.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteFolderInput {
    /// The bucket.
    #[schemars(title = "Bucket", extend("x-options" = {"provider": "buckets"}))]
    pub bucket: BucketName,

    /// The folder, e.g. `tmp/2026-01`: every file in it and in its subfolders is deleted.
    #[schemars(
        title = "Folder",
        transform = folder_schema,
        extend("x-options" = {"provider": "folders", "depends_on": ["bucket"]})
    )]
    pub folder: Prefix,

    /// Only count and list what would be deleted; delete nothing.
    #[serde(default)]
    #[schemars(title = "Dry run")]
    pub dry_run: bool,
}

/// A folder to empty: not only slashes, at most 1,024 bytes.
fn folder_schema(schema: &mut schemars::Schema) {
    rules::add_after(schema, serde_json::json!({"pattern": "[^/]"}));
}

/// What was (or would be) deleted.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeleteFolderOutput {
    /// The bucket.
    pub bucket: String,
    /// The folder's prefix, ending in `/`.
    pub prefix: String,
    /// Whether this was a dry run (nothing deleted).
    pub dry_run: bool,
    /// How many objects were deleted (in a dry run: would be).
    pub count: u64,
    /// In a dry run: the first 1,000 keys that would be deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<String>>,
    /// Objects S3 refused to delete.
    pub failed: Vec<DeleteFailure>,
}

/// Deletes folders.
pub struct DeleteFolder;

#[async_trait]
impl Module for DeleteFolder {
    type Input = DeleteFolderInput;
    type Output = DeleteFolderOutput;
    const NAME: &'static str = "delete_folder";
    const LABEL: &'static str = "Delete Folder";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Deletes a folder with every file in it and in its \
        subfolders (1,000 per request); a dry run shows what would be deleted.";
    const EFFECTS: Effects = Effects::DELETES;

    fn validate(&self, input: &DeleteFolderInput) -> Result<()> {
        if input.folder.trim_matches('/').is_empty() {
            return Err(Error::invalid_input(
                "folder",
                "give a folder, e.g. tmp/2026-01; to empty the whole bucket use Delete Bucket with force",
            ));
        }
        Ok(())
    }

    async fn run(&self, ctx: &Context, input: DeleteFolderInput) -> Result<DeleteFolderOutput> {
        let prefix = keys::folder_prefix(&input.folder);
        if input.dry_run {
            let (count, keys) =
                emptying::preview_prefix(ctx.client(), &input.bucket, &prefix, PREVIEW_KEYS)
                    .await?;
            return Ok(DeleteFolderOutput {
                bucket: input.bucket.into(),
                prefix,
                dry_run: true,
                count,
                keys: Some(keys),
                failed: Vec::new(),
            });
        }
        let report = emptying::delete_prefix(ctx.client(), &input.bucket, &prefix).await?;
        Ok(DeleteFolderOutput {
            bucket: input.bucket.into(),
            prefix,
            dry_run: false,
            count: report.deleted.len() as u64,
            keys: None,
            failed: report.failed,
        })
    }
}

register_module!(DeleteFolder);
