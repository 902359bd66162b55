//! Presign URL: a link that lets anyone download (or upload, check or delete) one file for a
//! limited time, without keys.

use connector_core::Effects;
use connector_core::framework::acl::CannedAcl;
use connector_core::framework::types::{BucketName, ObjectKey, VersionId, rules};
use connector_core::framework::validate;
use connector_core::ops::presign::{self, UrlRequest};
use connector_core::wire::encode;
use connector_core::wire::headers::{META_PREFIX, to_rfc3339};
use connector_core::{
    Context, Error, Method, Module, ModuleKind, Result, async_trait, register_module,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::SystemTime;

/// What the link allows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum PresignMethod {
    /// Download the file.
    #[default]
    Get,
    /// Upload (create or replace) the file.
    Put,
    /// Read the file's metadata.
    Head,
    /// Delete the file.
    Delete,
}

impl PresignMethod {
    fn method(self) -> Method {
        match self {
            PresignMethod::Get => Method::GET,
            PresignMethod::Put => Method::PUT,
            PresignMethod::Head => Method::HEAD,
            PresignMethod::Delete => Method::DELETE,
        }
    }
}

/// The link to make.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = method_rules)]
pub struct PresignUrlInput {
    /// What the link allows: GET (download), PUT (upload), HEAD or DELETE.
    #[serde(default)]
    #[schemars(title = "Method")]
    pub method: PresignMethod,

    /// The bucket.
    #[schemars(title = "Bucket", extend("x-options" = {"provider": "buckets"}))]
    pub bucket: BucketName,

    /// The file's key, e.g. `invoices/2026/march.pdf`.
    #[schemars(title = "Path (key)")]
    pub key: ObjectKey,

    /// How long the link works, in seconds: 1 to 604800 (7 days). Default: 3600 (one hour).
    #[serde(default = "default_expiry")]
    #[schemars(title = "Expires in (seconds)", range(min = 1, max = 604800))]
    pub expires_in: u64,

    /// GET only: the name the browser saves the download under (it is then downloaded, not
    /// shown), e.g. `Invoice March.pdf`.
    #[serde(default)]
    #[schemars(title = "Download file name", transform = file_name_schema)]
    pub download_file_name: Option<String>,

    /// GET only: the content type the download is served with, e.g. `application/pdf`.
    #[serde(default)]
    #[schemars(title = "Response content type", transform = validate::schema::header_value)]
    pub response_content_type: Option<String>,

    /// GET, HEAD or DELETE: a specific version of the file (versioned buckets).
    #[serde(default)]
    #[schemars(title = "Version ID", transform = version_schema)]
    pub version_id: Option<VersionId>,

    /// PUT only: the content type the upload must have; the uploader must send this exact
    /// `Content-Type` header.
    #[serde(default)]
    #[schemars(title = "Content type", transform = validate::schema::header_value)]
    pub content_type: Option<String>,

    /// PUT only: the canned ACL the upload gets; the uploader must send it as `x-amz-acl`.
    #[serde(default)]
    #[schemars(title = "ACL")]
    pub acl: Option<CannedAcl>,

    /// PUT only: metadata the upload must carry (`x-amz-meta-NAME` headers the uploader sends).
    #[serde(default)]
    #[schemars(title = "Metadata", transform = validate::schema::headers)]
    pub metadata: BTreeMap<String, String>,

    /// PUT only: other PutObject headers bound into the link, e.g. `Cache-Control`,
    /// `x-amz-storage-class`, `x-amz-server-side-encryption`; the uploader must send them.
    #[serde(default)]
    #[schemars(title = "Headers", transform = headers_schema)]
    pub headers: BTreeMap<String, String>,
}

/// Which fields each method takes: the download fields only for GET, a version not for PUT,
/// the upload fields only for PUT.
fn method_rules(schema: &mut schemars::Schema) {
    use serde_json::json;
    let method_is = |methods: &[&str]| json!({"required": ["method"], "properties": {"method": {"enum": methods}}});
    let absent = |fields: &[&str]| {
        let properties: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .map(|field| {
                let empty = match *field {
                    "metadata" | "headers" => json!({"maxProperties": 0}),
                    _ => json!({"type": "null"}),
                };
                (field.to_string(), empty)
            })
            .collect();
        json!({"properties": properties})
    };
    validate::schema::add(
        schema,
        json!({"allOf": [
            {"if": method_is(&["PUT", "HEAD", "DELETE"]),
             "then": absent(&["download_file_name", "response_content_type"])},
            {"if": method_is(&["PUT"]), "then": absent(&["version_id"])},
            {"if": {"not": method_is(&["PUT"])},
             "then": absent(&["content_type", "acl", "metadata", "headers"])},
        ]}),
    );
}

