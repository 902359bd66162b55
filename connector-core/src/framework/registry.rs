//! The registry: every module, collected at link time with `inventory`, looked up by name, and
//! invoked with JSON that is first checked against the module's input schema.
//!
//! `inventory` only sees modules of crates the final binary refers to: a binary or test must
//! name the modules crate (`use s3_modules as _;`).

use crate::error::{Error, ErrorKind, Result};
use crate::framework::context::Context;
use crate::framework::module::DynModule;
use crate::framework::options::{DynOptionsProvider, OptionItem, OptionsRegistration};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A module's registration, submitted by [`register_module!`](crate::register_module).
pub struct Registration {
    module: &'static dyn DynModule,
}

impl Registration {
    /// Registers `module`.
    pub const fn new(module: &'static dyn DynModule) -> Self {
        Registration { module }
    }
}

inventory::collect!(Registration);

/// Registers a module (a value of a type implementing [`Module`](crate::Module)).
#[macro_export]
macro_rules! register_module {
    ($module:expr) => {
        $crate::inventory::submit! { $crate::Registration::new(&$module) }
    };
}

/// One registered module with its compiled input validator.
struct Entry {
    module: &'static dyn DynModule,
    validator: OnceLock<jsonschema::Validator>,
}

/// The modules and options providers, by name, in a stable (alphabetical) order.
pub struct Registry {
    entries: BTreeMap<&'static str, Entry>,
    providers: BTreeMap<&'static str, &'static dyn DynOptionsProvider>,
}

impl Registry {
    /// A registry of the given modules; two modules with one name are an error.
    pub fn from_modules(modules: impl IntoIterator<Item = &'static dyn DynModule>) -> Result<Self> {
        let mut entries = BTreeMap::new();
        for module in modules {
            let entry = Entry {
                module,
                validator: OnceLock::new(),
            };
            if entries.insert(module.name(), entry).is_some() {
                return Err(Error::new(
                    ErrorKind::Server,
                    format!("two modules are registered as {:?}", module.name()),
                ));
            }
        }
        Ok(Registry {
            entries,
            providers: BTreeMap::new(),
        })
    }

    /// Adds options providers; two with one name are an error.
    pub fn with_providers(
        mut self,
        providers: impl IntoIterator<Item = &'static dyn DynOptionsProvider>,
    ) -> Result<Self> {
        for provider in providers {
            if self.providers.insert(provider.name(), provider).is_some() {
                return Err(Error::new(
                    ErrorKind::Server,
                    format!(
                        "two options providers are registered as {:?}",
                        provider.name()
                    ),
                ));
            }
        }
        Ok(self)
    }

