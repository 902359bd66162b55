//! Content and agents' context: a file's bytes never go into an agent's context beyond a small
//! text. `get_file` of a large or binary file answers its metadata and a short-lived download
//! link; uploads take inline content only up to the same size, larger ones go through a
//! presigned PUT; other outputs are refused above it (ask for fewer, page on).

use super::policy::McpPolicy;
use connector_core::{Context, Error, ErrorKind, Registry, Result};
use rmcp::model::{ContentBlock, Resource};
use serde_json::{Value, json};

/// The inline content fields of inputs, by module: (module, field path, field name for errors).
const INLINE_INPUTS: [(&str, &str, &str); 4] = [
    ("upload_file", "/source/text", "source.text"),
    ("upload_file", "/source/base64", "source.base64"),
    ("make_api_call", "/body", "body"),
    ("make_api_call", "/body_base64", "body_base64"),
];

/// What the tool description adds for agents, if anything.
pub fn description_note(name: &str, policy: &McpPolicy) -> Option<String> {
    let kib = policy.max_inline / 1024;
    match name {
        "get_file" => Some(format!(
            "Here, text files up to {kib} KiB come back as text; larger or binary files come \
             back as their metadata and a download link (download_url, valid {} s), never as \
             base64.",
            policy.link_expires
        )),
        "upload_file" => Some(format!(
            "Content given as text or base64 is limited to {kib} KiB here; for a larger file, \
             call presign_url with method PUT (or presign_post) and send the bytes over HTTP."
        )),
        "make_api_call" => Some(format!("Bodies are limited to {kib} KiB here.")),
        "list_files" | "list_folders" | "search_files" | "list_buckets" => Some(
            "Ask for at most about 200 items (limit) and page with continuation_token.".to_owned(),
        ),
        _ => None,
    }
}

/// The output schema as published: `get_file` may answer a link instead of the content.
pub fn publish_output(name: &str, schema: &mut Value) {
    if name != "get_file" {
        return;
    }
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        properties.insert(
            "inline".to_owned(),
            json!({"type": "boolean", "description": "False when the content is not in this \
                   output (a large or binary file): download it from download_url."}),
        );
        properties.insert(
            "content_note".to_owned(),
            json!({"type": "string", "description": "Why binary content of a range is not in \
                   this output."}),
        );
        properties.insert(
            "download_url".to_owned(),
            json!({"type": "string", "format": "uri", "description": "A presigned GET link to \
                   the file (no credentials needed), when the content is not inline."}),
        );
        properties.insert(
            "download_url_expires_at".to_owned(),
            json!({"type": "string", "format": "date-time", "description": "When download_url \
                   stops working."}),
        );
    }
}

/// Refuses inline content larger than the policy allows, naming the field.
pub fn check_input(name: &str, input: &Value, policy: &McpPolicy) -> Result<()> {
    for (module, pointer, field) in INLINE_INPUTS {
        if module != name {
            continue;
        }
        let Some(text) = input.pointer(pointer).and_then(Value::as_str) else {
            continue;
        };
        if text.len() as u64 > policy.max_inline {
            let hint = if module == "upload_file" {
                "call presign_url with method PUT (or presign_post) and send the bytes with HTTP"
            } else {
                "send large bodies another way (presign_url with method PUT)"
            };
            return Err(Error::invalid_input(
                field,
                format!(
                    "{} KiB is more content than this server takes inline ({} KiB): {hint}",
                    text.len().div_ceil(1024),
                    policy.max_inline / 1024
                ),
            ));
        }
    }
    Ok(())
}

/// Refuses an output larger than the policy allows: it would flood the agent's context.
pub fn check_output(name: &str, output: &Value, policy: &McpPolicy) -> Result<()> {
    let size = output.to_string().len() as u64;
    if size <= policy.max_inline.max(MIN_OUTPUT) {
        return Ok(());
    }
    let takes_limit = Registry::global()
        .get(name)
        .is_some_and(|m| m.input_schema()["properties"].get("limit").is_some());
    let message = format!(
        "the output is {} KiB, more than this server returns at once ({} KiB)",
        size.div_ceil(1024),
        policy.max_inline.max(MIN_OUTPUT) / 1024
    );
    Err(if takes_limit {
        Error::invalid_input(
            "limit",
            format!("{message}: ask for fewer (limit) and page with continuation_token"),
        )
    } else {
        Error::new(ErrorKind::InvalidInput, message)
    })
}

/// The smallest output cap, whatever `max_inline` says: a small listing always fits.
const MIN_OUTPUT: u64 = 64 * 1024;

/// A `get_file` as agents get it: its output and the content blocks that go with it.
pub struct Download {
    /// The structured output.
    pub output: Value,
    /// The content blocks (the output as text, and a link when the content is not inline).
    pub content: Vec<ContentBlock>,
}

