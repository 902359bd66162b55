//! The paging part of a listing's output: whether more remain, and the token that continues
//! it. Every listing module flattens a [`Page`] into its output, so they all page alike.

use schemars::JsonSchema;
use serde::Serialize;

/// Where a listing stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Page {
    /// Whether more remain; pass `next_continuation_token` to get them.
    pub truncated: bool,
    /// The token that continues this listing, when `truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_continuation_token: Option<String>,
}

impl Page {
    /// The page of a listing that S3 ended with `token`: more remain while there is one.
    pub fn until(token: Option<String>) -> Page {
        Page {
            truncated: token.is_some(),
            next_continuation_token: token,
        }
    }
}
