//! Connections from the standard AWS places, in the AWS CLI's order: a named profile, else the
//! environment variables, else the profile of `AWS_PROFILE` (or `default`) in the shared files
//! (`~/.aws/credentials` and `~/.aws/config`, or `AWS_SHARED_CREDENTIALS_FILE` and
//! `AWS_CONFIG_FILE`). The files are read by the AWS SDK's own parser (`aws-runtime`).
//!
//! Region: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`, `us-east-1`.
//! Endpoint: `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the `[services NAME]` section's
//! `s3 = endpoint_url`, the profile's nested `s3 = endpoint_url`, the profile's
//! `endpoint_url` (none of them when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true).
//! A profile with `role_arn` assumes that role with the keys of its `source_profile`.

use crate::error::{Error, ErrorKind, Result};
use crate::framework::connection::{Connection, DEFAULT_REGION};
use crate::wire::endpoint::AddressingStyle;
use crate::wire::secret::Secret;
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_runtime::env_config::property::PropertiesKey;
use aws_runtime::env_config::section::{EnvConfigSections, Profile};
use aws_runtime::env_config::source;
use aws_types::os_shim_internal::{Env, Fs};
use std::borrow::Cow;

/// Where a connection's settings are read from.
#[derive(Debug, Clone)]
pub struct AwsConfig {
    env: Env,
}

impl AwsConfig {
    /// The real process environment and files.
    pub fn from_process() -> Self {
        AwsConfig { env: Env::real() }
    }

    /// A given set of environment variables (for tests and embedding); files are read from
    /// the paths they name, or the defaults under `HOME`.
    pub fn from_vars(vars: &[(&str, &str)]) -> Self {
        AwsConfig {
            env: Env::from_slice(vars),
        }
    }

    fn var(&self, name: &str) -> Option<String> {
        self.env.get(name).ok().filter(|value| !value.is_empty())
    }

    /// The connection for `profile` (`None`: the environment variables, else `AWS_PROFILE`
    /// or `default`).
    pub async fn connection(&self, profile: Option<&str>) -> Result<Connection> {
        let files = self.load(profile).await?;
        let selected = files.selected_profile().to_owned();
        let env_keys = self
            .var("AWS_ACCESS_KEY_ID")
            .zip(self.var("AWS_SECRET_ACCESS_KEY"));
        let mut connection = match (profile, env_keys) {
            (None, Some((access_key_id, secret))) => Connection {
                session_token: self.var("AWS_SESSION_TOKEN").map(Secret::new),
                ..Connection::new(access_key_id, secret)
            },
            _ => profile_credentials(
                &files,
                &selected,
                profile.is_some() || self.var("AWS_PROFILE").is_some(),
            )?,
        };
        connection.region = self
            .var("AWS_REGION")
            .or_else(|| self.var("AWS_DEFAULT_REGION"))
            .or_else(|| files.get("region").map(str::to_owned))
            .unwrap_or_else(|| DEFAULT_REGION.to_owned());
        connection.endpoint_url = self.endpoint(&files);
        if let Some(style) = files
            .get("s3")
            .and_then(|block| nested(block, "addressing_style"))
        {
            connection.addressing_style = match style.as_str() {
                "path" => AddressingStyle::Path,
                "virtual" => AddressingStyle::Virtual,
                _ => AddressingStyle::Auto,
            };
        }
        connection.validate().map_err(|err| {
            err.context(format!(
                "the AWS profile {selected:?} (or the AWS environment variables)"
            ))
        })?;
        Ok(connection)
    }

    async fn load(&self, profile: Option<&str>) -> Result<EnvConfigSections> {
        let mut files = source::load(&self.env, &Fs::real(), &EnvConfigFiles::default())
            .await
            .map_err(|err| config_error(format!("cannot read the AWS config files: {err}")))?;
        if let Some(profile) = profile {
            files.profile = Cow::Owned(profile.to_owned());
        }
        EnvConfigSections::parse(files)
            .map_err(|err| config_error(format!("cannot parse the AWS config files: {err}")))
    }

