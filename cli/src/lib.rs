//! The s3-connector program as a library: the embedded local store and the manifest writer,
//! shared by the binary and the integration tests.

pub mod local_store;

// The modules register themselves only if this crate refers to theirs.
pub use s3_modules;