/// A plain file name: no folders, no control characters.
fn file_name_schema(schema: &mut schemars::Schema) {
    validate::schema::add(
        schema,
        serde_json::json!({"pattern": "^[^/\\\\\\x00-\\x1F\\x7F-\\x9F]+$"}),
    );
}

/// A version ID that is also a header value (it may go into a signed header).
fn version_schema(schema: &mut schemars::Schema) {
    rules::add_after(
        schema,
        serde_json::json!({"pattern": validate::schema::HEADER_VALUE}),
    );
}

/// PutObject headers that have no field of their own.
fn headers_schema(schema: &mut schemars::Schema) {
    validate::schema::put_object_headers(schema);
    let own_fields = format!(
        "^({}|{}|{}[\\s\\S]*)$",
        validate::schema::any_case("content-type"),
        validate::schema::any_case("x-amz-acl"),
        validate::schema::any_case(META_PREFIX),
    );
    let names = schema
        .get("propertyNames")
        .cloned()
        .unwrap_or(serde_json::json!({}));
    validate::schema::add(
        schema,
        serde_json::json!({"propertyNames": {"allOf": [names, {"not": {"pattern": own_fields}}]}}),
    );
}

fn default_expiry() -> u64 {
    3600
}

/// The presigned link.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PresignUrlOutput {
    /// The link.
    pub url: String,
    /// The HTTP method to use it with.
    pub method: String,
    /// When the link stops working (RFC 3339).
    pub expires_at: String,
    /// Headers whoever uses the link must send, exactly (PUT: content type, ACL, metadata, …).
    pub headers: BTreeMap<String, String>,
    /// For temporary credentials: when they expire. The link stops working then too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials_expire_at: Option<String>,
    /// A warning, e.g. that the credentials expire before the link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// Makes presigned URLs.
pub struct PresignUrl;

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): an ASCII fallback for old
/// browsers and the exact name, percent-encoded, for the rest.
pub fn attachment_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect();
    format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        encode::encode_query(name)
    )
}

impl PresignUrlInput {
    /// A field set that does not apply to this method: (field, the methods it applies to).
    fn misplaced_field(&self) -> Option<(&'static str, &'static str)> {
        use PresignMethod::{Delete, Get, Head, Put};
        let get: &[PresignMethod] = &[Get];
        let put: &[PresignMethod] = &[Put];
        let fields = [
            (
                "download_file_name",
                self.download_file_name.is_some(),
                get,
                "GET",
            ),
            (
                "response_content_type",
                self.response_content_type.is_some(),
                get,
                "GET",
            ),
            (
                "version_id",
                self.version_id.is_some(),
                &[Get, Head, Delete],
                "GET, HEAD and DELETE",
            ),
            ("content_type", self.content_type.is_some(), put, "PUT"),
            ("acl", self.acl.is_some(), put, "PUT"),
            ("metadata", !self.metadata.is_empty(), put, "PUT"),
            ("headers", !self.headers.is_empty(), put, "PUT"),
        ];
        fields
            .into_iter()
            .find(|(_, set, allowed, _)| *set && !allowed.contains(&self.method))
            .map(|(field, _, _, methods)| (field, methods))
    }

    /// The signed headers the user of the link must send (PUT).
    fn signed_headers(&self) -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> = Vec::new();
        if let Some(content_type) = &self.content_type {
            headers.push(("content-type".into(), content_type.clone()));
        }
        if let Some(acl) = self.acl {
            headers.push(("x-amz-acl".into(), acl.as_str().into()));
        }
        for (name, value) in &self.metadata {
            headers.push((
                format!("{META_PREFIX}{}", name.to_ascii_lowercase()),
                value.clone(),
            ));
        }
        for (name, value) in &self.headers {
            headers.push((name.to_ascii_lowercase(), value.clone()));
        }
        headers
    }

    /// The operation's query parameters (GET overrides, version).
    fn params(&self) -> Vec<(String, String)> {
        let mut params = Vec::new();
        if let Some(name) = &self.download_file_name {
            params.push((
                "response-content-disposition".into(),
                attachment_disposition(name),
            ));
        }
        if let Some(content_type) = &self.response_content_type {
            params.push(("response-content-type".into(), content_type.clone()));
        }
        if let Some(version) = &self.version_id {
            params.push(("versionId".into(), version.to_string()));
        }
        params
    }
}

