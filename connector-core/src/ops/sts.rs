//! STS AssumeRole: temporary credentials for a role, requested with other credentials; and
//! [`RoleCredentials`], the credentials of a client that works as a role.

use crate::error::Result;
use crate::wire::body::Body;
use crate::wire::client::S3Client;
use crate::wire::credentials::{Credentials, CredentialsProvider};
use crate::wire::encode::query_string;
use crate::wire::endpoint::Target;
use crate::wire::headers::parse_rfc3339;
use async_trait::async_trait;
use http::Method;
use serde::Deserialize;
use std::time::Duration;

/// Assumed-role credentials are renewed when they have less than this left.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// What to assume.
#[derive(Debug, Clone)]
pub struct AssumeRoleRequest {
    /// The role's ARN.
    pub role_arn: String,
    /// The session name (2–64 characters).
    pub role_session_name: String,
    /// The external ID the role's trust policy requires, if any.
    pub external_id: Option<String>,
    /// How long the credentials last (900–43200 s; STS's default is 3600).
    pub duration_seconds: Option<u32>,
    /// An inline session policy (JSON) that narrows the role's permissions.
    pub policy: Option<String>,
}

/// The temporary credentials STS returned.
#[derive(Debug, Clone)]
pub struct AssumedRole {
    /// The credentials, with their expiry.
    pub credentials: Credentials,
    /// When they expire, as STS wrote it.
    pub expiration: String,
    /// The ARN of the assumed-role session.
    pub assumed_role_arn: Option<String>,
    /// The assumed role's id (`ROLEID:SESSION`).
    pub assumed_role_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeRoleResponse {
    assume_role_result: AssumeRoleResult,
}

impl crate::wire::answer::XmlAnswer for AssumeRoleResponse {
    const ROOT: &'static str = "AssumeRoleResponse";
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeRoleResult {
    credentials: CredentialsXml,
    #[serde(default)]
    assumed_role_user: Option<AssumedRoleUser>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CredentialsXml {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssumedRoleUser {
    arn: Option<String>,
    assumed_role_id: Option<String>,
}

/// Calls STS AssumeRole on the client's endpoint (the region's STS endpoint on AWS), signed
/// with `credentials`.
pub async fn assume_role(
    client: &S3Client,
    credentials: &Credentials,
    request: &AssumeRoleRequest,
) -> Result<AssumedRole> {
    let duration = request.duration_seconds.map(|d| d.to_string());
    let mut form: Vec<(&str, &str)> = vec![
        ("Action", "AssumeRole"),
        ("Version", "2011-06-15"),
        ("RoleArn", &request.role_arn),
        ("RoleSessionName", &request.role_session_name),
    ];
    if let Some(duration) = &duration {
        form.push(("DurationSeconds", duration));
    }
    if let Some(external_id) = &request.external_id {
        form.push(("ExternalId", external_id));
    }
    if let Some(policy) = &request.policy {
        form.push(("Policy", policy));
    }
    let response: AssumeRoleResponse = client
        .request(Method::POST, Target::Sts)
        .signed_with(credentials.clone())
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .body(Body::from_bytes(query_string(form)))
        .send()
        .await?
        .xml()
        .await?;
    let result = response.assume_role_result;
    let xml = result.credentials;
    let expires_at = parse_rfc3339(&xml.expiration);
    Ok(AssumedRole {
        credentials: Credentials::new(
            xml.access_key_id,
            xml.secret_access_key,
            Some(xml.session_token),
        )
        .with_expiry(expires_at),
        expiration: expires_at
            .map(crate::wire::headers::to_rfc3339)
            .unwrap_or(xml.expiration),
        assumed_role_arn: result
            .assumed_role_user
            .as_ref()
            .and_then(|u| u.arn.clone()),
        assumed_role_id: result.assumed_role_user.and_then(|u| u.assumed_role_id),
    })
}

/// The credentials of a role: assumed on first use with the keys of its own client, kept, and
/// assumed again when they have less than 5 minutes left. Give it to a client with
/// [`S3Client::with_credentials`] to work as the role.
pub struct RoleCredentials {
    /// The client that calls STS, signed with the keys that assume the role.
    sts: S3Client,
    request: AssumeRoleRequest,
    cached: tokio::sync::Mutex<Option<Credentials>>,
}

impl RoleCredentials {
    /// Assumes `request`'s role through `sts` (signed with its own credentials), when first
    /// asked for credentials.
    pub fn new(sts: S3Client, request: AssumeRoleRequest) -> Self {
        RoleCredentials {
            sts,
            request,
            cached: tokio::sync::Mutex::new(None),
        }
    }
}

#[async_trait]
impl CredentialsProvider for RoleCredentials {
    async fn credentials(&self) -> Result<Credentials> {
        let mut cached = self.cached.lock().await;
        if let Some(credentials) = cached.as_ref()
            && !credentials.expires_within(REFRESH_MARGIN)
        {
            return Ok(credentials.clone());
        }
        let base = self.sts.credentials().await?;
        let assumed = assume_role(&self.sts, &base, &self.request)
            .await
            .map_err(|err| err.context(format!("assuming {}", self.request.role_arn)))?;
        *cached = Some(assumed.credentials.clone());
        Ok(assumed.credentials)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sts_answers() {
        let xml = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>x</SourceIdentity>
    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/demo/s</Arn><AssumedRoleId>ARO123:s</AssumedRoleId></AssumedRoleUser>
    <Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>secret</SecretAccessKey>
      <SessionToken>token</SessionToken><Expiration>2026-01-15T13:34:56Z</Expiration></Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe</RequestId></ResponseMetadata>
</AssumeRoleResponse>"#;
        let parsed: AssumeRoleResponse = crate::wire::answer::parse(xml).unwrap();
        let result = parsed.assume_role_result;
        assert_eq!(result.credentials.access_key_id, "ASIAEXAMPLE");
        assert_eq!(result.credentials.expiration, "2026-01-15T13:34:56Z");
        assert_eq!(
            result.assumed_role_user.unwrap().assumed_role_id.as_deref(),
            Some("ARO123:s")
        );
    }
}
