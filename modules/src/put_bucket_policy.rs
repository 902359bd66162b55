//! Set Bucket Policy: replace a bucket's policy (PutBucketPolicy) with a JSON document that is
//! checked before it is sent, or with a ready-made template written for the bucket.

use connector_core::Effects;
use connector_core::framework::types::{BucketName, Prefix, rules};
use connector_core::framework::validate;
use connector_core::ops::policy;
use connector_core::{Context, Error, Module, ModuleKind, Result, async_trait, register_module};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The largest policy S3 accepts, in bytes.
const MAX_POLICY_BYTES: usize = 20 * 1024;

/// The policy language versions S3 understands.
const VERSIONS: [&str; 2] = ["2012-10-17", "2008-10-17"];

/// The elements of a policy.
const POLICY_ELEMENTS: [&str; 3] = ["Version", "Id", "Statement"];

/// The elements of a statement.
const STATEMENT_ELEMENTS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// The kinds of principal a statement can name.
const PRINCIPAL_KINDS: [&str; 4] = ["AWS", "CanonicalUser", "Service", "Federated"];

/// Who may read, for the read-only template.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadOnlyForPrincipal {
    /// Who may read: an IAM user's ARN (`arn:aws:iam::123456789012:user/NAME`, shown on the
    /// user's page in the IAM console), a role's ARN (`arn:aws:iam::123456789012:role/NAME`),
    /// an account's root (`arn:aws:iam::123456789012:root`) or a 12-digit account ID (the
    /// whole account).
    #[schemars(title = "Principal ARN", transform = principal_arn_schema)]
    pub principal_arn: String,

    /// Only the files whose key starts with this, e.g. `downloads/` for the downloads folder
    /// (keep the trailing `/`: `downloads` would also match `downloads-old/…`). Empty: every
    /// file of the bucket.
    #[serde(default)]
    #[schemars(title = "Key prefix", transform = template_prefix_schema)]
    pub prefix: Option<Prefix>,
}

/// A principal as [`check_principal_arn`] takes it.
fn principal_arn_schema(schema: &mut schemars::Schema) {
    validate::schema::add(
        schema,
        json!({"pattern": "^(arn:aws[^:]*:iam::[0-9]{12}:(root|(user|role)/[A-Za-z0-9+=,.@_/-]*[A-Za-z0-9+=,.@_-])|[0-9]{12})$"}),
    );
}

/// A key prefix without wildcards.
fn template_prefix_schema(schema: &mut schemars::Schema) {
    rules::add_after(schema, json!({"pattern": "^[^*?]*$"}));
}

/// A policy document as [`check_policy`] takes it. The form shows it as free JSON: the rules
/// are in an `allOf`, beside `additionalProperties: true`.
fn policy_schema(schema: &mut schemars::Schema) {
    let not_blank = format!("[^{}]", validate::schema::WHITE_SPACE);
    let texts = |item: serde_json::Value| json!({"anyOf": [item, {"type": "array", "minItems": 1, "items": item}]});
    let principal_kinds: serde_json::Map<String, serde_json::Value> = PRINCIPAL_KINDS
        .iter()
        .map(|kind| {
            (
                kind.to_string(),
                texts(json!({"type": "string", "pattern": not_blank})),
            )
        })
        .collect();
    let principal = json!({"anyOf": [
        {"const": "*"},
        {"type": "object", "minProperties": 1, "additionalProperties": false,
         "properties": principal_kinds},
    ]});
    let action = texts(json!({"type": "string", "pattern": "^(\\*|[Ss]3:[A-Za-z0-9*?]+)$"}));
    let resource = texts(json!({"type": "string", "pattern": "^arn:aws[^:]*:s3:::[\\s\\S]*$"}));
    let exactly_one =
        |name: &str| json!({"oneOf": [{"required": [name]}, {"required": [format!("Not{name}")]}]});
    let statement = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "Sid": {"type": "string"},
            "Effect": {"enum": ["Allow", "Deny"]},
            "Principal": principal, "NotPrincipal": principal,
            "Action": action, "NotAction": action,
            "Resource": resource, "NotResource": resource,
            "Condition": {"type": "object"},
        },
        "required": ["Effect"],
        "allOf": [exactly_one("Principal"), exactly_one("Action"), exactly_one("Resource")],
    });
    validate::schema::add(
        schema,
        json!({"allOf": [{
            "required": ["Version", "Statement"],
            "additionalProperties": false,
            "properties": {
                "Version": {"enum": VERSIONS},
                "Id": {"type": "string"},
                "Statement": {"anyOf": [
                    statement,
                    {"type": "array", "minItems": 1, "items": statement},
                ]},
            },
        }]}),
    );
    validate::schema::note(
        schema,
        "Every resource must be this bucket (`arn:aws:s3:::BUCKET`) or files in it \
         (`arn:aws:s3:::BUCKET/…`); at most 20 KB.",
    );
}