#[async_trait]
impl Module for PresignUrl {
    type Input = PresignUrlInput;
    type Output = PresignUrlOutput;
    const NAME: &'static str = "presign_url";
    const LABEL: &'static str = "Create a Presigned URL";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Makes a link that lets anyone download (or upload, check \
        or delete) one file for a limited time, without AWS keys.";
    const EFFECTS: Effects = Effects::READS.signs_locally();

    /// A GET or HEAD link only reads; a PUT or DELETE link lets anyone holding it write.
    fn read_only_for(&self, input: &PresignUrlInput) -> bool {
        matches!(input.method, PresignMethod::Get | PresignMethod::Head)
    }

    fn validate(&self, input: &PresignUrlInput) -> Result<()> {
        presign::check_expires_in("expires_in", input.expires_in)?;
        if let Some((field, methods)) = input.misplaced_field() {
            return Err(Error::invalid_input(
                field,
                format!("{field} only applies to {methods} links; remove it or change the method"),
            ));
        }
        if let Some(name) = &input.download_file_name
            && (name.is_empty() || name.contains(['/', '\\']) || name.chars().any(char::is_control))
        {
            return Err(Error::invalid_input(
                "download_file_name",
                "give a plain file name (no folders, no control characters), e.g. report.pdf",
            ));
        }
        for (field, value) in [
            (
                "response_content_type",
                input.response_content_type.as_deref(),
            ),
            ("content_type", input.content_type.as_deref()),
            ("version_id", input.version_id.as_deref()),
        ] {
            if let Some(value) = value {
                validate::header_value(field, value)?;
            }
        }
        for (name, value) in &input.metadata {
            let field = format!("metadata.{name}");
            validate::header_name(&field, name)?;
            validate::header_value(&field, value)?;
        }
        for (name, value) in &input.headers {
            let field = format!("headers.{name}");
            validate::put_object_header(&field, name, value)?;
            let lower = name.to_ascii_lowercase();
            if lower == "content-type" || lower == "x-amz-acl" || lower.starts_with(META_PREFIX) {
                return Err(Error::invalid_input(
                    field,
                    format!("{name} has its own field (content_type, acl or metadata): use it"),
                ));
            }
        }
        Ok(())
    }

    async fn run(&self, ctx: &Context, input: PresignUrlInput) -> Result<PresignUrlOutput> {
        let client = ctx.client();
        let credentials = client.credentials().await?;
        let now = SystemTime::now();
        let expires_in = presign::check_expires_in("expires_in", input.expires_in)?;
        let request = UrlRequest {
            method: input.method.method(),
            bucket: input.bucket.to_string(),
            key: input.key.to_string(),
            params: input.params(),
            headers: input.signed_headers(),
            expires_in,
        };
        let url = presign::url_with(client, &credentials, &request, now)?;
        let expires_at = now + expires_in;
        let warning = credentials
            .expires_at()
            .filter(|at| *at < expires_at)
            .map(|at| {
                format!(
                    "the credentials that signed this link expire at {}, before the link: it stops working then",
                    to_rfc3339(at)
                )
            });
        Ok(PresignUrlOutput {
            url,
            method: request.method.to_string(),
            expires_at: to_rfc3339(expires_at),
            headers: request.headers.into_iter().collect(),
            credentials_expire_at: credentials.expires_at().map(to_rfc3339),
            warning,
        })
    }
}

register_module!(PresignUrl);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names() {
        assert_eq!(
            attachment_disposition("Invoice März \"2026\".pdf"),
            "attachment; filename=\"Invoice M_rz _2026_.pdf\"; filename*=UTF-8''Invoice%20M%C3%A4rz%20%222026%22.pdf"
        );
    }
}
