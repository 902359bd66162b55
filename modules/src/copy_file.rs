//! Copy File: copy an object within a bucket or to another one, keeping or replacing its
//! metadata: one CopyObject up to 5 GiB, else a multipart copy (parts S3 copies itself).

use connector_core::Effects;
use connector_core::framework::acl::CannedAcl;
use connector_core::framework::types::{BucketName, ObjectKey, VersionId};
use connector_core::framework::validate;
use connector_core::ops::copy::CopyObject;
use connector_core::ops::multipart_copy::{self, CopyMethod, CopyOutcome, CopySettings};
use connector_core::wire::headers;
use connector_core::{Context, Error, Module, ModuleKind, Result, async_trait, register_module};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What happens to the content type and metadata.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MetadataDirective {
    /// Keep the source file's content type, metadata and headers.
    #[default]
    Copy,
    /// Replace them with the ones given here.
    Replace,
}

/// An S3 storage class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StorageClass {
    /// Frequently used data (the default).
    Standard,
    /// Data with changing or unknown access patterns.
    IntelligentTiering,
    /// Infrequently used data, in several zones.
    StandardIa,
    /// Infrequently used data, in one zone.
    OnezoneIa,
    /// Archive that can be read at once.
    GlacierIr,
    /// Archive read back in minutes to hours (needs a restore).
    Glacier,
    /// Long-term archive read back in hours (needs a restore).
    DeepArchive,
    /// Legacy: non-critical, reproducible data.
    ReducedRedundancy,
}

impl StorageClass {
    /// The header value, e.g. `STANDARD_IA`.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageClass::Standard => "STANDARD",
            StorageClass::IntelligentTiering => "INTELLIGENT_TIERING",
            StorageClass::StandardIa => "STANDARD_IA",
            StorageClass::OnezoneIa => "ONEZONE_IA",
            StorageClass::GlacierIr => "GLACIER_IR",
            StorageClass::Glacier => "GLACIER",
            StorageClass::DeepArchive => "DEEP_ARCHIVE",
            StorageClass::ReducedRedundancy => "REDUCED_REDUNDANCY",
        }
    }
}

/// The file to copy and where to.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = copy_rules)]
pub struct CopyFileInput {
    /// The bucket the file is in.
    #[schemars(title = "Source bucket", extend("x-options" = {"provider": "buckets"}))]
    pub source_bucket: BucketName,

    /// The path of the file to copy (its key), exactly as stored, e.g. `photos/a.jpg`.
    #[schemars(title = "Source path (key)")]
    pub source_key: ObjectKey,

    /// A specific version of the file to copy (versioned buckets). Empty: the current version.
    /// Copying an old version onto its own key makes it the current version again.
    #[serde(default)]
    #[schemars(title = "Source version ID")]
    pub source_version_id: Option<VersionId>,

    /// The bucket to copy to. Empty: the source bucket.
    #[serde(default)]
    #[schemars(title = "Destination bucket", extend("x-options" = {"provider": "buckets"}))]
    pub destination_bucket: Option<BucketName>,

    /// The path (key) of the copy, e.g. `archive/2026/a.jpg`. A file already there is
    /// replaced. A copy onto the source itself must change something: `replace` metadata, a
    /// storage class, or a source version.
    #[schemars(title = "Destination path (key)")]
    pub destination_key: ObjectKey,

    /// `copy` (default): the copy keeps the source's content type and metadata. `replace`: the
    /// copy gets the content type, metadata and headers given here instead; the ones left out
    /// are removed, except the content type, which is kept when not given. With `replace` and
    /// the source as destination, this changes a file's metadata in place.
    #[serde(default)]
    #[schemars(title = "Metadata")]
    pub metadata_directive: MetadataDirective,

    /// With `replace`: the content type of the copy, e.g. `application/pdf`.
    #[serde(default)]
    #[schemars(title = "Content type", transform = validate::schema::header_value)]
    pub content_type: Option<String>,

    /// With `replace`: the user metadata of the copy (`x-amz-meta-NAME`; ASCII values).
    #[serde(default)]
    #[schemars(title = "User metadata", transform = validate::schema::headers)]
    pub metadata: BTreeMap<String, String>,

    /// With `replace`: `Cache-Control`, e.g. `max-age=3600`.
    #[serde(default)]
    #[schemars(title = "Cache-Control", transform = validate::schema::header_value)]
    pub cache_control: Option<String>,

    /// With `replace`: `Content-Disposition`, e.g. `attachment; filename="report.pdf"`.
    #[serde(default)]
    #[schemars(title = "Content-Disposition", transform = validate::schema::header_value)]
    pub content_disposition: Option<String>,

    /// With `replace`: `Content-Encoding`, e.g. `gzip`.
    #[serde(default)]
    #[schemars(title = "Content-Encoding", transform = validate::schema::header_value)]
    pub content_encoding: Option<String>,

