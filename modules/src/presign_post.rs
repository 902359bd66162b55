//! Presign POST: an HTML form (URL and fields) that lets a browser upload a file straight to S3
//! for a limited time, within limits the policy sets (key, size, type).

use connector_core::Effects;
use connector_core::framework::acl::CannedAcl;
use connector_core::framework::types::{BucketName, ObjectKey, Prefix};
use connector_core::framework::validate;
use connector_core::ops::presign::{self, PostRequest};
use connector_core::wire::headers::{META_PREFIX, to_rfc3339};
use connector_core::{Context, Error, Module, ModuleKind, Result, async_trait, register_module};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::SystemTime;

/// The status S3 answers a successful upload with.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
pub enum SuccessStatus {
    /// 200 OK, empty body.
    #[serde(rename = "200")]
    Ok,
    /// 201 Created, with an XML body naming the object.
    #[serde(rename = "201")]
    Created,
    /// 204 No Content (S3's default).
    #[serde(rename = "204")]
    NoContent,
}

impl SuccessStatus {
    fn as_str(self) -> &'static str {
        match self {
            SuccessStatus::Ok => "200",
            SuccessStatus::Created => "201",
            SuccessStatus::NoContent => "204",
        }
    }
}

/// The form to make.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = form_rules)]
pub struct PresignPostInput {
    /// The bucket uploads go to.
    #[schemars(title = "Bucket", extend("x-options" = {"provider": "buckets"}))]
    pub bucket: BucketName,

    /// The exact key the upload is stored under, e.g. `avatars/user-12.jpg`. Give this or
    /// `key_prefix`.
    #[serde(default)]
    #[schemars(title = "Key")]
    pub key: Option<ObjectKey>,

    /// Allow any key starting with this, e.g. `uploads/user-12/`; by default the uploaded
    /// file's own name is appended (the form's key is `PREFIX${filename}`).
    #[serde(default)]
    #[schemars(title = "Key prefix")]
    pub key_prefix: Option<Prefix>,

    /// How long the form works, in seconds: 1 to 604800 (7 days). Default: 3600.
    #[serde(default = "default_expiry")]
    #[schemars(title = "Expires in (seconds)", range(min = 1, max = 604800))]
    pub expires_in: u64,

    /// The smallest and largest file allowed, in bytes, e.g. `[1, 10485760]` for up to 10 MiB.
    #[serde(default)]
    #[schemars(title = "File size range (bytes)", transform = size_range_schema)]
    pub content_length_range: Option<[u64; 2]>,

    /// The exact content type the upload must have, e.g. `image/png`.
    #[serde(default)]
    #[schemars(title = "Content type")]
    pub content_type: Option<String>,

    /// Allow any content type starting with this, e.g. `image/`.
    #[serde(default)]
    #[schemars(title = "Content type prefix")]
    pub content_type_prefix: Option<String>,

    /// The canned ACL the upload gets.
    #[serde(default)]
    #[schemars(title = "ACL")]
    pub acl: Option<CannedAcl>,

    /// The status S3 answers a successful upload with (200, 201 or 204).
    #[serde(default)]
    #[schemars(title = "Success status")]
    pub success_action_status: Option<SuccessStatus>,

    /// A URL the browser is redirected to after a successful upload (instead of a status).
    #[serde(default)]
    #[schemars(title = "Success redirect URL")]
    pub success_action_redirect: Option<String>,

    /// Metadata the upload is stored with (`x-amz-meta-NAME` fields).
    #[serde(default)]
    #[schemars(title = "Metadata", transform = validate::schema::headers)]
    pub metadata: BTreeMap<String, String>,

    /// Other form fields with exact values, e.g. `Cache-Control` or `x-amz-storage-class`.
    #[serde(default)]
    #[schemars(title = "Extra fields", transform = fields_schema)]
    pub fields: BTreeMap<String, String>,
}

/// The rules across fields: a key or a key prefix (one of them); at most one of a content
/// type and a content type prefix, and of a success status and a redirect.
fn form_rules(schema: &mut schemars::Schema) {
    use validate::schema::{not_with, one_of_two};
    validate::schema::add(
        schema,
        serde_json::json!({"allOf": [
            one_of_two("key", "key_prefix"),
            not_with("content_type", "content_type_prefix"),
            not_with("success_action_status", "success_action_redirect"),
        ]}),
    );
}

/// `[smallest, largest]`; the smallest is said in the description to be at most the largest.
fn size_range_schema(schema: &mut schemars::Schema) {
    validate::schema::note(schema, "The smallest is at most the largest.");
}

/// Extra form fields: header-like names and values, not the fields the connector writes.
fn fields_schema(schema: &mut schemars::Schema) {
    validate::schema::headers(schema);
    let mut reserved = RESERVED_FIELDS.to_vec();
    reserved.push("x-amz-security-token");
    validate::schema::add(
        schema,
        serde_json::json!({"propertyNames": {
            "pattern": validate::schema::TOKEN,
            "not": {"pattern": validate::schema::one_of_words(&reserved)},
        }}),
    );
}

fn default_expiry() -> u64 {
    3600
}

/// The form.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PresignPostOutput {
    /// Where the browser POSTs the form (`multipart/form-data`).
    pub url: String,
    /// The form fields, to send in this order, before the file (a field named `file`, last).
    pub fields: serde_json::Map<String, Value>,
    /// When the form stops working (RFC 3339).
    pub expires_at: String,
    /// The policy document S3 enforces, decoded, for inspection.
    pub policy: Value,
}

