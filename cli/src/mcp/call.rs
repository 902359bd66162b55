//! One `tools/call`: the input checked, the operator's switches applied and the user's
//! confirmation got before anything is sent, then the module run (cancellable, with progress)
//! and its output or error returned as a tool result.

use super::McpServer;
use super::catalog::CONFIRM_FIELD;
use super::content;
use super::policy::Confirmation;
use super::progress::McpProgress;
use connector_core::{Error, ErrorKind, Registry, Result};
use rmcp::RoleServer;
use rmcp::model::{CallToolResult, ContentBlock, JsonObject};
use rmcp::service::{ElicitationError, RequestContext};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// How long the user has to answer a confirmation.
const CONFIRM_TIME: Duration = Duration::from_secs(300);

/// The user's answer to "go ahead?".
#[derive(Debug, Deserialize, JsonSchema)]
struct Confirm {
    /// Yes: run this call.
    confirm: bool,
}
rmcp::elicit_safe!(Confirm);

/// A tool's result, as MCP clients take it.
pub fn result(outcome: Result<(Value, Vec<ContentBlock>)>) -> CallToolResult {
    match outcome {
        Ok((output, content)) => {
            let mut result = CallToolResult::structured(output);
            if !content.is_empty() {
                result.content = content;
            }
            result
        }
        Err(err) => CallToolResult::structured_error(serde_json::json!({"error": err.to_json()})),
    }
}

/// Runs tool `name` with `arguments` for the session of `ctx`.
pub async fn call(
    server: &McpServer,
    name: &str,
    mut arguments: JsonObject,
    ctx: &RequestContext<RoleServer>,
) -> Result<(Value, Vec<ContentBlock>)> {
    let registry = Registry::global();
    let policy = &server.policy;
    let module = registry
        .get(name)
        .ok_or_else(|| Error::invalid_input("name", format!("no tool is called {name:?}")))?;
    if !policy.lists(module) {
        return Err(Error::new(
            ErrorKind::AccessDenied,
            format!(
                "{name} changes the store, and this server runs with --read-only; nothing was sent"
            ),
        ));
    }
    let confirmation = policy.confirmation(server.client_elicits(ctx));
    let destructive = module.effects().destructive;
    if destructive && confirmation == Confirmation::Input {
        match arguments.remove(CONFIRM_FIELD) {
            Some(Value::Bool(true)) => {}
            _ => {
                return Err(Error::invalid_input(
                    CONFIRM_FIELD,
                    format!(
                        "{name} deletes or replaces data: ask the user, and set confirm: true \
                         only once they agreed to this exact call"
                    ),
                ));
            }
        }
    }
    let input = Value::Object(arguments);
    content::check_input(name, &input, policy)?;
    let prepared = registry.prepare(name, input.clone())?;
    if let Some(field) = prepared.reads_stdin() {
        return Err(Error::invalid_input(
            field,
            "standard input carries the MCP session here; give the content as text or base64",
        ));
    }
    policy.check(&prepared)?;
    let buckets: Vec<&str> = prepared
        .buckets()
        .iter()
        .map(|b| b.bucket.as_str())
        .collect();
    tracing::info!(tool = name, buckets = ?buckets, "mcp tool call");
    if destructive && confirmation == Confirmation::Elicit {
        confirm(ctx, name, &input).await?;
    }

    let _slot = server.slot()?;
    let progress = Arc::new(McpProgress::default());
    let mut context = server.context().await?;
    let token = ctx.meta.get_progress_token();
    if token.is_some() {
        context = context.with_progress(progress.clone());
    }
    let run = async {
        if name == "get_file" {
            let download = content::get_file(&context, input, policy).await?;
            return Ok((download.output, download.content));
        }
        let mut output = prepared.run(&context).await?;
        policy.filter_output(name, &mut output);
        content::check_output(name, &output, policy)?;
        Ok((output, Vec::new()))
    };
    let reporting = async {
        match token {
            Some(token) => progress.report(ctx.peer.clone(), token).await,
            None => std::future::pending().await,
        }
    };
    // A cancelled call drops the run: its temporary files go and its multipart upload is
    // aborted (in the background, as on Ctrl-C).
    tokio::select! {
        outcome = run => outcome,
        () = ctx.ct.cancelled() => Err(Error::new(
            ErrorKind::Cancelled,
            format!("{name} was cancelled by the client; what it had started is being cleaned up"),
        )),
        () = reporting => unreachable!("progress reporting ends only with the call"),
        () = server.timeout() => Err(Error::new(
            ErrorKind::Timeout,
            format!("{name} did not finish in time"),
        )),
    }
}

/// Asks the user (through the client) to confirm a destructive call.
async fn confirm(ctx: &RequestContext<RoleServer>, name: &str, input: &Value) -> Result<()> {
    let message = format!(
        "Allow {name} {}? It deletes or replaces data.",
        describe(input)
    );
    let declined = |why: &str| {
        Error::new(
            ErrorKind::Cancelled,
            format!("{name} was not confirmed ({why}); nothing was sent"),
        )
    };
    match ctx
        .peer
        .elicit_with_timeout::<Confirm>(message, Some(CONFIRM_TIME))
        .await
    {
        Ok(Some(Confirm { confirm: true })) => Ok(()),
        Ok(_) => Err(declined("the user said no")),
        Err(ElicitationError::UserDeclined) => Err(declined("the user declined")),
        Err(ElicitationError::UserCancelled) => Err(declined("the user dismissed the question")),
        Err(err) => Err(declined(&format!("the question failed: {err}"))),
    }
}

/// The fields that say what a call touches, for the confirmation question.
fn describe(input: &Value) -> String {
    const FIELDS: [&str; 9] = [
        "bucket",
        "key",
        "folder",
        "prefix",
        "source_bucket",
        "source_key",
        "destination_bucket",
        "destination_key",
        "url",
    ];
    let mut parts: Vec<String> = FIELDS
        .iter()
        .filter_map(|field| Some(format!("{field} {}", input.get(*field)?.as_str()?)))
        .collect();
    if let Some(method) = input.get("method").and_then(Value::as_str) {
        parts.insert(0, format!("method {method}"));
    }
    if let Some(keys) = input.get("keys").and_then(Value::as_array) {
        parts.push(format!("{} keys", keys.len()));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn confirmations_say_what_the_call_touches() {
        assert_eq!(
            describe(&json!({"bucket": "shop", "key": "a.txt", "version_id": "v"})),
            "bucket shop, key a.txt"
        );
        assert_eq!(
            describe(&json!({"bucket": "shop", "keys": ["a", "b"]})),
            "bucket shop, 2 keys"
        );
        assert_eq!(
            describe(&json!({"method": "DELETE", "url": "/shop/a"})),
            "method DELETE, url /shop/a"
        );
    }

    #[test]
    fn errors_are_tool_results_naming_the_field() {
        let result = result(Err(Error::invalid_input("key", "bad")));
        assert_eq!(result.is_error, Some(true));
        let error = &result.structured_content.unwrap()["error"];
        assert_eq!(error["kind"], json!("invalid_input"));
        assert_eq!(error["field"], json!("key"));
    }
}