    /// With `replace`: `Content-Language`, e.g. `en-GB`.
    #[serde(default)]
    #[schemars(title = "Content-Language", transform = validate::schema::header_value)]
    pub content_language: Option<String>,

    /// With `replace`: `Expires`, an HTTP date such as `Wed, 21 Oct 2026 07:28:00 GMT`.
    #[serde(default)]
    #[schemars(title = "Expires", transform = http_date_schema)]
    pub expires: Option<String>,

    /// The storage class of the copy. Empty: `STANDARD`, whatever the source's.
    #[serde(default)]
    #[schemars(title = "Storage class")]
    pub storage_class: Option<StorageClass>,

    /// A canned ACL for the copy. Empty: private (ACLs are not copied).
    #[serde(default)]
    #[schemars(title = "ACL")]
    pub acl: Option<CannedAcl>,

    /// When and how a large file is copied in parts (all optional: by default files over
    /// 5 GiB, the most S3 copies in one request, are copied in parts of 256 MiB, 8 at a time).
    #[serde(default)]
    #[schemars(title = "Copy in parts")]
    pub transfer: Option<CopySettings>,
}

/// The fields only `replace` uses.
const REPLACE_FIELDS: [&str; 6] = [
    "content_type",
    "cache_control",
    "content_disposition",
    "content_encoding",
    "content_language",
    "expires",
];

/// The rules across fields: the content type, headers and metadata only with `replace`. (That
/// a copy onto itself must change something cannot be said in JSON Schema: it is said in
/// `destination_key`'s description.)
fn copy_rules(schema: &mut schemars::Schema) {
    let mut only_null: serde_json::Map<String, serde_json::Value> = REPLACE_FIELDS
        .iter()
        .map(|field| (field.to_string(), serde_json::json!({"type": "null"})))
        .collect();
    only_null.insert("metadata".into(), serde_json::json!({"maxProperties": 0}));
    validate::schema::add(
        schema,
        serde_json::json!({
            "if": {"required": ["metadata_directive"],
                   "properties": {"metadata_directive": {"const": "replace"}}},
            "then": {},
            "else": {"properties": only_null},
        }),
    );
}

/// An HTTP date (IMF-fixdate), e.g. `Wed, 21 Oct 2026 07:28:00 GMT`, of a real calendar day.
fn http_date_schema(schema: &mut schemars::Schema) {
    let year = "([0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)";
    let leap = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)";
    let day = format!(
        "((0[1-9]|1[0-9]|2[0-8]) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {year}\
         |(29|30) (Jan|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {year}\
         |31 (Jan|Mar|May|Jul|Aug|Oct|Dec) {year}\
         |29 Feb {leap})"
    );
    validate::schema::add(
        schema,
        serde_json::json!({"pattern": format!(
            "^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), {day} ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9] GMT$"
        )}),
    );
}

/// The copy.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CopyFileOutput {
    /// The bucket the file was copied to.
    pub bucket: String,
    /// The key it was copied to.
    pub key: String,
    /// The new file's ETag, without quotes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// When the new file was written, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// The new file's version ID (versioned destination bucket).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// The version of the source that was copied (versioned source bucket).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_version_id: Option<String>,
    /// How the copy was made: `copy_object` (one request) or `multipart_copy` (in parts, for
    /// files over the multipart threshold).
    pub method: CopyMethod,
    /// The number of parts of a multipart copy; 0 for one request.
    pub parts: u32,
    /// The size of the file in bytes.
    pub size: u64,
    /// The copy's checksum, when the store answered one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<CopyChecksum>,
}

/// A copy's checksum as the store answered it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CopyChecksum {
    /// The algorithm, e.g. `CRC64NVME` or `CRC32C`.
    pub algorithm: String,
    /// `FULL_OBJECT` (the checksum of the whole file) or `COMPOSITE` (of its parts' checksums;
    /// the value ends with `-` and the part count).
    #[serde(rename = "type")]
    pub kind: String,
    /// The value, base64 (as S3 shows it).
    pub value: String,
    /// True when the value was found equal to the source's own full-object checksum: the copy
    /// holds the source's bytes.
    pub verified: bool,
}

/// Copies a file.
pub struct CopyFile;

impl CopyFileOutput {
    /// The output for a copy S3 made to `key` in `bucket`.
    pub(crate) fn new(bucket: &str, key: &str, outcome: CopyOutcome) -> Self {
        let copied = outcome.copied;
        CopyFileOutput {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            etag: copied.etag,
            last_modified: copied.last_modified,
            version_id: copied.version_id,
            source_version_id: copied.source_version_id,
            method: outcome.method,
            parts: outcome.parts,
            size: outcome.size,
            checksum: copied.checksum.map(|checksum| CopyChecksum {
                algorithm: checksum.algorithm().as_str().to_owned(),
                kind: checksum.kind().as_str().to_owned(),
                value: checksum.to_string(),
                verified: outcome.checksum_verified,
            }),
        }
    }
}

