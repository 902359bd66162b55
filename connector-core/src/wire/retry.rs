//! When to try a request again, and how long to wait first: the AWS SDKs' "standard" mode
//! (3 attempts, full-jitter exponential backoff capped at 20 s, and a retry quota so a failing
//! endpoint is not hammered), and the correction of a skewed local clock.

use crate::error::{Error, ErrorKind};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

/// The retry quota's capacity, as in the AWS SDKs.
pub const QUOTA_CAPACITY: u32 = 500;
/// What a retry costs from the quota.
pub const RETRY_COST: u32 = 5;
/// What a retry after a timeout costs.
pub const TIMEOUT_RETRY_COST: u32 = 10;
/// A clock this far from the server's is corrected even when S3 only says the signature is wrong.
const SKEW_THRESHOLD: Duration = Duration::from_secs(4 * 60);

/// The tokens retries draw on, shared by every request of a client: when many requests fail,
/// retries stop until successes refill it.
#[derive(Debug)]
pub struct RetryQuota {
    tokens: AtomicU32,
}

impl Default for RetryQuota {
    fn default() -> Self {
        RetryQuota {
            tokens: AtomicU32::new(QUOTA_CAPACITY),
        }
    }
}

impl RetryQuota {
    /// Takes `cost` tokens for a retry; `false` (and nothing taken) when too few are left.
    pub fn try_acquire(&self, cost: u32) -> bool {
        self.tokens
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| t.checked_sub(cost))
            .is_ok()
    }

    /// A request succeeded: give back what its retry cost, or 1 token when it needed none.
    pub fn on_success(&self, retry_cost: Option<u32>) {
        let refund = retry_cost.unwrap_or(1);
        let _ = self
            .tokens
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some((t + refund).min(QUOTA_CAPACITY))
            });
    }

    /// The tokens left.
    pub fn available(&self) -> u32 {
        self.tokens.load(Ordering::SeqCst)
    }
}

/// What a retry after `err` costs.
pub fn retry_cost(err: &Error) -> u32 {
    if err.kind() == ErrorKind::Timeout {
        TIMEOUT_RETRY_COST
    } else {
        RETRY_COST
    }
}

/// The skew to apply to the signing clock (server time − local time), when `err` says the
/// request's time was refused: S3's time is taken from the answer's `Date`, against the
/// midpoint of sending and receiving.
pub fn clock_skew(
    err: &Error,
    server_date: Option<&str>,
    sent: SystemTime,
    received: SystemTime,
) -> Option<i64> {
    let server = crate::wire::headers::parse_http_date(server_date?)?;
    let midpoint = sent + received.duration_since(sent).unwrap_or_default() / 2;
    let skew_ms = match server.duration_since(midpoint) {
        Ok(ahead) => ahead.as_millis() as i64,
        Err(behind) => -(behind.duration().as_millis() as i64),
    };
    let time_refused = matches!(
        err.code(),
        Some("RequestTimeTooSkewed" | "RequestExpired" | "RequestInTheFuture")
    );
    let signature_refused = matches!(
        err.code(),
        Some("SignatureDoesNotMatch" | "InvalidSignatureException" | "AuthFailure")
    );
    let large = skew_ms.unsigned_abs() >= SKEW_THRESHOLD.as_millis() as u64;
    (time_refused || (signature_refused && large)).then_some(skew_ms)
}

/// How a client retries.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    max_attempts: u32,
    max_backoff: Duration,
}

impl RetryPolicy {
    /// The AWS SDKs' standard policy: 3 attempts in all, backoff capped at 20 s.
    pub fn standard() -> Self {
        RetryPolicy {
            max_attempts: 3,
            max_backoff: Duration::from_secs(20),
        }
    }

    /// The most attempts a request gets.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// A policy with another number of attempts (1 = never retry).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The delay before attempt `attempt + 1`, or `None` when the failure is final or the
    /// attempts are used up. Whether a failure is `retryable` is decided in one place,
    /// `wire::s3_error::is_retryable` (through [`Error::is_retryable`]). The delay is `rand(0,1) × min(2^(attempt-1) s, 20 s)`.
    pub fn delay_before_retry(&self, attempt: u32, retryable: bool) -> Option<Duration> {
        if !retryable || attempt >= self.max_attempts {
            return None;
        }
        let exp = Duration::from_secs(1u64 << (attempt - 1).min(16));
        Some(exp.min(self.max_backoff).mul_f64(fastrand::f64()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quota_runs_out_and_refills() {
        let quota = RetryQuota::default();
        let mut retries = 0;
        while quota.try_acquire(RETRY_COST) {
            retries += 1;
        }
        assert_eq!(retries, QUOTA_CAPACITY / RETRY_COST);
        assert!(!quota.try_acquire(RETRY_COST));
        quota.on_success(Some(RETRY_COST));
        assert!(quota.try_acquire(RETRY_COST));
        for _ in 0..1000 {
            quota.on_success(None);
        }
        assert_eq!(quota.available(), QUOTA_CAPACITY);
    }

    #[test]
    fn clock_skew_from_the_servers_date() {
        let now = SystemTime::now();
        let later = crate::wire::headers::to_http_date(now + Duration::from_secs(3600));
        let skewed = Error::new(ErrorKind::Auth, "x").with_s3(crate::error::S3ErrorBody {
            code: "RequestTimeTooSkewed".into(),
            ..Default::default()
        });
        let skew = clock_skew(&skewed, Some(&later), now, now).unwrap();
        assert!((skew - 3_600_000).abs() < 1000, "{skew}");
        let mismatch =
            Error::new(ErrorKind::SignatureMismatch, "x").with_s3(crate::error::S3ErrorBody {
                code: "SignatureDoesNotMatch".into(),
                ..Default::default()
            });
        assert!(clock_skew(&mismatch, Some(&later), now, now).is_some());
        let close = crate::wire::headers::to_http_date(now + Duration::from_secs(30));
        assert!(clock_skew(&mismatch, Some(&close), now, now).is_none());
        assert!(clock_skew(&skewed, None, now, now).is_none());
    }

    #[test]
    fn standard_mode() {
        let policy = RetryPolicy::standard();
        assert!(policy.delay_before_retry(1, false).is_none());
        assert!(policy.delay_before_retry(3, true).is_none());
        for _ in 0..100 {
            assert!(policy.delay_before_retry(1, true).unwrap() <= Duration::from_secs(1));
            assert!(policy.delay_before_retry(2, true).unwrap() <= Duration::from_secs(2));
        }
        let long = RetryPolicy::standard().with_max_attempts(30);
        for _ in 0..100 {
            assert!(long.delay_before_retry(20, true).unwrap() <= Duration::from_secs(20));
        }
    }
}
