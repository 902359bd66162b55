//! Assume Role: temporary credentials for an IAM role, from STS, shaped as a connection the
//! next step can use.

use connector_core::Effects;
use connector_core::framework::validate;
use connector_core::ops::sts::{self, AssumeRoleRequest};
use connector_core::{Context, Error, Module, ModuleKind, Result, async_trait, register_module};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The role to assume.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssumeRoleInput {
    /// The role's ARN, e.g. `arn:aws:iam::123456789012:role/s3-uploader`. Its trust policy must
    /// allow the connection's user to assume it.
    #[schemars(title = "Role ARN", transform = validate::schema::role_arn)]
    pub role_arn: String,

    /// A name for the session, shown in CloudTrail: 2 to 64 letters, digits or `+=,.@_-`.
    #[serde(default = "default_session_name")]
    #[schemars(title = "Session name", transform = validate::schema::role_session_name)]
    pub role_session_name: String,

    /// How long the credentials last, in seconds: 900 (15 minutes) to 43200 (12 hours, if the
    /// role's maximum session allows). Default: 3600.
    #[serde(default)]
    #[schemars(title = "Duration (seconds)", range(min = 900, max = 43200))]
    pub duration_seconds: Option<u32>,

    /// The external ID the role's trust policy requires, if any (for third-party access): 2 to
    /// 1224 letters, digits or `_+=,.@:/-`.
    #[serde(default)]
    #[schemars(title = "External ID", transform = external_id_schema)]
    pub external_id: Option<String>,

    /// An inline session policy (a JSON policy document) that narrows what the temporary
    /// credentials may do below the role's own permissions.
    #[serde(default)]
    #[schemars(title = "Session policy", transform = policy_schema)]
    pub policy: Option<Value>,
}

/// STS's rule for an external ID.
const EXTERNAL_ID_PATTERN: &str = "^[A-Za-z0-9_+=,.@:/-]{2,1224}$";

fn external_id_schema(schema: &mut schemars::Schema) {
    validate::schema::add(schema, serde_json::json!({"pattern": EXTERNAL_ID_PATTERN}));
}

fn policy_schema(schema: &mut schemars::Schema) {
    validate::schema::add(schema, serde_json::json!({"type": ["object", "null"]}));
}

fn is_external_id(id: &str) -> bool {
    (2..=1224).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@:/-".contains(&b))
}

fn default_session_name() -> String {
    "s3-connector".to_owned()
}

/// Temporary credentials, as a connection.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TemporaryConnection {
    /// The temporary access key ID (`ASIA…`).
    pub access_key_id: String,
    /// The temporary secret access key. Treat it as a secret: it grants the role's access
    /// until `expiration`.
    #[schemars(extend("writeOnly" = true, "format" = "password"))]
    pub secret_access_key: String,
    /// The session token that goes with them.
    #[schemars(extend("writeOnly" = true, "format" = "password"))]
    pub session_token: String,
    /// The region, from the connection used.
    pub region: String,
    /// The endpoint URL, from the connection used (S3-compatible stores).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    /// When the credentials expire (RFC 3339).
    pub expiration: String,
}

/// The assumed role's credentials.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AssumeRoleOutput {
    /// The temporary credentials, usable directly as the connection of a later step.
    pub connection: TemporaryConnection,
    /// When they expire (RFC 3339).
    pub expiration: String,
    /// The ARN of the role session, e.g. `arn:aws:sts::123456789012:assumed-role/NAME/SESSION`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assumed_role_arn: Option<String>,
    /// The role session's ID (`ROLEID:SESSION`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assumed_role_id: Option<String>,
}

/// Assumes a role.
pub struct AssumeRole;

#[async_trait]
impl Module for AssumeRole {
    type Input = AssumeRoleInput;
    type Output = AssumeRoleOutput;
    const NAME: &'static str = "assume_role";
    const LABEL: &'static str = "Assume a Role";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Gets temporary credentials for an IAM role from STS \
        (AssumeRole), as a connection a later step can use.";
    const EFFECTS: Effects = Effects {
        // Hands out credentials: not read-only, whatever the role allows.
        read_only: false,
        destructive: false,
        idempotent: false,
        open_world: true,
    };

    fn validate(&self, input: &AssumeRoleInput) -> Result<()> {
        validate::role_arn("role_arn", &input.role_arn)?;
        validate::role_session_name("role_session_name", &input.role_session_name)?;
        if let Some(duration) = input.duration_seconds
            && !(900..=43_200).contains(&duration)
        {
            return Err(Error::invalid_input(
                "duration_seconds",
                format!("{duration} s is out of range: 900 (15 minutes) to 43200 (12 hours)"),
            ));
        }
        if let Some(external_id) = &input.external_id
            && !is_external_id(external_id)
        {
            return Err(Error::invalid_input(
                "external_id",
                "an external ID is 2 to 1224 letters, digits or _+=,.@:/-",
            ));
        }
        if let Some(policy) = &input.policy
            && !policy.is_object()
        {
            return Err(Error::invalid_input(
                "policy",
                "the session policy is a JSON policy document: {\"Version\": \"2012-10-17\", \"Statement\": [...]}",
            ));
        }
        Ok(())
    }

    async fn run(&self, ctx: &Context, input: AssumeRoleInput) -> Result<AssumeRoleOutput> {
        let client = ctx.client();
        let request = AssumeRoleRequest {
            role_arn: input.role_arn,
            role_session_name: input.role_session_name,
            external_id: input.external_id,
            duration_seconds: input.duration_seconds,
            policy: input.policy.map(|policy| policy.to_string()),
        };
        let credentials = client.credentials().await?;
        let assumed = sts::assume_role(client, &credentials, &request).await?;
        let temporary = &assumed.credentials;
        Ok(AssumeRoleOutput {
            connection: TemporaryConnection {
                access_key_id: temporary.access_key_id().to_owned(),
                secret_access_key: temporary.secret_access_key().expose().to_owned(),
                session_token: temporary
                    .session_token()
                    .map(|t| t.expose().to_owned())
                    .unwrap_or_default(),
                region: client.region().to_owned(),
                endpoint_url: client.endpoint().custom_url().map(str::to_owned),
                expiration: assumed.expiration.clone(),
            },
            expiration: assumed.expiration,
            assumed_role_arn: assumed.assumed_role_arn,
            assumed_role_id: assumed.assumed_role_id,
        })
    }
}

register_module!(AssumeRole);
