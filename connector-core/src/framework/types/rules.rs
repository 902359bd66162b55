//! How a value type's rules reach the schema of each field of that type.
//!
//! A field's schema has an order people read: its type, title, description, default and
//! extensions (`x-options`), then the rules its value follows (`pattern`, `maxLength`, …).
//! schemars writes a type's own schema first and the field's title and description after it,
//! so a type's rules travel under one keyword, [`RULES`], and [`settle`] puts them in their
//! place once the whole schema is made: the rules after everything else, and a rule's note
//! (what JSON Schema cannot say, such as a length in bytes) after the field's description.

use schemars::{Schema, json_schema};
use serde_json::Value;

/// The keyword a type's rules travel under until they are settled.
pub const RULES: &str = "x-s3c-rules";

/// The schema of a text type whose rules are what `rules` adds to a schema (for example
/// [`validate::schema::bucket_name`](crate::framework::validate::schema::bucket_name)).
pub fn string_with(rules: fn(&mut Schema)) -> Schema {
    let mut keywords = json_schema!({});
    rules(&mut keywords);
    with_rules(json_schema!({"type": "string"}), keywords)
}

/// `schema` carrying `rules` (a schema object of keywords) until [`settle`].
pub fn with_rules(mut schema: Schema, rules: Schema) -> Schema {
    schema.insert(RULES.to_owned(), rules.to_value());
    schema
}

/// Adds `keywords` to a field's schema after the rules of its value type: a field that
/// narrows its type (a `Prefix` that must not be only slashes) keeps the
/// type's rules first and its own after them, once [`settle`]d. A keyword the type has too is
/// replaced where it stands. On a schema without a value type's rules, the keywords are
/// simply added.
pub fn add_after(schema: &mut Schema, keywords: Value) {
    let Value::Object(keywords) = keywords else {
        return;
    };
    if let Some(Value::Object(rules)) = schema.get_mut(RULES) {
        rules.extend(keywords);
        return;
    }
    schema.ensure_object().extend(keywords);
}

/// Puts the rules every value type carries in `schema` in their place: each keyword after the
/// field's others (replacing one of the same name), and a rule's `description` (a note)
/// after the field's own description. A value without a description (an array's items) gets
/// no note.
pub fn settle(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            map.values_mut().for_each(settle);
            // Removed keeping the order of the others.
            if let Some(Value::Object(rules)) = map.shift_remove(RULES) {
                for (keyword, value) in rules {
                    match (keyword.as_str(), map.get_mut("description"), value) {
                        ("description", Some(Value::String(own)), Value::String(note)) => {
                            own.push(' ');
                            own.push_str(&note);
                        }
                        ("description", _, _) => {}
                        (_, _, value) => {
                            map.insert(keyword, value);
                        }
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(settle),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn short(schema: &mut Schema) {
        schema.insert("maxLength".to_owned(), json!(3));
        schema.insert("description".to_owned(), json!("At most 3 letters."));
    }

    #[test]
    fn rules_come_after_the_fields_own_keywords() {
        let mut field = string_with(short).to_value();
        field["title"] = json!("Word");
        field["description"] = json!("A word.");
        field["items"] = json!([string_with(short).to_value()]);
        settle(&mut field);
        assert_eq!(
            serde_json::to_string(&field).unwrap(),
            r#"{"type":"string","title":"Word","description":"A word. At most 3 letters.","items":[{"type":"string","maxLength":3}],"maxLength":3}"#
        );
    }

    #[test]
    fn a_fields_own_rules_come_after_its_types() {
        let mut field = string_with(short);
        field.insert("title".to_owned(), json!("Word"));
        add_after(&mut field, json!({"pattern": "^[a-z]*$", "maxLength": 2}));
        let mut field = field.to_value();
        settle(&mut field);
        assert_eq!(
            serde_json::to_string(&field).unwrap(),
            r#"{"type":"string","title":"Word","maxLength":2,"pattern":"^[a-z]*$"}"#
        );
        let mut plain = json_schema!({"type": "string"});
        add_after(&mut plain, json!({"minLength": 1}));
        assert_eq!(plain.to_value(), json!({"type": "string", "minLength": 1}));
    }
}
