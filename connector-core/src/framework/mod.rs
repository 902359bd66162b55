//! What modules and front ends use: the [`connection`] (with the defaults of its [`provider`], and the wire client it becomes, with
//! [`profile`] to read one from the AWS config files), the [`module`] trait and the
//! [`registry`] that invokes modules by name, the [`context`] a module runs in (with the
//! [`local_files`] it may touch), dynamic [`options`] for forms, the [`page`] listings end with, the value [`types`] of inputs
//! (which check themselves as the [`input`] is read) and the checks of [`validate`] and
//! [`acl`].
//!
//! This layer uses the [`ops`](crate::ops) and the [`wire`](crate::wire) below it.

pub mod acl;
pub mod connection;
pub mod context;
pub mod input;
pub mod local_files;
pub mod module;
pub mod options;
pub mod page;
pub mod profile;
pub mod provider;
pub mod registry;
pub mod types;
pub mod validate;
