//! What a module is: a named action or search with a typed, schema-described input and output.

use crate::error::{Error, Result};
use crate::framework::context::Context;
use async_trait::async_trait;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Whether a module changes something (action) or finds things (search).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ModuleKind {
    /// Does something: create, upload, delete, call.
    Action,
    /// Returns a list of items, paging through S3 (`limit`, continuation tokens).
    Search,
}

/// One module of the connector. Implement it on a unit struct and register it with
/// [`register_module!`](crate::register_module).
#[async_trait]
pub trait Module: Send + Sync + 'static {
    /// The input; its doc comments become the form's help text.
    type Input: DeserializeOwned + JsonSchema + Send + 'static;
    /// The output.
    type Output: Serialize + JsonSchema + Send + 'static;

    /// The name modules are invoked by (`upload_file`).
    const NAME: &'static str;
    /// The label shown to people (`Upload File`).
    const LABEL: &'static str;
    /// Action or search.
    const KIND: ModuleKind;
    /// One or two sentences on what it does.
    const DESCRIPTION: &'static str;
    /// Whether its input may carry a file's content (text or base64), so that front ends
    /// accept larger requests for it than for the others.
    const TAKES_CONTENT: bool = false;

    /// Checks the input beyond what its schema says (bucket naming rules, key length, …),
    /// before anything is sent. The error names the field.
    fn validate(&self, _input: &Self::Input) -> Result<()> {
        Ok(())
    }

    /// Does the work.
    async fn run(&self, ctx: &Context, input: Self::Input) -> Result<Self::Output>;
}

/// What the registry knows of a module without its types.
#[async_trait]
pub trait DynModule: Send + Sync {
    /// The name it is invoked by.
    fn name(&self) -> &'static str;
    /// The label for people.
    fn label(&self) -> &'static str;
    /// Action or search.
    fn kind(&self) -> ModuleKind;
    /// What it does.
    fn description(&self) -> &'static str;
    /// Whether its input may carry a file's content.
    fn takes_content(&self) -> bool;
    /// The JSON Schema (2020-12) of its input.
    fn input_schema(&self) -> Value;
    /// The JSON Schema (2020-12) of its output.
    fn output_schema(&self) -> Value;
    /// Deserializes and checks `input` without running anything.
    fn check(&self, input: &Value) -> Result<()>;
    /// Deserializes, checks and runs, returning the output as JSON.
    async fn invoke(&self, ctx: &Context, input: Value) -> Result<Value>;
}

/// The JSON Schema of `T`, draft 2020-12. Descriptions come from doc comments, with their
/// line wrapping undone (a blank line still separates paragraphs).
pub fn schema_of<T: JsonSchema>() -> Value {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>();
    let mut value = schema.to_value();
    unwrap_descriptions(&mut value);
    bound_integers(&mut value);
    value
}

/// Gives every integer of a Rust type its type's largest value as `maximum` (schemars says
/// it only as a `format`): a larger number would be refused when the input is read.
fn bound_integers(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let largest = match map.get("format").and_then(Value::as_str) {
                Some("uint8") => Some(u64::from(u8::MAX)),
                Some("uint16") => Some(u64::from(u16::MAX)),
                Some("uint32") => Some(u64::from(u32::MAX)),
                Some("uint64" | "uint") => Some(u64::MAX),
                _ => None,
            };
            if let Some(largest) = largest {
                map.entry("maximum").or_insert(Value::from(largest));
            }
            map.values_mut().for_each(bound_integers);
        }
        Value::Array(items) => items.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

/// The schema of `T` titled `title` (the root title would otherwise be the Rust type's name).
fn titled_schema_of<T: JsonSchema>(title: String) -> Value {
    let mut schema = schema_of::<T>();
    if let Some(object) = schema.as_object_mut() {
        object.insert("title".to_owned(), Value::String(title));
    }
    schema
}

fn unwrap_descriptions(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                match inner {
                    Value::String(text) if key == "description" => {
                        *text = text
                            .split("\n\n")
                            .map(|paragraph| paragraph.replace('\n', " "))
                            .collect::<Vec<_>>()
                            .join("\n\n");
                    }
                    _ => unwrap_descriptions(inner),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(unwrap_descriptions),
        _ => {}
    }
}

/// Writes numbers without a fraction as integers (`3600.0` → `3600`): JSON Schema's
/// `integer` is any number without a fraction, and a platform may send one so.
fn integral_numbers(value: &mut Value) {
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

fn parse<M: Module>(module: &M, mut input: Value) -> Result<M::Input> {
    integral_numbers(&mut input);
    let input: M::Input = serde_json::from_value(input)
        .map_err(|err| Error::invalid_input("input", format!("invalid input: {err}")))?;
    module.validate(&input)?;
    Ok(input)
}

#[async_trait]
impl<M: Module> DynModule for M {
    fn name(&self) -> &'static str {
        M::NAME
    }
    fn label(&self) -> &'static str {
        M::LABEL
    }
    fn kind(&self) -> ModuleKind {
        M::KIND
    }
    fn description(&self) -> &'static str {
        M::DESCRIPTION
    }
    fn takes_content(&self) -> bool {
        M::TAKES_CONTENT
    }
    fn input_schema(&self) -> Value {
        titled_schema_of::<M::Input>(M::LABEL.to_owned())
    }
    fn output_schema(&self) -> Value {
        titled_schema_of::<M::Output>(format!("{}: output", M::LABEL))
    }
    fn check(&self, input: &Value) -> Result<()> {
        parse(self, input.clone()).map(drop)
    }
    async fn invoke(&self, ctx: &Context, input: Value) -> Result<Value> {
        let input = parse(self, input)?;
        let output = self.run(ctx, input).await?;
        serde_json::to_value(output).map_err(|err| {
            Error::new(
                crate::ErrorKind::Server,
                format!("cannot serialize the output of {}: {err}", M::NAME),
            )
        })
    }
}
