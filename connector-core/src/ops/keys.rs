//! Object keys as folders and file names: the conventions S3 consoles use for `/`.

/// The key of `file_name` inside `folder` (`work/docs` + `a.txt` → `work/docs/a.txt`). An empty
/// folder means the top of the bucket; a trailing `/` on the folder is not doubled.
pub fn join(folder: &str, file_name: &str) -> String {
    if folder.is_empty() {
        file_name.to_owned()
    } else if folder.ends_with('/') {
        format!("{folder}{file_name}")
    } else {
        format!("{folder}/{file_name}")
    }
}

/// A folder path as a listing prefix: `photos` → `photos/`; empty stays empty (whole bucket).
pub fn folder_prefix(folder: &str) -> String {
    if folder.is_empty() || folder.ends_with('/') {
        folder.to_owned()
    } else {
        format!("{folder}/")
    }
}

/// The last segment of a key: its file name (`photos/a.jpg` → `a.jpg`; `photos/2019/` → `2019`).
pub fn file_name(key: &str) -> &str {
    let trimmed = key.strip_suffix('/').unwrap_or(key);
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_and_names() {
        assert_eq!(join("", "a.txt"), "a.txt");
        assert_eq!(
            join("work/Ibexa Connect", "a.txt"),
            "work/Ibexa Connect/a.txt"
        );
        assert_eq!(join("work/", "a.txt"), "work/a.txt");
        assert_eq!(folder_prefix("photos"), "photos/");
        assert_eq!(folder_prefix("photos/"), "photos/");
        assert_eq!(folder_prefix(""), "");
        assert_eq!(file_name("photos/2019/a.jpg"), "a.jpg");
        assert_eq!(file_name("photos/2019/"), "2019");
        assert_eq!(file_name("a.jpg"), "a.jpg");
    }
}
