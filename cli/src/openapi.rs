//! The OpenAPI 3.1 description of the HTTP service, generated from the registry: one operation
//! per module, whose request and response schemas are the module's own.

use connector_core::framework::module::schema_of;
use connector_core::{Connection, ErrorKind, OptionItem, Registry};
use serde_json::{Map, Value, json};

/// The statuses of errors, with what each means here.
const ERROR_STATUSES: [(u16, &str); 12] = [
    (
        400,
        "Invalid input (`invalid_input`): the body or the module's input breaks the schema or a rule its description states (then nothing was sent), or S3 refused the request as invalid (then `status` and `code` are S3's)",
    ),
    (
        401,
        "No service token, a request not addressed to a loopback name, no connection given, or S3 refused the credentials (`auth`)",
    ),
    (
        403,
        "S3 refused access or the signature, the connection names an endpoint the service may not send requests to (`--allow-endpoint`), or local files are disabled or outside the allowed folder (`access_denied`, `signature_mismatch`)",
    ),
    (
        404,
        "No such module, options list or stored connection, or S3 has no such bucket or file (`not_found`)",
    ),
    (
        409,
        "S3 refused because of the resource's state, e.g. a bucket that is not empty or already exists, or the store holds as many connections as it may (`conflict`)",
    ),
    (
        408,
        "The request body did not arrive within the service's body timeout (`timeout`); the connection is closed",
    ),
    (413, "The request body is larger than the service accepts"),
    (415, "The request body is not sent as `application/json`"),
    (
        429,
        "S3 throttled the requests (`throttled`); try again later",
    ),
    (
        502,
        "S3 (or the store behind the service) failed or could not be reached (`server`, `network`)",
    ),
    (
        503,
        "The service is busy: as many module runs, or request bodies, as it may hold at once (`throttled`); try again after `Retry-After` seconds",
    ),
    (
        504,
        "The module did not finish in time, or the connection store stayed locked by another process (`timeout`)",
    ),
];

/// The error responses of `statuses` (and 401, 503, which any API request may get).
fn errors(statuses: &[u16]) -> Map<String, Value> {
    let mut wanted: Vec<u16> = statuses.to_vec();
    wanted.extend([401, 503]);
    ERROR_STATUSES
        .iter()
        .filter(|(status, _)| wanted.contains(status))
        .map(|(status, description)| {
            let mut response = error_response(description);
            if matches!(status, 429 | 503) {
                response["headers"] = json!({"Retry-After": {
                    "description": "Seconds to wait before trying again",
                    "schema": {"type": "integer", "minimum": 0},
                }});
            }
            (status.to_string(), response)
        })
        .collect()
}

/// `responses` with a success `status` of `schema` (`None`: no body) and `statuses` errors.
fn responses(status: u16, description: &str, schema: Option<Value>, statuses: &[u16]) -> Value {
    let mut responses = errors(statuses);
    let success = match schema {
        Some(schema) => json!({"description": description,
                               "content": {"application/json": {"schema": schema}}}),
        None => json!({"description": description}),
    };
    responses.insert(status.to_string(), success);
    Value::Object(responses)
}

/// The statuses a module run may answer.
const RUN_STATUSES: [u16; 11] = [400, 403, 404, 408, 409, 413, 415, 429, 502, 504, 401];

/// A JSON request body of `schema`.
fn json_body(schema: Value) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema}}})
}

/// The connection fields of a request body, and the rule that at most one is given.
fn connection_fields() -> (Value, Value) {
    (
        json!({"$ref": "#/components/schemas/Connection",
               "description": "The connection, given inline (its keys are used for this request only)."}),
        json!({"type": "string", "minLength": 1,
               "description": "The id of a stored connection (`GET /v1/connections`)."}),
    )
}

