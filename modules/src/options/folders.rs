//! The `folders` list: the folders of a bucket (the top level, or inside `prefix`), for a
//! folder picker.

use connector_core::ops::keys;
use connector_core::ops::listing::{self, ListRequest};
use connector_core::{Context, OptionItem, OptionsProvider, Result, async_trait, register_options};
use serde_json::Value;

/// The most folders offered in one list.
const MAX_FOLDERS: u64 = 1000;

/// The form values the folders list reads (the form's other values are ignored).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct FoldersInput {
    /// The bucket whose folders to list.
    #[schemars(transform = connector_core::framework::validate::schema::bucket_name)]
    pub bucket: String,
    /// The folder whose subfolders to list. Empty: the top of the bucket.
    #[serde(default)]
    pub prefix: Option<String>,
}

/// Lists the folders of a bucket.
pub struct Folders;

#[async_trait]
impl OptionsProvider for Folders {
    const NAME: &'static str = "folders";
    const DESCRIPTION: &'static str =
        "The folders of a bucket: its top level, or inside the folder given as prefix.";
    const DEPENDS_ON: &'static [&'static str] = &["bucket"];
    const NEEDS_CONNECTION: bool = true;
    type Input = FoldersInput;

    async fn options(&self, ctx: Option<&Context>, input: &Value) -> Result<Vec<OptionItem>> {
        let client = ctx.expect("checked by the registry").client();
        let bucket = input["bucket"].as_str().unwrap_or_default();
        connector_core::framework::validate::bucket_name("bucket", bucket)?;
        let prefix = input["prefix"].as_str().unwrap_or_default();
        let request = ListRequest {
            prefix: keys::folder_prefix(prefix),
            delimiter: Some("/".to_owned()),
            ..ListRequest::default()
        };
        let found = listing::collect(client, bucket, request, Some(MAX_FOLDERS), |page| {
            page.common_prefixes
                .into_iter()
                .map(|folder| OptionItem {
                    label: keys::file_name(&folder).to_owned(),
                    value: folder.trim_end_matches('/').to_owned(),
                })
                .collect()
        })
        .await?;
        Ok(found.items)
    }
}

register_options!(Folders);
