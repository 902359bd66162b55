//! The core of s3-connector, in three layers, each using only those below it (a test,
//! `tests/layers.rs`, keeps it so):
//!
//! - [`wire`]: talking to an S3-compatible endpoint: endpoints, credentials, SigV4 signing,
//!   the [`S3Client`] that sends with retries, responses, S3's errors, XML.
//! - [`ops`]: the S3 operations built on it: listing, uploads, downloads, deletes, presigning,
//!   assuming a role.
//! - [`framework`]: what modules and front ends use: a [`Connection`] (keys, region, endpoint)
//!   gives a [`Context`] with its client; [`Module`]s are actions and searches with
//!   JSON-Schema inputs and outputs, collected in the [`Registry`] and invoked by name with JSON.
//!
//! [`error`] (the one error type) is below them all. The types modules and front ends use
//! most are re-exported here.

#![warn(missing_docs)]

pub mod error;
pub mod framework;
pub mod ops;
pub mod wire;

pub use error::{Error, ErrorKind, Origin, Result};
pub use framework::connection::Connection;
pub use framework::context::Context;
pub use framework::module::{DynModule, Effects, Module, ModuleKind};
pub use framework::options::{OptionItem, OptionsProvider};
pub use framework::registry::{Registration, Registry};
pub use wire::body::Body;
pub use wire::client::S3Client;
pub use wire::credentials::Credentials;
pub use wire::egress::{AllowedEndpoint, EgressPolicy};
pub use wire::endpoint::{AddressingStyle, Endpoint, Target};
pub use wire::prepared::PreparedRequest;
pub use wire::request::Request;
pub use wire::response::Response;
pub use wire::secret::Secret;
pub use wire::send::S3Request;

/// Re-exported for module implementations.
pub use async_trait::async_trait;
pub use http;
pub use http::Method;
#[doc(hidden)]
pub use inventory;
