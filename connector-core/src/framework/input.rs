//! Reading JSON input into its Rust type, once. The value types of
//! [`types`](crate::framework::types) check their rules while they are read, so a value one
//! of them refuses stops the reading with an error that names the field it was given in
//! (`bucket`, `source.base64`, `keys.3`), in the type's own words.

use crate::error::{Error, Result};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Reads `input` into `T`. A value refused inside a field gives an `invalid_input` error
/// naming that field, with the refusal's words; a mismatch of the whole input names `input`,
/// its words after `context` (`invalid input: missing field ...`).
pub fn read<'de, T, D>(input: D, context: &str) -> Result<T>
where
    T: Deserialize<'de>,
    D: Deserializer<'de, Error = serde_json::Error>,
{
    serde_path_to_error::deserialize(input).map_err(|err| {
        let field = field_of(err.path());
        let refusal = err.into_inner();
        match field {
            Some(field) => Error::invalid_input(field, refusal.to_string()),
            None => Error::invalid_input("input", format!("{context}: {refusal}")),
        }
    })
}

/// The field a path names, as errors name fields (`versions.0.key`), or `None` for the input
/// itself.
fn field_of(path: &serde_path_to_error::Path) -> Option<String> {
    use serde_path_to_error::Segment;
    let names: Vec<String> = path
        .iter()
        .map(|segment| match segment {
            Segment::Seq { index } => index.to_string(),
            Segment::Map { key } => key.clone(),
            Segment::Enum { variant } => variant.clone(),
            Segment::Unknown => "?".to_owned(),
        })
        .collect();
    (!names.is_empty()).then(|| names.join("."))
}

/// Writes numbers without a fraction as integers (`3600.0` → `3600`): JSON Schema's
/// `integer` is any number without a fraction, and a platform may send one so.
pub fn integral_numbers(value: &mut Value) {
    match value {
        Value::Number(number) if !number.is_i64() && !number.is_u64() => {
            if let Some(float) = number.as_f64().filter(|f| f.fract() == 0.0) {
                if (0.0..=u64::MAX as f64).contains(&float) && float < u64::MAX as f64 {
                    *value = Value::from(float as u64);
                } else if (i64::MIN as f64..0.0).contains(&float) {
                    *value = Value::from(float as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Input {
        name: String,
        #[serde(default)]
        items: Vec<Item>,
        #[serde(default)]
        choice: Option<Choice>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        #[serde(deserialize_with = "short")]
        word: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "lowercase")]
    #[allow(dead_code)]
    enum Choice {
        Text(#[serde(deserialize_with = "short")] String),
    }

    fn short<'de, D: Deserializer<'de>>(deserializer: D) -> std::result::Result<String, D::Error> {
        let word = String::deserialize(deserializer)?;
        if word.len() > 3 {
            return Err(serde::de::Error::custom("too long: at most 3 letters"));
        }
        Ok(word)
    }

    #[test]
    fn a_refused_value_names_its_field() {
        let err = read::<Input, _>(
            json!({"name": "n", "items": [{"word": "ok"}, {"word": "long"}]}),
            "invalid input",
        )
        .unwrap_err();
        assert_eq!(err.field(), Some("items.1.word"));
        assert_eq!(err.message(), "too long: at most 3 letters");
        let err = read::<Input, _>(
            &json!({"name": "n", "choice": {"text": "long"}}),
            "invalid input",
        )
        .unwrap_err();
        assert_eq!(err.field(), Some("choice.text"));
    }

    #[test]
    fn a_mismatch_of_the_whole_input_names_input() {
        let err = read::<Input, _>(json!({"items": []}), "invalid input").unwrap_err();
        assert_eq!(err.field(), Some("input"));
        assert!(
            err.message()
                .starts_with("invalid input: missing field `name`"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn whole_numbers_become_integers() {
        let mut value = json!({"a": 3600.0, "b": [1.5, -2.0]});
        integral_numbers(&mut value);
        assert_eq!(value, json!({"a": 3600, "b": [1.5, -2]}));
    }
}
