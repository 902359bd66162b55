//! Typed S3 answers read from their XML documents. A typed answer is only read from the
//! document it is meant to be: its real root element (after any byte order mark, XML
//! declaration, comments, processing instructions and DOCTYPE) must be the one its type names
//! ([`XmlAnswer::ROOT`]); an `<Error>` root is the S3 error it describes, even in a `200 OK`
//! answer.

use crate::error::{Error, ErrorKind, Result};
use crate::wire::s3_error;
use crate::wire::xml::{deserialize, document_root};
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

/// A typed S3 answer: the document it is read from, named by its root element.
pub trait XmlAnswer: DeserializeOwned {
    /// The local name (without namespace prefix) of the root element, e.g. `ListBucketResult`.
    const ROOT: &'static str;
}

/// Reads S3's answer `body` (with its `status` and `headers`) into `T`. An `<Error>` document
/// is the S3 error it describes, whatever the status; a document with another root than
/// `T`'s, too deep, not UTF-8 or not well-formed is a `server` error.
pub fn parse_answer<T: XmlAnswer>(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T> {
    let text = std::str::from_utf8(body).map_err(|_| {
        Error::new(
            ErrorKind::Server,
            "the store answered with XML that is not UTF-8",
        )
        .with_retryable(false)
    })?;
    match document_root(text)? {
        root if root == "Error" => Err(s3_error::from_response(status, headers, body)),
        root if root == T::ROOT => deserialize(text),
        root => Err(Error::new(
            ErrorKind::Server,
            format!(
                "expected <{}>, the store answered <{root}>: it is not the answer to this \
                 request, so nothing was taken from it",
                T::ROOT
            ),
        )
        .with_status(status.as_u16())
        .with_retryable(false)),
    }
}

/// [`parse_answer`] for a body on its own (as if S3 had answered `200 OK` with no headers).
pub fn parse<T: XmlAnswer>(text: &str) -> Result<T> {
    parse_answer(StatusCode::OK, &HeaderMap::new(), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Listing {
        name: String,
    }

    impl XmlAnswer for Listing {
        const ROOT: &'static str = "ListBucketResult";
    }

    #[test]
    fn typed_answers_come_only_from_their_own_document() {
        let ok: Listing =
            parse("\u{FEFF}<!-- c --><ListBucketResult><Name>b</Name></ListBucketResult>").unwrap();
        assert_eq!(ok.name, "b");
        let err = parse::<Listing>("<DeleteResult><Name>b</Name></DeleteResult>").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Server);
        assert!(
            err.message()
                .contains("expected <ListBucketResult>, the store answered <DeleteResult>"),
            "{}",
            err.message()
        );
        let err = parse::<Listing>(
            "<!-- c --><Error><Code>AccessDenied</Code><Message>no</Message></Error>",
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AccessDenied);
        assert_eq!(err.code(), Some("AccessDenied"));
        let err =
            parse_answer::<Listing>(StatusCode::OK, &HeaderMap::new(), b"<a>\xff</a>").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Server);
    }
}
