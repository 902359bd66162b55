//! List Files: the files in a folder of a bucket, or under it with `recursive`.

use connector_core::listing::{self, ListRequest};
use connector_core::{
    Context, Error, Module, ModuleKind, Result, async_trait, keys, register_module, validate,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where to list.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListFilesInput {
    /// The bucket to list.
    #[schemars(title = "Bucket", length(min = 1))]
    pub bucket: String,

    /// The folder to look in, e.g. `work/reports`. Empty: the top of the bucket.
    #[serde(default)]
    #[schemars(title = "Folder (prefix)")]
    pub prefix: Option<String>,

    /// Also list the files in every subfolder.
    #[serde(default)]
    #[schemars(title = "Include subfolders")]
    pub recursive: bool,

    /// Return at most this many files. Empty: all of them.
    #[serde(default)]
    #[schemars(title = "Limit", range(min = 1))]
    pub limit: Option<u64>,

    /// Continue a previous listing: its `next_continuation_token`.
    #[serde(default)]
    #[schemars(title = "Continuation token")]
    pub continuation_token: Option<String>,
}

/// One file.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FileEntry {
    /// The full key (path in the bucket).
    pub key: String,
    /// The file name (the key's last segment).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// The ETag, without quotes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// When it was last changed, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// The storage class, e.g. `STANDARD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
}

/// The files found.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ListFilesOutput {
    /// The files, in key order.
    pub files: Vec<FileEntry>,
    /// Whether more files remain; pass `next_continuation_token` to get them.
    pub truncated: bool,
    /// The token that continues this listing, when `truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_continuation_token: Option<String>,
}

/// Lists files.
pub struct ListFiles;

/// Checks the fields list modules share.
pub(crate) fn check_listing(
    bucket: &str,
    prefix: Option<&str>,
    continuation_token: Option<&str>,
) -> Result<()> {
    validate::bucket_name("bucket", bucket)?;
    validate::prefix("prefix", prefix.unwrap_or(""))?;
    if continuation_token == Some("") {
        return Err(Error::invalid_input(
            "continuation_token",
            "the continuation token is empty; leave the field out to start from the beginning",
        ));
    }
    Ok(())
}

#[async_trait]
impl Module for ListFiles {
    type Input = ListFilesInput;
    type Output = ListFilesOutput;
    const NAME: &'static str = "list_files";
    const LABEL: &'static str = "List Files";
    const KIND: ModuleKind = ModuleKind::Search;
    const DESCRIPTION: &'static str =
        "Lists the files in a folder of a bucket (and its subfolders with recursive).";

    fn validate(&self, input: &ListFilesInput) -> Result<()> {
        check_listing(
            &input.bucket,
            input.prefix.as_deref(),
            input.continuation_token.as_deref(),
        )
    }

    async fn run(&self, ctx: &Context, input: ListFilesInput) -> Result<ListFilesOutput> {
        let request = ListRequest {
            prefix: keys::folder_prefix(input.prefix.as_deref().unwrap_or("")),
            delimiter: (!input.recursive).then(|| "/".to_owned()),
            continuation_token: input.continuation_token,
            ..ListRequest::default()
        };
        let found = listing::collect(ctx.client(), &input.bucket, request, input.limit, |page| {
            page.objects
                .into_iter()
                // A key ending in '/' is a folder placeholder, not a file.
                .filter(|object| !object.key.ends_with('/'))
                .map(|object| FileEntry {
                    name: keys::file_name(&object.key).to_owned(),
                    key: object.key,
                    size: object.size,
                    etag: object.etag,
                    last_modified: object.last_modified,
                    storage_class: object.storage_class,
                })
                .collect()
        })
        .await?;
        Ok(ListFilesOutput {
            truncated: found.next_continuation_token.is_some(),
            next_continuation_token: found.next_continuation_token,
            files: found.items,
        })
    }
}

register_module!(ListFiles);
