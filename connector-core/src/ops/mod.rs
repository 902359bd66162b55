//! The S3 operations the product uses, built on the [`wire`](crate::wire): assuming a role
//! ([`sts`]), listing ([`listing`], [`buckets`]), deleting ([`delete_objects`], [`emptying`]),
//! uploading ([`upload`]) and downloading ([`download`], [`part_file`]) with the part sizes and
//! progress of [`transfer`], presigning ([`presign`]), and the folder conventions of keys
//! ([`keys`]), copying ([`copy`]; any size: [`multipart_copy`]), creating buckets
//! ([`buckets`]) and their configuration ([`policy`], [`cors`], through [`bucket_config`]).
//!
//! This layer uses the wire, never the `framework` above it.

pub mod bucket_config;
pub mod buckets;
pub mod copy;
pub mod cors;
pub mod delete_objects;
pub mod download;
pub mod emptying;
pub mod keys;
pub mod listing;
pub mod multipart_copy;
pub mod part_file;
pub mod policy;
pub mod presign;
pub mod sts;
#[cfg(test)]
mod testing;
pub mod transfer;
pub mod upload;

#[cfg(test)]
mod request_builders;
