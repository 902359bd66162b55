//! Upload File: put a file into a bucket, from a local path, text, or base64 content.

use connector_core::Effects;
use connector_core::framework::types::{Base64Bytes, BucketName, Folder, PutObjectHeaders};
use connector_core::framework::validate;
use connector_core::http::header::CONTENT_TYPE;
use connector_core::http::{HeaderMap, HeaderName, HeaderValue};
use connector_core::ops::keys;
use connector_core::ops::transfer::TransferSettings;
use connector_core::ops::upload::{self, PutTarget};
use connector_core::wire::checksum::{Checksum, ChecksumAlgorithm, ChecksumType};
use connector_core::wire::headers::META_PREFIX;
use connector_core::{
    Context, Error, Module, ModuleKind, Origin, Result, async_trait, register_module,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What to upload: exactly one of a local file, text, or base64 content.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Source {
    /// A file on the machine running the connector; it is streamed, not read into memory
    /// (large files go in parallel parts). `-` reads standard input.
    #[schemars(title = "Local file")]
    Path(PathBuf),
    /// Text, stored as UTF-8.
    #[schemars(title = "Text")]
    Text(String),
    /// Binary content, base64 encoded.
    #[schemars(title = "Base64 content")]
    Base64(Base64Bytes),
}

impl Source {
    /// Whether the content is read from standard input (the local path `-`).
    fn is_stdin(&self) -> bool {
        matches!(self, Source::Path(path) if path.as_os_str() == "-")
    }
}

/// A file name: no `/`, not `.` or `..`; with the folder at most 1,024 bytes.
fn file_name_schema(schema: &mut schemars::Schema) {
    validate::schema::add(
        schema,
        serde_json::json!({"maxLength": 1024, "pattern": "^[^/]+$", "not": {"enum": [".", ".."]}}),
    );
    validate::schema::note(schema, "With the folder, at most 1,024 bytes of UTF-8.");
}

/// `Content-Type` once: in `content_type` or in `headers`.
fn one_content_type(schema: &mut schemars::Schema) {
    let content_type = format!("^{}$", validate::schema::any_case("content-type"));
    validate::schema::add(
        schema,
        serde_json::json!({
            "if": validate::schema::given("content_type"),
            "then": {"properties": {"headers": {"propertyNames": {"not": {"pattern": content_type}}}}},
        }),
    );
}

/// The file to upload and where to put it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = one_content_type)]
pub struct UploadFileInput {
    /// The bucket to upload to.
    #[schemars(title = "Bucket", extend("x-options" = {"provider": "buckets"}))]
    pub bucket: BucketName,

    /// The folder in the bucket, e.g. `work/reports`. Empty: the top of the bucket.
    #[serde(default)]
    #[schemars(title = "Folder", extend("x-options" = {"provider": "folders", "depends_on": ["bucket"]}))]
    pub folder: Option<Folder>,

    /// The file's name in the bucket, e.g. `report.pdf`. With the folder it makes the key
    /// (`work/reports/report.pdf`).
    #[schemars(title = "File name", length(min = 1), transform = file_name_schema)]
    pub file_name: String,

    /// The content: `{"path": "/local/file"}`, `{"text": "…"}` or `{"base64": "…"}`.
    #[schemars(title = "Source file")]
    pub source: Source,

    /// The content type, e.g. `image/jpeg`. Empty: guessed from the file name.
    #[serde(default)]
    #[schemars(title = "Content type", transform = validate::schema::header_value)]
    pub content_type: Option<String>,

    /// User metadata stored with the file (sent as `x-amz-meta-NAME` headers; ASCII values).
    #[serde(default)]
    #[schemars(title = "Metadata", transform = validate::schema::headers)]
    pub metadata: BTreeMap<String, String>,

    /// Transfer tuning for large files (part size, parallel parts). Usually left empty.
    #[serde(default)]
    #[schemars(title = "Transfer settings")]
    pub transfer: Option<TransferSettings>,

    /// The checksum S3 checks the upload against and keeps with the file, so that a download
    /// can be checked too: `CRC32C` (fast), `CRC32`, `CRC64NVME`, `SHA1` or `SHA256`. It is
    /// computed while the file is sent. Empty: the connection's choice (CRC32C unless its
    /// checksum settings say otherwise; none for a store that takes no checksums).
    #[serde(default)]
    #[schemars(title = "Checksum algorithm")]
    pub checksum_algorithm: Option<ChecksumAlgorithm>,

    /// Extra request headers of S3's PutObject: `Cache-Control`, `Content-Disposition`,
    /// `Content-Encoding`, `Content-Language`, `Expires`, `x-amz-acl`, `x-amz-storage-class`,
    /// `x-amz-server-side-encryption`, `x-amz-tagging`, `If-None-Match`, and other `x-amz-*`.
    #[serde(default)]
    #[schemars(title = "Headers", transform = validate::schema::put_object_headers)]
    pub headers: PutObjectHeaders,
}

/// The uploaded file.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UploadFileOutput {
    /// The bucket.
    pub bucket: String,
    /// The key the file was stored under.
    pub key: String,
    /// The ETag S3 gave the file, without quotes (for a simple upload, the MD5 in hex).
    pub etag: Option<String>,
    /// The version ID, in a versioned bucket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// For a large file sent in parts (a multipart upload): how many.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parts: Option<u32>,
    /// The content type stored with the file.
    pub content_type: String,
    /// The checksum S3 keeps with the file, the same as the one computed from the bytes sent.
    /// Absent when no checksum was sent (a connection whose store takes none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<FileChecksum>,
}

