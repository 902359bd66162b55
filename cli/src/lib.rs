//! The s3-connector program as a library: the embedded local store, the manifest writer and
//! the demo, shared by the binary and the integration tests.

pub mod demo;
pub mod local_store;
pub mod manifest;
pub mod progress;

// The modules register themselves only if this crate refers to theirs.
pub use s3_modules;
