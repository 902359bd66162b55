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
pub const OPTIONS_PROVIDERS: &[&str] = &["buckets", "folders", "regions"];

/// The names of the modules this crate provides, for a check that all of them registered.
pub const MODULE_NAMES: &[&str] = &[
    "assume_role",
    "copy_file",
    "create_bucket",
    "create_folder",
    "delete_bucket",
    "delete_bucket_cors",
    "delete_bucket_policy",
    "delete_file",
    "delete_files",
    "delete_folder",
    "get_bucket_cors",
    "get_bucket_policy",
    "get_bucket_region",
    "get_file",
    "head_file",
    "list_buckets",
    "list_files",
    "list_folders",
    "make_api_call",
    "move_file",
    "presign_post",
    "presign_url",
    "put_bucket_cors",
    "put_bucket_policy",
    "search_files",
    "upload_file",
];