/// The refusal for fields that only `replace` uses.
fn only_with_replace(field: &str) -> Error {
    Error::invalid_input(
        field,
        format!(
            "{field} is only used with metadata_directive \"replace\"; with \"copy\" the copy \
             keeps the source's. Set metadata_directive to \"replace\" or leave {field} out"
        ),
    )
}

impl CopyFileInput {
    fn destination_bucket(&self) -> &str {
        self.destination_bucket
            .as_deref()
            .unwrap_or(&self.source_bucket)
    }

    /// The headers `replace` sets, by field name and header name.
    fn replaced_headers(&self) -> [(&'static str, &'static str, Option<&str>); 6] {
        [
            ("content_type", "content-type", self.content_type.as_deref()),
            (
                "cache_control",
                "cache-control",
                self.cache_control.as_deref(),
            ),
            (
                "content_disposition",
                "content-disposition",
                self.content_disposition.as_deref(),
            ),
            (
                "content_encoding",
                "content-encoding",
                self.content_encoding.as_deref(),
            ),
            (
                "content_language",
                "content-language",
                self.content_language.as_deref(),
            ),
            ("expires", "expires", self.expires.as_deref()),
        ]
    }

    fn copy(&self) -> CopyObject<'_> {
        CopyObject {
            source_bucket: &self.source_bucket,
            source_key: &self.source_key,
            source_version_id: self.source_version_id.as_deref(),
            bucket: self.destination_bucket(),
            key: &self.destination_key,
            storage_class: self.storage_class.map(StorageClass::as_str),
            acl: self.acl.map(CannedAcl::as_str),
            replace_metadata: None,
        }
    }
}

#[async_trait]
impl Module for CopyFile {
    type Input = CopyFileInput;
    type Output = CopyFileOutput;
    const NAME: &'static str = "copy_file";
    const LABEL: &'static str = "Copy File";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Copies a file of any size within a bucket or to another \
        bucket, keeping its metadata or replacing it; files over 5 GiB are copied in parts.";
    const EFFECTS: Effects = Effects::WRITES;

    fn validate(&self, input: &CopyFileInput) -> Result<()> {
        let replace = input.metadata_directive == MetadataDirective::Replace;
        for (field, _, value) in input.replaced_headers() {
            let Some(value) = value else { continue };
            if !replace {
                return Err(only_with_replace(field));
            }
            validate::header_value(field, value)?;
        }
        if let Some(expires) = &input.expires
            && headers::http_date_to_rfc3339(expires).is_none()
        {
            return Err(Error::invalid_input(
                "expires",
                format!(
                    "{expires:?} is not an HTTP date; write it like Wed, 21 Oct 2026 07:28:00 GMT"
                ),
            ));
        }
        if !input.metadata.is_empty() && !replace {
            return Err(only_with_replace("metadata"));
        }
        for (name, value) in &input.metadata {
            let field = format!("metadata.{name}");
            validate::header_name(&field, name)?;
            validate::header_value(&field, value)?;
        }
        let onto_itself = input.destination_bucket() == input.source_bucket.as_str()
            && input.destination_key == input.source_key;
        if onto_itself
            && !replace
            && input.storage_class.is_none()
            && input.source_version_id.is_none()
        {
            return Err(Error::invalid_input(
                "destination_key",
                "the destination is the source itself, and a copy that changes nothing is \
                 refused by S3: choose another destination, or set metadata_directive to \
                 \"replace\" to change the file's metadata in place (or storage_class to change \
                 its storage class)",
            ));
        }
        Ok(())
    }

    async fn run(&self, ctx: &Context, input: CopyFileInput) -> Result<CopyFileOutput> {
        let client = ctx.client();
        let mut copy = input.copy();
        let source = copy.head_source(client).await?;
        if input.metadata_directive == MetadataDirective::Replace {
            let content_type = input.content_type.clone().or_else(|| {
                source
                    .headers
                    .iter()
                    .find(|(name, _)| name == "content-type")
                    .map(|(_, value)| value.clone())
            });
            let headers = input.replaced_headers().into_iter().skip(1);
            let headers = headers.filter_map(|(_, name, value)| Some((name, value?.to_owned())));
            let metadata = input
                .metadata
                .iter()
                .map(|(name, value)| (format!("{}{name}", headers::META_PREFIX), value.clone()));
            copy.replace_metadata = Some(
                content_type
                    .map(|content_type| ("content-type".to_owned(), content_type))
                    .into_iter()
                    .chain(headers.map(|(name, value)| (name.to_owned(), value)))
                    .chain(metadata)
                    .collect(),
            );
        }
        let options = input.transfer.unwrap_or_default().options();
        let outcome =
            multipart_copy::copy(client, &copy, &source, &options, ctx.progress()).await?;
        Ok(CopyFileOutput::new(copy.bucket, copy.key, outcome))
    }
}

register_module!(CopyFile);
