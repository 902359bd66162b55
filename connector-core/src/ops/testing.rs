//! For the unit tests of the operations: a client that sends nothing, and the request it would
//! have sent.

use crate::wire::client::{ClientOptions, S3Client};
use crate::wire::credentials::Credentials;
use crate::wire::endpoint::Endpoint;
use crate::wire::prepared::PreparedRequest;
use crate::wire::request::S3Request;
use std::sync::Arc;

/// A dry-run client of a path-style store at `http://127.0.0.1:9000`, region `us-east-1`.
pub(crate) fn dry_client() -> S3Client {
    let endpoint = Endpoint::parse_custom("http://127.0.0.1:9000").expect("a valid endpoint");
    let keys = Arc::new(Credentials::new("AKIDEXAMPLE", "secret", None));
    S3Client::dry_run_from_parts(endpoint, "us-east-1", keys, ClientOptions::default())
        .expect("a dry-run client")
}

/// The signed request `request` would send (made with `client` from [`dry_client`]).
pub(crate) async fn recorded(client: &S3Client, request: S3Request<'_>) -> PreparedRequest {
    let _ = request.send().await;
    client.dry_run_request().expect("the request was recorded")
}
