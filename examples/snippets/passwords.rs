//! Passwords, stored as Argon2id hashes (the `argon2` crate's defaults: 19 MiB,
//! two passes), hashed and checked on the blocking pool, at most two at a time: each
//! costs tens of milliseconds and its memory, and a flood of logins must queue rather
//! than take the server's memory and every core.

use apiview::BizError;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use tokio::sync::Semaphore;

/// Hashings running at once.
static HASHING: Semaphore = Semaphore::const_new(2);

/// A hash of an unknown password, checked when the user does not exist, so that an
/// unknown name takes as long as a wrong password.
static DUMMY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(b"no user has this password", &salt)
        .map(|hash| hash.to_string())
        .unwrap_or_default()
});

/// Runs `work` on the blocking pool once one of `slots` is free, and keeps the slot until
/// `work` ends, even if the caller stops waiting: a request dropped while its hash runs
/// (an HTTP/2 stream reset, a timeout) must not make room for another hash beside it.
async fn on_blocking_pool<T: Send + 'static>(
    slots: &'static Semaphore,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, BizError> {
    let permit = slots.acquire().await.map_err(|_| BizError::sys_error())?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    })
    .await
    .map_err(|err| {
        tracing::error!(%err, "password hashing failed");
        BizError::sys_error()
    })
}

/// The PHC string of `password`'s hash, with a fresh salt.
pub async fn hash(password: String) -> Result<String, BizError> {
    on_blocking_pool(&HASHING, move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
    })
    .await?
    .map_err(|err| {
        tracing::error!(%err, "password hashing failed");
        BizError::sys_error()
    })
}

/// Whether `password` matches `hash`; with no hash (no such user), a check against a
/// dummy that takes as long and answers `false`.
pub async fn verify(password: String, hash: Option<String>) -> Result<bool, BizError> {
    on_blocking_pool(&HASHING, move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| DUMMY.clone());
        let matches = PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        known && matches
    })
    .await
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
        let caller = tokio::spawn(on_blocking_pool(&SLOTS, move || {
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
