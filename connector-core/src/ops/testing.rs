//! For the unit tests of the operations: where a built request would go.

use crate::wire::endpoint::Endpoint;
use crate::wire::request::Request;

/// The URL of `request` on a path-style store at `http://127.0.0.1:9000`.
pub(crate) fn url(request: &Request) -> String {
    let endpoint = Endpoint::parse_custom("http://127.0.0.1:9000").expect("a valid endpoint");
    request.url(&endpoint).expect("a valid URL").into()
}