/// A file's checksum as S3 keeps it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FileChecksum {
    /// The algorithm, e.g. `CRC32C`.
    pub algorithm: ChecksumAlgorithm,
    /// The value as S3 shows it: base64, e.g. `4waSgw==`; for a file sent in parts with a
    /// `COMPOSITE` checksum, followed by `-` and the number of parts (`rVWtAg==-3`).
    pub value: String,
    /// `FULL_OBJECT`: the checksum of the whole file's bytes. `COMPOSITE`: the checksum of
    /// its parts' checksums (a large file sent in parts).
    #[serde(rename = "type")]
    pub kind: ChecksumType,
}

impl From<&Checksum> for FileChecksum {
    fn from(checksum: &Checksum) -> Self {
        FileChecksum {
            algorithm: checksum.algorithm(),
            value: checksum.to_string(),
            kind: checksum.kind(),
        }
    }
}

/// Uploads a file.
pub struct UploadFile;

/// The rules across the header fields (each header checked itself while it was read).
fn check_headers(input: &UploadFileInput) -> Result<()> {
    if input.content_type.is_some() && input.headers.as_map().contains_key(CONTENT_TYPE) {
        return Err(Error::invalid_input(
            "headers.content-type",
            "Content-Type is given twice: keep only the content_type field",
        ));
    }
    // The checksum headers are the connector's: it computes the checksum while it sends.
    if let Some(name) = input.headers.as_map().keys().find(|name| {
        let name = name.as_str();
        name.starts_with("x-amz-checksum-")
            || matches!(
                name,
                "x-amz-sdk-checksum-algorithm" | "x-amz-trailer" | "x-amz-decoded-content-length"
            )
    }) {
        return Err(Error::invalid_input(
            format!("headers.{name}"),
            "the checksum is computed while the file is sent: choose its algorithm in the \
             checksum_algorithm field instead of giving this header",
        ));
    }
    for (name, value) in &input.metadata {
        let field = format!("metadata.{name}");
        validate::header_name(&field, name)?;
        validate::header_value(&field, value)?;
    }
    Ok(())
}

/// The headers the file is stored with: its content type, the PutObject headers given, and its
/// metadata as `x-amz-meta-*`, read into the shape they are sent in.
fn put_headers(input: &UploadFileInput, content_type: &str) -> Result<HeaderMap> {
    fn text_header(field: &str, name: &str, value: &str) -> Result<(HeaderName, HeaderValue)> {
        let not_http = || Error::invalid_input(field, "HTTP does not allow this header");
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| not_http())?;
        let value = HeaderValue::from_str(value).map_err(|_| not_http())?;
        Ok((name, value))
    }
    let given = input.headers.as_map();
    let mut headers = HeaderMap::with_capacity(1 + given.len() + input.metadata.len());
    let (name, value) = text_header("content_type", "content-type", content_type)?;
    headers.append(name, value);
    for (name, value) in given {
        if name != CONTENT_TYPE {
            headers.append(name, value.clone());
        }
    }
    for (name, value) in &input.metadata {
        let field = format!("metadata.{name}");
        let (name, value) = text_header(&field, &format!("{META_PREFIX}{name}"), value)?;
        headers.append(name, value);
    }
    Ok(headers)
}

impl UploadFileInput {
    fn key(&self) -> String {
        keys::join(self.folder.as_deref().unwrap_or(""), &self.file_name)
    }

    fn content_type(&self) -> String {
        if let Some(content_type) = &self.content_type {
            return content_type.clone();
        }
        if let Some(value) = self
            .headers
            .as_map()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
        {
            return value.to_owned();
        }
        match mime_guess::from_path(&self.file_name).first() {
            Some(mime) if mime.type_() == "text" => format!("{mime}; charset=utf-8"),
            Some(mime) => mime.to_string(),
            None if matches!(self.source, Source::Text(_)) => "text/plain; charset=utf-8".into(),
            None => "application/octet-stream".into(),
        }
    }
}

#[async_trait]
impl Module for UploadFile {
    type Input = UploadFileInput;
    type Output = UploadFileOutput;
    const NAME: &'static str = "upload_file";
    const LABEL: &'static str = "Upload File";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str =
        "Uploads a file to a bucket folder, from a local file, text or base64 content.";
    const EFFECTS: Effects = Effects::WRITES;
    const TAKES_CONTENT: bool = true;

