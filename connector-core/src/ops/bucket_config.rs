//! A bucket's configuration documents (its policy, its CORS rules), each a subresource of the
//! bucket (`?policy`, `?cors`): read, where a bucket without one is an answer, not an error;
//! and deleted.

use crate::error::Result;
use crate::wire::client::S3Client;
use crate::wire::endpoint::Target;
use crate::wire::request::Request;
use crate::wire::response::Response;
use http::Method;

/// The GET request of the bucket's `subresource` (e.g. `policy`, `cors`).
pub fn get_request(bucket: &str, subresource: &str) -> Request {
    Request::new(Method::GET, Target::bucket(bucket)).query(subresource, "")
}

/// The DELETE request of the bucket's `subresource`.
pub fn delete_request(bucket: &str, subresource: &str) -> Request {
    Request::new(Method::DELETE, Target::bucket(bucket)).query(subresource, "")
}

/// Reads the bucket's `subresource`: `None` when S3 answers `missing_code` (the bucket has none
/// of it); a missing bucket is still an error.
pub async fn get(
    client: &S3Client,
    bucket: &str,
    subresource: &str,
    missing_code: &str,
) -> Result<Option<Response>> {
    match client.send(get_request(bucket, subresource)).await {
        Ok(response) => Ok(Some(response)),
        Err(err) if err.code() == Some(missing_code) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Deletes the bucket's `subresource` (S3 succeeds also when there was none).
pub async fn delete(client: &S3Client, bucket: &str, subresource: &str) -> Result<()> {
    client.send(delete_request(bucket, subresource)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testing::url;

    #[test]
    fn requests_name_the_subresource() {
        let request = get_request("b", "policy");
        assert_eq!(request.method(), Method::GET);
        assert_eq!(url(&request), "http://127.0.0.1:9000/b?policy");
        let request = delete_request("b", "cors");
        assert_eq!(request.method(), Method::DELETE);
        assert_eq!(url(&request), "http://127.0.0.1:9000/b?cors");
        assert!(request.body_ref().is_empty());
    }
}
