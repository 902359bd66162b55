//! What a module is: a named action or search with a typed, schema-described input and output.

use crate::error::{Error, Result};
use crate::framework::context::Context;
use crate::framework::input::integral_numbers;
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

/// What running a module does to the store, for a caller that decides before running it: an
/// agent reading tool annotations, a server that only allows reads. The four facts are MCP's
/// tool annotations; [`Effects::UNKNOWN`] (MCP's defaults: may destroy, not idempotent) is the
/// default, so a new module is classified on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Effects {
    /// Changes nothing in the store and hands out no credential or link that could.
    pub read_only: bool,
    /// May delete or replace what exists (a file, a bucket, a bucket's policy).
    pub destructive: bool,
    /// Running it twice with the same input does what running it once does.
    pub idempotent: bool,
    /// Talks to the store (false: it only signs, locally).
    pub open_world: bool,
}

impl Effects {
    /// Reads only: lists, gets, heads, presigned GET links.
    pub const READS: Effects = Effects {
        read_only: true,
        destructive: false,
        idempotent: true,
        open_world: true,
    };
    /// Makes something new that may already exist (a bucket): a second run fails.
    pub const CREATES: Effects = Effects {
        read_only: false,
        destructive: false,
        idempotent: false,
        open_world: true,
    };
    /// Writes an object or a folder marker; the same write twice leaves the same store.
    pub const WRITES: Effects = Effects {
        read_only: false,
        destructive: false,
        idempotent: true,
        open_world: true,
    };
    /// Deletes or replaces what exists; doing it again changes nothing more.
    pub const DELETES: Effects = Effects {
        read_only: false,
        destructive: true,
        idempotent: true,
        open_world: true,
    };
    /// Anything at all (MCP's defaults).
    pub const UNKNOWN: Effects = Effects {
        read_only: false,
        destructive: true,
        idempotent: false,
        open_world: true,
    };

    /// The same effects for a module that only signs, locally, and sends nothing.
    pub const fn signs_locally(self) -> Effects {
        Effects {
            open_world: false,
            ..self
        }
    }
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
    /// What running it does to the store.
    const EFFECTS: Effects = Effects::UNKNOWN;

    /// Whether this input only reads, when that depends on the input (a presigned link is
    /// read-only for GET, not for PUT). Default: [`Effects::read_only`] of [`Module::EFFECTS`].
    fn read_only_for(&self, _input: &Self::Input) -> bool {
        Self::EFFECTS.read_only
    }

    /// The buckets this input names other than in its `bucket` and `*_bucket` fields (which
    /// the registry reads itself), each with the field naming it: a call that addresses the
    /// store another way (a raw API call's `url`) says here what it touches.
    fn named_buckets(&self, _input: &Self::Input) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// Checks the input beyond what its schema and its value types say (rules across fields,
    /// such as a key made of a folder and a file name), before anything is sent. The error
    /// names the field.
    fn validate(&self, _input: &Self::Input) -> Result<()> {
        Ok(())
    }

    /// The input field that makes the module read standard input (a local path `-`), if
    /// `input` does. A front end whose standard input carries something else (the CLI reading
    /// the JSON input there) refuses such an input, naming this field.
    fn reads_stdin(&self, _input: &Self::Input) -> Option<&'static str> {
        None
    }

    /// Does the work.
    async fn run(&self, ctx: &Context, input: Self::Input) -> Result<Self::Output>;
}

/// What the registry knows of a module without its types.
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
    /// What running it does to the store.
    fn effects(&self) -> Effects;
    /// The JSON Schema (2020-12) of its input.
    fn input_schema(&self) -> Value;
    /// The JSON Schema (2020-12) of its output.
    fn output_schema(&self) -> Value;
    /// Reads `input` (already checked against the input schema) into the module's input
    /// type, once, checks it with [`Module::validate`], and gives the invocation that runs
    /// it. Nothing is sent.
    fn read(&self, input: Value) -> Result<Box<dyn Invocation + '_>>;
}

/// A module with its input read and checked, ready to run.
#[async_trait]
pub trait Invocation: Send {
    /// The input field that makes the module read standard input, if this input does (see
    /// [`Module::reads_stdin`]).
    fn reads_stdin(&self) -> Option<&'static str>;
    /// Whether this input only reads (see [`Module::read_only_for`]).
    fn read_only(&self) -> bool;
    /// The buckets named other than in `bucket` fields (see [`Module::named_buckets`]).
    fn named_buckets(&self) -> Vec<(&'static str, String)>;
    /// Runs the module, returning its output as JSON.
    async fn run(self: Box<Self>, ctx: &Context) -> Result<Value>;
}

/// The JSON Schema of `T`, draft 2020-12. Descriptions come from doc comments, with their
/// line wrapping undone (a blank line still separates paragraphs).
pub fn schema_of<T: JsonSchema>() -> Value {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>();
    let mut value = schema.to_value();
    crate::framework::types::rules::settle(&mut value);
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

/// A module and its input, read and checked.
struct TypedInvocation<'m, M: Module> {
    module: &'m M,
    input: M::Input,
}

#[async_trait]
impl<M: Module> Invocation for TypedInvocation<'_, M> {
    fn reads_stdin(&self) -> Option<&'static str> {
        self.module.reads_stdin(&self.input)
    }

    fn read_only(&self) -> bool {
        self.module.read_only_for(&self.input)
    }

    fn named_buckets(&self) -> Vec<(&'static str, String)> {
        self.module.named_buckets(&self.input)
    }

    async fn run(self: Box<Self>, ctx: &Context) -> Result<Value> {
        let output = self.module.run(ctx, self.input).await?;
        serde_json::to_value(output).map_err(|err| {
            Error::new(
                crate::ErrorKind::Server,
                format!("cannot serialize the output of {}: {err}", M::NAME),
            )
        })
    }
}

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
    fn effects(&self) -> Effects {
        M::EFFECTS
    }
    fn input_schema(&self) -> Value {
        titled_schema_of::<M::Input>(M::LABEL.to_owned())
    }
    fn output_schema(&self) -> Value {
        titled_schema_of::<M::Output>(format!("{}: output", M::LABEL))
    }
    fn read(&self, mut input: Value) -> Result<Box<dyn Invocation + '_>> {
        integral_numbers(&mut input);
        let input: M::Input = crate::framework::input::read(input, "invalid input")?;
        self.validate(&input)?;
        Ok(Box::new(TypedInvocation {
            module: self,
            input,
        }))
    }
}
