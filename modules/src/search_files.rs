//! Search Files: the files under a folder that match a name pattern, a size range, or a time
//! window.

use crate::list_files::FileEntry;
use connector_core::Effects;
use connector_core::framework::types::{BucketName, ContinuationToken, Prefix};
use connector_core::ops::keys;
use connector_core::ops::listing::{self, ListRequest, ListedObject, Pages};
use connector_core::wire::headers::parse_rfc3339;
use connector_core::{Context, Error, Module, ModuleKind, Result, async_trait, register_module};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::time::SystemTime;

/// What to look for.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchFilesInput {
    /// The bucket to search.
    #[schemars(title = "Bucket", extend("x-options" = {"provider": "buckets"}))]
    pub bucket: BucketName,

    /// The folder to search in, e.g. `invoices/2026`. Empty: the whole bucket.
    #[serde(default)]
    #[schemars(
        title = "Folder (prefix)",
        extend("x-options" = {"provider": "folders", "depends_on": ["bucket"]})
    )]
    pub prefix: Option<Prefix>,

    /// Also search the subfolders (default: yes).
    #[serde(default = "yes")]
    #[schemars(title = "Include subfolders")]
    pub recursive: bool,

    /// A pattern for the file name: `*` any characters, `?` one, `[abc]` one of them, e.g.
    /// `report-*.pdf` or `IMG_????.jpg`.
    #[serde(default)]
    #[schemars(title = "Name pattern", transform = glob_schema)]
    pub name_glob: Option<String>,

    /// Match the name pattern ignoring upper and lower case.
    #[serde(default)]
    #[schemars(title = "Ignore case")]
    pub ignore_case: bool,

    /// Only keys ending with this, e.g. `.csv` (case is ignored).
    #[serde(default)]
    #[schemars(title = "Ends with")]
    pub suffix: Option<String>,

    /// Only files at least this large, in bytes.
    #[serde(default)]
    #[schemars(title = "Minimum size (bytes)", transform = at_most_max_size)]
    pub min_size: Option<u64>,

    /// Only files at most this large, in bytes.
    #[serde(default)]
    #[schemars(title = "Maximum size (bytes)")]
    pub max_size: Option<u64>,

    /// Only files changed at or after this time (RFC 3339, e.g. `2026-01-01T00:00:00Z`).
    #[serde(default)]
    #[schemars(title = "Modified after", transform = connector_core::framework::validate::schema::rfc3339)]
    pub modified_after: Option<String>,

    /// Only files changed before this time (RFC 3339).
    #[serde(default)]
    #[schemars(title = "Modified before", transform = before_schema)]
    pub modified_before: Option<String>,

    /// Return at most this many files. Empty: all matches.
    #[serde(default)]
    #[schemars(title = "Limit", range(min = 1))]
    pub limit: Option<u64>,

    /// Continue a previous search: its `next_continuation_token` (with the same filters).
    #[serde(default)]
    #[schemars(title = "Continuation token")]
    pub continuation_token: Option<ContinuationToken>,
}

/// A name pattern `glob` reads: `*`, `?`, `[abc]`, `[!abc]` (no `**`: names have no folders).
fn glob_schema(schema: &mut schemars::Schema) {
    connector_core::framework::validate::schema::add(
        schema,
        serde_json::json!({
            "pattern": "^([^\\[*]|\\*|\\[(![\\s\\S]|[^!])[^\\]]*\\])*$",
            "not": {"type": "string", "pattern": "\\*\\*"},
        }),
    );
}

fn at_most_max_size(schema: &mut schemars::Schema) {
    connector_core::framework::validate::schema::note(schema, "At most max_size.");
}

fn before_schema(schema: &mut schemars::Schema) {
    connector_core::framework::validate::schema::rfc3339(schema);
    connector_core::framework::validate::schema::note(schema, "Later than modified_after.");
}

fn yes() -> bool {
    true
}

/// The files found.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SearchFilesOutput {
    /// The matching files, in key order.
    pub files: Vec<FileEntry>,
    /// Whether the search stopped at the limit before the end of the folder.
    pub truncated: bool,
    /// The token that continues this search, when `truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_continuation_token: Option<String>,
}

/// Searches files.
pub struct SearchFiles;

/// The filters, parsed once.
struct Filter {
    glob: Option<glob::Pattern>,
    match_options: glob::MatchOptions,
    suffix: Option<String>,
    min_size: u64,
    max_size: u64,
    after: Option<SystemTime>,
    before: Option<SystemTime>,
}

