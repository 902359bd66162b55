//! Clean-up work that outlives the operation it belongs to. When an operation is stopped half-way
//! (its future dropped: a timeout, Ctrl-C), what it leaves on the server, such as an open
//! multipart upload, is undone by a task started here. A program about to exit calls [`finish`]
//! so that those tasks get to run before the process ends.

use std::future::Future;
use std::sync::LazyLock;
use std::time::Duration;
use tokio_util::task::TaskTracker;

static TASKS: LazyLock<TaskTracker> = LazyLock::new(TaskTracker::new);

/// Runs `task` in the background on the current Tokio runtime, tracked so that [`finish`] waits
/// for it. Returns `false` (and drops the task) outside a runtime.
pub fn spawn(task: impl Future<Output = ()> + Send + 'static) -> bool {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            TASKS.spawn_on(task, &runtime);
            true
        }
        Err(_) => false,
    }
}

/// Waits until every clean-up task has ended, at most `within`. Returns `false` when some were
/// still running. Meant for the end of a program: tasks started later are still run, and waited
/// for by the next call.
pub async fn finish(within: Duration) -> bool {
    TASKS.close();
    let done = tokio::time::timeout(within, TASKS.wait()).await.is_ok();
    TASKS.reopen();
    done
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[tokio::test]
    async fn finish_waits_for_started_tasks() {
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        assert!(spawn(async move {
            let _ = released.await;
            flag.store(true, Ordering::SeqCst);
        }));
        // Not finished while the task waits; finished once it could end.
        assert!(!finish(Duration::ZERO).await);
        release.send(()).unwrap();
        assert!(finish(Duration::from_secs(30)).await);
        assert!(done.load(Ordering::SeqCst));
    }

    #[test]
    fn outside_a_runtime_nothing_is_started() {
        assert!(!spawn(async {}));
    }
}
