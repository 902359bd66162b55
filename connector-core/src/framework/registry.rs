//! The registry: every module, collected at link time with `inventory`, looked up by name, and
//! invoked with JSON that is first checked against the module's input schema.
//!
//! `inventory` only sees modules of crates the final binary refers to: a binary or test must
//! name the modules crate (`use s3_modules as _;`).

use crate::error::{Error, ErrorKind, Result};
use crate::framework::context::Context;
use crate::framework::module::{DynModule, Invocation};
use crate::framework::options::{DynOptionsProvider, OptionItem, OptionsList, OptionsRegistration};
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

    /// Reads `input`, the form's current values, for options provider `name`: the provider's
    /// list, ready to fetch (see [`PreparedOptions::needs_connection`]). Nothing is sent.
    pub fn prepare_options(&self, name: &str, input: &Value) -> Result<PreparedOptions> {
        let provider = self.options_provider(name)?;
        Ok(PreparedOptions {
            provider,
            list: provider.read(input)?,
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
        self.prepare_options(name, input)?.run(ctx).await
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

    /// Reads `input` for module `name`, once: checks it against the module's JSON Schema,
    /// reads it into the module's input type (whose values check themselves) and checks the
    /// module's own rules. The error names the first offending field. Nothing is sent: a front
    /// end reports a bad input before it looks for a connection, then runs the
    /// [`Prepared`] invocation.
    pub fn prepare(&self, name: &str, input: Value) -> Result<Prepared> {
        let entry = self.entry(name)?;
        let validator = entry.validator.get_or_init(|| {
            jsonschema::validator_for(&entry.module.input_schema())
                .unwrap_or_else(|err| panic!("the input schema of {name} is invalid: {err}"))
        });
        if let Some(err) = validator.iter_errors(&input).next() {
            return Err(schema_error(&err, &entry.module.input_schema()));
        }
        let mut buckets = buckets_in_fields(&input);
        let invocation = entry.module.read(input)?;
        buckets.extend(
            invocation
                .named_buckets()
                .into_iter()
                .map(|(field, bucket)| NamedBucket {
                    field: field.to_owned(),
                    bucket,
                }),
        );
        Ok(Prepared {
            module: entry.module,
            invocation,
            buckets,
        })
    }

    /// Only checks `input` for module `name`, as [`Registry::prepare`] does, for a caller that
    /// will not run it (a form checking what was typed). To run, prepare (or invoke) instead:
    /// the input is then read once.
    pub fn check(&self, name: &str, input: &Value) -> Result<()> {
        self.prepare(name, input.clone()).map(drop)
    }

    /// Invokes module `name` with JSON `input`, returning its JSON output: [`Registry::prepare`],
    /// then [`Prepared::run`]. Every front end invokes modules here (or in those two steps).
    ///
    /// In a dry run ([`Context::dry_run`]) nothing is sent: the output is the first request
    /// the module would send, signed (`{"dry_run": true, "request": {...}}`), or the module's
    /// own output when it sends nothing (presigning).
    pub async fn invoke(&self, ctx: &Context, name: &str, input: Value) -> Result<Value> {
        self.prepare(name, input)?.run(ctx).await
    }
}

/// A module with its input read and checked ([`Registry::prepare`]), ready to run.
pub struct Prepared {
    module: &'static dyn DynModule,
    invocation: Box<dyn Invocation>,
    buckets: Vec<NamedBucket>,
}

/// A bucket an input names, and the input field naming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedBucket {
    /// The field: `bucket`, `destination_bucket`, or another (a raw call's `url`).
    pub field: String,
    /// The bucket's name.
    pub bucket: String,
}

/// The buckets named by the top-level `bucket` and `*_bucket` string fields of an input.
fn buckets_in_fields(input: &Value) -> Vec<NamedBucket> {
    let Some(fields) = input.as_object() else {
        return Vec::new();
    };
    fields
        .iter()
        .filter(|(field, _)| *field == "bucket" || field.ends_with("_bucket"))
        .filter_map(|(field, value)| {
            Some(NamedBucket {
                field: field.clone(),
                bucket: value.as_str()?.to_owned(),
            })
        })
        .collect()
}

impl Prepared {
    /// The module this runs.
    pub fn module(&self) -> &'static dyn DynModule {
        self.module
    }

    /// Whether this input only reads: the module's [`Effects`](crate::framework::module::Effects),
    /// or what it says of this input (a presigned PUT link is not read-only).
    pub fn read_only(&self) -> bool {
        self.invocation.read_only()
    }

    /// Every bucket the input names, with the field naming it: a front end that only allows
    /// some buckets refuses the others before anything is sent.
    pub fn buckets(&self) -> &[NamedBucket] {
        &self.buckets
    }

    /// The input field that makes the module read standard input, if this input does (a
    /// local path `-`): a front end whose standard input carries something else refuses it.
    pub fn reads_stdin(&self) -> Option<&'static str> {
        self.invocation.reads_stdin()
    }

    /// Runs the module in `ctx`, returning its JSON output.
    ///
    /// In a dry run ([`Context::dry_run`]) nothing is sent: the output is the first request
    /// the module would send, signed (`{"dry_run": true, "request": {...}}`), or the module's
    /// own output when it sends nothing (presigning).
    pub async fn run(self, ctx: &Context) -> Result<Value> {
        let Some(recorder) = ctx.client().recorder() else {
            return self.invocation.run(ctx).await;
        };
        // A dry run's transport keeps the first request and never answers it: the module
        // stops (its future is dropped) there.
        let result = tokio::select! {
            biased;
            request = recorder.recorded() => return Ok(dry_run_output(&request)),
            result = self.invocation.run(ctx) => result,
        };
        match recorder.first() {
            Some(request) => Ok(dry_run_output(&request)),
            None => result,
        }
    }
}

