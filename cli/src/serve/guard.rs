//! Who may call the service, and what a browser may do with its answers.

use super::AppState;
use super::api::ApiError;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use connector_core::{Error, ErrorKind};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// With a token configured, every API request must carry `Authorization: Bearer TOKEN`
/// (compared in constant time). Without one (loopback only), requests must name the service by
/// a loopback host and come from no other web origin: a web page elsewhere cannot reach it
/// through DNS rebinding or a cross-site request.
pub(super) async fn require_token(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let refuse = |message: &str| {
        ApiError::from(Error::new(ErrorKind::Auth, message).with_field("authorization"))
            .into_response()
    };
    match &state.token {
        Some(token) => {
            let given = request
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            let same: bool = given.as_bytes().ct_eq(token.as_bytes()).into();
            if !same {
                return refuse("send Authorization: Bearer TOKEN (the service's token)");
            }
        }
        None => {
            let header_text = |name| request.headers().get(name).and_then(|v| v.to_str().ok());
            // HTTP/2 names the host in the `:authority` pseudo-header, which arrives as the
            // URI's authority; HTTP/1.1 in `Host`.
            let host =
                header_text(header::HOST).or_else(|| request.uri().authority().map(|a| a.as_str()));
            let host_ok = host.is_some_and(is_loopback_authority);
            let origin_ok = header_text(header::ORIGIN).is_none_or(|origin| {
                origin
                    .strip_prefix("http://")
                    .or_else(|| origin.strip_prefix("https://"))
                    .is_some_and(is_loopback_authority)
            });
            if !host_ok || !origin_ok {
                return refuse(
                    "this service answers only requests addressed to it by a loopback name \
                     (127.0.0.1, localhost, [::1]); to serve others, start it with --token",
                );
            }
        }
    }
    next.run(request).await
}

/// `127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT` (the port optional).
fn is_loopback_authority(authority: &str) -> bool {
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !host.ends_with(':') => {
            host
        }
        _ => authority,
    };
    matches!(host, "localhost" | "[::1]")
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The page loads only its own script and stylesheet and talks only to this service; no other
/// site may frame it (clickjacking) and no answer is sniffed as another type. No inline or
/// foreign script runs; `'unsafe-eval'` stays because the form's validator (Ajv) compiles each
/// module's schema into a function at run time.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'unsafe-eval'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
    form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Adds the browser-facing security headers to every answer.
pub(super) async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_authorities() {
        for good in [
            "127.0.0.1:8080",
            "localhost:1",
            "localhost",
            "[::1]:9",
            "127.0.0.2:80",
        ] {
            assert!(is_loopback_authority(good), "{good}");
        }
        for bad in [
            "attacker.example",
            "attacker.example:8080",
            "10.0.0.1:80",
            "localhost.evil.com",
            "::1",
        ] {
            assert!(!is_loopback_authority(bad), "{bad}");
        }
    }
}
