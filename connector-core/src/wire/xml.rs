//! XML in and out: S3's typed answers through quick-xml's serde support, and any XML as JSON
//! for raw API calls. Bodies are size-capped before they reach here; no custom entities are
//! expanded; no document is read that nests deeper than [`MAX_XML_DEPTH`] (whatever a server
//! sends, reading it neither recurses without bound nor builds a value too deep to drop).
//!
//! Typed S3 answers are read through `wire::answer` (above this file), which checks the
//! document's root first.

use crate::error::{Error, ErrorKind, Result};
use quick_xml::Reader;
use quick_xml::events::Event;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The largest XML body the connector parses (a 1,000-key listing is a few hundred KiB).
pub const MAX_XML_BYTES: usize = 32 * 1024 * 1024;

/// The deepest an XML document may nest (S3's answers nest a handful of levels).
pub const MAX_XML_DEPTH: usize = 256;

/// Deserializes `text` into `T` whatever its root element (S3's error documents; typed
/// answers go through `answer::parse_answer`, which checks the root first). Refuses documents
/// deeper than [`MAX_XML_DEPTH`] before deserializing.
pub fn deserialize<T: DeserializeOwned>(text: &str) -> Result<T> {
    let text = without_bom(text);
    document_root(text)?;
    quick_xml::de::from_str(text).map_err(|err| {
        Error::new(
            ErrorKind::Server,
            format!("the store answered with XML that cannot be read: {err}"),
        )
    })
}

/// The local name of the document's root element: the first element after any byte order
/// mark, XML declaration, comments, processing instructions, DOCTYPE and whitespace. The
/// whole document is read on the way (iteratively, without building anything): one that nests
/// deeper than [`MAX_XML_DEPTH`], is not well-formed, has no element or ends inside one is a
/// `server` error.
pub fn document_root(text: &str) -> Result<String> {
    let mut reader = Reader::from_str(without_bom(text));
    let mut root: Option<String> = None;
    let mut depth = 0usize;
    loop {
        match reader.read_event().map_err(|e| not_well_formed(&e))? {
            Event::Start(start) => {
                depth += 1;
                check_depth(depth)?;
                root.get_or_insert_with(|| local_name(&start));
            }
            Event::Empty(start) => {
                check_depth(depth + 1)?;
                root.get_or_insert_with(|| local_name(&start));
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => break,
            _ => {}
        }
    }
    match root {
        Some(root) if depth == 0 => Ok(root),
        Some(root) => Err(not_well_formed(&format!("it ends inside <{root}>"))),
        None => Err(not_well_formed(&"it has no element")),
    }
}

/// `text` without a leading byte order mark.
fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{FEFF}').unwrap_or(text)
}

fn local_name(start: &quick_xml::events::BytesStart<'_>) -> String {
    String::from_utf8_lossy(start.local_name().as_ref()).into_owned()
}

fn not_well_formed(err: &dyn std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Server,
        format!("the store answered with XML that is not well-formed: {err}"),
    )
}

/// Refuses an element `depth` levels deep when that is more than [`MAX_XML_DEPTH`].
fn check_depth(depth: usize) -> Result<()> {
    if depth <= MAX_XML_DEPTH {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Server,
        format!(
            "the store answered with XML nested more than {MAX_XML_DEPTH} elements deep, which \
             no S3 answer is; it was not read"
        ),
    )
    .with_retryable(false))
}

