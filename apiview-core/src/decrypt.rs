//! `decode_encrypted_data` and `rsa_decrypt` on the request path. RSA private-key
//! work runs on the blocking pool, never on the async workers.
//!
//! Every decryption failure answers the same `BadParameter` ("cannot be decrypted"),
//! whatever the cause (bad base64, wrong size, wrong key, bad padding, tampered
//! data, not JSON, not UTF-8), and costs the same work: the RSA layer always runs in
//! full (see [`cipher::rsa_decrypt`]), the AES layer runs even when the RSA layer
//! failed, and the answer is not sent before a time floor (see `padded`). This is
//! the mitigation of RUSTSEC-2023-0071 ("Marvin") described in SECURITY.md.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rsa::RsaPrivateKey;
use serde_json::{Map, Value};

use crate::cipher;
use crate::endpoint::Call;
use crate::error::BizError;
use crate::request::{Body, RawValue, Source};

const PASSWORD: &str = "encryptedPassword";
const DATA: &str = "encryptedData";

fn undecryptable(field: &str, cause: impl std::fmt::Display) -> BizError {
    tracing::debug!(field, %cause, "request does not decrypt");
    BizError::bad_parameter_for(field, crate::error::reasons::UNDECRYPTABLE)
}

/// RSA decryptions running at once: one fewer than the cores (at least one), so
/// that a flood of encrypted requests always leaves a core to the async workers
/// and the other endpoints' latency stays bounded.
fn rsa_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        tokio::sync::Semaphore::new(cores.saturating_sub(1).max(1))
    })
}

/// A decaying maximum of recent decryption times, in microseconds: each new time
/// replaces it if larger, else it shrinks by 1/32.
static SLOWEST_RECENT_US: AtomicU64 = AtomicU64::new(0);

/// Answers to decryptions are held back to twice the slowest recent decryption,
/// rounded up to a whole millisecond, so that their timing follows the load of the
/// machine rather than the input; at most this long, so that one stall does not
/// slow every later answer.
const MAX_FLOOR: Duration = Duration::from_millis(250);

fn floor() -> Duration {
    let slowest = SLOWEST_RECENT_US.load(Ordering::Relaxed);
    Duration::from_millis((2 * slowest).div_ceil(1000)).min(MAX_FLOOR)
}

fn record(took: Duration) {
    let took = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
    let _ = SLOWEST_RECENT_US.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |slowest| {
        Some(took.max(slowest - slowest / 32))
    });
}

/// Runs a decryption on the blocking pool (within [`rsa_slots`]) and returns its
/// result no sooner than the floor after it started, successes and failures alike.
///
/// Why: the RSA arithmetic of the `rsa` crate is not constant-time
/// (RUSTSEC-2023-0071); blinding keeps the exponentiation's timing from following
/// the ciphertext, but small differences between inputs that unpad and inputs that
/// do not can remain. Nanosecond-scale
/// differences vanish under a floor several times longer than the work itself. The
/// floor is a sleep on the timer after the slot is released: it costs latency, not
/// CPU. The floor is read before the work and learnt from the work of earlier
/// requests, so it does not depend on this request's input.
async fn padded<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, BizError> {
    let slot = rsa_slots().acquire().await.map_err(|_| BizError::sys_error())?;
    let started = Instant::now();
    let floor = floor();
    let result = tokio::task::spawn_blocking(work).await;
    drop(slot);
    record(started.elapsed());
    tokio::time::sleep_until((started + floor).into()).await;
    result.map_err(|err| {
        tracing::error!(%err, "decryption task failed");
        BizError::sys_error()
    })
}

/// Decrypts `{encryptedPassword, encryptedData}` to a JSON object, with one error
/// for every failure. The AES layer runs even when the RSA layer failed (under a
/// stand-in key), so the work does not depend on which layer refused.
fn open_body(key: &RsaPrivateKey, password: &str, data: &str) -> Result<Map<String, Value>, &'static str> {
    let aes_key = cipher::decrypt_key(key, password);
    let opened = cipher::open(aes_key.as_ref().unwrap_or(&[0; cipher::KEY_LEN]), data);
    match (aes_key, opened) {
        (Ok(_), Ok(plaintext)) => match serde_json::from_slice(&plaintext) {
            Ok(Value::Object(fields)) => Ok(fields),
            _ => Err("the plaintext is not a JSON object"),
        },
        _ => Err("the RSA or the AES layer does not decrypt"),
    }
}

