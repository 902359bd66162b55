//! Set Bucket CORS: replace a bucket's CORS configuration (PutBucketCors), which says which
//! other sites' pages may read from or upload to the bucket from a browser.
//!
//! Also the typed rules and their XML, which Get Bucket CORS reads back.

use connector_core::Effects;
use connector_core::framework::types::BucketName;
use connector_core::framework::validate;
use connector_core::ops::cors;
use connector_core::{
    Context, Error, ErrorKind, Module, ModuleKind, Result, async_trait, register_module,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The most rules S3 accepts in a configuration.
const MAX_RULES: usize = 100;

/// The largest CORS configuration S3 accepts, in bytes of XML.
const MAX_CORS_BYTES: usize = 64 * 1024;

/// The longest rule ID S3 accepts, in characters.
const MAX_ID_CHARS: usize = 255;

/// An HTTP method a CORS rule allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum CorsMethod {
    /// Download files (and list the bucket).
    Get,
    /// Upload (create or replace) files, e.g. with presigned URLs.
    Put,
    /// Upload files with presigned POST forms (and start or finish multipart uploads).
    Post,
    /// Delete files.
    Delete,
    /// Read files' metadata.
    Head,
}

impl CorsMethod {
    const ALL: [CorsMethod; 5] = [
        CorsMethod::Get,
        CorsMethod::Put,
        CorsMethod::Post,
        CorsMethod::Delete,
        CorsMethod::Head,
    ];

    /// The method as S3 writes it (`GET`).
    pub fn as_str(self) -> &'static str {
        match self {
            CorsMethod::Get => "GET",
            CorsMethod::Put => "PUT",
            CorsMethod::Post => "POST",
            CorsMethod::Delete => "DELETE",
            CorsMethod::Head => "HEAD",
        }
    }
}

/// One CORS rule: which sites' pages may make which requests. A browser request is allowed
/// by the first rule that matches its origin, method and headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CorsRule {
    /// A name for the rule, up to 255 characters. Optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "ID", length(min = 1, max = 255))]
    pub id: Option<String>,

    /// The sites whose pages may call the bucket, written as browsers send them: scheme, host
    /// and port, without a path, e.g. `https://www.example.com` or `http://127.0.0.1:8080`.
    /// Each may have one `*` wildcard (`https://*.example.com`); `*` alone allows every site.
    #[schemars(title = "Allowed origins", length(min = 1), transform = origins_schema)]
    pub allowed_origins: Vec<String>,

    /// The HTTP methods those pages may use.
    #[schemars(title = "Allowed methods", length(min = 1))]
    pub allowed_methods: Vec<CorsMethod>,

    /// The request headers the pages may send, e.g. `Content-Type` or `x-amz-meta-*`; `*`
    /// allows any. Each may have one `*` wildcard. Empty: none beyond the simple ones.
    #[serde(default)]
    #[schemars(title = "Allowed headers", transform = header_names_schema)]
    pub allowed_headers: Vec<String>,

    /// The response headers the pages' scripts may read, e.g. `ETag` (which a browser needs
    /// to finish a multipart upload) or `x-amz-version-id`.
    #[serde(default)]
    #[schemars(title = "Exposed headers", transform = header_names_schema)]
    pub expose_headers: Vec<String>,

    /// How long, in seconds, a browser may reuse the answer to a preflight request, e.g.
    /// `3000`. Empty: the browser's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Max age (seconds)")]
    pub max_age_seconds: Option<u32>,
}

/// The sites of the browser-uploads preset.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BrowserUploads {
    /// The sites whose pages upload and download, e.g. `https://app.example.com` (scheme, host
    /// and port, no path).
    #[schemars(title = "Allowed origins", length(min = 1), transform = origins_schema)]
    pub allowed_origins: Vec<String>,
}

/// A ready-made CORS configuration.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum CorsPreset {
    /// Pages of the given sites may upload with presigned URLs or POST forms and download:
    /// one rule allowing GET, PUT, POST and HEAD with any request header, exposing `ETag`,
    /// with preflight answers cached for 3000 seconds.
    #[schemars(title = "Browser uploads")]
    BrowserUploads(BrowserUploads),
}

/// The bucket and its new CORS configuration: rules or a preset, not both.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = rules_or_preset)]
pub struct PutBucketCorsInput {
    /// The bucket.
    #[schemars(title = "Bucket", extend("x-options" = {"provider": "buckets"}))]
    pub bucket: BucketName,

