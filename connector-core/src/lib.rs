//! The framework of s3-connector.
//!
//! A [`Connection`] (keys, region, endpoint) gives an [`S3Client`] that builds, signs (SigV4
//! with S3's settings) and sends raw S3 REST requests. [`Module`]s are actions and searches with
//! JSON-Schema inputs and outputs, collected in the [`Registry`] and invoked by name with JSON.

#![warn(missing_docs)]

pub mod acl;
pub mod answer;
pub mod body;
pub mod buckets;
pub mod canonical;
pub mod cleanup;
pub mod client;
pub mod connection;
pub mod context;
pub mod credentials;
pub mod delete_objects;
pub mod diagnose;
pub mod download;
pub mod egress;
pub mod emptying;
pub mod encode;
pub mod endpoint;
pub mod error;
pub mod fetch;
pub mod headers;
pub mod keys;
pub mod listing;
pub mod local_files;
pub mod module;
pub mod options;
pub mod prepared;
pub mod presign;
pub mod profile;
pub mod registry;
pub mod request;
pub mod response;
pub mod retry;
pub mod s3_error;
pub mod secret;
pub mod signer;
pub mod sts;
pub mod transfer;
pub mod upload;
pub mod validate;
pub mod xml;

pub use body::Body;
pub use client::S3Client;
pub use connection::Connection;
pub use context::Context;
pub use credentials::Credentials;
pub use egress::{AllowedEndpoint, EgressPolicy};
pub use endpoint::{AddressingStyle, Endpoint, Target};
pub use error::{Error, ErrorKind, Result};
pub use module::{DynModule, Module, ModuleKind};
pub use options::{OptionItem, OptionsProvider};
pub use prepared::PreparedRequest;
pub use registry::{Registration, Registry};
pub use request::S3Request;
pub use response::Response;
pub use secret::Secret;

/// Re-exported for module implementations.
pub use async_trait::async_trait;
pub use http;
pub use http::Method;
#[doc(hidden)]
pub use inventory;
