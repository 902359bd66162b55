//! Texts S3 hands out for a caller to give back: version IDs, continuation tokens. When given,
//! they are not empty (an empty one would mean something else than leaving it out).

use crate::framework::validate;

text_type! {
    /// A version ID of an object (versioned buckets), as S3 gave it.
    VersionId,
    field: "version_id",
    check: |field, id| validate::version_id(field, Some(id)),
    schema: validate::schema::not_empty
}

text_type! {
    /// The token that continues a listing: the `next_continuation_token` of its previous page.
    ContinuationToken,
    field: "continuation_token",
    check: validate::continuation_token,
    schema: validate::schema::not_empty
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn given_texts_are_not_empty() {
        serde_json::from_value::<VersionId>(json!("3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")).unwrap();
        let err = serde_json::from_value::<VersionId>(json!("")).unwrap_err();
        assert!(err.to_string().contains("leave the field out"), "{err}");
        let err = ContinuationToken::try_from("").unwrap_err();
        assert_eq!(err.field(), Some("continuation_token"));
    }
}