    /// The CORS rules, 1 to 100, replacing the bucket's configuration (at most 64 KB as S3's
    /// XML). Leave empty to use a preset.
    #[serde(default)]
    #[schemars(title = "Rules", length(min = 1, max = 100))]
    pub rules: Option<Vec<CorsRule>>,

    /// A ready-made configuration instead of rules.
    #[serde(default)]
    #[schemars(title = "Preset")]
    pub preset: Option<CorsPreset>,
}

/// Origins as [`check_origins`] takes them: printable ASCII without spaces, at most one `*`,
/// no path.
fn origins_schema(schema: &mut schemars::Schema) {
    validate::schema::add(
        schema,
        serde_json::json!({"items": {
            "type": "string",
            "pattern": "^[\\x21-\\x7E]+$",
            "not": {"anyOf": [{"pattern": "\\*[\\s\\S]*\\*"}, {"pattern": "://[\\s\\S]*/"}]},
        }}),
    );
}

/// Header names as [`check_header_names`] takes them: tokens with at most one `*`.
fn header_names_schema(schema: &mut schemars::Schema) {
    validate::schema::add(
        schema,
        serde_json::json!({"items": {
            "type": "string",
            "pattern": validate::schema::TOKEN,
            "not": {"pattern": "\\*[\\s\\S]*\\*"},
        }}),
    );
}

/// Rules or a preset: exactly one.
fn rules_or_preset(schema: &mut schemars::Schema) {
    validate::schema::add(schema, validate::schema::one_of_two("rules", "preset"));
}

/// The CORS configuration that was set.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PutBucketCorsOutput {
    /// The bucket.
    pub bucket: String,
    /// The rules now set on the bucket.
    pub rules: Vec<CorsRule>,
}

/// Sets a bucket's CORS configuration.
pub struct PutBucketCors;

/// The rules as S3 stores them.
fn stored(rules: &[CorsRule]) -> Vec<cors::CorsRule> {
    rules
        .iter()
        .map(|rule| cors::CorsRule {
            id: rule.id.clone(),
            allowed_origins: rule.allowed_origins.clone(),
            allowed_methods: rule
                .allowed_methods
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect(),
            allowed_headers: rule.allowed_headers.clone(),
            expose_headers: rule.expose_headers.clone(),
            max_age_seconds: rule.max_age_seconds,
        })
        .collect()
}

/// The `CORSConfiguration` XML of `rules`, in the element order S3 documents.
fn cors_xml(rules: &[CorsRule]) -> Result<String> {
    cors::cors_xml(&stored(rules))
}

/// The rules S3 answered, as this module's rules: a method other than the five is a `server`
/// error.
pub(crate) fn from_stored(rules: Vec<cors::CorsRule>) -> Result<Vec<CorsRule>> {
    rules
        .into_iter()
        .map(|rule| {
            let allowed_methods = rule
                .allowed_methods
                .iter()
                .map(|text| {
                    CorsMethod::ALL
                        .into_iter()
                        .find(|m| m.as_str() == text.trim())
                        .ok_or_else(|| {
                            Error::new(
                                ErrorKind::Server,
                                format!("the store answered with a CORS method {text:?}"),
                            )
                        })
                })
                .collect::<Result<_>>()?;
            Ok(CorsRule {
                id: rule.id,
                allowed_origins: rule.allowed_origins,
                allowed_methods,
                allowed_headers: rule.allowed_headers,
                expose_headers: rule.expose_headers,
                max_age_seconds: rule.max_age_seconds,
            })
        })
        .collect()
}

/// Origins at `field`: at least one, each as a browser sends it with at most one `*`.
fn check_origins(field: &str, origins: &[String]) -> Result<()> {
    if origins.is_empty() {
        return Err(Error::invalid_input(
            field,
            "give at least one origin, e.g. https://www.example.com, or * for every site",
        ));
    }
    for (i, origin) in origins.iter().enumerate() {
        let field = format!("{field}.{i}");
        let why = if origin.is_empty() || !origin.bytes().all(|b| b.is_ascii_graphic()) {
            "write an origin as scheme://host[:port] without spaces, e.g. https://www.example.com \
             (a host with non-ASCII letters in its punycode form, xn--…)"
        } else if origin.matches('*').count() > 1 {
            "an origin may have one * wildcard only"
        } else if origin
            .split_once("://")
            .is_some_and(|(_, host)| host.contains('/'))
        {
            "browsers send an origin as scheme://host[:port] without a path: remove the '/' and \
             what follows it"
        } else {
            continue;
        };
        return Err(Error::invalid_input(field, format!("{origin:?}: {why}")));
    }
    Ok(())
}

