//! The tools an MCP client sees: one per module of the registry, with schemas agents accept and
//! annotations from the module's effects.

use super::policy::{Confirmation, McpPolicy};
use connector_core::{DynModule, Registry};
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};
use std::sync::Arc;

/// The root keywords taken out of a published input schema. JSON Schema allows them, but
/// several MCP clients (and model APIs) refuse a tool whose root has them; the full schema
/// still checks every call, so a refused combination gets an error naming the field.
const ROOT_RULES: [&str; 9] = [
    "allOf",
    "anyOf",
    "oneOf",
    "if",
    "then",
    "else",
    "not",
    "dependentSchemas",
    "dependentRequired",
];

/// The input field an agent sets once its user agreed to a destructive call, when the client
/// cannot ask the user itself (no elicitation).
pub const CONFIRM_FIELD: &str = "confirm";

/// The tools listed for a session: every module the policy lets it call, with a `confirm`
/// field on destructive ones when `confirmation` is [`Confirmation::Input`].
pub fn tools(registry: &Registry, policy: &McpPolicy, confirmation: Confirmation) -> Vec<Tool> {
    registry
        .modules()
        .filter(|module| policy.lists(*module))
        .map(|module| tool(module, policy, confirmation))
        .collect()
}

/// The tool for `module`.
pub fn tool(module: &dyn DynModule, policy: &McpPolicy, confirmation: Confirmation) -> Tool {
    let effects = module.effects();
    let mut input = publishable(module.input_schema());
    without_null_types(&mut input);
    let asks_confirm = effects.destructive && confirmation == Confirmation::Input;
    if asks_confirm {
        add_confirm_field(&mut input);
    }
    let mut description = module.description().to_owned();
    if let Some(more) = super::content::description_note(module.name(), policy) {
        description.push(' ');
        description.push_str(&more);
    }
    if asks_confirm {
        description.push_str(
            " Destructive: set `confirm: true` only after the user agreed to this exact call.",
        );
    }
    let mut output = module.output_schema();
    super::content::publish_output(module.name(), &mut output);
    null_types_as_choices(&mut output);
    let annotations = ToolAnnotations::new()
        .read_only(effects.read_only)
        .destructive(effects.destructive)
        .idempotent(effects.idempotent)
        .open_world(effects.open_world);
    Tool::new(module.name(), description, object(input))
        .with_title(module.label())
        .with_raw_output_schema(object(output))
        .with_annotations(annotations)
}

/// `schema` without the root rules agents' clients refuse ([`ROOT_RULES`]), saying in its
/// description that some combinations of fields are refused.
pub fn publishable(mut schema: Value) -> Value {
    if let Some(root) = schema.as_object_mut() {
        let before = root.len();
        root.retain(|key, _| !ROOT_RULES.contains(&key.as_str()));
        if root.len() < before {
            let note = "Some combinations of fields are refused; the error names the field.";
            let description = match root.get("description").and_then(Value::as_str) {
                Some(text) => format!("{text} {note}"),
                None => note.to_owned(),
            };
            root.insert("description".to_owned(), Value::String(description));
        }
    }
    schema
}

/// `"type": [T, "null"]` as `"type": T`, everywhere in an input schema: a `null` input means
/// the same as a field left out (the full schema still takes it), and clients that map schemas
/// onto a one-type dialect (Gemini's function declarations) refuse type lists.
fn without_null_types(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get("type") {
                let kept: Vec<Value> = types
                    .iter()
                    .filter(|t| t.as_str() != Some("null"))
                    .cloned()
                    .collect();
                if kept.len() == 1 && types.len() == 2 {
                    map.insert("type".to_owned(), kept[0].clone());
                }
            }
            map.values_mut().for_each(without_null_types);
        }
        Value::Array(items) => items.iter_mut().for_each(without_null_types),
        _ => {}
    }
}

/// `"type": [T, "null"]` as `"anyOf": [{"type": T}, {"type": "null"}]` (the same values) in an
/// output schema, whose fields may be `null`: one type per schema, for one-type dialects.
fn null_types_as_choices(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            map.values_mut().for_each(null_types_as_choices);
            let Some(Value::Array(types)) = map.get("type") else {
                return;
            };
            if types.len() == 2 && types.contains(&json!("null")) && !map.contains_key("anyOf") {
                let choices: Vec<Value> = types.iter().map(|t| json!({"type": t})).collect();
                map.remove("type");
                map.insert("anyOf".to_owned(), Value::Array(choices));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(null_types_as_choices),
        _ => {}
    }
}

/// Adds the required `confirm: true` field to an input schema.
fn add_confirm_field(schema: &mut Value) {
    let Some(root) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Object(properties)) = root.get_mut("properties") {
        properties.insert(
            CONFIRM_FIELD.to_owned(),
            json!({
                "type": "boolean",
                "const": true,
                "title": "Confirmed by the user",
                "description": "This call deletes or replaces data. Set it to true only after \
                    the user agreed to this exact call."
            }),
        );
    }
    match root.get_mut("required") {
        Some(Value::Array(required)) => required.push(json!(CONFIRM_FIELD)),
        _ => {
            root.insert("required".to_owned(), json!([CONFIRM_FIELD]));
        }
    }
}

