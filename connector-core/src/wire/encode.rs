//! Percent-encoding for S3 URLs, done once, by us.
//!
//! Object keys go into the path with every byte encoded except the unreserved characters and
//! `/`; query names and values encode `/` too, and always write `+` and space as `%2B` / `%20`
//! (a literal `+` in a query is read as a space by S3 and by the signer).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Everything but `A-Z a-z 0-9 - _ . ~`.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Everything but `A-Z a-z 0-9 - _ . ~ /`.
const PATH: &AsciiSet = &QUERY.remove(b'/');

/// Encodes an object key (or any path) for the URL path: `/` kept, everything else but the
/// unreserved characters percent-encoded as UTF-8 with upper-case hex.
pub fn encode_path(path: &str) -> String {
    utf8_percent_encode(path, PATH).to_string()
}

/// Encodes a query parameter name or value.
pub fn encode_query(value: &str) -> String {
    utf8_percent_encode(value, QUERY).to_string()
}

/// Builds a query string (without the `?`) from name/value pairs. A pair with an empty value is
/// written as the bare name (`?cors`), as S3 documents its sub-resources.
pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&encode_query(name));
        if !value.is_empty() {
            out.push('=');
            out.push_str(&encode_query(value));
        }
    }
    out
}

/// Decodes a key from a listing made with `encoding-type=url` (space written as `+`).
pub fn decode_listing_key(encoded: &str) -> String {
    let spaced = encoded.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

/// Decodes `%XX` escapes (leaving `+` alone), for query strings typed by a person.
pub fn percent_decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

/// The name/value pairs of a query string typed by a person (`versionId=x%2By&cors`): split
/// and `%XX`-decoded by the `url` crate, except that a `+` stays a plus (S3 would read it as a
/// space; the query is sent with `%2B`, as it was meant).
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    let plus_kept = query.replace('+', "%2B");
    url::form_urlencoded::parse(plus_kept.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_keeps_slashes_and_unreserved() {
        assert_eq!(
            encode_path("photos/2019/a b+c.jpg"),
            "photos/2019/a%20b%2Bc.jpg"
        );
        assert_eq!(encode_path("a//b/~x-y_z.txt"), "a//b/~x-y_z.txt");
        assert_eq!(encode_path("test$file.text"), "test%24file.text");
        assert_eq!(encode_path("é"), "%C3%A9");
        assert_eq!(encode_path("100%"), "100%25");
        assert_eq!(
            encode_path("=:@,;!'*$()[]|&"),
            "%3D%3A%40%2C%3B%21%27%2A%24%28%29%5B%5D%7C%26"
        );
    }

    #[test]
    fn query_encodes_slash_plus_and_space() {
        assert_eq!(encode_query("a/b c+d"), "a%2Fb%20c%2Bd");
        assert_eq!(
            query_string([("list-type", "2"), ("prefix", "x y/")]),
            "list-type=2&prefix=x%20y%2F"
        );
        assert_eq!(query_string([("cors", "")]), "cors");
    }

    #[test]
    fn listing_keys_decode_plus_as_space() {
        assert_eq!(decode_listing_key("a+b%2Bc%2F%C3%A9"), "a b+c/é");
        assert_eq!(percent_decode("a+b%2F"), "a+b/");
        assert_eq!(
            query_pairs("versionId=x%2By&tag=a+b&&cors&e=%C3%A9"),
            [
                ("versionId".to_owned(), "x+y".to_owned()),
                ("tag".to_owned(), "a+b".to_owned()),
                ("cors".to_owned(), String::new()),
                ("e".to_owned(), "é".to_owned()),
            ]
        );
    }
}
