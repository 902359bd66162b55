//! Delete File: remove one object (DeleteObject).

use connector_core::Effects;
use connector_core::framework::types::{BucketName, ObjectKey, VersionId};
use connector_core::wire::headers;
use connector_core::{
    Context, Method, Module, ModuleKind, Result, Target, async_trait, register_module,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The file to delete.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteFileInput {
    /// The bucket the file is in.
    #[schemars(title = "Bucket", extend("x-options" = {"provider": "buckets"}))]
    pub bucket: BucketName,

    /// The path of the file in the bucket (its key), e.g. `photos/2019/image023.jpg`. Keys are
    /// used exactly as written: `/photos/a.jpg` (with a leading `/`) and `photos/a.jpg` are two
    /// different files in S3.
    #[schemars(title = "Path (key)")]
    pub key: ObjectKey,

    /// A specific version to delete for good (versioned buckets only). Empty: the current
    /// version; in a versioned bucket S3 then keeps the file's versions and adds a delete
    /// marker instead.
    #[serde(default)]
    #[schemars(title = "Version ID")]
    pub version_id: Option<VersionId>,
}

/// The deleted file.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeleteFileOutput {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// Always true. S3 answers success even when no file had this key, so this does not prove
    /// that the file existed; use Get File Metadata first to know.
    pub deleted: bool,
    /// The version deleted, or in a versioned bucket the version ID of the delete marker
    /// that was added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Whether a delete marker was added (versioned buckets, without a version ID) or removed
    /// (when the version deleted was a delete marker).
    pub delete_marker: bool,
}

/// Deletes a file.
pub struct DeleteFile;

#[async_trait]
impl Module for DeleteFile {
    type Input = DeleteFileInput;
    type Output = DeleteFileOutput;
    const NAME: &'static str = "delete_file";
    const LABEL: &'static str = "Delete File";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Deletes a file (or one version of it) from a bucket. S3 \
        answers success even when the file did not exist.";
    const EFFECTS: Effects = Effects::DELETES;

    async fn run(&self, ctx: &Context, input: DeleteFileInput) -> Result<DeleteFileOutput> {
        let response = ctx
            .client()
            .request(Method::DELETE, Target::object(&input.bucket, &input.key))
            .query_opt("versionId", input.version_id.as_deref())
            .send()
            .await?;
        let h = response.headers();
        Ok(DeleteFileOutput {
            deleted: true,
            version_id: headers::text(h, "x-amz-version-id")
                .map(str::to_owned)
                .or(input.version_id.map(String::from)),
            delete_marker: headers::text(h, "x-amz-delete-marker")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            bucket: input.bucket.into(),
            key: input.key.into(),
        })
    }
}

register_module!(DeleteFile);
