//! A bucket's configuration documents (its policy, its CORS rules), each a subresource of the
//! bucket (`?policy`, `?cors`): read, where a bucket without one is an answer, not an error;
//! and deleted.

use crate::error::Result;
use crate::wire::client::S3Client;
use crate::wire::endpoint::Target;
use crate::wire::request::S3Request;
use crate::wire::response::Response;
use http::Method;

/// The GET request of the bucket's `subresource` (e.g. `policy`, `cors`).
pub fn get_request<'c>(client: &'c S3Client, bucket: &str, subresource: &str) -> S3Request<'c> {
    client
        .request(Method::GET, Target::bucket(bucket))
        .query(subresource, "")
}

/// The DELETE request of the bucket's `subresource`.
pub fn delete_request<'c>(client: &'c S3Client, bucket: &str, subresource: &str) -> S3Request<'c> {
    client
        .request(Method::DELETE, Target::bucket(bucket))
        .query(subresource, "")
}

/// Reads the bucket's `subresource`: `None` when S3 answers `missing_code` (the bucket has none
/// of it); a missing bucket is still an error.
pub async fn get(
    client: &S3Client,
    bucket: &str,
    subresource: &str,
    missing_code: &str,
) -> Result<Option<Response>> {
    match get_request(client, bucket, subresource).send().await {
        Ok(response) => Ok(Some(response)),
        Err(err) if err.code() == Some(missing_code) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Deletes the bucket's `subresource` (S3 succeeds also when there was none).
pub async fn delete(client: &S3Client, bucket: &str, subresource: &str) -> Result<()> {
    delete_request(client, bucket, subresource).send().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testing::{dry_client, recorded};

    #[tokio::test]
    async fn requests_name_the_subresource() {
        let client = dry_client();
        let sent = recorded(&client, get_request(&client, "b", "policy")).await;
        assert_eq!(sent.method, Method::GET);
        assert!(sent.url.ends_with("/b?policy"), "{}", sent.url);
        let client = dry_client();
        let sent = recorded(&client, delete_request(&client, "b", "cors")).await;
        assert_eq!(sent.method, Method::DELETE);
        assert!(sent.url.ends_with("/b?cors"), "{}", sent.url);
        assert_eq!(sent.body.len(), 0);
    }
}
