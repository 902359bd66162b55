//! A bucket's CORS configuration: PutBucketCors, GetBucketCors, DeleteBucketCors. The rules
//! say which other sites' pages may read from or upload to the bucket from a browser.

use crate::error::Result;
use crate::ops::bucket_config;
use crate::wire::answer::XmlAnswer;
use crate::wire::body::Body;
use crate::wire::client::S3Client;
use crate::wire::endpoint::Target;
use crate::wire::request::Request;
use http::Method;
use serde::{Deserialize, Serialize};

/// One CORS rule, as S3 stores it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsRule {
    /// The rule's name (`ID`), if any.
    pub id: Option<String>,
    /// The origins allowed (`AllowedOrigin`), e.g. `https://www.example.com` or `*`.
    pub allowed_origins: Vec<String>,
    /// The methods allowed (`AllowedMethod`): `GET`, `PUT`, `POST`, `DELETE`, `HEAD`.
    pub allowed_methods: Vec<String>,
    /// The request headers allowed in a preflight (`AllowedHeader`).
    pub allowed_headers: Vec<String>,
    /// The answer headers a page may read (`ExposeHeader`).
    pub expose_headers: Vec<String>,
    /// How long a browser may cache the preflight answer (`MaxAgeSeconds`).
    pub max_age_seconds: Option<u32>,
}

/// The `CORSConfiguration` document, written and read.
#[derive(Debug, Default, Serialize, Deserialize)]
struct CorsConfigurationXml {
    #[serde(
        rename = "@xmlns",
        skip_deserializing,
        skip_serializing_if = "Option::is_none"
    )]
    xmlns: Option<&'static str>,
    #[serde(rename = "CORSRule", default)]
    rules: Vec<CorsRuleXml>,
}

impl XmlAnswer for CorsConfigurationXml {
    const ROOT: &'static str = "CORSConfiguration";
}

/// One `CORSRule`, its elements in the order S3 documents them.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CorsRuleXml {
    #[serde(rename = "ID", default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default)]
    allowed_origin: Vec<String>,
    #[serde(default)]
    allowed_method: Vec<String>,
    #[serde(default)]
    allowed_header: Vec<String>,
    #[serde(default)]
    expose_header: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_age_seconds: Option<u32>,
}

/// The `CORSConfiguration` XML of `rules`.
pub fn cors_xml(rules: &[CorsRule]) -> Result<String> {
    let rules = rules
        .iter()
        .map(|rule| CorsRuleXml {
            id: rule.id.clone(),
            allowed_origin: rule.allowed_origins.clone(),
            allowed_method: rule.allowed_methods.clone(),
            allowed_header: rule.allowed_headers.clone(),
            expose_header: rule.expose_headers.clone(),
            max_age_seconds: rule.max_age_seconds,
        })
        .collect();
    crate::wire::xml::to_string(
        "CORSConfiguration",
        &CorsConfigurationXml {
            xmlns: Some("http://s3.amazonaws.com/doc/2006-03-01/"),
            rules,
        },
    )
}

/// The PutBucketCors request of `rules`, with a `Content-MD5` (S3 requires one).
pub fn put_request(bucket: &str, rules: &[CorsRule]) -> Result<Request> {
    Ok(Request::new(Method::PUT, Target::bucket(bucket))
        .query("cors", "")
        .header("content-type", "application/xml")
        .body(Body::from_bytes(cors_xml(rules)?))
        .with_content_md5())
}

/// Replaces the bucket's CORS configuration with `rules`.
pub async fn put_bucket_cors(client: &S3Client, bucket: &str, rules: &[CorsRule]) -> Result<()> {
    client.send(put_request(bucket, rules)?).await?;
    Ok(())
}

/// The bucket's CORS rules, in order; `None` when it has no CORS configuration
/// (`NoSuchCORSConfiguration`).
pub async fn get_bucket_cors(client: &S3Client, bucket: &str) -> Result<Option<Vec<CorsRule>>> {
    let response = bucket_config::get(client, bucket, "cors", "NoSuchCORSConfiguration").await?;
    match response {
        Some(response) => Ok(Some(rules_of(response.xml().await?))),
        None => Ok(None),
    }
}

/// Reads GetBucketCors's answer (a `CORSConfiguration` document; an `<Error>` is the error it
/// describes, another document a `server` error).
pub fn read_cors(text: &str) -> Result<Vec<CorsRule>> {
    crate::wire::answer::parse(text).map(rules_of)
}

fn rules_of(document: CorsConfigurationXml) -> Vec<CorsRule> {
    document
        .rules
        .into_iter()
        .map(|rule| CorsRule {
            id: rule.id,
            allowed_origins: rule.allowed_origin,
            allowed_methods: rule.allowed_method,
            allowed_headers: rule.allowed_header,
            expose_headers: rule.expose_header,
            max_age_seconds: rule.max_age_seconds,
        })
        .collect()
}

/// Deletes the bucket's CORS configuration (succeeds also when there was none).
pub async fn delete_bucket_cors(client: &S3Client, bucket: &str) -> Result<()> {
    bucket_config::delete(client, bucket, "cors").await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::ops::testing::url;

    fn rule() -> CorsRule {
        CorsRule {
            id: Some("uploads".into()),
            allowed_origins: vec!["https://*.example.com".into()],
            allowed_methods: vec!["GET".into(), "PUT".into()],
            allowed_headers: vec!["*".into()],
            expose_headers: vec!["ETag".into()],
            max_age_seconds: Some(3000),
        }
    }

    #[test]
    fn the_request_carries_the_rules() {
        let request = put_request("b", &[rule()]).unwrap();
        assert_eq!(request.method(), Method::PUT);
        assert_eq!(url(&request), "http://127.0.0.1:9000/b?cors");
        assert_eq!(
            request.header_value("content-type"),
            Some("application/xml")
        );
        let xml = cors_xml(&[rule()]).unwrap();
        assert_eq!(request.body_ref().bytes().unwrap().as_ref(), xml.as_bytes());
        assert_eq!(
            request.header_value("content-md5"),
            Some(Body::from_bytes(xml.clone()).content_md5().as_str())
        );
        assert!(
            xml.contains(
                "<CORSRule><ID>uploads</ID><AllowedOrigin>https://*.example.com</AllowedOrigin>\
                 <AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>\
                 <AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>\
                 <MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>"
            ),
            "{xml}"
        );
    }

    #[test]
    fn answers_are_read_back_into_rules() {
        let minimal = CorsRule {
            allowed_origins: vec!["*".into()],
            allowed_methods: vec!["HEAD".into()],
            ..CorsRule::default()
        };
        let xml = cors_xml(&[rule(), minimal.clone()]).unwrap();
        assert_eq!(read_cors(&xml).unwrap(), vec![rule(), minimal]);
        assert_eq!(read_cors("<CORSConfiguration/>").unwrap(), vec![]);
        let err = read_cors("<Error><Code>AccessDenied</Code></Error>").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AccessDenied);
        let err = read_cors("<ListBucketResult/>").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Server);
    }
}