    fn validate(&self, input: &UploadFileInput) -> Result<()> {
        if input.file_name.contains('/') {
            return Err(Error::invalid_input(
                "file_name",
                "the file name has a '/': put the folders in the folder field",
            ));
        }
        validate::object_key("file_name", &input.key())?;
        if let Some(content_type) = &input.content_type {
            validate::header_value("content_type", content_type)?;
        }
        check_headers(input)
    }

    fn reads_stdin(&self, input: &UploadFileInput) -> Option<&'static str> {
        input.source.is_stdin().then_some("source.path")
    }

    async fn run(&self, ctx: &Context, input: UploadFileInput) -> Result<UploadFileOutput> {
        let key = input.key();
        let content_type = input.content_type();
        let target = PutTarget {
            bucket: input.bucket.to_string(),
            key: key.clone(),
            headers: put_headers(&input, &content_type)?,
            checksum_algorithm: input.checksum_algorithm,
        };
        let options = input.transfer.unwrap_or_default().options();
        let client = ctx.client();
        let uploaded = match input.source {
            Source::Path(path) => {
                let path = &ctx.local_path("source.path", &path)?;
                upload::upload_path(client, &target, path, &options, ctx.progress())
                    .await
                    .map_err(|err| match err.origin() {
                        // The file given could not be read, or is a folder: nothing was sent.
                        Origin::LocalFile { .. } => err.with_field("source.path"),
                        _ => err,
                    })?
            }
            Source::Text(text) => {
                let reader = std::io::Cursor::new(text.into_bytes());
                upload::upload_reader(client, &target, reader, &options, ctx.progress()).await?
            }
            Source::Base64(content) => {
                let reader = std::io::Cursor::new(content.into_bytes());
                upload::upload_reader(client, &target, reader, &options, ctx.progress()).await?
            }
        };
        Ok(UploadFileOutput {
            etag: uploaded.etag,
            version_id: uploaded.version_id,
            bucket: input.bucket.into(),
            key,
            size: uploaded.size,
            parts: (uploaded.parts > 0).then_some(uploaded.parts),
            content_type,
            checksum: uploaded.checksum.as_ref().map(FileChecksum::from),
        })
    }
}

register_module!(UploadFile);

#[cfg(test)]
mod tests {
    use connector_core::Registry;
    use serde_json::json;

    #[test]
    fn a_local_path_of_dash_reads_standard_input() {
        let prepare = |source| {
            Registry::global()
                .prepare(
                    "upload_file",
                    json!({"bucket": "b", "file_name": "f.txt", "source": source}),
                )
                .map_err(|err| err.to_string())
                .unwrap()
        };
        let stdin = prepare(json!({"path": "-"}));
        assert_eq!(stdin.reads_stdin(), Some("source.path"));
        assert_eq!(prepare(json!({"path": "a.txt"})).reads_stdin(), None);
        assert_eq!(prepare(json!({"base64": "LQ=="})).reads_stdin(), None);
    }

    #[test]
    fn the_headers_are_read_once_into_the_shape_they_are_sent_in() {
        let input: super::UploadFileInput = serde_json::from_value(json!({
            "bucket": "b",
            "file_name": "f.txt",
            "source": {"text": "x"},
            "headers": {"Cache-Control": "no-cache", "Content-Type": "text/csv"},
            "metadata": {"Author": "me"},
        }))
        .unwrap();
        let headers = super::put_headers(&input, "text/csv").unwrap();
        let sent: Vec<(&str, &str)> = headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.to_str().unwrap()))
            .collect();
        assert_eq!(
            sent,
            [
                ("content-type", "text/csv"),
                ("cache-control", "no-cache"),
                ("x-amz-meta-author", "me"),
            ]
        );
        let bad: super::UploadFileInput = serde_json::from_value(json!({
            "bucket": "b",
            "file_name": "f.txt",
            "source": {"text": "x"},
            "metadata": {"note": "two\nlines"},
        }))
        .unwrap();
        let err = super::put_headers(&bad, "text/plain").unwrap_err();
        assert_eq!(err.field(), Some("metadata.note"));
    }

    /// The checksum headers are the connector's: giving one is refused, pointing at the
    /// checksum_algorithm field.
    #[test]
    fn checksum_headers_are_refused() {
        for header in [
            "x-amz-checksum-crc32c",
            "X-Amz-Checksum-Type",
            "x-amz-sdk-checksum-algorithm",
            "x-amz-trailer",
        ] {
            let input: super::UploadFileInput = serde_json::from_value(json!({
                "bucket": "b",
                "file_name": "f.txt",
                "source": {"text": "x"},
                "headers": {header: "CRC32C"},
            }))
            .unwrap();
            let err = super::check_headers(&input).unwrap_err();
            assert_eq!(
                err.field(),
                Some(format!("headers.{}", header.to_ascii_lowercase()).as_str())
            );
            assert!(err.to_string().contains("checksum_algorithm"), "{err}");
        }
    }
}