    /// Every module linked into this program. Panics at first use if two share a name: that
    /// is a programming error that must not reach a user.
    pub fn global() -> &'static Registry {
        static GLOBAL: OnceLock<Registry> = OnceLock::new();
        GLOBAL.get_or_init(|| {
            Registry::from_modules(inventory::iter::<Registration>().map(|r| r.module))
                .and_then(|registry| {
                    registry.with_providers(
                        inventory::iter::<OptionsRegistration>().map(|r| r.provider),
                    )
                })
                .unwrap_or_else(|err| panic!("module registry: {err}"))
        })
    }

    /// The module called `name`.
    pub fn get(&self, name: &str) -> Option<&'static dyn DynModule> {
        self.entries.get(name).map(|entry| entry.module)
    }

    /// Every module, ordered by name.
    pub fn modules(&self) -> impl Iterator<Item = &'static dyn DynModule> + '_ {
        self.entries.values().map(|entry| entry.module)
    }

    /// The number of modules.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no modules.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every options provider, ordered by name.
    pub fn options_providers(&self) -> impl Iterator<Item = &'static dyn DynOptionsProvider> + '_ {
        self.providers.values().copied()
    }

    /// The options provider called `name`.
    pub fn options_provider(&self, name: &str) -> Result<&'static dyn DynOptionsProvider> {
        self.providers.get(name).copied().ok_or_else(|| {
            let known: Vec<&str> = self.providers.keys().copied().collect();
            Error::invalid_input(
                "provider",
                format!(
                    "no options list is called {name:?}; the lists are: {}",
                    known.join(", ")
                ),
            )
        })
    }

    /// The choices of options provider `name` for a form whose current values are `input`.
    /// `ctx` may be `None` for lists that need no connection.
    pub async fn options(
        &self,
        ctx: Option<&Context>,
        name: &str,
        input: &Value,
    ) -> Result<Vec<OptionItem>> {
        self.options_provider(name)?.options(ctx, input).await
    }

    fn entry(&self, name: &str) -> Result<&Entry> {
        self.entries.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.entries.keys().copied().collect();
            Error::invalid_input(
                "module",
                format!(
                    "no module is called {name:?}; the modules are: {}",
                    known.join(", ")
                ),
            )
        })
    }

    /// Checks `input` for module `name`: against its JSON Schema, then its own rules. Nothing
    /// is sent. The error names the first offending field.
    pub fn check(&self, name: &str, input: &Value) -> Result<()> {
        let entry = self.entry(name)?;
        let validator = entry.validator.get_or_init(|| {
            jsonschema::validator_for(&entry.module.input_schema())
                .unwrap_or_else(|err| panic!("the input schema of {name} is invalid: {err}"))
        });
        if let Some(err) = validator.iter_errors(input).next() {
            return Err(schema_error(&err, &entry.module.input_schema()));
        }
        entry.module.check(input)
    }

    /// Invokes module `name` with JSON `input`, returning its JSON output.
    ///
    /// In a dry run ([`Context::dry_run`]) nothing is sent: the output is the first request
    /// the module would send, signed (`{"dry_run": true, "request": {...}}`), or the module's
    /// own output when it sends nothing (presigning).
    pub async fn invoke(&self, ctx: &Context, name: &str, input: Value) -> Result<Value> {
        self.check(name, &input)?;
        let module = self.entry(name)?.module;
        let result = module.invoke(ctx, input).await;
        match ctx.client().dry_run_request() {
            Some(request) => Ok(serde_json::json!({
                "dry_run": true,
                "note": "nothing was sent; this is the first request the module would send",
                "request": request.to_json(),
            })),
            None => result,
        }
    }
}

/// A JSON Schema compiled once, to check other JSON than a module's input (an inline
/// connection) the way the registry checks inputs: the error names the first offending field
/// under a prefix (`connection.region`).
pub struct SchemaCheck {
    schema: Value,
    validator: jsonschema::Validator,
    prefix: &'static str,
}

impl SchemaCheck {
    /// Compiles `schema` for values given under `prefix`; panics if the schema is invalid (a
    /// programming error: schemas come from the code).
    pub fn new(schema: Value, prefix: &'static str) -> Self {
        let validator = jsonschema::validator_for(&schema)
            .unwrap_or_else(|err| panic!("the schema of {prefix} is invalid: {err}"));
        SchemaCheck {
            schema,
            validator,
            prefix,
        }
    }

    /// Checks `value`; the error names the first offending field.
    pub fn check(&self, value: &Value) -> Result<()> {
        let Some(err) = self.validator.iter_errors(value).next() else {
            return Ok(());
        };
        let prefix = self.prefix;
        let err = schema_error(&err, &self.schema);
        let field = match err.field() {
            Some("input") | None => prefix.to_owned(),
            Some(field) => format!("{prefix}.{field}"),
        };
        Err(Error::invalid_input(
            field,
            format!("{prefix}: {}", err.message()),
        ))
    }
}

/// The most deeply nested error inside a choice of forms (an optional field, a `oneOf`): the
/// one that names the field actually at fault.
fn deepest<'a>(err: &'a jsonschema::ValidationError<'a>) -> &'a jsonschema::ValidationError<'a> {
    use jsonschema::error::ValidationErrorKind as Kind;
    let depth = |e: &jsonschema::ValidationError<'_>| e.instance_path().as_str().len();
    match err.kind() {
        Kind::AnyOf { context } | Kind::OneOfNotValid { context } => context
            .iter()
            .flatten()
            .map(deepest)
            .max_by_key(|e| depth(e))
            .filter(|inner| depth(inner) > depth(err))
            .unwrap_or(err),
        _ => err,
    }
}