/// Header names at `field`, each with at most one `*`.
fn check_header_names(field: &str, names: &[String]) -> Result<()> {
    for (i, name) in names.iter().enumerate() {
        let field = format!("{field}.{i}");
        if name.contains(',') {
            return Err(Error::invalid_input(
                field,
                format!("{name:?}: give one header name per item, not a list"),
            ));
        }
        validate::header_name(&field, name)?;
        if name.matches('*').count() > 1 {
            return Err(Error::invalid_input(
                field,
                format!("{name:?}: a header name may have one * wildcard only"),
            ));
        }
    }
    Ok(())
}

/// Checks rules given by the user, naming the field (`rules.0.allowed_origins.1`).
fn check_rules(rules: &[CorsRule]) -> Result<()> {
    if rules.is_empty() || rules.len() > MAX_RULES {
        return Err(Error::invalid_input(
            "rules",
            format!("give 1 to {MAX_RULES} rules ({} given)", rules.len()),
        ));
    }
    for (i, rule) in rules.iter().enumerate() {
        let path = format!("rules.{i}");
        if let Some(id) = &rule.id
            && (id.is_empty() || id.chars().count() > MAX_ID_CHARS)
        {
            return Err(Error::invalid_input(
                format!("{path}.id"),
                format!(
                    "a rule ID is 1 to {MAX_ID_CHARS} characters; leave it out if the rule needs \
                     no name"
                ),
            ));
        }
        check_origins(&format!("{path}.allowed_origins"), &rule.allowed_origins)?;
        if rule.allowed_methods.is_empty() {
            return Err(Error::invalid_input(
                format!("{path}.allowed_methods"),
                "give at least one method: GET, PUT, POST, DELETE or HEAD",
            ));
        }
        check_header_names(&format!("{path}.allowed_headers"), &rule.allowed_headers)?;
        check_header_names(&format!("{path}.expose_headers"), &rule.expose_headers)?;
    }
    Ok(())
}

impl CorsPreset {
    /// The preset's rules, its fields checked.
    fn rules(&self) -> Result<Vec<CorsRule>> {
        match self {
            CorsPreset::BrowserUploads(uploads) => {
                check_origins(
                    "preset.browser_uploads.allowed_origins",
                    &uploads.allowed_origins,
                )?;
                Ok(vec![CorsRule {
                    id: Some("browser-uploads".to_owned()),
                    allowed_origins: uploads.allowed_origins.clone(),
                    allowed_methods: vec![
                        CorsMethod::Get,
                        CorsMethod::Put,
                        CorsMethod::Post,
                        CorsMethod::Head,
                    ],
                    allowed_headers: vec!["*".to_owned()],
                    expose_headers: vec!["ETag".to_owned()],
                    max_age_seconds: Some(3000),
                }])
            }
        }
    }
}

impl PutBucketCorsInput {
    /// The rules to set, checked (those given, or the preset's), and their XML.
    fn configuration(&self) -> Result<(Vec<CorsRule>, String)> {
        let rules = match (&self.rules, &self.preset) {
            (Some(rules), None) => {
                check_rules(rules)?;
                rules.clone()
            }
            (None, Some(preset)) => preset.rules()?,
            (Some(_), Some(_)) => {
                return Err(Error::invalid_input(
                    "preset",
                    "give either rules or a preset, not both",
                ));
            }
            (None, None) => {
                return Err(Error::invalid_input(
                    "rules",
                    "give the CORS rules, or choose a preset",
                ));
            }
        };
        let xml = cors_xml(&rules)?;
        if xml.len() > MAX_CORS_BYTES {
            return Err(Error::invalid_input(
                "rules",
                format!(
                    "the configuration is {} bytes of XML; S3 accepts at most {MAX_CORS_BYTES}",
                    xml.len()
                ),
            ));
        }
        Ok((rules, xml))
    }
}

