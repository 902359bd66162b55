//! Move File: copy an object to a new place, then delete the original.

use crate::copy_file::{CopyFileOutput, StorageClass};
use connector_core::Effects;
use connector_core::framework::acl::CannedAcl;
use connector_core::framework::types::{BucketName, ObjectKey};
use connector_core::ops::copy::CopyObject;
use connector_core::ops::multipart_copy::{self, CopySettings};
use connector_core::{
    Context, Error, Method, Module, ModuleKind, Result, Target, async_trait, register_module,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The file to move and where to.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveFileInput {
    /// The bucket the file is in.
    #[schemars(title = "Source bucket", extend("x-options" = {"provider": "buckets"}))]
    pub source_bucket: BucketName,

    /// The path of the file to move (its key), exactly as stored, e.g. `inbox/a.pdf`.
    #[schemars(title = "Source path (key)")]
    pub source_key: ObjectKey,

    /// The bucket to move the file to. Empty: the source bucket.
    #[serde(default)]
    #[schemars(title = "Destination bucket", extend("x-options" = {"provider": "buckets"}))]
    pub destination_bucket: Option<BucketName>,

    /// The new path (key) of the file, e.g. `done/a.pdf`. A file already there is replaced.
    /// Not the source itself (the same key in the same bucket).
    #[schemars(title = "Destination path (key)")]
    pub destination_key: ObjectKey,

    /// The storage class at the destination. Empty: `STANDARD`, whatever the source's.
    #[serde(default)]
    #[schemars(title = "Storage class")]
    pub storage_class: Option<StorageClass>,

    /// A canned ACL for the moved file. Empty: private (ACLs are not carried over).
    #[serde(default)]
    #[schemars(title = "ACL")]
    pub acl: Option<CannedAcl>,

    /// When and how a large file is copied in parts (all optional: by default files over
    /// 5 GiB, the most S3 copies in one request, are copied in parts of 256 MiB, 8 at a time).
    #[serde(default)]
    #[schemars(title = "Copy in parts")]
    pub transfer: Option<CopySettings>,
}

/// The moved file.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MoveFileOutput {
    /// Where the file is now: its bucket, key, ETag, time and version, and how it was copied.
    #[serde(flatten)]
    pub moved: CopyFileOutput,
    /// The bucket the file was moved from.
    pub source_bucket: String,
    /// The key the file was moved from.
    pub source_key: String,
    /// Always true: the original was deleted (in a versioned bucket, S3 keeps its versions
    /// behind a delete marker).
    pub source_deleted: bool,
}

/// Moves a file.
pub struct MoveFile;

impl MoveFileInput {
    fn destination_bucket(&self) -> &str {
        self.destination_bucket
            .as_deref()
            .unwrap_or(&self.source_bucket)
    }
}

#[async_trait]
impl Module for MoveFile {
    type Input = MoveFileInput;
    type Output = MoveFileOutput;
    const NAME: &'static str = "move_file";
    const LABEL: &'static str = "Move File";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Moves (or renames) a file of any size: copies it with its \
        metadata (in parts over 5 GiB), then deletes the original only once the copy is made.";
    const EFFECTS: Effects = Effects {
        // Deletes the source: a second run finds none.
        idempotent: false,
        ..Effects::DELETES
    };

    fn validate(&self, input: &MoveFileInput) -> Result<()> {
        if input.destination_bucket() == input.source_bucket.as_str()
            && input.destination_key == input.source_key
        {
            return Err(Error::invalid_input(
                "destination_key",
                "the destination is the source itself: give the file a new path (key) or \
                 another bucket",
            ));
        }
        Ok(())
    }

    async fn run(&self, ctx: &Context, input: MoveFileInput) -> Result<MoveFileOutput> {
        let copy = CopyObject {
            source_bucket: &input.source_bucket,
            source_key: &input.source_key,
            bucket: input.destination_bucket(),
            key: &input.destination_key,
            storage_class: input.storage_class.map(StorageClass::as_str),
            acl: input.acl.map(CannedAcl::as_str),
            ..CopyObject::default()
        };
        let options = input.transfer.unwrap_or_default().options();
        // An error here returns before the source is touched.
        let copied = async {
            let source = copy.head_source(ctx.client()).await?;
            multipart_copy::copy(ctx.client(), &copy, &source, &options, ctx.progress()).await
        }
        .await
        .map(|outcome| CopyFileOutput::new(copy.bucket, copy.key, outcome))
        .map_err(|err| err.context("the file was not moved (nothing was deleted)"))?;
        ctx.client()
            .request(
                Method::DELETE,
                Target::object(&input.source_bucket, &input.source_key),
            )
            .send()
            .await
            .map_err(|err| {
                err.context(format!(
                    "the file now exists in both places: it was copied to {:?} in the bucket \
                     {:?}, but deleting the original {:?} in the bucket {:?} failed; delete it \
                     yourself or run the move again",
                    copied.key, copied.bucket, input.source_key, input.source_bucket
                ))
            })?;
        Ok(MoveFileOutput {
            moved: copied,
            source_bucket: input.source_bucket.into(),
            source_key: input.source_key.into(),
            source_deleted: true,
        })
    }
}

register_module!(MoveFile);