/// An input that fails its schema, as an error naming the field (`source.path`).
fn schema_error(err: &jsonschema::ValidationError<'_>, schema: &Value) -> Error {
    use jsonschema::error::ValidationErrorKind as Kind;
    let mut field: Vec<String> = err
        .instance_path()
        .as_str()
        .split('/')
        .skip(1)
        .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
        .collect();
    let message = match err.kind() {
        Kind::Required { property } => {
            let property = property.as_str().unwrap_or_default().to_owned();
            field.push(property.clone());
            format!("{property} is required")
        }
        Kind::PropertyNames { error } => {
            let name = error.instance().as_str().unwrap_or_default().to_owned();
            field.push(name.clone());
            format!("{name:?} is not allowed as a name here (see the field's description)")
        }
        // The value is not repeated: it may be a secret (a key, a token, an SSE-C key in a
        // header, a password in a URL).
        Kind::Pattern { .. } => {
            "does not have the form this field takes (see its description)".to_owned()
        }
        Kind::Not { .. } => {
            "has a value this field does not allow (see its description)".to_owned()
        }
        Kind::AdditionalProperties { unexpected } => {
            let first = unexpected.first().cloned().unwrap_or_default();
            field.push(first.clone());
            format!("{first:?} is not a field of this module's input; check the spelling")
        }
        Kind::AnyOf { context } | Kind::OneOfNotValid { context } => {
            // An optional field or a choice of forms: report the deepest problem found inside.
            let inner = deepest(err);
            if !std::ptr::eq(inner, err) {
                return schema_error(inner, schema);
            }
            let forms: Vec<String> = context
                .iter()
                .flatten()
                .filter_map(|e| match e.kind() {
                    Kind::Required { property } => property.as_str().map(str::to_owned),
                    _ => None,
                })
                .collect();
            // A documented choice of values (an enum whose variants have docs) is a `oneOf`
            // of constants: name the values.
            let values = constants(err);
            if forms.is_empty() && !values.is_empty() {
                format!("must be one of {}", values.join(", "))
            } else if forms.is_empty() {
                "does not match any of the forms this field allows".to_owned()
            } else {
                format!("give exactly one of: {}", forms.join(", "))
            }
        }
        Kind::OneOfMultipleValid { .. } => {
            // The forms are alternatives of fields: name the ones given.
            let given: Vec<String> = one_of_forms(schema, err.schema_path().as_str())
                .into_iter()
                .filter(|name| err.instance().get(name).is_some())
                .collect();
            if given.len() > 1 {
                // The field at fault is the one given besides the first.
                field.push(given[given.len() - 1].clone());
                format!("give only one of: {}", given.join(", "))
            } else {
                "matches more than one of the forms this field allows; give only one".to_owned()
            }
        }
        // The validator's own words, without the value they begin with (it may be a secret).
        _ => {
            let text = err.to_string();
            let value = err.instance().to_string();
            match text.strip_prefix(value.as_str()) {
                Some(rest) if !value.is_empty() => rest.trim_start().to_owned(),
                _ if !text.contains(value.as_str()) => text,
                _ => format!("breaks the rule `{}` of its schema", err.kind().keyword()),
            }
        }
    };
    let field = if field.is_empty() {
        "input".to_owned()
    } else {
        field.join(".")
    };
    Error::invalid_input(field.clone(), format!("{field}: {message}"))
}

/// The values a choice of constants allows (`"GET"`, `"PUT"`, …), also when the choice is
/// optional (`anyOf` of it and `null`); empty when any form is more than a constant.
fn constants(err: &jsonschema::ValidationError<'_>) -> Vec<String> {
    use jsonschema::error::ValidationErrorKind as Kind;
    let (Kind::AnyOf { context } | Kind::OneOfNotValid { context }) = err.kind() else {
        return Vec::new();
    };
    let mut values = Vec::new();
    for form in context {
        match form.as_slice() {
            [one] => match one.kind() {
                Kind::Constant { expected_value } => values.push(expected_value.to_string()),
                Kind::AnyOf { .. } | Kind::OneOfNotValid { .. } => {
                    let inner = constants(one);
                    if inner.is_empty() {
                        return Vec::new();
                    }
                    values.extend(inner);
                }
                // `null` of an optional field says nothing about the values.
                Kind::Type { .. } if err.instance().is_string() => {}
                _ => return Vec::new(),
            },
            _ => return Vec::new(),
        }
    }
    values
}