    fn endpoint(&self, files: &EnvConfigSections) -> Option<String> {
        let ignore_configured = self
            .var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .or_else(|| {
                files
                    .get("ignore_configured_endpoint_urls")
                    .map(str::to_owned)
            })
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if ignore_configured {
            return None;
        }
        self.var("AWS_ENDPOINT_URL_S3")
            .or_else(|| self.var("AWS_ENDPOINT_URL"))
            .or_else(|| services_value(files, "s3", "endpoint_url"))
            .or_else(|| nested(files.get("s3")?, "endpoint_url"))
            .or_else(|| files.get("endpoint_url").map(str::to_owned))
    }
}

fn config_error(message: String) -> Error {
    Error::new(ErrorKind::Auth, message).with_field("connection")
}

/// The credentials of profile `name`: its keys, or its role assumed with its source profile's.
fn profile_credentials(
    files: &EnvConfigSections,
    name: &str,
    named_explicitly: bool,
) -> Result<Connection> {
    let Some(profile) = files.get_profile(name) else {
        let message = if named_explicitly {
            format!("the AWS profile {name:?} is not in the shared config or credentials file")
        } else {
            "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, name a profile, \
             or pass a connection file"
                .to_owned()
        };
        return Err(config_error(message));
    };
    let Some(role_arn) = profile.get("role_arn") else {
        return static_keys(profile, name);
    };
    let source_name = profile.get("source_profile").ok_or_else(|| {
        config_error(format!(
            "the AWS profile {name:?} has role_arn but no source_profile (credential_source and \
             web identity are not supported): add source_profile = PROFILE WITH KEYS"
        ))
    })?;
    let source = files.get_profile(source_name).ok_or_else(|| {
        config_error(format!(
            "the AWS profile {name:?} names source_profile {source_name:?}, which does not exist"
        ))
    })?;
    // A source profile with keys of its own is used as it is, as the AWS CLI does.
    let mut connection = match static_keys(source, source_name) {
        Ok(keys) => keys,
        Err(_) if source.get("role_arn").is_some() => {
            return Err(config_error(format!(
                "the AWS profile {name:?} chains roles through {source_name:?}; only one role \
                 (a source_profile with keys) is supported"
            )));
        }
        Err(err) => return Err(err),
    };
    connection.role_arn = Some(role_arn.to_owned());
    connection.external_id = profile.get("external_id").map(str::to_owned);
    connection.role_session_name = profile.get("role_session_name").map(str::to_owned);
    Ok(connection)
}

fn static_keys(profile: &Profile, name: &str) -> Result<Connection> {
    match (
        profile.get("aws_access_key_id"),
        profile.get("aws_secret_access_key"),
    ) {
        (Some(id), Some(secret)) => Ok(Connection {
            session_token: profile.get("aws_session_token").map(Secret::new),
            ..Connection::new(id, secret)
        }),
        _ => {
            let other = [
                "sso_start_url",
                "sso_session",
                "credential_process",
                "web_identity_token_file",
            ]
            .into_iter()
            .find(|key| profile.get(key).is_some());
            let message = match other {
                Some(key) => format!(
                    "the AWS profile {name:?} uses {key}, which this connector does not support: \
                     use access keys, a role with a source_profile, or temporary credentials"
                ),
                None => format!(
                    "the AWS profile {name:?} has no aws_access_key_id and aws_secret_access_key"
                ),
            };
            Err(config_error(message))
        }
    }
}

/// A `key = value` line inside a nested block such as a profile's `s3 =`.
fn nested(block: &str, key: &str) -> Option<String> {
    block
        .lines()
        .filter_map(|line| line.split_once('='))
        .find(|(name, _)| name.trim() == key)
        .map(|(_, value)| value.trim().to_owned())
}