/// What a dry run returns: the first request the module would send, signed.
fn dry_run_output(request: &crate::wire::prepared::PreparedRequest) -> Value {
    serde_json::json!({
        "dry_run": true,
        "note": "nothing was sent; this is the first request the module would send",
        "request": request.to_json(),
    })
}

/// An option list with the form's values read ([`Registry::prepare_options`]), ready to fetch.
pub struct PreparedOptions {
    provider: &'static dyn DynOptionsProvider,
    list: Box<dyn OptionsList>,
}

impl PreparedOptions {
    /// Whether fetching the list needs a connection (the region list does not).
    pub fn needs_connection(&self) -> bool {
        self.provider.needs_connection()
    }

    /// The choices. `ctx` may be `None` for a list that needs no connection.
    pub async fn run(self, ctx: Option<&Context>) -> Result<Vec<OptionItem>> {
        if self.provider.needs_connection() && ctx.is_none() {
            return Err(Error::new(
                ErrorKind::Auth,
                format!("the {} list needs a connection", self.provider.name()),
            )
            .with_field("connection"));
        }
        self.list.run(ctx).await
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
        // Only `null` allowed: a rule across fields (`not_with`, a field that applies to some
        // methods only) leaves this one no place here.
        Kind::Type {
            kind: jsonschema::error::TypeKind::Single(jsonschema::JsonType::Null),
        } => {
            "does not apply with the other fields given; remove it (see its description)".to_owned()
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
    use crate::framework::types::Base64Bytes;
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

    thread_local! {
        /// How many times a [`Counted`] was deserialized on this thread (each test runs on
        /// its own).
        static READS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// An input (or form values) that counts its deserializations.
    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct Counted {
        text: String,
    }

    impl<'de> Deserialize<'de> for Counted {
        fn deserialize<D: serde::Deserializer<'de>>(
            deserializer: D,
        ) -> std::result::Result<Self, D::Error> {
            #[derive(Deserialize)]
            struct Plain {
                text: String,
            }
            READS.with(|reads| reads.set(reads.get() + 1));
            let plain = Plain::deserialize(deserializer)?;
            Ok(Counted { text: plain.text })
        }
    }

    struct Count;
    #[async_trait]
    impl Module for Count {
        type Input = Counted;
        type Output = EchoOutput;
        const NAME: &'static str = "count";
        const LABEL: &'static str = "Count";
        const KIND: ModuleKind = ModuleKind::Action;
        const DESCRIPTION: &'static str = "Says it back, counting how often its input is read.";
        async fn run(&self, _ctx: &Context, input: Counted) -> Result<EchoOutput> {
            Ok(EchoOutput { text: input.text })
        }
    }

    static COUNT: Count = Count;

    struct Words;
    #[async_trait]
    impl crate::framework::options::OptionsProvider for Words {
        const NAME: &'static str = "words";
        const DESCRIPTION: &'static str = "The text given, as a choice.";
        const DEPENDS_ON: &'static [&'static str] = &["text"];
        const NEEDS_CONNECTION: bool = false;
        type Input = Counted;
        async fn options(&self, _ctx: Option<&Context>, input: Counted) -> Result<Vec<OptionItem>> {
            Ok(vec![OptionItem::plain(input.text)])
        }
    }

    static WORDS: Words = Words;

    #[tokio::test]
    async fn form_values_are_read_once_per_option_list() {
        let registry = Registry::from_modules([])
            .unwrap()
            .with_providers([&WORDS as &dyn DynOptionsProvider])
            .unwrap();
        let input = serde_json::json!({"text": "once"});
        // As a front end does it: read before the connection is looked for, then listed.
        let list = registry.prepare_options("words", &input).unwrap();
        assert!(!list.needs_connection());
        let items = list.run(None).await.unwrap();
        assert_eq!(items, [OptionItem::plain("once")]);
        assert_eq!(READS.with(std::cell::Cell::get), 1);
    }

    /// How many times base64 content was decoded (a [`Decoded`] read).
    static DECODES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    /// Base64 content that counts its decodings: [`Base64Bytes`] decodes as it is read.
    struct Decoded(Base64Bytes);

    impl<'de> Deserialize<'de> for Decoded {
        fn deserialize<D: serde::Deserializer<'de>>(
            deserializer: D,
        ) -> std::result::Result<Self, D::Error> {
            DECODES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Base64Bytes::deserialize(deserializer).map(Decoded)
        }
    }

