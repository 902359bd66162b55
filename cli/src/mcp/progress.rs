//! Transfer progress as MCP progress notifications: the bytes moved so far, at most four
//! notifications a second, only when they grew (MCP: progress must increase; senders should
//! limit their rate).

use connector_core::ops::transfer::Progress;
use rmcp::Peer;
use rmcp::RoleServer;
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How often, at most, a notification goes out.
const INTERVAL: Duration = Duration::from_millis(250);

/// What the transfers of one call have moved (a call may make several, e.g. a copy then a
/// delete): bytes counted across all of them, so the progress never goes back.
#[derive(Default)]
pub struct McpProgress {
    bytes: AtomicU64,
    state: Mutex<Stage>,
}

#[derive(Default, Clone)]
struct Stage {
    /// Bytes to move in total, as far as known.
    total: Option<u64>,
    /// What is being moved.
    what: String,
}

impl Progress for McpProgress {
    fn start(&self, what: &str, total: Option<u64>) {
        let before = self.bytes.load(Ordering::Relaxed);
        let mut stage = self.state.lock().unwrap_or_else(|e| e.into_inner());
        stage.total = total.map(|t| before + t);
        stage.what = what.to_owned();
    }

    fn advance(&self, bytes: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    fn finish(&self) {}
}

impl McpProgress {
    /// The notification to send if the bytes grew past `sent`, with the new count.
    fn next(&self, token: &ProgressToken, sent: u64) -> Option<(ProgressNotificationParam, u64)> {
        let bytes = self.bytes.load(Ordering::Relaxed);
        if bytes <= sent {
            return None;
        }
        let stage = self.state.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut param = ProgressNotificationParam::new(token.clone(), bytes as f64);
        if let Some(total) = stage.total {
            param = param.with_total(total.max(bytes) as f64);
        }
        if !stage.what.is_empty() {
            param = param.with_message(stage.what);
        }
        Some((param, bytes))
    }

    /// Sends notifications to `peer` until the future is dropped (when the call ends).
    pub async fn report(&self, peer: Peer<RoleServer>, token: ProgressToken) {
        let mut sent = 0;
        let mut ticks = tokio::time::interval(INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Some((param, bytes)) = self.next(&token, sent) {
                if peer.notify_progress(param).await.is_err() {
                    // The client is gone; the call ends on its own.
                    return;
                }
                sent = bytes;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::NumberOrString;
    use std::sync::Arc;

    #[test]
    fn progress_only_grows_across_transfers() {
        let progress = McpProgress::default();
        let token = ProgressToken(NumberOrString::Number(1));
        assert!(progress.next(&token, 0).is_none(), "nothing moved yet");
        progress.start("upload a.bin", Some(100));
        progress.advance(40);
        let (param, sent) = progress.next(&token, 0).unwrap();
        assert_eq!((param.progress, param.total), (40.0, Some(100.0)));
        assert_eq!(param.message.as_deref(), Some("upload a.bin"));
        assert!(
            progress.next(&token, sent).is_none(),
            "no growth, no notification"
        );
        progress.advance(60);
        progress.finish();
        // A second transfer counts on from the first.
        progress.start("delete", Some(10));
        progress.advance(5);
        let (param, _) = progress.next(&token, sent).unwrap();
        assert_eq!((param.progress, param.total), (105.0, Some(110.0)));
        let _: Arc<dyn Progress> = Arc::new(progress);
    }
}
