//! Dynamic option lists for forms: a field's schema names a provider with the custom keyword
//! `"x-options": {"provider": "buckets", "depends_on": []}`, and a form fills a dropdown by
//! invoking that provider by name (with the values of the fields it depends on).

use crate::error::{Error, Result};
use crate::framework::context::Context;
use async_trait::async_trait;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One choice of a dropdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OptionItem {
    /// The value the field gets.
    pub value: String,
    /// What the person sees.
    pub label: String,
}

impl OptionItem {
    /// A choice whose label is its value.
    pub fn plain(value: impl Into<String>) -> Self {
        let value = value.into();
        OptionItem {
            label: value.clone(),
            value,
        }
    }
}

/// A provider of option lists. Implement it on a unit struct and register it with
/// [`register_options!`](crate::register_options).
#[async_trait]
pub trait OptionsProvider: Send + Sync + 'static {
    /// The name schemas refer to (`buckets`).
    const NAME: &'static str;
    /// What the list holds.
    const DESCRIPTION: &'static str;
    /// The input fields the list depends on (e.g. `bucket` for folders).
    const DEPENDS_ON: &'static [&'static str];
    /// Whether the list needs a connection (the region list does not).
    const NEEDS_CONNECTION: bool;
    /// The form values the list reads (other values of the form are ignored): its schema is
    /// the `input` the HTTP service documents, and an input that does not deserialize into
    /// it is refused.
    type Input: DeserializeOwned + JsonSchema + Send + 'static;

    /// The choices. `ctx` is `Some` when a connection is given (always, when the list
    /// [needs one](OptionsProvider::NEEDS_CONNECTION)); `input` holds the form's values.
    async fn options(&self, ctx: Option<&Context>, input: Self::Input) -> Result<Vec<OptionItem>>;
}

/// What the registry knows of a provider without its type.
pub trait DynOptionsProvider: Send + Sync {
    /// The provider's name.
    fn name(&self) -> &'static str;
    /// What the list holds.
    fn description(&self) -> &'static str;
    /// The input fields the list depends on.
    fn depends_on(&self) -> &'static [&'static str];
    /// Whether the list needs a connection.
    fn needs_connection(&self) -> bool;
    /// The JSON Schema of the form values the list reads.
    fn input_schema(&self) -> Value;
    /// Reads the form's current values, once: the fields the list depends on must be filled
    /// in, and the values must read as the list's input. Nothing is sent.
    fn read(&self, input: &Value) -> Result<Box<dyn OptionsList + '_>>;
}

/// An option list with the form's values read, ready to fetch.
#[async_trait]
pub trait OptionsList: Send {
    /// The choices (the registry checked that a list needing a connection has one).
    async fn run(self: Box<Self>, ctx: Option<&Context>) -> Result<Vec<OptionItem>>;
}

/// A provider and the form's values, read.
struct TypedList<'p, P: OptionsProvider> {
    provider: &'p P,
    input: P::Input,
}

#[async_trait]
impl<P: OptionsProvider> OptionsList for TypedList<'_, P> {
    async fn run(self: Box<Self>, ctx: Option<&Context>) -> Result<Vec<OptionItem>> {
        self.provider.options(ctx, self.input).await
    }
}

impl<P: OptionsProvider> DynOptionsProvider for P {
    fn name(&self) -> &'static str {
        P::NAME
    }
    fn description(&self) -> &'static str {
        P::DESCRIPTION
    }
    fn depends_on(&self) -> &'static [&'static str] {
        P::DEPENDS_ON
    }
    fn needs_connection(&self) -> bool {
        P::NEEDS_CONNECTION
    }
    fn input_schema(&self) -> Value {
        let mut schema = crate::framework::module::schema_of::<P::Input>();
        if let Some(object) = schema.as_object_mut() {
            object.remove("$schema");
            object.remove("title");
        }
        schema
    }
    fn read(&self, input: &Value) -> Result<Box<dyn OptionsList + '_>> {
        if !input.is_object() {
            return Err(Error::invalid_input(
                "input",
                "the input is an object of the form's current values",
            ));
        }
        for field in P::DEPENDS_ON {
            if input
                .get(*field)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                return Err(Error::invalid_input(
                    *field,
                    format!("the {} list needs {field}: fill it in first", P::NAME),
                ));
            }
        }
        let context = format!("the {} list cannot read the input", P::NAME);
        let input = crate::framework::input::read(input, &context)?;
        Ok(Box::new(TypedList {
            provider: self,
            input,
        }))
    }
}

/// A provider's registration, submitted by [`register_options!`](crate::register_options).
pub struct OptionsRegistration {
    pub(crate) provider: &'static dyn DynOptionsProvider,
}

impl OptionsRegistration {
    /// Registers `provider`.
    pub const fn new(provider: &'static dyn DynOptionsProvider) -> Self {
        OptionsRegistration { provider }
    }
}

inventory::collect!(OptionsRegistration);

/// Registers an options provider (a value of a type implementing [`OptionsProvider`]).
#[macro_export]
macro_rules! register_options {
    ($provider:expr) => {
        $crate::inventory::submit! { $crate::framework::options::OptionsRegistration::new(&$provider) }
    };
}

/// The `x-options` of a schema's top-level fields: (field, provider, depends_on).
pub fn references(schema: &Value) -> Vec<(String, String, Vec<String>)> {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .filter_map(|(field, property)| {
            let options = property.get("x-options")?;
            let depends_on = options
                .get("depends_on")
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            Some((
                field.clone(),
                options["provider"].as_str()?.to_owned(),
                depends_on,
            ))
        })
        .collect()
}
