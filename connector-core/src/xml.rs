//! XML in and out: S3's typed responses through quick-xml's serde support, and any XML as JSON
//! for raw API calls. Bodies are size-capped before they reach here; no custom entities are
//! expanded.

use crate::error::{Error, ErrorKind, Result};
use quick_xml::Reader;
use quick_xml::events::Event;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The largest XML body the connector parses (a 1,000-key listing is a few hundred KiB).
pub const MAX_XML_BYTES: usize = 32 * 1024 * 1024;

/// Parses an S3 XML response into `T`.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T> {
    quick_xml::de::from_str(text).map_err(|err| {
        Error::new(
            ErrorKind::Server,
            format!("the store answered with XML that cannot be read: {err}"),
        )
    })
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
/// array. Attributes (such as `xmlns`) are dropped.
pub fn to_json(text: &str) -> Result<Value> {
    let bad = |err: &dyn std::fmt::Display| {
        Error::new(ErrorKind::Server, format!("not well-formed XML: {err}"))
    };
    // Text is kept exactly (keys may begin or end with spaces); whitespace between child
    // elements is dropped because an element with children keeps only the children.
    let mut reader = Reader::from_str(text);
    // Each open element: its name, its children, its text.
    let mut stack: Vec<(String, Map<String, Value>, String)> =
        vec![(String::new(), Map::new(), String::new())];
    loop {
        match reader.read_event().map_err(|e| bad(&e))? {
            Event::Start(start) => {
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                stack.push((name, Map::new(), String::new()));
            }
            Event::Empty(start) => {
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
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
