//! The `buckets` list: the account's buckets, for a bucket picker.

use connector_core::ops::buckets;
use connector_core::{Context, OptionItem, OptionsProvider, Result, async_trait, register_options};
use serde_json::Value;

/// Lists the buckets of the connection's account.
pub struct Buckets;

#[async_trait]
impl OptionsProvider for Buckets {
    const NAME: &'static str = "buckets";
    const DESCRIPTION: &'static str = "The buckets of the connection's account.";
    const DEPENDS_ON: &'static [&'static str] = &[];
    const NEEDS_CONNECTION: bool = true;
    type Input = serde_json::Map<String, Value>;

    async fn options(
        &self,
        ctx: Option<&Context>,
        _input: serde_json::Map<String, Value>,
    ) -> Result<Vec<OptionItem>> {
        let client = ctx.expect("checked by the registry").client();
        let mut items = Vec::new();
        let mut pages = buckets::BucketPages::new(client, None, None);
        while let Some(page) = pages.next(1000).await? {
            items.extend(page.buckets.into_iter().map(|b| OptionItem::plain(b.name)));
        }
        Ok(items)
    }
}

register_options!(Buckets);
