//! The integration tests of s3-connector against real S3-compatible servers, as one test binary:
//! each file here is a module (`cargo test -p integration-tests --test suite service::` runs one
//! of them). One binary links the whole product once instead of once per file, and its tests
//! run side by side. The helpers they share (test servers, the fault proxy, the hostile server)
//! are the `integration_tests` library, `tests/harness.rs`.
//!
//! All tests share one process: service.rs installs the process's tracing subscriber (its
//! secrets check reads every log line written after its first service starts), and store.rs
//! starts this binary again to run one of its tests in child processes.

mod admin;
mod api_call_streaming;
mod big_copies;
mod browser;
mod bucket_config;
mod checksum_policy;
mod checksums;
mod contract;
mod egress;
mod fault_proxy_selftest;
mod faults;
mod files;
mod generated;
mod hostile;
mod local_files;
mod mcp;
mod modules;
mod presign;
mod service;
mod signing;
mod store;
mod transfers;
mod upload_checksums;
mod verified_downloads;
