//! The s3-connector program as a library: the embedded local store, the manifest writer and
//! the demo, shared by the binary and the integration tests.

pub mod bounded_json;
pub mod demo;
pub mod local_store;
pub mod manifest;
pub mod openapi;
pub mod progress;
pub mod serve;

/// Log directives always added: the embedded store (s3s) dumps every request header at debug
/// level, session tokens included, so it never logs below info.
pub const LOG_CAPS: &str = ",s3s=info,s3s_fs=info";

// The modules register themselves only if this crate refers to theirs.
pub use s3_modules;
