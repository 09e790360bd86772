//! Passwords, stored as Argon2id hashes (the `argon2` crate's defaults: 19 MiB,
//! two passes), hashed and checked on the blocking pool, at most two at a time: each
//! costs tens of milliseconds and its memory, and a flood of logins must queue rather
//! than take the server's memory and every core.

use apiview::BizError;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use tokio::sync::Semaphore;

use crate::cpu::on_blocking_pool;

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

/// The PHC string of `password`'s hash, with a fresh salt.
pub async fn hash(password: String) -> Result<String, BizError> {
    on_blocking_pool(&HASHING, "password hashing", move || {
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
    on_blocking_pool(&HASHING, "password hashing", move || {
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
