//! The `regions` list: AWS regions with their names, for a region picker.

use connector_core::{Context, OptionItem, OptionsProvider, Result, async_trait, register_options};
use serde_json::Value;

/// AWS regions where S3 is offered, with the names AWS gives them.
pub const REGIONS: &[(&str, &str)] = &[
    ("us-east-1", "US East (N. Virginia)"),
    ("us-east-2", "US East (Ohio)"),
    ("us-west-1", "US West (N. California)"),
    ("us-west-2", "US West (Oregon)"),
    ("af-south-1", "Africa (Cape Town)"),
    ("ap-east-1", "Asia Pacific (Hong Kong)"),
    ("ap-east-2", "Asia Pacific (Taipei)"),
    ("ap-south-1", "Asia Pacific (Mumbai)"),
    ("ap-south-2", "Asia Pacific (Hyderabad)"),
    ("ap-southeast-1", "Asia Pacific (Singapore)"),
    ("ap-southeast-2", "Asia Pacific (Sydney)"),
    ("ap-southeast-3", "Asia Pacific (Jakarta)"),
    ("ap-southeast-4", "Asia Pacific (Melbourne)"),
    ("ap-southeast-5", "Asia Pacific (Malaysia)"),
    ("ap-southeast-7", "Asia Pacific (Thailand)"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)"),
    ("ap-northeast-2", "Asia Pacific (Seoul)"),
    ("ap-northeast-3", "Asia Pacific (Osaka)"),
    ("ca-central-1", "Canada (Central)"),
    ("ca-west-1", "Canada West (Calgary)"),
    ("eu-central-1", "Europe (Frankfurt)"),
    ("eu-central-2", "Europe (Zurich)"),
    ("eu-west-1", "Europe (Ireland)"),
    ("eu-west-2", "Europe (London)"),
    ("eu-west-3", "Europe (Paris)"),
    ("eu-south-1", "Europe (Milan)"),
    ("eu-south-2", "Europe (Spain)"),
    ("eu-north-1", "Europe (Stockholm)"),
    ("il-central-1", "Israel (Tel Aviv)"),
    ("me-south-1", "Middle East (Bahrain)"),
    ("me-central-1", "Middle East (UAE)"),
    ("mx-central-1", "Mexico (Central)"),
    ("sa-east-1", "South America (São Paulo)"),
    ("us-gov-east-1", "AWS GovCloud (US-East)"),
    ("us-gov-west-1", "AWS GovCloud (US-West)"),
    ("cn-north-1", "China (Beijing)"),
    ("cn-northwest-1", "China (Ningxia)"),
];

/// Lists the AWS regions.
pub struct Regions;

#[async_trait]
impl OptionsProvider for Regions {
    const NAME: &'static str = "regions";
    const DESCRIPTION: &'static str = "The AWS regions, e.g. eu-west-1 = Europe (Ireland).";
    const DEPENDS_ON: &'static [&'static str] = &[];
    const NEEDS_CONNECTION: bool = false;
    type Input = serde_json::Map<String, Value>;

    async fn options(
        &self,
        _ctx: Option<&Context>,
        _input: serde_json::Map<String, Value>,
    ) -> Result<Vec<OptionItem>> {
        Ok(REGIONS
            .iter()
            .map(|(code, name)| OptionItem {
                value: (*code).to_owned(),
                label: format!("{name} — {code}"),
            })
            .collect())
    }
}

register_options!(Regions);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes_are_valid() {
        for (code, _) in REGIONS {
            connector_core::framework::validate::region("region", code).unwrap();
        }
    }
}