/// The body with `{encryptedPassword, encryptedData}` replaced by the decrypted
/// fields (which win over plain fields of the same name). `Ok(None)`: the body is
/// not encrypted, which only an endpoint that asked for decryption (`explicit`)
/// refuses.
pub(crate) async fn decode_body(
    body: &Body,
    key: Arc<RsaPrivateKey>,
    explicit: bool,
) -> Result<Option<Body>, BizError> {
    let (password, data, rest): (String, String, Map<String, Value>) = match body {
        Body::Object(object) => {
            let has = |name: &str| object.get(name).is_some();
            let text = |name: &str| object.get(name)?.as_str().map(str::to_owned);
            match (text(PASSWORD), text(DATA)) {
                (Some(password), Some(data)) => {
                    let mut rest = object.to_map();
                    rest.remove(PASSWORD);
                    rest.remove(DATA);
                    (password, data, rest)
                }
                (password, _) => {
                    let unreadable = if password.is_none() { PASSWORD } else { DATA };
                    return incomplete(explicit, has(PASSWORD), has(DATA), unreadable);
                }
            }
        }
        Body::Form(pairs) => {
            let has = |name: &str| pairs.iter().any(|(key, _)| key == name);
            let text = |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value.clone())
            };
            match (text(PASSWORD), text(DATA)) {
                (Some(password), Some(data)) => {
                    let rest = pairs
                        .iter()
                        .filter(|(key, _)| key != PASSWORD && key != DATA)
                        .map(|(key, value)| (key.clone(), Value::String(value.clone())))
                        .collect();
                    (password, data, rest)
                }
                (password, _) => {
                    let unreadable = if password.is_none() { PASSWORD } else { DATA };
                    return incomplete(explicit, has(PASSWORD), has(DATA), unreadable);
                }
            }
        }
        _ => return incomplete(explicit, false, false, PASSWORD),
    };
    let decrypted = padded(move || open_body(&key, &password, &data))
        .await?
        .map_err(|cause| undecryptable(DATA, cause))?;
    let mut merged = rest;
    merged.extend(decrypted);
    Ok(Some(Body::Json(Value::Object(merged))))
}

/// A body without both encrypted fields as strings. A plain body passes on an
/// endpoint that decrypts automatically; half an encrypted body never does.
fn incomplete(
    explicit: bool,
    has_password: bool,
    has_data: bool,
    unreadable: &str,
) -> Result<Option<Body>, BizError> {
    match (has_password, has_data) {
        (false, false) if !explicit => Ok(None),
        (false, _) => Err(BizError::missing_parameter(PASSWORD)),
        (true, false) => Err(BizError::missing_parameter(DATA)),
        (true, true) => Err(undecryptable(unreadable, "not a string")),
    }
}

/// `#[rsa_decrypt(field)]`: the field's base64 RSA blob, decrypted to text with the
/// server key (or the key named in the attribute). Absent (or JSON `null`) stays
/// absent.
///
/// Every failure, whatever the value (not a string, not base64, wrong length, bad
/// padding, not UTF-8), is `BadParameter(field)` "cannot be decrypted", after the
/// same RSA work and the same answer-time floor as a success.
///
/// ```
/// use apiview_core::decrypt::rsa_decrypt_field;
/// use apiview_core::endpoint::Call;
/// use apiview_core::{BizError, Source};
///
/// // What #[rsa_decrypt(password)] runs before the function.
/// async fn password(call: &Call, source: &Source) -> Result<Option<String>, BizError> {
///     rsa_decrypt_field(call, "password", source, None).await
/// }
/// # let _ = password;
/// ```
pub async fn rsa_decrypt_field(
    call: &Call,
    name: &str,
    source: &Source,
    key_path: Option<&str>,
) -> Result<Option<String>, BizError> {
    // A value that is not a string is decrypted as an empty blob: it fails like any
    // malformed blob, after the same work.
    let blob = match call.request.get(source) {
        None | Some(RawValue::Json(Value::Null)) => return Ok(None),
        Some(value) => value.as_str().unwrap_or_default().to_owned(),
    };
    let key = match key_path {
        None => call.runtime.server_key.clone(),
        Some(path) => call.runtime.rsa_keys.get(path).cloned(),
    }
    .ok_or_else(|| {
        tracing::error!(
            field = name,
            "#[rsa_decrypt] has no key loaded; the App checks this at start-up"
        );
        BizError::sys_error()
    })?;
    padded(move || {
        cipher::rsa_decrypt(&key, &blob)
            .ok()
            .and_then(|plaintext| String::from_utf8(plaintext).ok())
    })
    .await?
    .map(Some)
    .ok_or_else(|| undecryptable(name, "not an RSA blob that decrypts to UTF-8 text"))
}
