//! The modules of s3-connector, one file each. Every module registers itself with the
//! connector-core registry when this crate is linked: a program that uses them must refer to
//! this crate (`use s3_modules as _;`).

pub mod assume_role;
pub mod copy_file;
pub mod create_bucket;
pub mod create_folder;
pub mod delete_bucket;
pub mod delete_bucket_cors;
pub mod delete_bucket_policy;
pub mod delete_file;
pub mod delete_files;
pub mod delete_folder;
pub mod get_bucket_cors;
pub mod get_bucket_policy;
pub mod get_bucket_region;
pub mod get_file;
pub mod head_file;
pub mod list_buckets;
pub mod list_files;
pub mod list_folders;
pub mod make_api_call;
pub mod move_file;
pub mod options;
pub mod presign_post;
pub mod presign_url;
pub mod put_bucket_cors;
pub mod put_bucket_policy;
pub mod search_files;
pub mod upload_file;

/// The names of the options providers this crate provides.
pub const OPTIONS_PROVIDERS: &[&str] = &["buckets", "folders", "providers", "regions"];

/// The names of the modules this crate provides, in name order: those registered with the
/// registry (every module file registers itself; the test below checks that none forgets).
pub fn module_names() -> Vec<&'static str> {
    connector_core::Registry::global()
        .modules()
        .map(|module| module.name())
        .collect()
}

#[cfg(test)]
mod tests {
    /// Every module file (each `src/*.rs` but this one) registers its module, under the file's
    /// name.
    #[test]
    fn every_module_file_registers_its_module() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files: Vec<String> = std::fs::read_dir(&src)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
            .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
            .filter(|name| name != "lib")
            .collect();
        files.sort();
        for file in &files {
            let text = std::fs::read_to_string(src.join(format!("{file}.rs"))).unwrap();
            assert!(
                text.contains("register_module!("),
                "{file}.rs registers no module"
            );
        }
        assert_eq!(super::module_names(), files);
    }

    /// Every module's effects, pinned: a new module (or a changed one) is classified on
    /// purpose, since agents and `--read-only` servers act on them. Columns: read-only,
    /// destructive, idempotent, talks to the store.
    #[test]
    fn every_module_declares_what_it_does() {
        use connector_core::Registry;
        const TABLE: &[(&str, bool, bool, bool, bool)] = &[
            ("assume_role", false, false, false, true),
            ("copy_file", false, false, true, true),
            ("create_bucket", false, false, false, true),
            ("create_folder", false, false, true, true),
            ("delete_bucket", false, true, true, true),
            ("delete_bucket_cors", false, true, true, true),
            ("delete_bucket_policy", false, true, true, true),
            ("delete_file", false, true, true, true),
            ("delete_files", false, true, true, true),
            ("delete_folder", false, true, true, true),
            ("get_bucket_cors", true, false, true, true),
            ("get_bucket_policy", true, false, true, true),
            ("get_bucket_region", true, false, true, true),
            ("get_file", true, false, true, true),
            ("head_file", true, false, true, true),
            ("list_buckets", true, false, true, true),
            ("list_files", true, false, true, true),
            ("list_folders", true, false, true, true),
            ("make_api_call", false, true, false, true),
            ("move_file", false, true, false, true),
            ("presign_post", false, false, true, false),
            ("presign_url", true, false, true, false),
            ("put_bucket_cors", false, true, true, true),
            ("put_bucket_policy", false, true, true, true),
            ("search_files", true, false, true, true),
            ("upload_file", false, false, true, true),
        ];
        let registry = Registry::global();
        let mut pinned: Vec<&str> = TABLE.iter().map(|row| row.0).collect();
        pinned.sort();
        assert_eq!(pinned, super::module_names(), "one row per module");
        for &(name, read_only, destructive, idempotent, open_world) in TABLE {
            let effects = registry.get(name).unwrap().effects();
            assert_eq!(
                (
                    effects.read_only,
                    effects.destructive,
                    effects.idempotent,
                    effects.open_world
                ),
                (read_only, destructive, idempotent, open_world),
                "{name}"
            );
        }
    }

    /// What an input names decides what an agent limited to some buckets may call.
    #[test]
    fn inputs_say_which_buckets_they_name_and_whether_they_write() {
        use connector_core::Registry;
        use serde_json::json;
        let registry = Registry::global();
        let named = |name: &str, input: serde_json::Value| {
            let prepared = registry.prepare(name, input).unwrap();
            prepared
                .buckets()
                .iter()
                .map(|b| (b.field.clone(), b.bucket.clone()))
                .collect::<Vec<_>>()
        };
        let pair = |field: &str, bucket: &str| (field.to_owned(), bucket.to_owned());
        assert_eq!(
            named("delete_file", json!({"bucket": "shop", "key": "a.txt"})),
            [pair("bucket", "shop")]
        );
        assert_eq!(
            named(
                "copy_file",
                json!({"source_bucket": "a", "source_key": "k", "destination_bucket": "b", "destination_key": "k"})
            ),
            [pair("source_bucket", "a"), pair("destination_bucket", "b")]
        );
        assert_eq!(
            named(
                "make_api_call",
                json!({"method": "GET", "url": "/my-bucket?cors"})
            ),
            [pair("url", "my-bucket")]
        );
        assert_eq!(
            named(
                "make_api_call",
                json!({"method": "PUT", "url": "my-bucket/a b.txt"})
            ),
            [pair("url", "my-bucket")]
        );
        assert_eq!(
            named("make_api_call", json!({"method": "GET", "url": "/"})),
            []
        );
        assert_eq!(named("list_buckets", json!({})), []);

        let read_only = |method: &str| {
            registry
                .prepare(
                    "presign_url",
                    json!({"bucket": "b", "key": "k", "method": method}),
                )
                .unwrap()
                .read_only()
        };
        assert!(read_only("GET") && read_only("HEAD"));
        assert!(!read_only("PUT") && !read_only("DELETE"));
        let upload = registry
            .prepare(
                "upload_file",
                json!({"bucket": "b", "file_name": "a.txt", "source": {"text": "x"}}),
            )
            .unwrap();
        assert!(!upload.read_only());
    }
}