/// The fields the `oneOf` at `path` (a schema location, through `$ref`s) requires, one form
/// each: `["Resource", "NotResource"]`.
fn one_of_forms(schema: &Value, path: &str) -> Vec<String> {
    let mut at = schema;
    for segment in path.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        at = match at.get("$ref").and_then(Value::as_str) {
            // A location passes through `$ref` into the schema it names.
            Some(reference) if segment == "$ref" => {
                match reference.strip_prefix('#').and_then(|p| schema.pointer(p)) {
                    Some(target) => target,
                    None => return Vec::new(),
                }
            }
            _ => match at {
                Value::Object(map) => match map.get(&segment) {
                    Some(next) => next,
                    None => return Vec::new(),
                },
                Value::Array(items) => {
                    match segment.parse::<usize>().ok().and_then(|i| items.get(i)) {
                        Some(next) => next,
                        None => return Vec::new(),
                    }
                }
                _ => return Vec::new(),
            },
        };
    }
    at.as_array()
        .into_iter()
        .flatten()
        .filter_map(|form| form.get("required")?.as_array())
        .flatten()
        .filter_map(|name| name.as_str().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::module::{Module, ModuleKind};
    use async_trait::async_trait;
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};

    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct EchoInput {
        /// Some text.
        text: String,
        #[serde(default)]
        nested: Option<Nested>,
        #[serde(default)]
        color: Option<Color>,
    }

    /// A documented choice (a `oneOf` of constants in the schema).
    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    enum Color {
        /// The sky.
        Blue,
        /// Grass.
        Green,
    }

    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Nested {
        count: u32,
    }

    #[derive(Serialize, JsonSchema)]
    struct EchoOutput {
        text: String,
    }

    struct Echo;
    #[async_trait]
    impl Module for Echo {
        type Input = EchoInput;
        type Output = EchoOutput;
        const NAME: &'static str = "echo";
        const LABEL: &'static str = "Echo";
        const KIND: ModuleKind = ModuleKind::Action;
        const DESCRIPTION: &'static str = "Says it back.";
        fn validate(&self, input: &EchoInput) -> Result<()> {
            if input.text == "bad" {
                return Err(Error::invalid_input("text", "not that"));
            }
            Ok(())
        }
        async fn run(&self, _ctx: &Context, input: EchoInput) -> Result<EchoOutput> {
            Ok(EchoOutput { text: input.text })
        }
    }

    static ECHO: Echo = Echo;

    #[test]
    fn duplicate_names_are_refused() {
        let err = Registry::from_modules([&ECHO as &dyn DynModule, &ECHO])
            .err()
            .unwrap();
        assert!(err.message().contains("echo"));
    }

    #[test]
    fn schema_errors_name_the_field() {
        let registry = Registry::from_modules([&ECHO as &dyn DynModule]).unwrap();
        let err = registry.check("echo", &serde_json::json!({})).unwrap_err();
        assert_eq!(err.field(), Some("text"));
        let err = registry
            .check("echo", &serde_json::json!({"text": "x", "txet": 1}))
            .unwrap_err();
        assert_eq!(err.field(), Some("txet"));
        let err = registry
            .check(
                "echo",
                &serde_json::json!({"text": "x", "nested": {"count": -1}}),
            )
            .unwrap_err();
        assert_eq!(err.field(), Some("nested.count"));
        let err = registry
            .check("echo", &serde_json::json!({"text": "bad"}))
            .unwrap_err();
        assert_eq!(err.field(), Some("text"));
        registry
            .check("echo", &serde_json::json!({"text": "ok"}))
            .unwrap();
        let err = registry
            .check("echo", &serde_json::json!({"text": "x", "color": "Red"}))
            .unwrap_err();
        assert_eq!(err.field(), Some("color"));
        assert!(
            err.message().contains(r#"must be one of "Blue", "Green""#),
            "{}",
            err.message()
        );
        let err = registry.check("nope", &serde_json::json!({})).unwrap_err();
        assert!(err.message().contains("echo"));
    }
}
