//! List Folders: the folders directly inside a folder of a bucket.

use connector_core::Effects;
use connector_core::framework::page::Page;
use connector_core::framework::types::{BucketName, ContinuationToken, Prefix};
use connector_core::ops::keys;
use connector_core::ops::listing::{self, ListRequest};
use connector_core::{Context, Module, ModuleKind, Result, async_trait, register_module};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where to look for folders.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListFoldersInput {
    /// The bucket to look in.
    #[schemars(title = "Bucket", extend("x-options" = {"provider": "buckets"}))]
    pub bucket: BucketName,

    /// The folder whose subfolders to list, e.g. `work`. Empty: the top of the bucket.
    #[serde(default)]
    #[schemars(title = "Folder (prefix)", extend("x-options" = {"provider": "folders", "depends_on": ["bucket"]}))]
    pub prefix: Option<Prefix>,

    /// Return at most this many folders. Empty: all of them.
    #[serde(default)]
    #[schemars(title = "Limit", range(min = 1))]
    pub limit: Option<u64>,

    /// Continue a previous listing: its `next_continuation_token`.
    #[serde(default)]
    #[schemars(title = "Continuation token")]
    pub continuation_token: Option<ContinuationToken>,
}

/// One folder.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FolderEntry {
    /// The folder's full prefix, ending with `/` (use it as the prefix of another listing).
    pub prefix: String,
    /// The folder's name.
    pub name: String,
}

/// The folders found.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ListFoldersOutput {
    /// The folders, in name order.
    pub folders: Vec<FolderEntry>,
    /// Where the listing stopped.
    #[serde(flatten)]
    pub page: Page,
}

/// Lists folders.
pub struct ListFolders;

#[async_trait]
impl Module for ListFolders {
    type Input = ListFoldersInput;
    type Output = ListFoldersOutput;
    const NAME: &'static str = "list_folders";
    const LABEL: &'static str = "List Folders";
    const KIND: ModuleKind = ModuleKind::Search;
    const DESCRIPTION: &'static str = "Lists the folders inside a folder of a bucket, including \
        folders that exist only because files are stored under them.";
    const EFFECTS: Effects = Effects::READS;

    async fn run(&self, ctx: &Context, input: ListFoldersInput) -> Result<ListFoldersOutput> {
        let request = ListRequest {
            prefix: keys::folder_prefix(input.prefix.as_deref().unwrap_or("")),
            delimiter: Some("/".to_owned()),
            continuation_token: input.continuation_token.map(String::from),
            ..ListRequest::default()
        };
        let found = listing::collect(ctx.client(), &input.bucket, request, input.limit, |page| {
            page.common_prefixes
                .into_iter()
                .map(|prefix| FolderEntry {
                    name: keys::file_name(&prefix).to_owned(),
                    prefix,
                })
                .collect()
        })
        .await?;
        Ok(ListFoldersOutput {
            page: Page::until(found.next_continuation_token),
            folders: found.items,
        })
    }
}

register_module!(ListFolders);
