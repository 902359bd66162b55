//! The OpenAPI 3.1 description of the HTTP service, generated from the registry: one operation
//! per module, whose request and response schemas are the module's own.

use connector_core::module::schema_of;
use connector_core::{Connection, ErrorKind, OptionItem, Registry};
use serde_json::{Map, Value, json};

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
    schemas.insert(
        "ConnectionChoice".into(),
        json!({
            "type": "object",
            "description": "The connection to run with: stored (connection_id) or given inline.",
            "properties": {
                "connection": {"$ref": "#/components/schemas/Connection"},
                "connection_id": {"type": "string", "description": "The id of a stored connection."},
            },
        }),
    );

    let mut paths = Map::new();
    paths.insert("/v1/modules".into(), json!({"get": {
        "operationId": "list_modules",
        "summary": "The modules",
        "responses": {"200": {"description": "Every module", "content": {"application/json": {"schema": {
            "type": "array",
            "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "label": {"type": "string"},
                "kind": {"enum": ["action", "search"]}, "description": {"type": "string"}},
                "required": ["name", "label", "kind", "description"]}}}}}},
    }}));
    paths.insert("/v1/modules/{name}".into(), json!({"get": {
        "operationId": "describe_module",
        "summary": "A module with its input and output schemas",
        "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": {
            "200": {"description": "The module", "content": {"application/json": {"schema": {"type": "object"}}}},
            "default": error_response(),
        },
    }}));
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
        paths.insert(
            format!("/v1/modules/{name}/run"),
            json!({"post": {
                "operationId": format!("run_{name}"),
                "summary": module.label(),
                "description": module.description(),
                "tags": [module.kind()],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "allOf": [{"$ref": "#/components/schemas/ConnectionChoice"}],
                    "type": "object",
                    "properties": {"input": {"$ref": format!("#/components/schemas/{name}_input")}},
                    "required": ["input"],
                }}}},
                "responses": {
                    "200": {"description": "The module's output", "content": {"application/json": {
                        "schema": {"$ref": format!("#/components/schemas/{name}_output")}}}},
                    "default": error_response(),
                },
            }}),
        );
    }
    paths.insert("/v1/options/{provider}".into(), json!({"post": {
        "operationId": "options",
        "summary": "The choices of a form field's dropdown (x-options)",
        "parameters": [{"name": "provider", "in": "path", "required": true, "schema": {"type": "string"}}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
            "allOf": [{"$ref": "#/components/schemas/ConnectionChoice"}],
            "type": "object",
            "properties": {"input": {"type": "object", "description": "The form's current values."}},
        }}}},
        "responses": {
            "200": {"description": "The choices", "content": {"application/json": {"schema": {
                "type": "array", "items": {"$ref": "#/components/schemas/OptionItem"}}}}},
            "default": error_response(),
        },
    }}));
    paths.insert("/v1/connections".into(), json!({
        "get": {
            "operationId": "list_connections",
            "summary": "The stored connections (secrets are never returned)",
            "responses": {"200": {"description": "The connections", "content": {"application/json": {"schema": {
                "type": "array", "items": {"$ref": "#/components/schemas/ConnectionSummary"}}}}}},
        },
        "post": {
            "operationId": "store_connection",
            "summary": "Store a connection, encrypted; returns its id",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "connection": {"$ref": "#/components/schemas/Connection"},
                },
                "required": ["connection"],
            }}}},
            "responses": {
                "201": {"description": "Stored", "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/ConnectionSummary"}}}},
                "default": error_response(),
            },
        },
    }));
    paths.insert("/v1/connections/{id}".into(), json!({
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "get": {
            "operationId": "get_connection",
            "summary": "A stored connection (without secrets)",
            "responses": {
                "200": {"description": "The connection", "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/ConnectionSummary"}}}},
                "default": error_response(),
            },
        },
        "delete": {
            "operationId": "delete_connection",
            "summary": "Forget a stored connection",
            "responses": {"204": {"description": "Deleted"}, "default": error_response()},
        },
    }));
    paths.insert("/v1/manifest".into(), json!({"get": {
        "operationId": "manifest",
        "summary": "The connector's manifest (app, connection schema, modules, option lists)",
        "responses": {"200": {"description": "The manifest", "content": {"application/json": {"schema": {"type": "object"}}}}},
    }}));

    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "s3-connector",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Amazon S3 modules invoked by name with JSON. Every request needs \
                `Authorization: Bearer TOKEN` when the service was started with a token.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{}, {"bearer": []}],
    })
}

fn error_response() -> Value {
    json!({"description": "An error, with an HTTP status by kind", "content": {"application/json": {
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
            },
            "required": ["kind", "message", "retryable"],
        }},
        "required": ["error"],
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
