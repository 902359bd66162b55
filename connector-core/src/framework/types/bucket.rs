//! Bucket names: of a bucket that exists, and of a bucket to create.

use crate::framework::validate;

text_type! {
    /// The name of an existing bucket. Older buckets in us-east-1 may have capitals and
    /// underscores, so only the characters and the length are checked (and that it is not `.`
    /// or `..`, which URLs would drop).
    BucketName,
    field: "bucket",
    check: validate::bucket_name,
    schema: validate::schema::bucket_name
}

text_type! {
    /// The name of a bucket to create, by S3's full current rules: 3 to 63 lowercase letters,
    /// digits, dots and hyphens, starting and ending with a letter or digit, not like an IP
    /// address, without AWS's reserved prefixes and suffixes.
    NewBucketName,
    field: "bucket",
    check: validate::new_bucket_name,
    schema: validate::schema::new_bucket_name
}

impl From<NewBucketName> for BucketName {
    /// A new bucket's name is a bucket name (its rules are stricter).
    fn from(name: NewBucketName) -> Self {
        BucketName(name.into_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_checked_while_read() {
        let legacy: BucketName = serde_json::from_value(json!("Legacy_Bucket.1")).unwrap();
        assert_eq!(legacy.as_str(), "Legacy_Bucket.1");
        let err = serde_json::from_value::<BucketName>(json!("..")).unwrap_err();
        assert!(err.to_string().contains("'.' or '..'"), "{err}");
        assert!(serde_json::from_value::<NewBucketName>(json!("Legacy_Bucket.1")).is_err());
        let new: NewBucketName = serde_json::from_value(json!("my-bucket")).unwrap();
        assert_eq!(
            BucketName::from(new),
            BucketName::try_from("my-bucket").unwrap()
        );
        let err = BucketName::try_from("s3://x").unwrap_err();
        assert_eq!(err.field(), Some("bucket"));
    }
}