/// Serializes `value` as an XML document with the root element `root`.
pub fn to_string<T: serde::Serialize>(root: &str, value: &T) -> Result<String> {
    let mut out = String::from(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let mut ser = quick_xml::se::Serializer::with_root(&mut out, Some(root))
        .map_err(|err| Error::new(ErrorKind::InvalidInput, format!("cannot write XML: {err}")))?;
    ser.expand_empty_elements(false);
    value
        .serialize(ser)
        .map_err(|err| Error::new(ErrorKind::InvalidInput, format!("cannot write XML: {err}")))?;
    Ok(out)
}

/// Converts XML to JSON: `{"Root": {...}}`. An element with only text becomes a string, an
/// empty element `""`, an element with children an object; children that repeat become an
/// array. Attributes (such as `xmlns`) are dropped. A document nested deeper than
/// [`MAX_XML_DEPTH`] is a `server` error (so the JSON is never deeper than twice that).
pub fn to_json(text: &str) -> Result<Value> {
    let bad = |err: &dyn std::fmt::Display| not_well_formed(err);
    // Text is kept exactly (keys may begin or end with spaces); whitespace between child
    // elements is dropped because an element with children keeps only the children.
    let mut reader = Reader::from_str(without_bom(text));
    // Each open element: its name, its children, its text.
    let mut stack: Vec<(String, Map<String, Value>, String)> =
        vec![(String::new(), Map::new(), String::new())];
    loop {
        match reader.read_event().map_err(|e| bad(&e))? {
            Event::Start(start) => {
                // The stack holds the document itself below the elements.
                check_depth(stack.len())?;
                stack.push((local_name(&start), Map::new(), String::new()));
            }
            Event::Empty(start) => {
                check_depth(stack.len())?;
                let name = local_name(&start);
                let parent = stack.last_mut().ok_or_else(|| bad(&"unbalanced"))?;
                insert(&mut parent.1, name, Value::String(String::new()));
            }
            Event::Text(t) => {
                let text = t.decode().map_err(|e| bad(&e))?;
                let text = quick_xml::escape::unescape(&text).map_err(|e| bad(&e))?;
                if let Some(top) = stack.last_mut() {
                    top.2.push_str(&text);
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.2.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| bad(&e))?;
                let resolved = match r.resolve_char_ref().map_err(|e| bad(&e))? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_xml_entity(&name)
                        .ok_or_else(|| bad(&format!("unknown entity &{name};")))?
                        .to_owned(),
                };
                if let Some(top) = stack.last_mut() {
                    top.2.push_str(&resolved);
                }
            }
            Event::End(_) => {
                let (name, children, text) = stack.pop().ok_or_else(|| bad(&"unbalanced"))?;
                let value = if children.is_empty() {
                    Value::String(text)
                } else {
                    Value::Object(children)
                };
                let parent = stack.last_mut().ok_or_else(|| bad(&"unbalanced"))?;
                insert(&mut parent.1, name, value);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    match stack.pop() {
        Some((_, root, _)) if stack.is_empty() && !root.is_empty() => Ok(Value::Object(root)),
        _ => Err(bad(&"no root element, or an element left open")),
    }
}

/// Adds `value` under `name`, turning repeated names into an array.
fn insert(map: &mut Map<String, Value>, name: String, value: Value) {
    match map.get_mut(&name) {
        None => {
            map.insert(name, value);
        }
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn listing_to_json() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>b</Name><Prefix/><KeyCount>2</KeyCount>
  <Contents><Key>a &amp; b</Key><Size>1</Size></Contents>
  <Contents><Key>c&#x20;d</Key><Size>2</Size></Contents>
</ListBucketResult>"#;
        assert_eq!(
            to_json(xml).unwrap(),
            json!({"ListBucketResult": {
                "Name": "b", "Prefix": "", "KeyCount": "2",
                "Contents": [{"Key": "a & b", "Size": "1"}, {"Key": "c d", "Size": "2"}]
            }})
        );
    }

    #[test]
    fn broken_xml_is_an_error() {
        assert!(to_json("<a><b></a>").is_err());
        assert!(to_json("").is_err());
        assert!(to_json("<a>&custom;</a>").is_err());
    }

    fn nested(depth: usize) -> String {
        format!(
            "<R>{}x{}</R>",
            "<a>".repeat(depth - 1),
            "</a>".repeat(depth - 1)
        )
    }

    #[test]
    fn depth_is_bounded_everywhere() {
        #[derive(Debug, serde::Deserialize)]
        struct R {}
        for depth in [MAX_XML_DEPTH + 1, 20_000, 100_000] {
            let text = nested(depth);
            for err in [
                to_json(&text).unwrap_err(),
                document_root(&text).unwrap_err(),
                deserialize::<R>(&text).unwrap_err(),
            ] {
                assert_eq!(err.kind(), ErrorKind::Server);
                assert!(err.message().contains("256"), "{}", err.message());
            }
        }
        let deepest = nested(MAX_XML_DEPTH);
        assert!(to_json(&deepest).is_ok());
        assert_eq!(document_root(&deepest).unwrap(), "R");
        let empty_too_deep = format!("<R>{}<e/>{}</R>", "<a>".repeat(255), "</a>".repeat(255));
        assert!(to_json(&empty_too_deep).is_err());
        assert!(document_root(&empty_too_deep).is_err());
    }

    #[test]
    fn the_root_is_found_behind_everything_that_may_come_first() {
        for text in [
            "<Error/>",
            "\u{FEFF}<Error><Code>x</Code></Error>",
            "<?xml version=\"1.0\"?>\n<!-- a comment -->\n<Error></Error>",
            "<?xml version=\"1.0\"?><!DOCTYPE Error><?pi x?>  <Error/>",
            "<s3:Error xmlns:s3=\"x\"/>",
        ] {
            assert_eq!(document_root(text).unwrap(), "Error", "{text:?}");
        }
        for broken in [
            "",
            "<!-- only a comment -->",
            "<a><b></a>",
            "<a><b>",
            "text",
        ] {
            let err = document_root(broken).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Server, "{broken:?}");
        }
    }

    #[test]
    fn writes_xml_with_a_root() {
        #[derive(serde::Serialize)]
        struct Config {
            #[serde(rename = "LocationConstraint")]
            location: String,
        }
        let xml = to_string(
            "CreateBucketConfiguration",
            &Config {
                location: "eu-west-1".into(),
            },
        )
        .unwrap();
        assert_eq!(
            xml,
            r#"<?xml version="1.0" encoding="UTF-8"?><CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"#
        );
    }
}
