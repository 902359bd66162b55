//! Talking to an S3-compatible endpoint: where a request goes ([`endpoint`]), what it is signed
//! with ([`credentials`], [`secret`]) and how ([`signer`], [`encode`], [`canonical`]), how a body
//! is checksummed and framed ([`checksum`], [`chunked`], [`payload`]), the client that sends it ([`client`],
//! [`request`], [`send`], [`transport`], [`retry`], [`egress`]) and what comes back
//! ([`response`], [`headers`], [`xml`], [`answer`], [`s3_error`], [`diagnose`]).
//!
//! This layer knows nothing of S3 operations (`ops`) or of modules and connections
//! (`framework`), the layers above it: it uses only [`error`](crate::error).

pub mod answer;
pub mod body;
pub mod canonical;
pub mod checksum;
pub mod chunked;
pub mod cleanup;
pub mod client;
pub mod credentials;
pub mod diagnose;
pub mod egress;
pub mod encode;
pub mod endpoint;
pub mod headers;
pub mod payload;
pub mod prepared;
pub mod request;
pub mod response;
pub mod retry;
pub mod s3_error;
pub mod secret;
pub mod send;
pub mod signer;
pub mod transport;
pub mod xml;
