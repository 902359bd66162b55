//! A first look at JSON from callers who may be hostile, before it is parsed into values: one
//! pass over the bytes that counts nesting and values without building anything, so a body of
//! many tiny values (`[0,0,0,…]`, which costs ~50× its size as a `serde_json::Value`) or one
//! nested thousands deep is refused at the cost of reading it once.

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// How much structure a JSON document may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonLimits {
    /// The deepest nesting of arrays and objects (serde_json itself stops at 128).
    pub max_depth: usize,
    /// The most values in all (every scalar, array, object and object key counts one).
    pub max_values: usize,
}

impl JsonLimits {
    /// What module inputs need with room to spare: a delete of 1,000 keys with version ids, a
    /// CORS configuration of 100 rules, a policy document of a few hundred statements.
    pub const MODULE_INPUT: JsonLimits = JsonLimits {
        max_depth: 64,
        max_values: 100_000,
    };
}

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not JSON at all (the message is serde_json's, with line and column).
    Malformed(String),
    /// Nested deeper than allowed.
    TooDeep(usize),
    /// More values than allowed.
    TooManyValues(usize),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Malformed(message) => write!(f, "the body is not JSON: {message}"),
            Refusal::TooDeep(max) => write!(
                f,
                "the JSON is nested more than {max} levels deep; no module input needs that"
            ),
            Refusal::TooManyValues(max) => write!(
                f,
                "the JSON has more than {max} values; send large content as one text or base64 \
                 string, or split the work into several calls"
            ),
        }
    }
}

/// Checks `bytes` against `limits` without building the document.
pub fn check(bytes: &[u8], limits: JsonLimits) -> Result<(), Refusal> {
    let mut counter = Counter {
        limits,
        depth: 0,
        values: 0,
        refusal: None,
    };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = Scan(&mut counter)
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end());
    match (parsed, counter.refusal) {
        (_, Some(refusal)) => Err(refusal),
        (Err(err), None) => Err(Refusal::Malformed(err.to_string())),
        (Ok(()), None) => Ok(()),
    }
}

struct Counter {
    limits: JsonLimits,
    depth: usize,
    values: usize,
    refusal: Option<Refusal>,
}

impl Counter {
    /// Counts one value; an error stops the scan (the refusal is kept to report it).
    fn count<E: de::Error>(&mut self) -> Result<(), E> {
        self.values += 1;
        if self.values > self.limits.max_values {
            return self.refuse(Refusal::TooManyValues(self.limits.max_values));
        }
        Ok(())
    }

    fn enter<E: de::Error>(&mut self) -> Result<(), E> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return self.refuse(Refusal::TooDeep(self.limits.max_depth));
        }
        Ok(())
    }

    fn refuse<E: de::Error>(&mut self, refusal: Refusal) -> Result<(), E> {
        let message = refusal.to_string();
        self.refusal = Some(refusal);
        Err(E::custom(message))
    }
}

/// Visits one value of any shape, counting as it goes.
struct Scan<'c>(&'c mut Counter);

impl<'de> DeserializeSeed<'de> for Scan<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Scan<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.0.count()
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.0.count()
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.0.count()
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.0.count()
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.0.count()
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.count()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.0.count()?;
        self.0.enter()?;
        while seq.next_element_seed(Scan(self.0))?.is_some() {}
        self.0.depth -= 1;
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.0.count()?;
        self.0.enter()?;
        while map.next_key::<IgnoredAny>()?.is_some() {
            self.0.count()?;
            map.next_value_seed(Scan(self.0))?;
        }
        self.0.depth -= 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: JsonLimits = JsonLimits {
        max_depth: 4,
        max_values: 10,
    };

    #[test]
    fn ordinary_documents_pass() {
        check(br#"{"a": [1, 2.5, "x", null, true], "b": {}}"#, SMALL).unwrap();
        check(b" 7 ", SMALL).unwrap();
        check(br#"[[[["four"]]]]"#, SMALL).unwrap();
    }

    #[test]
    fn too_many_values_are_refused() {
        assert_eq!(
            check(b"[0,0,0,0,0,0,0,0,0,0]", SMALL),
            Err(Refusal::TooManyValues(10))
        );
        // Keys count too: an object of many empty keys is no cheaper than an array.
        assert_eq!(
            check(br#"{"a":0,"b":0,"c":0,"d":0,"e":0}"#, SMALL),
            Err(Refusal::TooManyValues(10))
        );
    }

    #[test]
    fn deep_nesting_is_refused_before_serde_json_s_own_limit() {
        assert_eq!(check(b"[[[[[1]]]]]", SMALL), Err(Refusal::TooDeep(4)));
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let limits = JsonLimits {
            max_depth: 64,
            max_values: usize::MAX,
        };
        assert_eq!(check(deep.as_bytes(), limits), Err(Refusal::TooDeep(64)));
    }

    #[test]
    fn malformed_documents_say_where() {
        let Err(Refusal::Malformed(message)) = check(b"{\"a\": }", SMALL) else {
            panic!("accepted")
        };
        assert!(message.contains("column"), "{message}");
        assert!(matches!(check(b"{} {}", SMALL), Err(Refusal::Malformed(_))));
        assert!(matches!(check(b"", SMALL), Err(Refusal::Malformed(_))));
    }
}
