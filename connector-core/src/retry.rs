//! When to try a request again, and how long to wait first: the AWS SDKs' "standard" mode
//! (3 attempts, full-jitter exponential backoff capped at 20 s).

use http::StatusCode;
use std::time::Duration;

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

    /// A policy with another number of attempts (1 = never retry).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Statuses worth another try: throttling and transient server failures.
    pub fn is_retryable_status(&self, status: StatusCode) -> bool {
        matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
    }

    /// The delay before attempt `attempt + 1`, or `None` when the failure is final or the
    /// attempts are used up. The delay is `rand(0,1) × min(2^(attempt-1) s, 20 s)`.
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
        assert!(policy.is_retryable_status(StatusCode::SERVICE_UNAVAILABLE));
        assert!(!policy.is_retryable_status(StatusCode::FORBIDDEN));
    }
}