/// A policy or a template: exactly one.
fn policy_or_template(schema: &mut schemars::Schema) {
    validate::schema::add(schema, validate::schema::one_of_two("policy", "template"));
}

/// A ready-made policy, written for the bucket.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PolicyTemplate {
    /// One IAM user, role or account may download the bucket's files (or those under a
    /// prefix): `s3:GetObject` on `arn:aws:s3:::BUCKET/PREFIX*` for that principal.
    #[schemars(title = "Read-only for one user, role or account")]
    ReadOnlyForPrincipal(ReadOnlyForPrincipal),
    /// Everyone on the internet may download every file of the bucket: `s3:GetObject` on
    /// `arn:aws:s3:::BUCKET/*` for the principal `*`. S3 refuses it (AccessDenied) while Block
    /// Public Access blocks public policies for the bucket or the account: turn
    /// `BlockPublicPolicy` off first.
    #[schemars(title = "Public read")]
    PublicRead,
}

/// The bucket and its new policy: a policy document or a template, not both.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = policy_or_template)]
pub struct PutBucketPolicyInput {
    /// The bucket.
    #[schemars(title = "Bucket", extend("x-options" = {"provider": "buckets"}))]
    pub bucket: BucketName,

    /// The policy document as JSON, replacing the bucket's policy, e.g. `{"Version":
    /// "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS":
    /// "arn:aws:iam::123456789012:user/NAME"}, "Action": "s3:GetObject", "Resource":
    /// "arn:aws:s3:::BUCKET/*"}]}`. It is checked before it is sent: every statement needs
    /// `Effect`, `Principal`, `Action` and `Resource` (or their `Not…` forms), and resources
    /// must name this bucket. Leave it empty to use a template.
    #[serde(default)]
    #[schemars(title = "Policy", transform = policy_schema)]
    pub policy: Option<Map<String, Value>>,

    /// A ready-made policy instead of a document: read-only access for one user, role or
    /// account, or public read access.
    #[serde(default)]
    #[schemars(title = "Template")]
    pub template: Option<PolicyTemplate>,
}

/// The policy that was set.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PutBucketPolicyOutput {
    /// The bucket.
    pub bucket: String,
    /// The policy document now set on the bucket.
    pub policy: Map<String, Value>,
}

/// Sets a bucket policy.
pub struct PutBucketPolicy;

/// The ARN partition of a region: `aws-cn` in China, `aws-us-gov` in GovCloud, else `aws`.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Checks a policy document for `bucket` as S3 would, naming the JSON path of what is wrong
/// (`policy.Statement.0.Effect`).
fn check_policy(policy: &Map<String, Value>, bucket: &str) -> Result<()> {
    check_elements(policy, "policy", "a policy", &POLICY_ELEMENTS)?;
    match policy.get("Version") {
        Some(Value::String(version)) if VERSIONS.contains(&version.as_str()) => {}
        Some(other) => {
            return Err(Error::invalid_input(
                "policy.Version",
                format!("{other} is not a policy language version; write \"2012-10-17\""),
            ));
        }
        None => {
            return Err(Error::invalid_input(
                "policy.Version",
                "the policy has no Version; add \"Version\": \"2012-10-17\"",
            ));
        }
    }
    if policy.get("Id").is_some_and(|id| !id.is_string()) {
        return Err(Error::invalid_input(
            "policy.Id",
            "the Id is text, e.g. \"Policy1\"",
        ));
    }
    match policy.get("Statement") {
        Some(Value::Array(statements)) if !statements.is_empty() => {
            for (i, statement) in statements.iter().enumerate() {
                check_statement(statement, &format!("policy.Statement.{i}"), bucket)?;
            }
        }
        Some(statement @ Value::Object(_)) => {
            check_statement(statement, "policy.Statement", bucket)?
        }
        Some(Value::Array(_)) | None => {
            return Err(Error::invalid_input(
                "policy.Statement",
                "the policy has no statement; add \"Statement\": [...] with at least one \
                 statement (Effect, Principal, Action, Resource)",
            ));
        }
        Some(other) => {
            return Err(Error::invalid_input(
                "policy.Statement",
                format!("{other} is not a statement; Statement is a list of statement objects"),
            ));
        }
    }
    let size = Value::Object(policy.clone()).to_string().len();
    if size > MAX_POLICY_BYTES {
        return Err(Error::invalid_input(
            "policy",
            format!("the policy is {size} bytes long; S3 accepts at most {MAX_POLICY_BYTES}"),
        ));
    }
    Ok(())
}

