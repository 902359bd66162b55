//! Create Folder: an empty folder, as S3 consoles make them (a zero-byte key ending in `/`).

use connector_core::Effects;
use connector_core::framework::types::{BucketName, Folder, rules};
use connector_core::framework::validate;
use connector_core::ops::keys;
use connector_core::wire::headers::unquote_etag;
use connector_core::{
    Body, Context, Error, Method, Module, ModuleKind, Result, Target, async_trait, register_module,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The folder to create.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFolderInput {
    /// The bucket.
    #[schemars(title = "Bucket", extend("x-options" = {"provider": "buckets"}))]
    pub bucket: BucketName,

    /// The folder's path, e.g. `reports/2026` (parent folders need not exist).
    #[schemars(title = "Folder", transform = folder_schema)]
    pub folder: Folder,
}

/// A folder path that makes a key with its trailing `/`: not only slashes, no `.` or `..`
/// segment, at most 1,024 characters with the `/` (1,023 without).
fn folder_schema(schema: &mut schemars::Schema) {
    rules::add_after(
        schema,
        serde_json::json!({
            "pattern": "[^/]",
            "not": {"anyOf": [
                {"pattern": "(^|/)\\.\\.?(/|$)"},
                {"minLength": 1024, "pattern": "[^/]$"},
            ]},
        }),
    );
}

/// The folder created.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CreateFolderOutput {
    /// The bucket.
    pub bucket: String,
    /// The folder's key, ending in `/`.
    pub key: String,
    /// The ETag of the placeholder object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// Creates folders.
pub struct CreateFolder;

#[async_trait]
impl Module for CreateFolder {
    type Input = CreateFolderInput;
    type Output = CreateFolderOutput;
    const NAME: &'static str = "create_folder";
    const LABEL: &'static str = "Create Folder";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Creates an empty folder in a bucket, as the S3 console \
        does (folders also appear by themselves when files are stored under them).";
    const EFFECTS: Effects = Effects::WRITES;

    fn validate(&self, input: &CreateFolderInput) -> Result<()> {
        if input.folder.trim_matches('/').is_empty() {
            return Err(Error::invalid_input(
                "folder",
                "give the folder's path, e.g. reports/2026",
            ));
        }
        validate::object_key("folder", &keys::folder_prefix(&input.folder))
    }

    async fn run(&self, ctx: &Context, input: CreateFolderInput) -> Result<CreateFolderOutput> {
        let key = keys::folder_prefix(&input.folder);
        let response = ctx
            .client()
            .request(Method::PUT, Target::object(&input.bucket, &key))
            .header("content-type", "application/x-directory")
            .body(Body::empty())
            .with_content_md5()
            .send()
            .await?;
        Ok(CreateFolderOutput {
            etag: response.header("etag").map(unquote_etag),
            bucket: input.bucket.into(),
            key,
        })
    }
}

register_module!(CreateFolder);
