//! The CLI's process exit codes: one per error kind, so a script can branch on the code alone.
//! (The HTTP service maps the same kinds to statuses, in `serve::api::status_of`.)

use connector_core::ErrorKind;

/// The exit code for a failure of `kind` (0 is success; 1 is kept for usage errors).
pub fn exit_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::InvalidInput => 2,
        ErrorKind::Auth => 3,
        ErrorKind::SignatureMismatch => 4,
        ErrorKind::AccessDenied => 5,
        ErrorKind::NotFound => 6,
        ErrorKind::Conflict => 7,
        ErrorKind::Throttled => 8,
        ErrorKind::Server => 9,
        ErrorKind::Network => 10,
        ErrorKind::Timeout => 11,
        // 128 + SIGINT, as shells report a program stopped by Ctrl-C.
        ErrorKind::Cancelled => 130,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_distinct_exit_codes() {
        let mut codes: Vec<u8> = ErrorKind::ALL.iter().map(|k| exit_code(*k)).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), ErrorKind::ALL.len());
        assert!(!codes.contains(&0) && !codes.contains(&1));
    }
}
