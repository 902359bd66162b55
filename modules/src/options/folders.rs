//! The `folders` list: the folders of a bucket (the top level, or inside `prefix`), for a
//! folder picker.

use connector_core::framework::types::{BucketName, Prefix};
use connector_core::ops::keys;
use connector_core::ops::listing::{self, ListRequest};
use connector_core::{Context, OptionItem, OptionsProvider, Result, async_trait, register_options};

/// The most folders offered in one list.
const MAX_FOLDERS: u64 = 1000;

/// The form values the folders list reads (the form's other values are ignored).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct FoldersInput {
    /// The bucket whose folders to list.
    pub bucket: BucketName,
    /// The folder whose subfolders to list. Empty: the top of the bucket.
    // Checked as a prefix while read; its published schema (in the OpenAPI document) stays
    // the plain text it has always been.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub prefix: Option<Prefix>,
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

    async fn options(&self, ctx: Option<&Context>, input: FoldersInput) -> Result<Vec<OptionItem>> {
        let client = ctx.expect("checked by the registry").client();
        let request = ListRequest {
            prefix: keys::folder_prefix(input.prefix.as_deref().unwrap_or_default()),
            delimiter: Some("/".to_owned()),
            ..ListRequest::default()
        };
        let found = listing::collect(client, &input.bucket, request, Some(MAX_FOLDERS), |page| {
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

#[cfg(test)]
mod tests {
    use connector_core::Registry;
    use serde_json::json;

    /// The field a refused form value names.
    fn refused(input: serde_json::Value) -> Option<String> {
        let prepared = Registry::global().prepare_options("folders", &input);
        prepared
            .err()
            .and_then(|err| err.field().map(str::to_owned))
    }

    #[test]
    fn the_bucket_and_the_prefix_check_themselves_while_read() {
        assert_eq!(
            refused(json!({"bucket": "s3://b"})).as_deref(),
            Some("bucket")
        );
        let long = "é".repeat(513);
        assert_eq!(
            refused(json!({"bucket": "b", "prefix": long})).as_deref(),
            Some("prefix")
        );
        assert_eq!(refused(json!({"bucket": "b", "prefix": "a/b"})), None);
    }
}