    impl JsonSchema for Decoded {
        fn inline_schema() -> bool {
            true
        }
        fn schema_name() -> std::borrow::Cow<'static, str> {
            "Decoded".into()
        }
        fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
            Base64Bytes::json_schema(generator)
        }
    }

    /// Content to keep: base64, from a local path, or from standard input (`-`).
    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct KeepInput {
        #[serde(default)]
        base64: Option<Decoded>,
        #[serde(default)]
        path: Option<String>,
    }

    struct Keep;
    #[async_trait]
    impl Module for Keep {
        type Input = KeepInput;
        type Output = EchoOutput;
        const NAME: &'static str = "keep";
        const LABEL: &'static str = "Keep";
        const KIND: ModuleKind = ModuleKind::Action;
        const DESCRIPTION: &'static str = "Says the content's size.";
        fn reads_stdin(&self, input: &KeepInput) -> Option<&'static str> {
            (input.path.as_deref() == Some("-")).then_some("path")
        }
        async fn run(&self, _ctx: &Context, input: KeepInput) -> Result<EchoOutput> {
            let size = input.base64.map_or(0, |content| content.0.len());
            Ok(EchoOutput {
                text: format!("{size} bytes"),
            })
        }
    }

    static KEEP: Keep = Keep;

    #[tokio::test]
    async fn base64_content_is_decoded_once_as_it_is_read() {
        let registry = Registry::from_modules([&KEEP as &dyn DynModule]).unwrap();
        let ctx = Context::new(crate::Connection::new("AK", "SK")).unwrap();
        let input = serde_json::json!({"base64": "aGVs\nbG8="});
        let prepared = registry.prepare("keep", input).unwrap();
        assert_eq!(DECODES.load(std::sync::atomic::Ordering::SeqCst), 1);
        let output = prepared.run(&ctx).await.unwrap();
        assert_eq!(output, serde_json::json!({"text": "5 bytes"}));
        assert_eq!(DECODES.load(std::sync::atomic::Ordering::SeqCst), 1);
        // Base64 that does not decode is refused naming its field (by the schema first).
        let err = registry.check("keep", &serde_json::json!({"base64": "a==="}));
        assert_eq!(err.unwrap_err().field(), Some("base64"));
    }

    #[test]
    fn a_module_says_when_its_input_reads_standard_input() {
        let registry = Registry::from_modules([&KEEP as &dyn DynModule]).unwrap();
        let stdin = registry.prepare("keep", serde_json::json!({"path": "-"}));
        assert_eq!(stdin.unwrap().reads_stdin(), Some("path"));
        let file = registry.prepare("keep", serde_json::json!({"path": "a.txt"}));
        assert_eq!(file.unwrap().reads_stdin(), None);
    }

    #[tokio::test]
    async fn an_input_is_read_once_per_invocation() {
        let registry = Registry::from_modules([&COUNT as &dyn DynModule]).unwrap();
        let ctx = Context::new(crate::Connection::new("AK", "SK")).unwrap();
        let input = serde_json::json!({"text": "once"});
        // As a front end does it: read before the connection is looked for, then run.
        let prepared = registry.prepare("count", input).unwrap();
        let output = prepared.run(&ctx).await.unwrap();
        assert_eq!(output, serde_json::json!({"text": "once"}));
        assert_eq!(READS.with(std::cell::Cell::get), 1);
    }

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
