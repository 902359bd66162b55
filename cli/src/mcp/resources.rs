//! Buckets, folders and small text files as MCP resources, for clients that browse them:
//! `s3://BUCKET/` lists a bucket's top folder, `s3://BUCKET/FOLDER/` a folder, and
//! `s3://BUCKET/KEY` reads a small text file. The same switches apply as to the tools.

use super::McpServer;
use super::content;
use connector_core::{Context, Error, ErrorKind, Registry, Result};
use percent_encoding::percent_decode_str;
use rmcp::model::{
    ErrorData, ListResourceTemplatesResult, ListResourcesResult, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate,
};
use serde_json::{Value, json};

/// The scheme of resource URIs.
const SCHEME: &str = "s3://";

/// The most items of a folder listed in one read.
const FOLDER_ITEMS: u64 = 200;

/// The template every resource matches.
pub fn templates() -> ListResourceTemplatesResult {
    let template = ResourceTemplate::new("s3://{bucket}/{+key}", "S3 file or folder")
        .with_description(
            "A file (small text files are read here; call get_file for others) or, with a key \
             ending in / (or none), a folder's listing as JSON.",
        );
    ListResourceTemplatesResult::with_all_items(vec![template])
}

/// The buckets the session may read, as resources.
pub async fn list(server: &McpServer) -> std::result::Result<ListResourcesResult, ErrorData> {
    let run = async {
        let context = server.context().await?;
        let mut output = run(server, &context, "list_buckets", json!({"limit": 1000})).await?;
        server.policy.filter_output("list_buckets", &mut output);
        Ok::<_, Error>(output)
    };
    let output = run.await.map_err(protocol_error)?;
    let buckets = output["buckets"].as_array().cloned().unwrap_or_default();
    let resources = buckets
        .iter()
        .filter_map(|bucket| bucket["name"].as_str())
        .map(|name| {
            Resource::new(format!("{SCHEME}{name}/"), name)
                .with_description("A bucket: read it for its top folder's listing.")
                .with_mime_type("application/json")
        })
        .collect();
    Ok(ListResourcesResult::with_all_items(resources))
}

/// Reads the resource at `uri`.
pub async fn read(
    server: &McpServer,
    uri: &str,
) -> std::result::Result<ReadResourceResult, ErrorData> {
    let (bucket, key) = parse(uri).map_err(protocol_error)?;
    let read = async {
        let context = server.context().await?;
        if key.is_empty() || key.ends_with('/') {
            let folders = run(
                server,
                &context,
                "list_folders",
                json!({"bucket": bucket, "prefix": key, "limit": FOLDER_ITEMS}),
            )
            .await?;
            let files = run(
                server,
                &context,
                "list_files",
                json!({"bucket": bucket, "prefix": key, "limit": FOLDER_ITEMS}),
            )
            .await?;
            let listing = json!({
                "bucket": bucket,
                "folder": key,
                "folders": folders["folders"],
                "files": files["files"],
                "truncated": folders["truncated"] == json!(true) || files["truncated"] == json!(true),
            });
            return Ok(ResourceContents::TextResourceContents {
                uri: uri.to_owned(),
                mime_type: Some("application/json".to_owned()),
                text: listing.to_string(),
                meta: None,
            });
        }
        let input = json!({"bucket": bucket, "key": key});
        check(server, "get_file", &input)?;
        let download = content::get_file(&context, input, &server.policy).await?;
        match download.output["content_text"].as_str() {
            Some(text) => Ok(ResourceContents::TextResourceContents {
                uri: uri.to_owned(),
                mime_type: download.output["content_type"].as_str().map(str::to_owned),
                text: text.to_owned(),
                meta: None,
            }),
            None => Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "{uri} is larger than {} KiB or not text: call the get_file tool for a \
                     download link",
                    server.policy.max_inline / 1024
                ),
            )),
        }
    };
    let contents = read.await.map_err(protocol_error)?;
    Ok(ReadResourceResult::new(vec![contents]))
}

/// The bucket and key of `s3://BUCKET/KEY` (the key percent-decoded).
fn parse(uri: &str) -> Result<(String, String)> {
    let refuse =
        |why: &str| Error::invalid_input("uri", format!("{uri:?} is not a resource here: {why}"));
    let rest = uri
        .strip_prefix(SCHEME)
        .ok_or_else(|| refuse("resources are s3://BUCKET/KEY"))?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(refuse("it names no bucket"));
    }
    let key = percent_decode_str(key)
        .decode_utf8()
        .map_err(|_| refuse("its key is not UTF-8 once decoded"))?;
    Ok((bucket.to_owned(), key.into_owned()))
}

/// Checks `input` for `name` against its schema and the server's switches.
fn check(server: &McpServer, name: &str, input: &Value) -> Result<()> {
    let prepared = Registry::global().prepare(name, input.clone())?;
    server.policy.check(&prepared)
}

/// Runs `name` with `input` after the same checks as a tool call.
async fn run(server: &McpServer, context: &Context, name: &str, input: Value) -> Result<Value> {
    let prepared = Registry::global().prepare(name, input)?;
    server.policy.check(&prepared)?;
    prepared.run(context).await
}

/// An error as a protocol error (resources have no error results); its JSON goes in `data`.
fn protocol_error(err: Error) -> ErrorData {
    let data = Some(json!({"error": err.to_json()}));
    let message = err.to_string();
    match err.kind() {
        ErrorKind::NotFound => ErrorData::resource_not_found(message, data),
        ErrorKind::InvalidInput | ErrorKind::AccessDenied => {
            ErrorData::invalid_params(message, data)
        }
        _ => ErrorData::internal_error(message, data),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_name_a_bucket_and_a_key() {
        let parsed = |uri| parse(uri).unwrap();
        assert_eq!(parsed("s3://shop/"), ("shop".into(), "".into()));
        assert_eq!(parsed("s3://shop"), ("shop".into(), "".into()));
        assert_eq!(
            parsed("s3://shop/a%20b/c.txt"),
            ("shop".into(), "a b/c.txt".into())
        );
        for bad in ["file:///etc/passwd", "s3:///key", "s3://shop/%FF"] {
            assert_eq!(parse(bad).unwrap_err().field(), Some("uri"), "{bad}");
        }
    }
}
