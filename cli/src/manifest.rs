//! The published description of the connector, generated from the registry: the manifest
//! (`manifest/connector.json`) and one JSON Schema file per connection, input and output
//! (`schemas/`). The files are checked in; a test fails when they differ from the code.

use connector_core::framework::module::schema_of;
use connector_core::{Connection, Registry};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The manifest: the app, its connection schema, every module with its schemas, and the
/// options providers that fields name with `x-options`.
pub fn connector_manifest(registry: &Registry) -> Value {
    let modules: Vec<Value> = registry
        .modules()
        .map(|module| {
            json!({
                "name": module.name(),
                "label": module.label(),
                "kind": module.kind(),
                "description": module.description(),
                "effects": module.effects(),
                "input": module.input_schema(),
                "output": module.output_schema(),
            })
        })
        .collect();
    let providers: Vec<Value> = registry
        .options_providers()
        .map(|provider| {
            json!({
                "name": provider.name(),
                "description": provider.description(),
                "depends_on": provider.depends_on(),
                "needs_connection": provider.needs_connection(),
            })
        })
        .collect();
    json!({
        "app": {
            "name": "s3-connector",
            "label": "Amazon S3",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Buckets and files in Amazon S3 and S3-compatible stores: upload, \
                download, list, and any S3 API call, signed with AWS Signature Version 4.",
        },
        "connection": schema_of::<Connection>(),
        "modules": modules,
        "options_providers": providers,
    })
}

/// Every generated file: its path relative to the repository root, and its content.
pub fn generated_files(registry: &Registry) -> Vec<(PathBuf, String)> {
    let render = |value: &Value| {
        let mut text = serde_json::to_string_pretty(value).expect("JSON");
        text.push('\n');
        text
    };
    let mut files = vec![
        (
            PathBuf::from("manifest/connector.json"),
            render(&connector_manifest(registry)),
        ),
        (
            PathBuf::from("manifest/openapi.json"),
            render(&crate::openapi::openapi(registry)),
        ),
        (
            PathBuf::from("schemas/connection.json"),
            render(&schema_of::<Connection>()),
        ),
    ];
    for module in registry.modules() {
        let name = module.name();
        files.push((
            PathBuf::from(format!("schemas/{name}.input.json")),
            render(&module.input_schema()),
        ));
        files.push((
            PathBuf::from(format!("schemas/{name}.output.json")),
            render(&module.output_schema()),
        ));
    }
    files
}

/// Writes the generated files under `root`, returning their paths.
pub fn write(registry: &Registry, root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (path, content) in generated_files(registry) {
        let full = root.join(&path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&full, content)?;
        written.push(path);
    }
    Ok(written)
}

/// The generated files under `root` that are missing or differ from what the code generates.
pub fn stale(registry: &Registry, root: &Path) -> Vec<PathBuf> {
    let mut stale: Vec<PathBuf> = generated_files(registry)
        .into_iter()
        .filter(|(path, content)| {
            std::fs::read_to_string(root.join(path)).ok().as_deref() != Some(content.as_str())
        })
        .map(|(path, _)| path)
        .collect();
    // Schema files of modules that no longer exist.
    let expected: Vec<PathBuf> = generated_files(registry)
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    if let Ok(entries) = std::fs::read_dir(root.join("schemas")) {
        for entry in entries.flatten() {
            let path = PathBuf::from("schemas").join(entry.file_name());
            if !expected.contains(&path) {
                stale.push(path);
            }
        }
    }
    stale
}