/// The OpenAPI document.
pub fn openapi(registry: &Registry) -> Value {
    let mut schemas = Map::new();
    add_schema(&mut schemas, "Connection", schema_of::<Connection>());
    add_schema(&mut schemas, "OptionItem", schema_of::<OptionItem>());
    add_schema(
        &mut schemas,
        "ConnectionSummary",
        schema_of::<crate::serve::store::ConnectionSummary>(),
    );
    schemas.insert("Error".into(), error_schema());
    let (connection, connection_id) = connection_fields();
    let module_names: Vec<&str> = registry.modules().map(|m| m.name()).collect();

    let mut paths = Map::new();
    paths.insert(
        "/v1/modules".into(),
        json!({"get": {
            "operationId": "list_modules",
            "summary": "The modules",
            "responses": responses(200, "Every module", Some(json!({
                "type": "array",
                "items": {"type": "object", "properties": {
                    "name": {"type": "string"}, "label": {"type": "string"},
                    "kind": {"enum": ["action", "search"]}, "description": {"type": "string"}},
                    "required": ["name", "label", "kind", "description"],
                    "additionalProperties": false}})), &[]),
        }}),
    );
    paths.insert(
        "/v1/modules/{name}".into(),
        json!({"get": {
            "operationId": "describe_module",
            "summary": "A module with its input and output schemas",
            "parameters": [{"name": "name", "in": "path", "required": true,
                            "schema": {"type": "string", "enum": module_names}}],
            "responses": responses(200, "The module", Some(json!({
                "type": "object",
                "properties": {
                    "name": {"type": "string"}, "label": {"type": "string"},
                    "kind": {"enum": ["action", "search"]}, "description": {"type": "string"},
                    "input": {"type": "object"}, "output": {"type": "object"}},
                "required": ["name", "label", "kind", "description", "input", "output"],
                "additionalProperties": false})), &[404]),
        }}),
    );
    for module in registry.modules() {
        let name = module.name();
        add_schema(
            &mut schemas,
            &format!("{name}_input"),
            module.input_schema(),
        );
        add_schema(
            &mut schemas,
            &format!("{name}_output"),
            module.output_schema(),
        );
        let body = json!({
            "type": "object",
            "description": "The module's input, and the connection to run it with: a stored one \
                (connection_id) or one given inline (connection), exactly one of them.",
            "properties": {
                "connection": connection,
                "connection_id": connection_id,
                "input": {"$ref": format!("#/components/schemas/{name}_input")},
            },
            "required": ["input"],
            "additionalProperties": false,
            "oneOf": [{"required": ["connection"]}, {"required": ["connection_id"]}],
        });
        paths.insert(
            format!("/v1/modules/{name}/run"),
            json!({"post": {
                "operationId": format!("run_{name}"),
                "summary": module.label(),
                "description": module.description(),
                "tags": [module.kind()],
                "requestBody": json_body(body),
                "responses": responses(200, "The module's output",
                    Some(json!({"$ref": format!("#/components/schemas/{name}_output")})),
                    &RUN_STATUSES),
            }}),
        );
    }
    for provider in registry.options_providers() {
        let name = provider.name();
        let input = provider.input_schema();
        let input_required = !provider.depends_on().is_empty();
        let mut body = json!({
            "type": "object",
            "properties": {
                "connection": connection,
                "connection_id": connection_id,
                "input": input,
            },
            "additionalProperties": false,
        });
        if provider.needs_connection() {
            body["oneOf"] = json!([{"required": ["connection"]}, {"required": ["connection_id"]}]);
            body["description"] = json!(
                "The form's current values, and the connection whose \
                resources to list: a stored one (connection_id) or one given inline \
                (connection), exactly one of them."
            );
        } else {
            body["not"] = json!({"required": ["connection", "connection_id"]});
            body["description"] = json!(
                "The form's current values; a connection is not needed \
                (one given is still checked)."
            );
        }
        if input_required {
            body["required"] = json!(["input"]);
        }
        paths.insert(
            format!("/v1/options/{name}"),
            json!({"post": {
                "operationId": format!("options_{name}"),
                "summary": format!("The choices of a form field's dropdown: {name}"),
                "description": format!("{} Form fields name this list with `\"x-options\": \
                    {{\"provider\": \"{name}\"}}`.", provider.description()),
                "tags": ["options"],
                "requestBody": json_body(body),
                "responses": responses(200, "The choices", Some(json!({
                    "type": "array", "items": {"$ref": "#/components/schemas/OptionItem"}})),
                    &RUN_STATUSES),
            }}),
        );
    }
    paths.insert("/v1/connections".into(), json!({
        "get": {
            "operationId": "list_connections",
            "summary": "The stored connections (secrets are never returned)",
            "responses": responses(200, "The connections", Some(json!({
                "type": "array", "items": {"$ref": "#/components/schemas/ConnectionSummary"}})), &[502, 504]),
        },
        "post": {
            "operationId": "store_connection",
            "summary": "Store a connection, encrypted; returns its id",
            "requestBody": json_body(json!({
                "type": "object",
                "properties": {
                    "name": {"type": ["string", "null"],
                             "description": "A name for people. Empty: the access key ID."},
                    "connection": {"$ref": "#/components/schemas/Connection"},
                },
                "required": ["connection"],
                "additionalProperties": false,
            })),
            "responses": responses(201, "Stored", Some(json!({
                "$ref": "#/components/schemas/ConnectionSummary"})), &[400, 403, 408, 409, 413, 415, 502, 504]),
        },
    }));
    paths.insert("/v1/connections/{id}".into(), json!({
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "get": {
            "operationId": "get_connection",
            "summary": "A stored connection (without secrets)",
            "responses": responses(200, "The connection", Some(json!({
                "$ref": "#/components/schemas/ConnectionSummary"})), &[404, 502, 504]),
        },
        "delete": {
            "operationId": "delete_connection",
            "summary": "Forget a stored connection",
            "responses": responses(204, "Deleted", None, &[404, 409, 502, 504]),
        },
    }));
    paths.insert(
        "/v1/manifest".into(),
        json!({"get": {
            "operationId": "manifest",
            "summary": "The connector's manifest (app, connection schema, modules, option lists)",
            "responses": responses(200, "The manifest", Some(json!({"type": "object"})), &[]),
        }}),
    );
    paths.insert("/openapi.json".into(), json!({"get": {
        "operationId": "openapi",
        "summary": "This document",
        "responses": responses(200, "The OpenAPI document", Some(json!({"type": "object"})), &[]),
    }}));

    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "s3-connector",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Amazon S3 modules invoked by name with JSON. Every request needs \
                `Authorization: Bearer TOKEN` when the service was started with a token. \
                Optional fields are left out or given a value; `null` is not a value of a \
                request's own fields (`connection`, `connection_id`, `input`).",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{}, {"bearer": []}],
    })
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn error_schema() -> Value {
    let kinds: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    json!({
        "type": "object",
        "properties": {"error": {
            "type": "object",
            "properties": {
                "kind": {"enum": kinds},
                "message": {"type": "string"},
                "code": {"type": ["string", "null"], "description": "S3's error code"},
                "request_id": {"type": ["string", "null"]},
                "status": {"type": ["integer", "null"], "description": "S3's HTTP status"},
                "field": {"type": ["string", "null"], "description": "The input field at fault"},
                "retryable": {"type": "boolean"},
                "s3": {
                    "type": "object",
                    "description": "What S3 said beyond its code, and for a signature \
                        mismatch what was signed on each side (never a secret)",
                    "additionalProperties": {"type": "string"},
                },
            },
            "required": ["kind", "message", "retryable"],
            "additionalProperties": false,
        }},
        "required": ["error"],
        "additionalProperties": false,
    })
}

/// Adds `schema` under `name`, its `$defs` beside it as `NAME_DEF`, with references rewritten.
fn add_schema(schemas: &mut Map<String, Value>, name: &str, mut schema: Value) {
    let defs = schema
        .as_object_mut()
        .and_then(|object| {
            object.remove("$schema");
            object.remove("$defs")
        })
        .and_then(|defs| match defs {
            Value::Object(defs) => Some(defs),
            _ => None,
        })
        .unwrap_or_default();
    let rewrite = |value: &mut Value| rewrite_refs(value, name);
    rewrite(&mut schema);
    schemas.insert(name.to_owned(), schema);
    for (def, mut value) in defs {
        rewrite(&mut value);
        schemas.insert(format!("{name}_{def}"), value);
    }
}

fn rewrite_refs(value: &mut Value, prefix: &str) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref")
                && let Some(def) = reference.strip_prefix("#/$defs/")
            {
                *reference = format!("#/components/schemas/{prefix}_{def}");
            }
            map.values_mut().for_each(|v| rewrite_refs(v, prefix));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, prefix)),
        _ => {}
    }
}
