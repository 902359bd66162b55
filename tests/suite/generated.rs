//! The checked-in manifest and schemas are what the code generates, every schema is valid
//! JSON Schema 2020-12, and nothing in them could be a secret.

use connector_core::Registry;
use integration_tests::s3_modules as _;
use s3_connector::manifest;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

#[test]
fn checked_in_files_match_the_code() {
    let stale = manifest::stale(Registry::global(), root());
    assert!(
        stale.is_empty(),
        "out of date: {stale:?}; regenerate with `cargo run -p s3-connector -- manifest`"
    );
}

#[test]
fn every_schema_is_valid_draft_2020_12() {
    for (path, content) in manifest::generated_files(Registry::global()) {
        // The OpenAPI document is checked by an OpenAPI validator (tests/suite/service.rs).
        if path.ends_with("openapi.json") {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(&content).unwrap();
        let schemas: Vec<serde_json::Value> = if path.starts_with("manifest") {
            let mut all = vec![value["connection"].clone()];
            for module in value["modules"].as_array().unwrap() {
                all.push(module["input"].clone());
                all.push(module["output"].clone());
            }
            all
        } else {
            vec![value]
        };
        for schema in schemas {
            assert_eq!(
                schema["$schema"],
                "https://json-schema.org/draft/2020-12/schema"
            );
            if let Err(err) = jsonschema::draft202012::meta::validate(&schema) {
                panic!("{}: {err}", path.display());
            }
            jsonschema::draft202012::new(&schema)
                .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        }
    }
}

#[test]
fn the_manifest_lists_every_module_and_marks_secrets_write_only() {
    let manifest = manifest::connector_manifest(Registry::global());
    let names: Vec<&str> = manifest["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, integration_tests::s3_modules::module_names());
    let secret = &manifest["connection"]["properties"]["secret_access_key"];
    assert_eq!(secret["writeOnly"], true);
    for module in manifest["modules"].as_array().unwrap() {
        assert!(module["input"]["title"].is_string());
        assert!(["action", "search"].contains(&module["kind"].as_str().unwrap()));
    }
}

#[test]
fn every_option_list_a_field_names_exists() {
    let registry = Registry::global();
    let providers: Vec<&str> = registry.options_providers().map(|p| p.name()).collect();
    assert_eq!(providers, integration_tests::s3_modules::OPTIONS_PROVIDERS);
    let mut schemas = vec![connector_core::framework::module::schema_of::<
        connector_core::Connection,
    >()];
    schemas.extend(registry.modules().map(|m| m.input_schema()));
    let mut seen = 0;
    for schema in schemas {
        for (field, provider, depends_on) in connector_core::framework::options::references(&schema)
        {
            seen += 1;
            let known = registry.options_providers().find(|p| p.name() == provider);
            let known = known.unwrap_or_else(|| panic!("{field} names unknown list {provider}"));
            assert_eq!(known.depends_on(), depends_on.as_slice(), "{field}");
            for dependency in depends_on {
                assert!(
                    schema["properties"].get(&dependency).is_some(),
                    "{field} depends on {dependency}"
                );
            }
        }
    }
    assert!(seen >= 10, "only {seen} fields have option lists");
}
