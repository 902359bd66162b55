//! Where objects are in a bucket: an object's key, a listing's prefix, a folder.

use crate::framework::validate;

text_type! {
    /// An object key (a file's path in the bucket), exactly as stored: 1 to 1,024 bytes of
    /// UTF-8, without a `.` or `..` segment between slashes (HTTP clients rewrite those, which
    /// would address another object).
    ObjectKey,
    field: "key",
    check: validate::object_key,
    schema: validate::schema::object_key
}

text_type! {
    /// A prefix (a folder path) to list under: at most 1,024 bytes. Empty: the whole bucket.
    Prefix,
    field: "prefix",
    check: validate::prefix,
    schema: validate::schema::prefix
}

text_type! {
    /// A folder that becomes part of keys: a [`Prefix`] without `.` or `..` segments.
    Folder,
    field: "folder",
    check: validate::folder,
    schema: validate::schema::folder
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_prefixes_and_folders_are_checked_while_read() {
        let key: ObjectKey = serde_json::from_value(json!("a b/é.txt")).unwrap();
        assert_eq!(&*key, "a b/é.txt");
        for bad in ["", "a/../b", &"é".repeat(513)] {
            assert!(
                serde_json::from_value::<ObjectKey>(json!(bad)).is_err(),
                "{bad}"
            );
        }
        serde_json::from_value::<Prefix>(json!("")).unwrap();
        serde_json::from_value::<Prefix>(json!("a/../b")).unwrap();
        assert!(serde_json::from_value::<Prefix>(json!("é".repeat(513))).is_err());
        serde_json::from_value::<Folder>(json!("work/reports/")).unwrap();
        let err = Folder::try_from("work/../reports").unwrap_err();
        assert_eq!(err.field(), Some("folder"));
    }
}
