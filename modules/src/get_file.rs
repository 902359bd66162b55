//! Get File: download an object, into the output or into a local file.

use base64::Engine as _;
use connector_core::Effects;
use connector_core::framework::types::{BucketName, ObjectKey, VersionId};
use connector_core::framework::validate;
use connector_core::ops::download::{self, ObjectSource, Verified};
use connector_core::ops::part_file;
use connector_core::ops::transfer::TransferSettings;
use connector_core::wire::checksum::{Checksum, ChecksumType};
use connector_core::wire::headers;
use connector_core::wire::headers::ObjectInfo;
use connector_core::wire::s3_error;
use connector_core::{
    Context, Error, ErrorKind, Method, Module, ModuleKind, Result, Target, async_trait,
    register_module,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The default most bytes returned inline (without `save_to`): 16 MiB.
pub const DEFAULT_MAX_INLINE_BYTES: u64 = 16 * 1024 * 1024;

/// The file to download.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetFileInput {
    /// The bucket the file is in.
    #[schemars(title = "Bucket", extend("x-options" = {"provider": "buckets"}))]
    pub bucket: BucketName,

    /// The path of the file in the bucket (its key), e.g. `photos/2019/February/image023.jpg`.
    /// Keys are used exactly as written: `/photos/a.jpg` (with a leading `/`) and
    /// `photos/a.jpg` are two different files in S3.
    #[schemars(title = "Path (key)")]
    pub key: ObjectKey,

    /// Only part of the file, as a byte range: `bytes=0-99` (the first 100 bytes), `0-99`,
    /// `1000-` (from byte 1000 on) or `-500` (the last 500 bytes).
    #[serde(default)]
    #[schemars(title = "Byte range", transform = range_schema)]
    pub range: Option<String>,

    /// A specific version of the file (versioned buckets only). Empty: the current version.
    #[serde(default)]
    #[schemars(title = "Version ID")]
    pub version_id: Option<VersionId>,

    /// Save the file to this local path instead of returning its content; large files are
    /// streamed. A folder (ending in `/`, or existing) receives the file under its own name.
    /// The destination is only replaced once the download is complete.
    #[serde(default)]
    #[schemars(title = "Save to (local path)", transform = local_path_schema)]
    pub save_to: Option<String>,

    /// Transfer tuning for large files saved with `save_to` (part size, parallel parts).
    /// Usually left empty.
    #[serde(default)]
    #[schemars(title = "Transfer settings")]
    pub transfer: Option<TransferSettings>,

    /// Without `save_to`, the largest file returned in the output, in bytes (default 16 MiB).
    #[serde(default)]
    #[schemars(title = "Inline size limit", range(min = 1, max = 268435456))]
    pub max_inline_bytes: Option<u64>,
}

/// A byte range in one of the forms [`normalize_range`] reads; the first byte of `START-END`
/// is said in the description to be no larger than the last.
fn range_schema(schema: &mut schemars::Schema) {
    validate::schema::add(
        schema,
        serde_json::json!({"pattern": "^(bytes=)?([0-9]{1,19}-[0-9]{0,19}|-[0-9]{1,19})$"}),
    );
    validate::schema::note(schema, "In `START-END`, START is at most END.");
}

/// A local path: not only spaces.
fn local_path_schema(schema: &mut schemars::Schema) {
    let white_space = validate::schema::WHITE_SPACE;
    validate::schema::add(
        schema,
        serde_json::json!({"pattern": format!("[^{white_space}]")}),
    );
}

/// The downloaded file.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GetFileOutput {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// Size in bytes of what was downloaded (of the range, for a range).
    pub size: u64,
    /// The file's type, dates, storage class, metadata and stored checksum (with `save_to`,
    /// the checksum the saved bytes were checked against).
    #[serde(flatten)]
    pub info: ObjectInfo,
    /// For a range: which bytes these are, e.g. `bytes 0-99/5000`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_range: Option<String>,
    /// Where the file was saved, with `save_to`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_to: Option<String>,
    /// The content, base64 encoded (without `save_to`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_base64: Option<String>,
    /// The content as text, when it is valid UTF-8 (without `save_to`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_text: Option<String>,
}

/// Downloads a file.
pub struct GetFile;

/// `bytes=…` from the forms a person may type.
fn normalize_range(range: &str) -> Result<String> {
    let spec = range.trim();
    let spec = spec.strip_prefix("bytes=").unwrap_or(spec);
    let valid = match spec.split_once('-') {
        Some((start, end)) => {
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            match (start.is_empty(), end.is_empty()) {
                (false, true) => digits(start),
                (true, false) => digits(end),
                (false, false) => {
                    digits(start)
                        && digits(end)
                        && start.parse::<u64>().ok() <= end.parse::<u64>().ok()
                }
                (true, true) => false,
            }
        }
        None => false,
    };
    if !valid {
        return Err(Error::invalid_input(
            "range",
            format!("{range:?} is not a byte range; write it like bytes=0-99, 1000- or -500"),
        ));
    }
    Ok(format!("bytes={spec}"))
}

#[async_trait]
impl Module for GetFile {
    type Input = GetFileInput;
    type Output = GetFileOutput;
    const NAME: &'static str = "get_file";
    const LABEL: &'static str = "Get File";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Downloads a file from a bucket: its content and \
        metadata, or saved to a local path; the bytes are checked against the checksum stored \
        with the file (or its MD5).";
    const EFFECTS: Effects = Effects::READS;