#[async_trait]
impl Module for PutBucketCors {
    type Input = PutBucketCorsInput;
    type Output = PutBucketCorsOutput;
    const NAME: &'static str = "put_bucket_cors";
    const LABEL: &'static str = "Set Bucket CORS";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Replaces a bucket's CORS configuration: which other \
        sites' pages may read from or upload to the bucket from a browser.";
    const EFFECTS: Effects = Effects::DELETES;

    fn validate(&self, input: &PutBucketCorsInput) -> Result<()> {
        input.configuration().map(drop)
    }

    async fn run(&self, ctx: &Context, input: PutBucketCorsInput) -> Result<PutBucketCorsOutput> {
        let (rules, _) = input.configuration()?;
        let field = match input.preset {
            Some(_) => "preset",
            None => "rules",
        };
        cors::put_bucket_cors(ctx.client(), &input.bucket, &stored(&rules))
            .await
            .map_err(|err| match err.code() {
                Some("MalformedXML" | "InvalidRequest") => err
                    .with_field(field)
                    .context("S3 refused the CORS configuration"),
                _ => err,
            })?;
        Ok(PutBucketCorsOutput {
            bucket: input.bucket.into(),
            rules,
        })
    }
}

register_module!(PutBucketCors);

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> CorsRule {
        CorsRule {
            id: Some("uploads".into()),
            allowed_origins: vec![
                "http://127.0.0.1:8080".into(),
                "https://*.example.com".into(),
            ],
            allowed_methods: vec![CorsMethod::Get, CorsMethod::Put],
            allowed_headers: vec!["*".into()],
            expose_headers: vec!["ETag".into()],
            max_age_seconds: Some(3000),
        }
    }

    #[test]
    fn writes_the_elements_in_the_documented_order() {
        let minimal = CorsRule {
            id: None,
            allowed_origins: vec!["*".into()],
            allowed_methods: vec![CorsMethod::Head],
            allowed_headers: vec![],
            expose_headers: vec![],
            max_age_seconds: None,
        };
        let xml = cors_xml(&[rule(), minimal]).unwrap();
        assert_eq!(
            xml,
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                r#"<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#,
                "<CORSRule><ID>uploads</ID>",
                "<AllowedOrigin>http://127.0.0.1:8080</AllowedOrigin>",
                "<AllowedOrigin>https://*.example.com</AllowedOrigin>",
                "<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>",
                "<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>",
                "<MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>",
                "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod>",
                "</CORSRule></CORSConfiguration>"
            )
        );
    }

    #[test]
    fn reads_rules_in_any_element_order() {
        // As moto answers: elements sorted by name, not grouped as written.
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CORSRule><AllowedHeader>*</AllowedHeader><AllowedMethod>GET</AllowedMethod><AllowedOrigin>http://127.0.0.1:8080</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedOrigin>https://*.example.com</AllowedOrigin><ExposeHeader>ETag</ExposeHeader><ID>uploads</ID><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>"#;
        let config = cors::read_cors(xml).unwrap();
        assert_eq!(from_stored(config).unwrap(), vec![rule()]);
        let bad = "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>\
                   <AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>";
        let config = cors::read_cors(bad).unwrap();
        assert_eq!(from_stored(config).unwrap_err().kind(), ErrorKind::Server);
    }

    #[test]
    fn errors_name_the_field() {
        let field = |rule: CorsRule| {
            check_rules(&[self::rule(), rule])
                .unwrap_err()
                .field()
                .unwrap()
                .to_owned()
        };
        let mut r = rule();
        r.allowed_origins[1] = "https://*.*.example.com".into();
        assert_eq!(field(r), "rules.1.allowed_origins.1");
        let mut r = rule();
        r.allowed_origins[0] = "https://example.com/".into();
        assert_eq!(field(r), "rules.1.allowed_origins.0");
        let mut r = rule();
        r.allowed_methods.clear();
        assert_eq!(field(r), "rules.1.allowed_methods");
        let mut r = rule();
        r.allowed_headers = vec!["Content-Type, Authorization".into()];
        assert_eq!(field(r), "rules.1.allowed_headers.0");
        let mut r = rule();
        r.id = Some("x".repeat(256));
        assert_eq!(field(r), "rules.1.id");
        assert_eq!(check_rules(&[]).unwrap_err().field(), Some("rules"));
    }
}
