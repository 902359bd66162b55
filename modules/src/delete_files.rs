//! Delete Files: remove many objects with few requests (DeleteObjects, 1,000 keys each).

use connector_core::Effects;
use connector_core::framework::types::{BucketName, ObjectKey, VersionId};
use connector_core::framework::validate;
use connector_core::ops::delete_objects::{self, DeleteFailure, ObjectId};
use connector_core::wire::s3_error;
use connector_core::{
    Context, Error, ErrorKind, Module, ModuleKind, Result, async_trait, register_module,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The most files one call deletes.
pub const MAX_FILES: usize = 100_000;

/// One version of a file.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileVersion {
    /// The path of the file in the bucket (its key).
    #[schemars(title = "Path (key)")]
    pub key: ObjectKey,

    /// The version to delete for good.
    #[schemars(title = "Version ID")]
    pub version_id: VersionId,
}

/// The files to delete.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = keys_or_versions)]
pub struct DeleteFilesInput {
    /// The bucket the files are in.
    #[schemars(title = "Bucket", extend("x-options" = {"provider": "buckets"}))]
    pub bucket: BucketName,

    /// The paths of the files (their keys), exactly as stored, e.g. `photos/2019/a.jpg`: 1 to
    /// 100,000. A key given twice is deleted once. In a versioned bucket S3 keeps the files'
    /// versions and adds delete markers; use `versions` to delete versions for good.
    #[serde(default)]
    #[schemars(title = "Paths (keys)", length(min = 1, max = 100000), transform = keys_schema)]
    pub keys: Option<Vec<ObjectKey>>,

    /// Specific versions to delete for good (versioned buckets), as `{"key", "version_id"}`
    /// pairs; instead of or besides `keys`.
    #[serde(default)]
    #[schemars(title = "Versions", length(min = 1, max = 100000))]
    pub versions: Option<Vec<FileVersion>>,

    /// Fail (with the first refusal) when S3 refuses to delete any of the files, instead of
    /// listing them in `failed`. The other files are deleted either way.
    #[serde(default)]
    #[schemars(title = "Fail if any file is not deleted")]
    pub fail_on_refusal: bool,
}

/// The keys with the versions: at most as many as one call deletes.
fn keys_schema(schema: &mut schemars::Schema) {
    validate::schema::note(schema, "With `versions`, 100,000 files at most in all.");
}

/// `keys`, or `versions`, or both.
fn keys_or_versions(schema: &mut schemars::Schema) {
    validate::schema::add(
        schema,
        serde_json::json!({
            "if": {"not": validate::schema::given("versions")},
            "then": validate::schema::given("keys"),
        }),
    );
}

/// What was deleted.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeleteFilesOutput {
    /// The bucket.
    pub bucket: String,
    /// How many files were deleted.
    pub deleted_count: usize,
    /// How many files S3 refused to delete (0 when all went well).
    pub failed_count: usize,
    /// The keys deleted (S3 answers success for keys that did not exist, so they are listed
    /// too). A key appears once per version deleted.
    pub deleted: Vec<String>,
    /// The files S3 refused to delete, each with S3's reason.
    pub failed: Vec<DeleteFailure>,
}

/// Deletes many files.
pub struct DeleteFiles;

impl DeleteFilesInput {
    /// The objects to delete, duplicates removed, in the order given (keys, then versions).
    fn objects(&self) -> Vec<ObjectId> {
        let keys = self.keys.iter().flatten().map(ObjectId::key);
        let versions = self.versions.iter().flatten().map(|v| ObjectId {
            key: v.key.to_string(),
            version_id: Some(v.version_id.to_string()),
        });
        let mut seen = HashSet::new();
        keys.chain(versions)
            .filter(|object| seen.insert(object.clone()))
            .collect()
    }
}

#[async_trait]
impl Module for DeleteFiles {
    type Input = DeleteFilesInput;
    type Output = DeleteFilesOutput;
    const NAME: &'static str = "delete_files";
    const LABEL: &'static str = "Delete Files";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Deletes up to 100,000 files from a bucket in batches of \
        1,000. Files S3 refuses to delete are listed in the output (failed, failed_count) \
        rather than failing the module, unless fail_on_refusal is set.";
    const EFFECTS: Effects = Effects::DELETES;

    fn validate(&self, input: &DeleteFilesInput) -> Result<()> {
        let keys = input.keys.as_deref().unwrap_or_default();
        let versions = input.versions.as_deref().unwrap_or_default();
        if keys.is_empty() && versions.is_empty() {
            return Err(Error::invalid_input(
                "keys",
                "give the keys of the files to delete (at least one), or versions",
            ));
        }
        if keys.len() + versions.len() > MAX_FILES {
            return Err(Error::invalid_input(
                "keys",
                format!(
                    "{} files are more than one call deletes ({MAX_FILES}); split the list",
                    keys.len() + versions.len()
                ),
            ));
        }
        Ok(())
    }

    async fn run(&self, ctx: &Context, input: DeleteFilesInput) -> Result<DeleteFilesOutput> {
        let objects = input.objects();
        let total = objects.len();
        let report = delete_objects::delete_objects(ctx.client(), &input.bucket, objects).await?;
        if input.fail_on_refusal
            && let Some(first) = report.failed.first()
        {
            return Err(refusal_error(first, report.failed.len(), total));
        }
        Ok(DeleteFilesOutput {
            bucket: input.bucket.into(),
            deleted_count: report.deleted.len(),
            failed_count: report.failed.len(),
            deleted: report.deleted.into_iter().map(|o| o.key).collect(),
            failed: report.failed,
        })
    }
}

/// The error for `fail_on_refusal`: of the kind of S3's code for the first refusal (so a
/// refusal such as `InternalError` or `SlowDown` is worth retrying, `AccessDenied` is not).
fn refusal_error(first: &DeleteFailure, failed: usize, total: usize) -> Error {
    let kind = s3_error::kind_of_code(&first.code).unwrap_or(ErrorKind::InvalidInput);
    Error::new(
        kind,
        format!(
            "{failed} of {total} files were not deleted (the others were); the first, {:?}: {}: {}",
            first.key, first.code, first.message
        ),
    )
}

register_module!(DeleteFiles);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_removed_in_order() {
        let input: DeleteFilesInput = serde_json::from_value(serde_json::json!({
            "bucket": "b",
            "keys": ["b", "a", "b", "c", "a"],
            "versions": [{"key": "a", "version_id": "1"}, {"key": "a", "version_id": "1"}]
        }))
        .unwrap();
        let objects = input.objects();
        let keys: Vec<(&str, Option<&str>)> = objects
            .iter()
            .map(|o| (o.key.as_str(), o.version_id.as_deref()))
            .collect();
        assert_eq!(
            keys,
            [("b", None), ("a", None), ("c", None), ("a", Some("1"))]
        );
    }

    #[test]
    fn a_refusal_keeps_its_kind() {
        let failure = DeleteFailure {
            key: "k".into(),
            version_id: None,
            code: "AccessDenied".into(),
            message: "Access Denied".into(),
        };
        let err = refusal_error(&failure, 1, 3);
        assert_eq!(err.kind(), ErrorKind::AccessDenied);
        assert!(!err.is_retryable());
        assert!(err.message().starts_with("1 of 3 files were not deleted"));
    }
}
