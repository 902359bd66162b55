//! List Files: the files in a folder of a bucket, or under it with `recursive`.

use connector_core::Effects;
use connector_core::framework::page::Page;
use connector_core::framework::types::{BucketName, ContinuationToken, Prefix};
use connector_core::framework::validate;
use connector_core::ops::keys;
use connector_core::ops::listing::{self, ListRequest, ListedObject};
use connector_core::ops::presign::{self, UrlRequest};
use connector_core::{
    Context, Error, Method, Module, ModuleKind, Result, async_trait, register_module,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::time::SystemTime;

/// Where to list.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = links_rule)]
pub struct ListFilesInput {
    /// The bucket to list.
    #[schemars(title = "Bucket", extend("x-options" = {"provider": "buckets"}))]
    pub bucket: BucketName,

    /// The folder to look in, e.g. `work/reports`. Empty: the top of the bucket.
    #[serde(default)]
    #[schemars(title = "Folder (prefix)", extend("x-options" = {"provider": "folders", "depends_on": ["bucket"]}))]
    pub prefix: Option<Prefix>,

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
    pub continuation_token: Option<ContinuationToken>,

    /// Give every file a presigned download link (`download_url`) that works without keys.
    #[serde(default)]
    #[schemars(title = "Include download links")]
    pub include_download_urls: bool,

    /// How long the download links work, in seconds: 1 to 604800 (7 days). Default: 3600.
    #[serde(default)]
    #[schemars(
        title = "Download links expire in (seconds)",
        range(min = 1, max = 604800)
    )]
    pub download_urls_expire_in: Option<u64>,
}

/// An expiry for download links only with `include_download_urls`.
fn links_rule(schema: &mut schemars::Schema) {
    validate::schema::add(
        schema,
        serde_json::json!({
            "if": {"not": {"required": ["include_download_urls"],
                           "properties": {"include_download_urls": {"const": true}}}},
            "then": {"properties": {"download_urls_expire_in": {"type": "null"}}},
        }),
    );
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
    /// A presigned link that downloads the file (with `include_download_urls`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
}

impl From<ListedObject> for FileEntry {
    fn from(object: ListedObject) -> Self {
        FileEntry {
            name: keys::file_name(&object.key).to_owned(),
            key: object.key,
            size: object.size,
            etag: object.etag,
            last_modified: object.last_modified,
            storage_class: object.storage_class,
            download_url: None,
        }
    }
}

/// The files found.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ListFilesOutput {
    /// The files, in key order.
    pub files: Vec<FileEntry>,
    /// Where the listing stopped.
    #[serde(flatten)]
    pub page: Page,
}

/// Lists files.
pub struct ListFiles;

#[async_trait]
impl Module for ListFiles {
    type Input = ListFilesInput;
    type Output = ListFilesOutput;
    const NAME: &'static str = "list_files";
    const LABEL: &'static str = "List Files";
    const KIND: ModuleKind = ModuleKind::Search;
    const DESCRIPTION: &'static str =
        "Lists the files in a folder of a bucket (and its subfolders with recursive).";
    const EFFECTS: Effects = Effects::READS;

    fn validate(&self, input: &ListFilesInput) -> Result<()> {
        if let Some(seconds) = input.download_urls_expire_in {
            if !input.include_download_urls {
                return Err(Error::invalid_input(
                    "download_urls_expire_in",
                    "set include_download_urls to get download links",
                ));
            }
            presign::check_expires_in("download_urls_expire_in", seconds)?;
        }
        Ok(())
    }

    async fn run(&self, ctx: &Context, input: ListFilesInput) -> Result<ListFilesOutput> {
        let request = ListRequest {
            prefix: keys::folder_prefix(input.prefix.as_deref().unwrap_or("")),
            delimiter: (!input.recursive).then(|| "/".to_owned()),
            continuation_token: input.continuation_token.map(String::from),
            ..ListRequest::default()
        };
        let found = listing::collect(ctx.client(), &input.bucket, request, input.limit, |page| {
            page.objects
                .into_iter()
                // A key ending in '/' is a folder placeholder, not a file.
                .filter(|object| !object.key.ends_with('/'))
                .map(FileEntry::from)
                .collect()
        })
        .await?;
        let mut files = found.items;
        if input.include_download_urls {
            let expires_in = input.download_urls_expire_in.unwrap_or(3600);
            let expires_in = presign::check_expires_in("download_urls_expire_in", expires_in)?;
            let credentials = ctx.client().credentials().await?;
            let now = SystemTime::now();
            for file in &mut files {
                let request = UrlRequest {
                    method: Method::GET,
                    bucket: input.bucket.to_string(),
                    key: file.key.clone(),
                    params: Vec::new(),
                    headers: Vec::new(),
                    expires_in,
                };
                file.download_url = Some(presign::url_with(
                    ctx.client(),
                    &credentials,
                    &request,
                    now,
                )?);
            }
        }
        Ok(ListFilesOutput {
            page: Page::until(found.next_continuation_token),
            files,
        })
    }
}

register_module!(ListFiles);