impl Filter {
    fn new(input: &SearchFilesInput) -> Result<Self> {
        let glob = input
            .name_glob
            .as_deref()
            .map(|pattern| {
                glob::Pattern::new(pattern).map_err(|err| {
                    Error::invalid_input(
                        "name_glob",
                        format!("{pattern:?} is not a valid name pattern: {}", err.msg),
                    )
                })
            })
            .transpose()?;
        let time = |field: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(|text| {
                    parse_rfc3339(text).ok_or_else(|| {
                        Error::invalid_input(
                            field,
                            format!("{text:?} is not a time like 2026-01-31T00:00:00Z"),
                        )
                    })
                })
                .transpose()
        };
        let filter = Filter {
            glob,
            match_options: glob::MatchOptions {
                case_sensitive: !input.ignore_case,
                ..glob::MatchOptions::new()
            },
            suffix: input.suffix.as_ref().map(|s| s.to_lowercase()),
            min_size: input.min_size.unwrap_or(0),
            max_size: input.max_size.unwrap_or(u64::MAX),
            after: time("modified_after", &input.modified_after)?,
            before: time("modified_before", &input.modified_before)?,
        };
        if filter.min_size > filter.max_size {
            return Err(Error::invalid_input(
                "min_size",
                "the minimum size is larger than the maximum size",
            ));
        }
        if let (Some(after), Some(before)) = (filter.after, filter.before)
            && after >= before
        {
            return Err(Error::invalid_input(
                "modified_before",
                "modified_before must be later than modified_after",
            ));
        }
        Ok(filter)
    }

    fn matches(&self, object: &ListedObject) -> bool {
        let name = keys::file_name(&object.key);
        let modified = object.last_modified.as_deref().and_then(parse_rfc3339);
        !object.key.ends_with('/')
            && self
                .glob
                .as_ref()
                .is_none_or(|glob| glob.matches_with(name, self.match_options))
            && self
                .suffix
                .as_ref()
                .is_none_or(|suffix| object.key.to_lowercase().ends_with(suffix))
            && (self.min_size..=self.max_size).contains(&object.size)
            && self
                .after
                .is_none_or(|after| modified.is_some_and(|m| m >= after))
            && self
                .before
                .is_none_or(|before| modified.is_some_and(|m| m < before))
    }
}

#[async_trait]
impl Module for SearchFiles {
    type Input = SearchFilesInput;
    type Output = SearchFilesOutput;
    const NAME: &'static str = "search_files";
    const LABEL: &'static str = "Search Files";
    const KIND: ModuleKind = ModuleKind::Search;
    const DESCRIPTION: &'static str = "Finds the files under a folder whose name matches a \
        pattern, within a size range or a time window.";
    const EFFECTS: Effects = Effects::READS;

    fn validate(&self, input: &SearchFilesInput) -> Result<()> {
        Filter::new(input).map(drop)
    }

    async fn run(&self, ctx: &Context, input: SearchFilesInput) -> Result<SearchFilesOutput> {
        let filter = Filter::new(&input)?;
        let (continuation_token, start_after) = match input.continuation_token.map(String::from) {
            Some(token) => match resume_after(&token) {
                Some(key) => (None, Some(key)),
                None => (Some(token), None),
            },
            None => (None, None),
        };
        let request = ListRequest {
            prefix: keys::folder_prefix(input.prefix.as_deref().unwrap_or("")),
            delimiter: (!input.recursive).then(|| "/".to_owned()),
            max_keys: listing::MAX_KEYS_PER_PAGE,
            continuation_token,
            start_after,
        };
        // Full pages are read whatever the limit (matches may be rare); when the limit is
        // reached inside a page, the search resumes after the last file returned.
        let mut files = Vec::new();
        let mut pages = Pages::new(ctx.client(), &input.bucket, request);
        let next = 'pages: loop {
            let Some(page) = pages.next().await? else {
                break None;
            };
            let last_page = page.next_continuation_token.is_none();
            let count = page.objects.len();
            for (index, object) in page.objects.into_iter().enumerate() {
                if !filter.matches(&object) {
                    continue;
                }
                let key = object.key.clone();
                files.push(FileEntry::from(object));
                if input.limit.is_some_and(|limit| files.len() as u64 >= limit) {
                    let at_end = last_page && index + 1 == count;
                    break 'pages (!at_end).then(|| resume_token(&key));
                }
            }
        };
        Ok(SearchFilesOutput {
            truncated: next.is_some(),
            next_continuation_token: next,
            files,
        })
    }
}

/// The prefix of the connector's own resume tokens (S3's tokens never start with it).
const RESUME_PREFIX: &str = "s3c-after:";

/// A token that resumes a search after `key`.
fn resume_token(key: &str) -> String {
    use base64::Engine as _;
    format!(
        "{RESUME_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
    )
}

/// The key a resume token continues after, if it is one.
fn resume_after(token: &str) -> Option<String> {
    use base64::Engine as _;
    let encoded = token.strip_prefix(RESUME_PREFIX)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .ok()?;
    String::from_utf8(bytes).ok()
}

register_module!(SearchFiles);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_tokens_round_trip() {
        let token = resume_token("a/ü b+c.txt");
        assert_eq!(resume_after(&token).as_deref(), Some("a/ü b+c.txt"));
        assert_eq!(
            resume_after("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="),
            None
        );
    }
}