/// `[services NAME]` → `SERVICE =` → `key`, for the profile's `services = NAME`.
fn services_value(files: &EnvConfigSections, service: &str, key: &str) -> Option<String> {
    let key = PropertiesKey::builder()
        .section_key("services")
        .section_name(files.get("services")?)
        .property_name(service)
        .sub_property_name(key)
        .build()
        .ok()?;
    files.other_sections().get(&key).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
[default]
region = eu-west-1
s3 =
  addressing_style = path

[profile dev]
region = ap-south-1
role_arn = arn:aws:iam::123456789012:role/dev
source_profile = default
external_id = ext-1
role_session_name = dev-session

[profile local]
services = local-s3
# a comment
[services local-s3]
s3 =
  endpoint_url = http://127.0.0.1:9000

[profile sso]
sso_start_url = https://example.awsapps.com/start
";

    const CREDENTIALS: &str = "\
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = default-secret

[local]
aws_access_key_id = AKIDLOCAL
aws_secret_access_key = local-secret
aws_session_token = local-token
";

    async fn read(extra: &[(&str, &str)], profile: Option<&str>) -> Result<Connection> {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        let credentials = dir.path().join("credentials");
        std::fs::write(&config, CONFIG).unwrap();
        std::fs::write(&credentials, CREDENTIALS).unwrap();
        let (config, credentials) = (
            config.display().to_string(),
            credentials.display().to_string(),
        );
        let mut vars = vec![
            ("AWS_CONFIG_FILE", config.as_str()),
            ("AWS_SHARED_CREDENTIALS_FILE", credentials.as_str()),
        ];
        vars.extend_from_slice(extra);
        AwsConfig::from_vars(&vars).connection(profile).await
    }

    #[tokio::test]
    async fn the_default_profile() {
        let c = read(&[], None).await.unwrap();
        assert_eq!(c.access_key_id, "AKIDDEFAULT");
        assert_eq!(c.secret_access_key.expose(), "default-secret");
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.addressing_style, AddressingStyle::Path);
        assert!(c.role_arn.is_none() && c.endpoint_url.is_none());
    }

    #[tokio::test]
    async fn a_role_profile_uses_its_source_profiles_keys() {
        for c in [
            read(&[], Some("dev")).await.unwrap(),
            read(&[("AWS_PROFILE", "dev")], None).await.unwrap(),
        ] {
            assert_eq!(c.access_key_id, "AKIDDEFAULT");
            assert_eq!(
                c.role_arn.as_deref(),
                Some("arn:aws:iam::123456789012:role/dev")
            );
            assert_eq!(c.external_id.as_deref(), Some("ext-1"));
            assert_eq!(c.role_session_name.as_deref(), Some("dev-session"));
            assert_eq!(c.region, "ap-south-1");
        }
    }

    #[tokio::test]
    async fn services_sections_and_session_tokens() {
        let c = read(&[], Some("local")).await.unwrap();
        assert_eq!(c.access_key_id, "AKIDLOCAL");
        assert_eq!(c.session_token.unwrap().expose(), "local-token");
        assert_eq!(c.endpoint_url.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(c.region, "us-east-1");
        let ignored = read(
            &[("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")],
            Some("local"),
        )
        .await
        .unwrap();
        assert!(ignored.endpoint_url.is_none());
    }

    #[tokio::test]
    async fn environment_variables_come_before_files_unless_a_profile_is_named() {
        let env = [
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "env-secret"),
            ("AWS_REGION", "sa-east-1"),
            ("AWS_DEFAULT_REGION", "us-west-2"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:2"),
        ];
        let c = read(&env, None).await.unwrap();
        assert_eq!(c.access_key_id, "AKIDENV");
        assert_eq!(c.region, "sa-east-1");
        assert_eq!(c.endpoint_url.as_deref(), Some("http://127.0.0.1:2"));
        let named = read(&env, Some("local")).await.unwrap();
        assert_eq!(named.access_key_id, "AKIDLOCAL");
        assert_eq!(named.region, "sa-east-1");
    }

    #[tokio::test]
    async fn unusable_profiles_say_why() {
        let err = read(&[], Some("missing")).await.unwrap_err();
        assert!(
            err.message().contains("\"missing\" is not in"),
            "{}",
            err.message()
        );
        let err = read(&[], Some("sso")).await.unwrap_err();
        assert!(err.message().contains("sso_start_url"), "{}", err.message());
        let err = AwsConfig::from_vars(&[
            ("AWS_CONFIG_FILE", "/nonexistent/config"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
        ])
        .connection(None)
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth);
        assert!(err.message().contains("AWS_ACCESS_KEY_ID"));
    }
}
