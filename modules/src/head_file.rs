//! Get File Metadata: a file's size, type, dates and metadata, without its content (HeadObject).

use connector_core::Effects;
use connector_core::framework::types::{BucketName, ObjectKey, VersionId};
use connector_core::ops::download::{self, ObjectSource};
use connector_core::wire::headers::ObjectInfo;
use connector_core::{Context, Module, ModuleKind, Result, async_trait, register_module};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The file to look at.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeadFileInput {
    /// The bucket the file is in.
    #[schemars(title = "Bucket", extend("x-options" = {"provider": "buckets"}))]
    pub bucket: BucketName,

    /// The path of the file in the bucket (its key), e.g. `photos/2019/image023.jpg`. Keys are
    /// used exactly as written: `/photos/a.jpg` (with a leading `/`) and `photos/a.jpg` are two
    /// different files in S3.
    #[schemars(title = "Path (key)")]
    pub key: ObjectKey,

    /// A specific version of the file (versioned buckets only). Empty: the current version.
    #[serde(default)]
    #[schemars(title = "Version ID")]
    pub version_id: Option<VersionId>,
}

/// The file's metadata.
#[derive(Debug, Serialize, JsonSchema)]
pub struct HeadFileOutput {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// Always true: a file that does not exist is an error (`not_found`).
    pub exists: bool,
    /// Size in bytes.
    pub size: u64,
    /// The file's type, dates, storage class, metadata and stored checksum.
    #[serde(flatten)]
    pub info: ObjectInfo,
}

/// Reads a file's metadata.
pub struct HeadFile;

#[async_trait]
impl Module for HeadFile {
    type Input = HeadFileInput;
    type Output = HeadFileOutput;
    const NAME: &'static str = "head_file";
    const LABEL: &'static str = "Get File Metadata";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Reads a file's size, content type, dates, storage class, \
        metadata and stored checksum without downloading it; a file that does not exist is a \
        not_found error.";
    const EFFECTS: Effects = Effects::READS;

    async fn run(&self, ctx: &Context, input: HeadFileInput) -> Result<HeadFileOutput> {
        let source = ObjectSource {
            bucket: input.bucket.to_string(),
            key: input.key.to_string(),
            version_id: input.version_id.clone().map(String::from),
        };
        // Asks for the stored checksum (unless the connection's checksum policy is
        // when_required), and again without when that is refused.
        let response = download::head(ctx.client(), &source, None, None).await?;
        Ok(HeadFileOutput {
            exists: true,
            size: response.content_length().unwrap_or(0),
            info: ObjectInfo::from_headers(response.headers()),
            bucket: input.bucket.into(),
            key: input.key.into(),
        })
    }
}

register_module!(HeadFile);
