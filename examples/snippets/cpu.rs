//! CPU-heavy work (password hashing, highlighting) on the blocking pool, a few at a
//! time: a flood of such requests queues instead of taking every core, and the
//! blocking pool's hundreds of threads, for itself.

use apiview::BizError;
use tokio::sync::Semaphore;

/// Runs `work` on the blocking pool once one of `slots` is free, and keeps the slot until
/// `work` ends, even if the caller stops waiting: a request dropped while its hash runs
/// (an HTTP/2 stream reset, a timeout) must not make room for more work beside it.
pub async fn on_blocking_pool<T: Send + 'static>(
    slots: &'static Semaphore,
    what: &'static str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, BizError> {
    let permit = slots.acquire().await.map_err(|_| BizError::sys_error())?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    })
    .await
    .map_err(|err| {
        tracing::error!(%err, what, "work on the blocking pool failed");
        BizError::sys_error()
    })
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use super::*;

    /// Regression: the slot was the waiting future's, so a request dropped while its
    /// hash ran freed it, and another hash started beside the one still running.
    #[tokio::test]
    async fn a_dropped_caller_keeps_its_slot_until_its_work_ends() {
        static SLOTS: Semaphore = Semaphore::const_new(1);
        let (started, has_started) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        let caller = tokio::spawn(on_blocking_pool(&SLOTS, "a test", move || {
            started.send(()).unwrap();
            released.recv().unwrap();
        }));
        tokio::task::spawn_blocking(move || has_started.recv().unwrap())
            .await
            .unwrap();
        caller.abort();
        assert!(caller.await.unwrap_err().is_cancelled());
        assert_eq!(SLOTS.available_permits(), 0, "the work still runs");

        release.send(()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while SLOTS.available_permits() == 0 {
            assert!(Instant::now() < deadline, "the slot was not given back");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
