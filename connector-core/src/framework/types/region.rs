//! AWS region codes.

use crate::framework::validate;

text_type! {
    /// An AWS region code such as `eu-west-1`.
    Region,
    field: "region",
    check: validate::region,
    schema: validate::schema::region
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn region_codes_are_checked_while_read() {
        let region: Region = serde_json::from_value(json!("eu-west-1")).unwrap();
        assert_eq!(region.to_string(), "eu-west-1");
        let err = serde_json::from_value::<Region>(json!("Europe")).unwrap_err();
        assert!(err.to_string().contains("not a region code"), "{err}");
    }
}
