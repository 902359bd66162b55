//! What the operator lets an agent do: only reads (`--read-only`), only some buckets
//! (`--allow-bucket`), destructive calls only once confirmed, content inline only up to a size.
//! Every check here happens before anything is sent.

use connector_core::framework::registry::Prepared;
use connector_core::{DynModule, Error, ErrorKind, Result};
use std::collections::BTreeSet;

/// The module whose output (not input) `--allow-bucket` limits: it names no bucket.
const LISTS_BUCKETS: &str = "list_buckets";

/// The operator's switches for one MCP server.
#[derive(Debug, Clone)]
pub struct McpPolicy {
    /// Only tools that change nothing are listed and callable.
    pub read_only: bool,
    /// The buckets calls may name; empty: any.
    pub allowed_buckets: BTreeSet<String>,
    /// Whether destructive tools need the user's confirmation.
    pub confirm: bool,
    /// The largest content returned inline (a file's text) or taken inline (an upload's text
    /// or base64), and the largest output, in bytes.
    pub max_inline: u64,
    /// How long download links handed out instead of large content stay valid, in seconds.
    pub link_expires: u64,
}

impl Default for McpPolicy {
    fn default() -> Self {
        McpPolicy {
            read_only: false,
            allowed_buckets: BTreeSet::new(),
            confirm: true,
            max_inline: 256 * 1024,
            link_expires: 900,
        }
    }
}

/// How a destructive call gets the user's agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// The server asks the user through the client (MCP elicitation).
    Elicit,
    /// The client cannot ask: the tool takes a required `confirm: true` the agent sets once the
    /// user agreed.
    Input,
    /// Not asked (`--no-confirm`).
    Off,
}

impl McpPolicy {
    /// The bucket names given on a command line (blank ones dropped).
    pub fn bucket_names(given: &[String]) -> BTreeSet<String> {
        given
            .iter()
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .collect()
    }

    /// How destructive calls are confirmed for a client that can (or cannot) ask its user.
    pub fn confirmation(&self, client_elicits: bool) -> Confirmation {
        match (self.confirm, client_elicits) {
            (false, _) => Confirmation::Off,
            (true, true) => Confirmation::Elicit,
            (true, false) => Confirmation::Input,
        }
    }

    /// Whether `module` is listed (and may be called at all).
    pub fn lists(&self, module: &dyn DynModule) -> bool {
        !self.read_only || module.effects().read_only
    }

    /// Refuses a call the switches do not allow, naming the field; nothing has been sent.
    pub fn check(&self, prepared: &Prepared) -> Result<()> {
        let name = prepared.module().name();
        if self.read_only && !prepared.read_only() {
            let what = if prepared.module().effects().read_only {
                format!("{name} with this input hands out a link that writes")
            } else {
                format!("{name} changes the store")
            };
            return Err(Error::new(
                ErrorKind::AccessDenied,
                format!("{what}, and this server runs with --read-only; nothing was sent"),
            ));
        }
        if self.allowed_buckets.is_empty() || name == LISTS_BUCKETS {
            return Ok(());
        }
        let named = prepared.buckets();
        if named.is_empty() {
            return Err(Error::new(
                ErrorKind::AccessDenied,
                format!(
                    "{name} with this input names no bucket, and this server only allows calls \
                     on {}; nothing was sent",
                    self.allowed()
                ),
            ));
        }
        for bucket in named {
            if !self.allowed_buckets.contains(&bucket.bucket) {
                return Err(Error::new(
                    ErrorKind::AccessDenied,
                    format!(
                        "bucket {:?} is not one this server allows (--allow-bucket: {}); nothing \
                         was sent",
                        bucket.bucket,
                        self.allowed()
                    ),
                )
                .with_field(bucket.field.clone()));
            }
        }
        Ok(())
    }

    /// Removes from a `list_buckets` output the buckets calls may not name.
    pub fn filter_output(&self, name: &str, output: &mut serde_json::Value) {
        if name != LISTS_BUCKETS || self.allowed_buckets.is_empty() {
            return;
        }
        if let Some(buckets) = output
            .get_mut("buckets")
            .and_then(serde_json::Value::as_array_mut)
        {
            buckets.retain(|item| {
                item.get("name")
                    .and_then(serde_json::Value::as_str)
                    .is_some_and(|name| self.allowed_buckets.contains(name))
            });
        }
    }

    fn allowed(&self) -> String {
        let names: Vec<&str> = self.allowed_buckets.iter().map(String::as_str).collect();
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::Registry;
    use serde_json::json;

    fn only(buckets: &[&str]) -> McpPolicy {
        McpPolicy {
            allowed_buckets: buckets.iter().map(|b| (*b).to_owned()).collect(),
            ..McpPolicy::default()
        }
    }

    fn check(policy: &McpPolicy, name: &str, input: serde_json::Value) -> Result<()> {
        policy.check(&Registry::global().prepare(name, input).unwrap())
    }

    #[test]
    fn read_only_refuses_writes_and_write_links() {
        let policy = McpPolicy {
            read_only: true,
            ..McpPolicy::default()
        };
        let registry = Registry::global();
        assert!(policy.lists(registry.get("list_files").unwrap()));
        assert!(!policy.lists(registry.get("delete_file").unwrap()));
        assert!(!policy.lists(registry.get("assume_role").unwrap()));
        let err = check(&policy, "delete_file", json!({"bucket": "b", "key": "k"})).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AccessDenied);
        let link = |method| json!({"bucket": "b", "key": "k", "method": method});
        check(&policy, "presign_url", link("GET")).unwrap();
        let err = check(&policy, "presign_url", link("PUT")).unwrap_err();
        assert!(err.to_string().contains("--read-only"), "{err}");
    }

    #[test]
    fn allowed_buckets_name_the_field_of_another() {
        let policy = only(&["ok"]);
        check(&policy, "delete_file", json!({"bucket": "ok", "key": "k"})).unwrap();
        let err = check(&policy, "delete_bucket", json!({"bucket": "other"})).unwrap_err();
        assert_eq!(
            (err.kind(), err.field()),
            (ErrorKind::AccessDenied, Some("bucket"))
        );
        let copy = json!({"source_bucket": "ok", "source_key": "a",
                          "destination_bucket": "other", "destination_key": "a"});
        let err = check(&policy, "copy_file", copy).unwrap_err();
        assert_eq!(err.field(), Some("destination_bucket"));
        let err = check(
            &policy,
            "make_api_call",
            json!({"method": "GET", "url": "/other?acl"}),
        )
        .unwrap_err();
        assert_eq!(err.field(), Some("url"));
        // Naming no bucket: nothing to check it against.
        for (name, input) in [
            ("make_api_call", json!({"method": "GET", "url": "/"})),
            (
                "assume_role",
                json!({"role_arn": "arn:aws:iam::123456789012:role/r"}),
            ),
        ] {
            let err = check(&policy, name, input).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AccessDenied, "{name}");
        }
        check(&policy, "list_buckets", json!({})).unwrap();
        let mut output = json!({"buckets": [{"name": "ok"}, {"name": "other"}]});
        policy.filter_output("list_buckets", &mut output);
        assert_eq!(output, json!({"buckets": [{"name": "ok"}]}));
    }

    #[test]
    fn confirmation_follows_the_client() {
        let policy = McpPolicy::default();
        assert_eq!(policy.confirmation(true), Confirmation::Elicit);
        assert_eq!(policy.confirmation(false), Confirmation::Input);
        let off = McpPolicy {
            confirm: false,
            ..McpPolicy::default()
        };
        assert_eq!(off.confirmation(true), Confirmation::Off);
    }
}
