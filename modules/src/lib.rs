//! The modules of s3-connector, one file each. Every module registers itself with the
//! connector-core registry when this crate is linked: a program that uses them must refer to
//! this crate (`use s3_modules as _;`).

pub mod assume_role;
pub mod create_bucket;
pub mod get_file;
pub mod list_files;
pub mod list_folders;
pub mod make_api_call;
pub mod presign_post;
pub mod presign_url;
pub mod upload_file;

/// The names of the modules this crate provides, for a check that all of them registered.
pub const MODULE_NAMES: &[&str] = &[
    "assume_role",
    "create_bucket",
    "get_file",
    "list_files",
    "list_folders",
    "make_api_call",
    "presign_post",
    "presign_url",
    "upload_file",
];