/// Runs `get_file` for an agent: a file saved locally (`save_to`) or a range runs as asked,
/// with the inline cap; otherwise a small text file comes back as text, and anything larger
/// or binary as its metadata and a download link.
pub async fn get_file(ctx: &Context, mut input: Value, policy: &McpPolicy) -> Result<Download> {
    let registry = Registry::global();
    let cap = policy.max_inline;
    let given = |field: &str| input.get(field).is_some_and(|v| !v.is_null());
    if given("save_to") || given("range") {
        input["max_inline_bytes"] = json!(cap);
        let mut output = registry.invoke(ctx, "get_file", input).await?;
        return Ok(inline(&mut output));
    }
    let mut which = json!({"bucket": input["bucket"], "key": input["key"]});
    if given("version_id") {
        which["version_id"] = input["version_id"].clone();
    }
    let head = registry.invoke(ctx, "head_file", which.clone()).await?;
    let exists = head.get("exists").and_then(Value::as_bool) == Some(true);
    let size = head.get("size").and_then(Value::as_u64).unwrap_or(u64::MAX);
    if !exists || size <= cap {
        input["max_inline_bytes"] = json!(cap);
        // A missing file gets get_file's own error; a small one its content.
        match registry.invoke(ctx, "get_file", input).await {
            Ok(mut output) if output.get("content_text").is_some() => {
                return Ok(inline(&mut output));
            }
            Ok(_) => {}
            // The file grew past the cap since the HEAD: give a link instead.
            Err(err) if exists && err.field() == Some("max_inline_bytes") => {}
            Err(err) => return Err(err),
        }
    }
    link(ctx, head, which, policy).await
}

/// A `get_file` output with its content inline: the text only, never base64.
fn inline(output: &mut Value) -> Download {
    if let Some(fields) = output.as_object_mut() {
        if fields.contains_key("content_text") {
            fields.remove("content_base64");
        } else if fields.remove("content_base64").is_some() {
            // Binary content asked for in a range: say so rather than flood the context.
            fields.insert(
                "content_note".to_owned(),
                json!("binary content is not returned here; save it with save_to or ask for a link (get_file without range)"),
            );
        }
        fields.insert(
            "inline".to_owned(),
            json!(fields.contains_key("content_text")),
        );
    }
    Download {
        content: vec![ContentBlock::text(output.to_string())],
        output: output.take(),
    }
}

/// The metadata of a file and a presigned download link to it.
async fn link(ctx: &Context, head: Value, which: Value, policy: &McpPolicy) -> Result<Download> {
    let mut presign = which;
    presign["method"] = json!("GET");
    presign["expires_in"] = json!(policy.link_expires);
    let link = Registry::global()
        .invoke(ctx, "presign_url", presign)
        .await?;
    let url = link["url"].as_str().unwrap_or_default().to_owned();
    let expires_at = link["expires_at"].clone();
    let mut output = head;
    if let Some(fields) = output.as_object_mut() {
        fields.remove("exists");
        fields.insert("inline".to_owned(), json!(false));
        fields.insert("download_url".to_owned(), json!(url));
        fields.insert("download_url_expires_at".to_owned(), expires_at.clone());
    }
    let key = output["key"].as_str().unwrap_or_default().to_owned();
    let name = key.rsplit('/').next().unwrap_or(&key).to_owned();
    let mut resource = Resource::new(url, name).with_description(format!(
        "Download with an HTTP GET before {}; no credentials needed.",
        expires_at.as_str().unwrap_or("it expires")
    ));
    if let Some(size) = output["size"].as_u64() {
        resource = resource.with_size(size);
    }
    if let Some(content_type) = output["content_type"].as_str() {
        resource = resource.with_mime_type(content_type);
    }
    Ok(Download {
        content: vec![
            ContentBlock::text(output.to_string()),
            ContentBlock::resource_link(resource),
        ],
        output,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_content_over_the_cap_is_refused_naming_the_field() {
        let policy = McpPolicy {
            max_inline: 1024,
            ..McpPolicy::default()
        };
        let small = json!({"bucket": "b", "file_name": "a", "source": {"text": "x".repeat(1024)}});
        check_input("upload_file", &small, &policy).unwrap();
        let big = json!({"bucket": "b", "file_name": "a", "source": {"base64": "A".repeat(1025)}});
        let err = check_input("upload_file", &big, &policy).unwrap_err();
        assert_eq!(err.field(), Some("source.base64"));
        assert!(err.to_string().contains("presign_url"), "{err}");
        let body = json!({"method": "PUT", "url": "b/k", "body": "x".repeat(2000)});
        assert_eq!(
            check_input("make_api_call", &body, &policy)
                .unwrap_err()
                .field(),
            Some("body")
        );
    }

    #[test]
    fn large_outputs_ask_for_fewer() {
        let policy = McpPolicy::default();
        let big = json!({"files": vec!["x".repeat(100); 5000]});
        let err = check_output("list_files", &big, &policy).unwrap_err();
        assert_eq!(err.field(), Some("limit"));
        check_output("list_files", &json!({"files": []}), &policy).unwrap();
    }

    #[test]
    fn base64_never_goes_inline() {
        let mut text = json!({"key": "a.txt", "content_text": "hi", "content_base64": "aGk="});
        let out = inline(&mut text).output;
        assert_eq!(
            out,
            json!({"key": "a.txt", "content_text": "hi", "inline": true})
        );
        let mut binary = json!({"key": "a.bin", "content_base64": "AAE="});
        let out = inline(&mut binary).output;
        assert_eq!(out["inline"], json!(false));
        assert!(out.get("content_base64").is_none());
    }
}