/// Makes presigned POST forms.
pub struct PresignPost;

impl PresignPostInput {
    /// The form's key: the exact key, or the prefix followed by `${filename}`.
    fn form_key(&self) -> String {
        match (&self.key, &self.key_prefix) {
            (Some(key), _) => key.to_string(),
            (None, Some(prefix)) if prefix.contains("${filename}") => prefix.to_string(),
            (None, Some(prefix)) => format!("{prefix}${{filename}}"),
            (None, None) => String::new(),
        }
    }

    /// Fields and the conditions that bind them, in form order.
    fn fields_and_conditions(&self) -> (Vec<(String, String)>, Vec<Value>) {
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut conditions: Vec<Value> = Vec::new();
        let mut exact = |name: String, value: String| {
            conditions.push(json!({ name.clone(): value.clone() }));
            fields.push((name, value));
        };
        if let Some(acl) = self.acl {
            exact("acl".into(), acl.as_str().into());
        }
        if let Some(status) = self.success_action_status {
            exact("success_action_status".into(), status.as_str().into());
        }
        if let Some(url) = &self.success_action_redirect {
            exact("success_action_redirect".into(), url.clone());
        }
        if let Some(content_type) = &self.content_type {
            exact("Content-Type".into(), content_type.clone());
        }
        for (name, value) in &self.metadata {
            exact(
                format!("{META_PREFIX}{}", name.to_ascii_lowercase()),
                value.clone(),
            );
        }
        for (name, value) in &self.fields {
            exact(name.clone(), value.clone());
        }
        if let Some(prefix) = &self.content_type_prefix {
            conditions.push(json!(["starts-with", "$Content-Type", prefix]));
        }
        if let Some([min, max]) = self.content_length_range {
            conditions.push(json!(["content-length-range", min, max]));
        }
        (fields, conditions)
    }
}

/// Fields the policy machinery writes itself.
const RESERVED_FIELDS: [&str; 8] = [
    "key",
    "policy",
    "file",
    "bucket",
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
    "x-amz-signature",
];

#[async_trait]
impl Module for PresignPost {
    type Input = PresignPostInput;
    type Output = PresignPostOutput;
    const NAME: &'static str = "presign_post";
    const LABEL: &'static str = "Create a Presigned POST Form";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Makes an upload form (URL and fields) that lets a browser \
        upload a file straight to S3 for a limited time, within a key, size and type policy.";
    const EFFECTS: Effects = Effects::WRITES.signs_locally();

    fn validate(&self, input: &PresignPostInput) -> Result<()> {
        presign::check_expires_in("expires_in", input.expires_in)?;
        match (&input.key, &input.key_prefix) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid_input(
                    "key_prefix",
                    "give either an exact key or a key prefix, not both",
                ));
            }
            (None, None) => {
                return Err(Error::invalid_input(
                    "key",
                    "give the key uploads are stored under, or a key_prefix",
                ));
            }
            (Some(_), None) | (None, Some(_)) => {}
        }
        if input.content_type.is_some() && input.content_type_prefix.is_some() {
            return Err(Error::invalid_input(
                "content_type_prefix",
                "give either an exact content type or a prefix, not both",
            ));
        }
        if input.success_action_status.is_some() && input.success_action_redirect.is_some() {
            return Err(Error::invalid_input(
                "success_action_redirect",
                "give either a success status or a redirect URL, not both",
            ));
        }
        if let Some([min, max]) = input.content_length_range
            && min > max
        {
            return Err(Error::invalid_input(
                "content_length_range",
                format!("the smallest size ({min}) is larger than the largest ({max})"),
            ));
        }
        for (name, value) in input.metadata.iter().chain(input.fields.iter()) {
            validate::header_name(&format!("fields.{name}"), name)?;
            validate::header_value(&format!("fields.{name}"), value)?;
        }
        for name in input.fields.keys() {
            if RESERVED_FIELDS.contains(&name.to_ascii_lowercase().as_str())
                || name.eq_ignore_ascii_case("x-amz-security-token")
            {
                return Err(Error::invalid_input(
                    format!("fields.{name}"),
                    format!("{name} is written by the connector; remove it"),
                ));
            }
        }
        Ok(())
    }

    async fn run(&self, ctx: &Context, input: PresignPostInput) -> Result<PresignPostOutput> {
        let expires_in = presign::check_expires_in("expires_in", input.expires_in)?;
        let (fields, conditions) = input.fields_and_conditions();
        let request = PostRequest {
            bucket: input.bucket.to_string(),
            key: input.form_key(),
            fields,
            conditions,
            expires_in,
        };
        let credentials = ctx.client().credentials().await?;
        let now = SystemTime::now();
        let post = presign::post_with(ctx.client(), &credentials, &request, now)?;
        let policy = serde_json::from_str(&post.policy_json).unwrap_or(Value::Null);
        Ok(PresignPostOutput {
            url: post.url,
            fields: post
                .fields
                .into_iter()
                .map(|(name, value)| (name, Value::String(value)))
                .collect(),
            expires_at: to_rfc3339(now + expires_in),
            policy,
        })
    }
}

register_module!(PresignPost);
