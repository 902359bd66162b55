//! The `providers` list: the stores a connection can name as its provider, for the connection
//! form's provider picker.

use connector_core::framework::provider::Provider;
use connector_core::{Context, OptionItem, OptionsProvider, Result, async_trait, register_options};
use serde_json::Value;

/// Lists the providers a connection can name.
pub struct Providers;

#[async_trait]
impl OptionsProvider for Providers {
    const NAME: &'static str = "providers";
    const DESCRIPTION: &'static str =
        "The stores a connection can name, e.g. r2 = Cloudflare R2; each fills in its defaults.";
    const DEPENDS_ON: &'static [&'static str] = &[];
    const NEEDS_CONNECTION: bool = false;
    type Input = serde_json::Map<String, Value>;

    async fn options(
        &self,
        _ctx: Option<&Context>,
        _input: serde_json::Map<String, Value>,
    ) -> Result<Vec<OptionItem>> {
        Ok(Provider::ALL
            .iter()
            .map(|provider| OptionItem {
                value: provider.as_str().to_owned(),
                label: provider.label().to_owned(),
            })
            .collect())
    }
}

register_options!(Providers);

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value is one a connection's `provider` field takes.
    #[tokio::test]
    async fn values_are_connection_providers() {
        let items = Providers.options(None, Default::default()).await.unwrap();
        assert_eq!(items.len(), Provider::ALL.len());
        for item in items {
            let provider: Provider = serde_json::from_value(Value::from(item.value)).unwrap();
            assert_eq!(provider.label(), item.label);
        }
    }
}
