//! The s3-connector program as a library: the embedded local store, the manifest writer and
//! the demo, shared by the binary and the integration tests.

pub mod bounded_json;
pub mod demo;
pub mod exit_code;
pub mod local_store;
pub mod manifest;
pub mod mcp;
pub mod openapi;
pub mod progress;
pub mod serve;

use tracing_subscriber::filter::{EnvFilter, FilterExt, Targets};
use tracing_subscriber::layer::Filter;
use tracing_subscriber::registry::LookupSpan;

/// The most detailed logs of the libraries that print secrets in them, as log directives:
/// - the embedded store (s3s) dumps every request header at debug level: session tokens and
///   SSE-C keys;
/// - aws-sigv4 prints, at trace level, the request it signs with every header (SSE-C keys) and
///   the canonical request with its query (the session token of a presigned URL);
/// - aws-runtime prints, at trace level, values of the shared config files.
///
/// [`log_filter`] applies them as a filter of their own, which no directive can lift. (Appended
/// to an `EnvFilter`'s directives instead, a more specific directive would lift them, and they
/// would raise these targets to their cap when the rest logs less.)
pub const LOG_CAPS: &str = ",s3s=info,s3s_fs=info,aws_sigv4=info,aws_runtime=debug";

/// The log directives the user chose: `S3C_LOG`, else `RUST_LOG`, else `warn` (empty values
/// count as unset).
pub fn log_directives(s3c_log: Option<&str>, rust_log: Option<&str>) -> String {
    [s3c_log, rust_log]
        .into_iter()
        .flatten()
        .find(|value| !value.trim().is_empty())
        .unwrap_or("warn")
        .to_owned()
}

/// The caps of [`LOG_CAPS`] as a filter passing everything else.
pub fn log_caps() -> Targets {
    LOG_CAPS
        .trim_start_matches(',')
        .parse::<Targets>()
        .expect("LOG_CAPS are valid directives")
        .with_default(tracing::level_filters::LevelFilter::TRACE)
}

/// The filter of the program's logs: `directives` (`RUST_LOG` syntax), and the caps of
/// [`LOG_CAPS`] as a second filter every record must also pass. A directive only widens what
/// the first one lets through (`aws_sigv4=trace`, `aws_sigv4::http_request=trace`, a span or
/// field filter): the caps still hold.
pub fn log_filter<S>(directives: &str) -> impl Filter<S> + Send + Sync + 'static
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span>,
{
    EnvFilter::new(directives).and(log_caps())
}

/// Sends the program's logs to standard error, filtered by `S3C_LOG` (else `RUST_LOG`, else
/// `warn`) and capped by [`log_filter`].
pub fn init_logging() {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let directives = log_directives(
        std::env::var("S3C_LOG").ok().as_deref(),
        std::env::var("RUST_LOG").ok().as_deref(),
    );
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(log_filter(&directives)),
        )
        .init();
}

// The modules register themselves only if this crate refers to theirs.
pub use s3_modules;

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// What the program would log with `directives` when each capped library logs a secret
    /// at the levels it prints secrets at, inside a span, and when others log at trace.
    fn logged_with(directives: &str) -> String {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .with_filter(log_filter(directives)),
        );
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::trace_span!("request", secret = true);
            let _entered = span.enter();
            macro_rules! at_levels {
                ($($level:ident),*) => {$(
                    tracing::$level!(target: "aws_sigv4::http_request::sign", secret = "SECRET-VALUE", "signing");
                    tracing::$level!(target: "s3s::service", secret = "SECRET-VALUE", "request");
                    tracing::$level!(target: "s3s_fs::s3", secret = "SECRET-VALUE", "request");
                )*};
            }
            at_levels!(trace, debug);
            tracing::trace!(target: "aws_runtime::env_config::property", "SECRET-VALUE");
            tracing::trace!(target: "hyper_util::client", "visible trace");
            tracing::info!(target: "s3s::service", "visible info");
        });
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn no_directive_lifts_the_caps() {
        for directives in [
            "trace",
            "trace,aws_sigv4=trace,s3s=trace,s3s_fs=trace,aws_runtime=trace",
            "aws_sigv4::http_request::sign=trace,s3s::service=trace,s3s_fs::s3=trace,trace",
            "[request]=trace,trace",
            "[{secret}]=trace,trace",
            "[request{secret=true}]=trace",
        ] {
            let logged = logged_with(directives);
            assert!(!logged.contains("SECRET-VALUE"), "{directives}:\n{logged}");
        }
        let logged = logged_with("trace");
        assert!(logged.contains("visible trace"), "{logged}");
        assert!(logged.contains("visible info"), "{logged}");
        // The caps raise nothing: by default only warnings and errors are logged.
        assert_eq!(logged_with("warn"), "");
    }

    #[test]
    fn s3c_log_comes_first_then_rust_log() {
        assert_eq!(log_directives(Some("debug"), Some("trace")), "debug");
        assert_eq!(log_directives(None, Some("trace")), "trace");
        assert_eq!(log_directives(Some(" "), Some("trace")), "trace");
        assert_eq!(log_directives(None, None), "warn");
    }
}