    fn validate(&self, input: &GetFileInput) -> Result<()> {
        if let Some(range) = &input.range {
            normalize_range(range)?;
        }
        if input
            .save_to
            .as_deref()
            .is_some_and(|p| p.trim().is_empty())
        {
            return Err(Error::invalid_input(
                "save_to",
                "the local path is empty; leave the field out to get the content in the output",
            ));
        }
        Ok(())
    }

    async fn run(&self, ctx: &Context, input: GetFileInput) -> Result<GetFileOutput> {
        let client = ctx.client();
        // Where the file goes, checked before anything is sent: the path is resolved first (a
        // folder is looked for where the files are), then checked again with the file name.
        let dest = match &input.save_to {
            Some(save_to) => {
                let resolved = ctx.local_path("save_to", std::path::Path::new(save_to))?;
                let dest = part_file::destination(save_to, &resolved, &input.key)?;
                Some(ctx.local_path("save_to", &dest)?)
            }
            None => None,
        };
        // A whole file saved to disk: in parallel ranges, resumed, verified.
        if let (Some(dest), None) = (&dest, &input.range) {
            let source = ObjectSource {
                bucket: input.bucket.to_string(),
                key: input.key.to_string(),
                version_id: input.version_id.clone().map(String::from),
            };
            let options = input.transfer.unwrap_or_default().options();
            let fetched =
                download::fetch_to_path(client, &source, dest, &options, ctx.progress()).await?;
            let mut output = describe(&input, &fetched.headers);
            // The checksum the bytes were checked against (a HEAD's, for a download in
            // ranges, whose answers carry none).
            if let Verified::Checksum(checksum) = &fetched.verified {
                output.info.checksum = Some(checksum.into());
            }
            output.content_range = None;
            output.size = fetched.size;
            output.saved_to = Some(dest.display().to_string());
            return Ok(output);
        }

        let range = input.range.as_deref().map(normalize_range).transpose()?;
        // The stored checksum, shown in the output and checked against the whole object's
        // bytes (S3 sends none with a range).
        let checksum_mode = download::asks_checksums(client);
        let response = client
            .request(Method::GET, Target::object(&input.bucket, &input.key))
            .query_opt("versionId", input.version_id.as_deref())
            .header_opt("range", range)
            .header_opt("x-amz-checksum-mode", checksum_mode.then_some("ENABLED"))
            .send()
            .await
            .map_err(|err| s3_error::name_missing_object(err, &input.bucket, &input.key))?;
        let mut output = describe(&input, response.headers());
        let length = response.content_length();

        if let Some(dest) = &dest {
            output.size = part_file::save_atomically(response.into_stream(), length, dest).await?;
            output.saved_to = Some(dest.display().to_string());
            return Ok(output);
        }

        let cap = input.max_inline_bytes.unwrap_or(DEFAULT_MAX_INLINE_BYTES);
        if let Some(length) = length.filter(|len| *len > cap) {
            return Err(too_large(length, cap));
        }
        // The body stream itself fails when fewer or more bytes arrive than announced.
        let bytes = response
            .bytes_capped(cap as usize, "the file")
            .await
            .map_err(|err| match err.kind() {
                ErrorKind::InvalidInput => too_large(cap + 1, cap),
                _ => err,
            })?;
        // The whole object's bytes are checked against its full-object checksum.
        let stored = output.info.checksum.as_ref();
        if let Some(stored) = stored
            .filter(|_| input.range.is_none())
            .and_then(|stored| stored.verifiable())
            .filter(|stored| stored.kind() == ChecksumType::FullObject)
        {
            let received = Checksum::full_object(&stored.algorithm().digest(&bytes));
            download::check_received(&input.key, &stored, &received)?;
        }
        output.size = bytes.len() as u64;
        output.content_text = std::str::from_utf8(&bytes).ok().map(str::to_owned);
        output.content_base64 = Some(base64::engine::general_purpose::STANDARD.encode(&bytes));
        Ok(output)
    }
}

/// The output's description of the file, from S3's answer headers.
fn describe(input: &GetFileInput, h: &connector_core::http::HeaderMap) -> GetFileOutput {
    GetFileOutput {
        bucket: input.bucket.to_string(),
        key: input.key.to_string(),
        size: 0,
        info: ObjectInfo::from_headers(h),
        content_range: headers::text(h, "content-range").map(str::to_owned),
        saved_to: None,
        content_base64: None,
        content_text: None,
    }
}

fn too_large(length: u64, cap: u64) -> Error {
    Error::invalid_input(
        "save_to",
        format!(
            "the file is {length} bytes, more than can be returned inline ({cap} bytes): set \
             save_to to stream it to a local file (or raise max_inline_bytes)"
        ),
    )
}

register_module!(GetFile);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(normalize_range("0-99").unwrap(), "bytes=0-99");
        assert_eq!(normalize_range("bytes=1000-").unwrap(), "bytes=1000-");
        assert_eq!(normalize_range("-500").unwrap(), "bytes=-500");
        for bad in ["", "-", "abc", "5-1", "bytes=1-2,4-5", "1-2-3"] {
            let err = normalize_range(bad).unwrap_err();
            assert_eq!(err.field(), Some("range"), "{bad}");
        }
    }
}