/// Refuses an element of `what` (at `path`) that is not one of `known` (a misspelling).
fn check_elements(
    elements: &Map<String, Value>,
    path: &str,
    what: &str,
    known: &[&str],
) -> Result<()> {
    match elements.keys().find(|name| !known.contains(&name.as_str())) {
        Some(name) => Err(Error::invalid_input(
            format!("{path}.{name}"),
            format!(
                "{name:?} is not an element of {what}, which has {}",
                known.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// Checks one statement at `path`.
fn check_statement(statement: &Value, path: &str, bucket: &str) -> Result<()> {
    let Some(elements) = statement.as_object() else {
        return Err(Error::invalid_input(
            path,
            "a statement is an object with Effect, Principal, Action and Resource",
        ));
    };
    check_elements(elements, path, "a statement", &STATEMENT_ELEMENTS)?;
    if elements.get("Sid").is_some_and(|sid| !sid.is_string()) {
        return Err(Error::invalid_input(
            format!("{path}.Sid"),
            "the Sid is text, e.g. \"AllowRead\"",
        ));
    }
    let effect = elements.get("Effect");
    if !matches!(effect.and_then(Value::as_str), Some("Allow" | "Deny")) {
        let why = match effect {
            Some(other) => format!("{other} is not an effect; write \"Allow\" or \"Deny\""),
            None => "the statement has no Effect; add \"Effect\": \"Allow\" (or \"Deny\")".into(),
        };
        return Err(Error::invalid_input(format!("{path}.Effect"), why));
    }
    let (field, principal) = one_of(
        elements,
        path,
        "Principal",
        "who it applies to: add \"Principal\": {\"AWS\": \"arn:aws:iam::123456789012:user/NAME\"}, \
         or \"Principal\": \"*\" for everyone",
    )?;
    check_principal(&field, principal)?;
    let (field, actions) = one_of(
        elements,
        path,
        "Action",
        "what it allows or denies: add e.g. \"Action\": \"s3:GetObject\"",
    )?;
    each_text(&field, actions, check_action)?;
    let (field, resources) = one_of(
        elements,
        path,
        "Resource",
        &format!("what it is about: add e.g. \"Resource\": \"arn:aws:s3:::{bucket}/*\""),
    )?;
    each_text(&field, resources, |field, resource| {
        check_resource(field, resource, bucket)
    })?;
    if elements.get("Condition").is_some_and(|c| !c.is_object()) {
        return Err(Error::invalid_input(
            format!("{path}.Condition"),
            "Condition is an object, e.g. {\"IpAddress\": {\"aws:SourceIp\": \"192.0.2.0/24\"}}",
        ));
    }
    Ok(())
}

/// The path and value of whichever of `name` and `Not{name}` the statement has: exactly one
/// is required (`what` says what it is for).
fn one_of<'a>(
    elements: &'a Map<String, Value>,
    path: &str,
    name: &str,
    what: &str,
) -> Result<(String, &'a Value)> {
    let not = format!("Not{name}");
    match (elements.get(name), elements.get(&not)) {
        (Some(value), None) => Ok((format!("{path}.{name}"), value)),
        (None, Some(value)) => Ok((format!("{path}.{not}"), value)),
        (Some(_), Some(_)) => Err(Error::invalid_input(
            format!("{path}.{not}"),
            format!("a statement has {name} or {not}, not both"),
        )),
        (None, None) => Err(Error::invalid_input(
            format!("{path}.{name}"),
            format!("the statement has no {name}, which says {what}"),
        )),
    }
}

/// Checks a text or a non-empty list of texts at `field`, each with `check(field, text)`.
fn each_text(field: &str, value: &Value, check: impl Fn(&str, &str) -> Result<()>) -> Result<()> {
    match value {
        Value::String(text) => check(field, text),
        Value::Array(items) if !items.is_empty() => {
            items.iter().enumerate().try_for_each(|(i, item)| {
                let field = format!("{field}.{i}");
                match item.as_str() {
                    Some(text) => check(&field, text),
                    None => Err(Error::invalid_input(field, format!("{item} is not text"))),
                }
            })
        }
        Value::Array(_) => Err(Error::invalid_input(
            field,
            "the list is empty; give at least one value",
        )),
        other => Err(Error::invalid_input(
            field,
            format!("{other} is neither text nor a list of texts"),
        )),
    }
}

/// A principal: `"*"`, or an object of kinds (`AWS`, `Service`, …) to one or more IDs.
fn check_principal(field: &str, principal: &Value) -> Result<()> {
    let Some(kinds) = principal.as_object().filter(|kinds| !kinds.is_empty()) else {
        if principal.as_str() == Some("*") {
            return Ok(());
        }
        return Err(Error::invalid_input(
            field,
            format!(
                "{principal} is not a principal; write \"*\" for everyone, or {{\"AWS\": \
                 \"arn:aws:iam::123456789012:user/NAME\"}} for an IAM user, role or account"
            ),
        ));
    };
    for (kind, ids) in kinds {
        let field = format!("{field}.{kind}");
        if !PRINCIPAL_KINDS.contains(&kind.as_str()) {
            return Err(Error::invalid_input(
                field,
                format!(
                    "{kind:?} is not a kind of principal; use {}",
                    PRINCIPAL_KINDS.join(", ")
                ),
            ));
        }
        each_text(&field, ids, |field, id| {
            if id.trim().is_empty() {
                return Err(Error::invalid_input(field, "the principal is empty"));
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// An action: `*` or `s3:NAME` (wildcards allowed). A bucket policy grants S3 actions only.
fn check_action(field: &str, action: &str) -> Result<()> {
    let name = action
        .get(..3)
        .filter(|service| service.eq_ignore_ascii_case("s3:"))
        .map(|_| &action[3..]);
    let valid = action == "*"
        || name.is_some_and(|name| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'*' || b == b'?')
        });
    if !valid {
        return Err(Error::invalid_input(
            field,
            format!(
                "{action:?} is not an S3 action; write it like s3:GetObject or s3:* (a bucket \
                 policy can only allow or deny S3 actions)"
            ),
        ));
    }
    Ok(())
}

/// A resource: the bucket's ARN or an ARN of keys in it.
fn check_resource(field: &str, resource: &str, bucket: &str) -> Result<()> {
    let forms =
        format!("arn:aws:s3:::{bucket}/* for its files, arn:aws:s3:::{bucket} for the bucket");
    let named = resource
        .strip_prefix("arn:")
        .and_then(|rest| rest.split_once(':'))
        .filter(|(partition, _)| partition.starts_with("aws"))
        .and_then(|(_, rest)| rest.strip_prefix("s3:::"));
    let Some(named) = named else {
        return Err(Error::invalid_input(
            field,
            format!("{resource:?} is not an S3 resource; write {forms}"),
        ));
    };
    let named_bucket = named.split('/').next().unwrap_or_default();
    if named_bucket != bucket {
        return Err(Error::invalid_input(
            field,
            format!(
                "{resource:?} is not in the bucket {bucket:?}: a bucket policy can only be about \
                 its own bucket; write {forms}"
            ),
        ));
    }
    Ok(())
}

/// An IAM user's or role's ARN, an account's root ARN, or a 12-digit account ID.
fn check_principal_arn(field: &str, arn: &str) -> Result<()> {
    let account_id = |id: &str| id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit());
    let iam_name = |resource: &str| {
        ["user/", "role/"].iter().any(|kind| {
            resource.strip_prefix(kind).is_some_and(|path| {
                !path.is_empty()
                    && !path.ends_with('/')
                    && path
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b))
            })
        })
    };
    let valid_arn = arn
        .strip_prefix("arn:")
        .and_then(|rest| rest.split_once(":iam::"))
        .filter(|(partition, _)| partition.starts_with("aws") && !partition.contains(':'))
        .and_then(|(_, rest)| rest.split_once(':'))
        .is_some_and(|(account, resource)| {
            account_id(account) && (resource == "root" || iam_name(resource))
        });
    if !(valid_arn || account_id(arn)) {
        return Err(Error::invalid_input(
            field,
            format!(
                "{arn:?} is not an IAM principal; give a user ARN \
                 (arn:aws:iam::123456789012:user/NAME), a role ARN \
                 (arn:aws:iam::123456789012:role/NAME), an account root \
                 (arn:aws:iam::123456789012:root) or a 12-digit account ID"
            ),
        ));
    }
    Ok(())
}

impl PolicyTemplate {
    /// The template's policy for `bucket`, its fields checked.
    fn render(&self, bucket: &str, partition: &str) -> Result<Map<String, Value>> {
        let objects = format!("arn:{partition}:s3:::{bucket}/");
        let (sid, principal, resource) = match self {
            PolicyTemplate::ReadOnlyForPrincipal(read) => {
                let field = "template.read_only_for_principal";
                check_principal_arn(&format!("{field}.principal_arn"), &read.principal_arn)?;
                let prefix = read.prefix.as_deref().unwrap_or("");
                if prefix.contains(['*', '?']) {
                    return Err(Error::invalid_input(
                        format!("{field}.prefix"),
                        "the prefix has a wildcard (* or ?); give the start of the keys only \
                         (the * after it is added for you)",
                    ));
                }
                (
                    "ReadOnlyForPrincipal",
                    json!({"AWS": read.principal_arn}),
                    format!("{objects}{prefix}*"),
                )
            }
            PolicyTemplate::PublicRead => ("PublicRead", json!("*"), format!("{objects}*")),
        };
        let statement = json!({
            "Sid": sid,
            "Effect": "Allow",
            "Principal": principal,
            "Action": "s3:GetObject",
            "Resource": resource,
        });
        Ok(Map::from_iter([
            ("Version".to_owned(), json!("2012-10-17")),
            ("Statement".to_owned(), json!([statement])),
        ]))
    }
}

impl PutBucketPolicyInput {
    /// The policy to send, checked: the document given, or the template written for the
    /// bucket in `partition`.
    fn document(&self, partition: &str) -> Result<Map<String, Value>> {
        match (&self.policy, &self.template) {
            (Some(policy), None) => {
                check_policy(policy, &self.bucket)?;
                Ok(policy.clone())
            }
            (None, Some(template)) => template.render(&self.bucket, partition),
            (Some(_), Some(_)) => Err(Error::invalid_input(
                "template",
                "give either a policy document or a template, not both",
            )),
            (None, None) => Err(Error::invalid_input(
                "policy",
                "give the policy document, or choose a template",
            )),
        }
    }
}

/// Explains S3's refusal of a policy (`field` is the input field the policy came from).
fn explain_refusal(err: Error, field: &str) -> Error {
    match err.code() {
        Some("MalformedPolicy") => err.with_field(field).context("S3 refused the policy"),
        Some("AccessDenied") => err.context(
            "S3 refused to set the policy: the credentials need s3:PutBucketPolicy, and a policy \
             that makes files public is refused while Block Public Access (BlockPublicPolicy) \
             is on for the bucket or the account",
        ),
        _ => err,
    }
}

#[async_trait]
impl Module for PutBucketPolicy {
    type Input = PutBucketPolicyInput;
    type Output = PutBucketPolicyOutput;
    const NAME: &'static str = "put_bucket_policy";
    const LABEL: &'static str = "Set Bucket Policy";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Replaces a bucket's policy with a JSON policy document \
        (checked before it is sent) or a template: read-only for one user, role or account, \
        or public read.";
    const EFFECTS: Effects = Effects::DELETES;

    fn validate(&self, input: &PutBucketPolicyInput) -> Result<()> {
        input.document("aws").map(drop)
    }

    async fn run(
        &self,
        ctx: &Context,
        input: PutBucketPolicyInput,
    ) -> Result<PutBucketPolicyOutput> {
        let client = ctx.client();
        let policy = input.document(partition(client.region()))?;
        let field = match input.template {
            Some(_) => "template",
            None => "policy",
        };
        policy::put_bucket_policy(client, &input.bucket, &policy)
            .await
            .map_err(|err| explain_refusal(err, field))?;
        Ok(PutBucketPolicyOutput {
            bucket: input.bucket.into(),
            policy,
        })
    }
}

register_module!(PutBucketPolicy);

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    fn field_of(value: Value) -> String {
        let err = check_policy(&policy(value), "shop").unwrap_err();
        err.field().unwrap().to_owned()
    }

    #[test]
    fn the_documents_examples_pass() {
        // Document 000 (one IAM user may read) and 002's appendix (public read).
        check_policy(
            &policy(json!({
                "Version": "2012-10-17",
                "Id": "Policy1546757468384",
                "Statement": [{
                    "Sid": "Stmt1546757465773",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::592794580436:user/am-test-bucket-1"},
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::shop/*"
                }]
            })),
            "shop",
        )
        .unwrap();
        check_policy(
            &policy(json!({
                "Version": "2012-10-17",
                "Statement": {"Effect": "Deny", "NotPrincipal": {"AWS": ["123456789012"]},
                    "NotAction": ["s3:Get*", "s3:List*"],
                    "Resource": ["arn:aws:s3:::shop", "arn:aws-cn:s3:::shop/a/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
            })),
            "shop",
        )
        .unwrap();
    }

    #[test]
    fn errors_name_the_json_path() {
        let statement = |extra: Value| {
            let mut s = policy(json!({"Effect": "Allow", "Principal": "*",
                "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shop/*"}));
            s.extend(policy(extra));
            json!({"Version": "2012-10-17", "Statement": [s]})
        };
        assert_eq!(field_of(json!({"Statement": []})), "policy.Version");
        assert_eq!(
            field_of(json!({"Version": "2012-10-18", "Statement": []})),
            "policy.Version"
        );
        assert_eq!(
            field_of(json!({"Version": "2012-10-17", "Statements": []})),
            "policy.Statements"
        );
        assert_eq!(
            field_of(json!({"Version": "2012-10-17", "Statement": []})),
            "policy.Statement"
        );
        assert_eq!(
            field_of(statement(json!({"Effect": "allow"}))),
            "policy.Statement.0.Effect"
        );
        assert_eq!(
            field_of(statement(json!({"NotAction": "s3:PutObject"}))),
            "policy.Statement.0.NotAction"
        );
        assert_eq!(
            field_of(statement(
                json!({"Action": ["s3:GetObject", "ec2:RunInstances"]})
            )),
            "policy.Statement.0.Action.1"
        );
        assert_eq!(
            field_of(statement(json!({"Resource": "arn:aws:s3:::other/*"}))),
            "policy.Statement.0.Resource"
        );
        assert_eq!(
            field_of(statement(json!({"Resource": ["arn:aws:s3:::shop", "*"]}))),
            "policy.Statement.0.Resource.1"
        );
        assert_eq!(
            field_of(statement(json!({"Resource": "arn:aws:s3:::shop-old/*"}))),
            "policy.Statement.0.Resource"
        );
        assert_eq!(
            field_of(statement(
                json!({"Principal": "arn:aws:iam::123456789012:root"})
            )),
            "policy.Statement.0.Principal"
        );
        assert_eq!(
            field_of(statement(json!({"Principal": {"User": "x"}}))),
            "policy.Statement.0.Principal.User"
        );
        assert_eq!(
            field_of(statement(json!({"Condition": "none"}))),
            "policy.Statement.0.Condition"
        );
        assert_eq!(
            field_of(statement(json!({"Effects": "Allow"}))),
            "policy.Statement.0.Effects"
        );
    }

    #[test]
    fn principal_arns() {
        for good in [
            "arn:aws:iam::592794580436:user/am-test-bucket-1",
            "arn:aws:iam::123456789012:user/division/team/name",
            "arn:aws:iam::123456789012:role/Reader",
            "arn:aws-cn:iam::123456789012:root",
            "123456789012",
        ] {
            check_principal_arn("p", good).unwrap();
        }
        for bad in [
            "",
            "12345678901",
            "arn:aws:iam::12345678901:user/x",
            "arn:aws:iam::123456789012:user/",
            "arn:aws:iam::123456789012:group/admins",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::123456789012:user/a b",
            "user/name",
        ] {
            assert!(check_principal_arn("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn partitions() {
        assert_eq!(partition("eu-west-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }
}