/// A schema as the JSON object MCP carries (every schema here is one).
fn object(schema: Value) -> Arc<JsonObject> {
    match schema {
        Value::Object(map) => Arc::new(map),
        _ => Arc::new(JsonObject::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> McpPolicy {
        McpPolicy::default()
    }

    #[test]
    fn every_module_is_a_tool_agents_accept() {
        let registry = Registry::global();
        let tools = tools(registry, &policy(), Confirmation::Input);
        assert_eq!(tools.len(), registry.len());
        for tool in &tools {
            // MCP: names of 1 to 128 characters of [A-Za-z0-9_.-].
            assert!(
                (1..=128).contains(&tool.name.len())
                    && tool
                        .name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)),
                "{}",
                tool.name
            );
            for schema in [Some(&tool.input_schema), tool.output_schema.as_ref()] {
                let schema = schema.expect("an output schema");
                assert_eq!(schema.get("type"), Some(&json!("object")), "{}", tool.name);
                for rule in ROOT_RULES {
                    assert!(!schema.contains_key(rule), "{}: {rule}", tool.name);
                }
            }
            let module = registry.get(&tool.name).unwrap();
            assert_eq!(tool.title.as_deref(), Some(module.label()));
            let annotations = tool.annotations.as_ref().unwrap();
            let effects = module.effects();
            assert_eq!(annotations.read_only_hint, Some(effects.read_only));
            assert_eq!(annotations.destructive_hint, Some(effects.destructive));
            assert_eq!(annotations.idempotent_hint, Some(effects.idempotent));
            assert_eq!(annotations.open_world_hint, Some(effects.open_world));
            let requires_confirm = tool
                .input_schema
                .get("required")
                .and_then(Value::as_array)
                .is_some_and(|r| r.contains(&json!(CONFIRM_FIELD)));
            assert_eq!(requires_confirm, effects.destructive, "{}", tool.name);
        }
    }

    #[test]
    fn flattening_keeps_fields_and_says_so() {
        let schema = json!({
            "type": "object",
            "description": "Copy.",
            "properties": {"a": {"type": "string"}},
            "required": ["a"],
            "$defs": {"X": {"type": "string"}},
            "if": {"required": ["a"]},
            "then": {"required": ["b"]},
            "allOf": [{"not": {"required": ["c"]}}]
        });
        let flat = publishable(schema);
        assert_eq!(
            flat,
            json!({
                "type": "object",
                "description": "Copy. Some combinations of fields are refused; the error names the field.",
                "properties": {"a": {"type": "string"}},
                "required": ["a"],
                "$defs": {"X": {"type": "string"}}
            })
        );
        // Nothing to drop: the schema stays as it is.
        let plain = json!({"type": "object", "properties": {}});
        assert_eq!(publishable(plain.clone()), plain);
    }

    #[test]
    fn inputs_are_published_with_one_type_per_field() {
        let mut schema = json!({"type": "object", "properties": {
            "a": {"type": ["integer", "null"], "minimum": 1},
            "b": {"type": ["string", "integer"]},
            "c": {"items": [{"type": ["boolean", "null"]}]}
        }});
        without_null_types(&mut schema);
        assert_eq!(
            schema,
            json!({"type": "object", "properties": {
                "a": {"type": "integer", "minimum": 1},
                "b": {"type": ["string", "integer"]},
                "c": {"items": [{"type": "boolean"}]}
            }})
        );
        let mut output = json!({"type": "object", "properties": {
            "etag": {"type": ["string", "null"], "description": "d"}
        }});
        null_types_as_choices(&mut output);
        assert_eq!(
            output,
            json!({"type": "object", "properties": {
                "etag": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "d"}
            }})
        );
        let registry = Registry::global();
        for tool in tools(registry, &policy(), Confirmation::Input) {
            for schema in [Some(&tool.input_schema), tool.output_schema.as_ref()] {
                let text = Value::Object(schema.unwrap().as_ref().clone()).to_string();
                assert!(!text.contains(r#""null"]"#), "{}: {text}", tool.name);
            }
        }
    }

    #[test]
    fn confirm_is_asked_only_without_elicitation() {
        let registry = Registry::global();
        let delete = registry.get("delete_file").unwrap();
        let with_field = tool(delete, &policy(), Confirmation::Input);
        assert_eq!(
            with_field.input_schema["properties"][CONFIRM_FIELD]["const"],
            json!(true)
        );
        for confirmation in [Confirmation::Elicit, Confirmation::Off] {
            let without = tool(delete, &policy(), confirmation);
            assert!(
                without.input_schema["properties"]
                    .get(CONFIRM_FIELD)
                    .is_none()
            );
        }
    }
}
