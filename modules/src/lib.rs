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
}
