//! Get File Metadata: a file's size, type, dates and metadata, without its content (HeadObject).

use connector_core::{
    Context, Method, Module, ModuleKind, Result, Target, async_trait, headers,
    listing::unquote_etag, register_module, s3_error, validate,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The file to look at.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeadFileInput {
    /// The bucket the file is in.
    #[schemars(title = "Bucket", length(min = 1), extend("x-options" = {"provider": "buckets"}))]
    pub bucket: String,

    /// The path of the file in the bucket (its key), e.g. `photos/2019/image023.jpg`. Keys are
    /// used exactly as written: `/photos/a.jpg` (with a leading `/`) and `photos/a.jpg` are two
    /// different files in S3.
    #[schemars(title = "Path (key)", length(min = 1))]
    pub key: String,

    /// A specific version of the file (versioned buckets only). Empty: the current version.
    #[serde(default)]
    #[schemars(title = "Version ID")]
    pub version_id: Option<String>,
}

/// The file's metadata.
#[derive(Debug, Serialize, JsonSchema)]
pub struct HeadFileOutput {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// Always true: a file that does not exist is an error (`not_found`).
    pub exists: bool,
    /// Size in bytes.
    pub size: u64,
    /// The content type stored with the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The ETag, without quotes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// When the file was last changed, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// The version ID (versioned buckets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// The storage class, e.g. `STANDARD` or `GLACIER` (S3 names it only when it is not
    /// `STANDARD`).
    pub storage_class: String,
    /// User metadata (the `x-amz-meta-*` headers, without the prefix).
    pub metadata: BTreeMap<String, String>,
    /// `Cache-Control` stored with the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// `Content-Disposition` stored with the file (e.g. `attachment; filename="a.pdf"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    /// `Content-Encoding` stored with the file (e.g. `gzip`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    /// `Content-Language` stored with the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    /// `Expires` stored with the file: RFC 3339 when it is a date, else as S3 returned it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// The server-side encryption, e.g. `AES256` or `aws:kms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_side_encryption: Option<String>,
}

/// Reads a file's metadata.
pub struct HeadFile;

#[async_trait]
impl Module for HeadFile {
    type Input = HeadFileInput;
    type Output = HeadFileOutput;
    const NAME: &'static str = "head_file";
    const LABEL: &'static str = "Get File Metadata";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Reads a file's size, content type, dates, storage class \
        and metadata without downloading it; a file that does not exist is a not_found error.";

    fn validate(&self, input: &HeadFileInput) -> Result<()> {
        validate::bucket_name("bucket", &input.bucket)?;
        validate::object_key("key", &input.key)?;
        validate::version_id("version_id", input.version_id.as_deref())
    }

    async fn run(&self, ctx: &Context, input: HeadFileInput) -> Result<HeadFileOutput> {
        let response = ctx
            .client()
            .request(Method::HEAD, Target::object(&input.bucket, &input.key))
            .query_opt("versionId", input.version_id.as_deref())
            .send()
            .await
            .map_err(|err| s3_error::name_missing_object(err, &input.bucket, &input.key))?;
        let h = response.headers();
        let text = |name: &str| headers::text(h, name).map(str::to_owned);
        Ok(HeadFileOutput {
            exists: true,
            size: response.content_length().unwrap_or(0),
            content_type: text("content-type"),
            etag: headers::text(h, "etag").map(unquote_etag),
            last_modified: headers::text(h, "last-modified")
                .and_then(headers::http_date_to_rfc3339),
            version_id: text("x-amz-version-id"),
            storage_class: text("x-amz-storage-class").unwrap_or_else(|| "STANDARD".to_owned()),
            metadata: headers::user_metadata(h),
            cache_control: text("cache-control"),
            content_disposition: text("content-disposition"),
            content_encoding: text("content-encoding"),
            content_language: text("content-language"),
            expires: headers::text(h, "expires")
                .map(|value| headers::http_date_to_rfc3339(value).unwrap_or(value.to_owned())),
            server_side_encryption: text("x-amz-server-side-encryption"),
            bucket: input.bucket,
            key: input.key,
        })
    }
}

register_module!(HeadFile);
