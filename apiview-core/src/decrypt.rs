//! `decode_encrypted_data` and `rsa_decrypt` on the request path. RSA private-key
//! work runs on the blocking pool, never on the async workers.
//!
//! Every decryption failure answers the same `BadParameter` ("cannot be decrypted"),
//! whatever the cause (bad base64, wrong size, wrong key, tampered data, not JSON):
//! the cause goes to the debug log, not to the client.

use std::sync::Arc;

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
    BizError::bad_parameter_because(field, "cannot be decrypted")
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

async fn on_blocking_pool<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, BizError> {
    let _slot = rsa_slots().acquire().await.map_err(|_| BizError::sys_error())?;
    tokio::task::spawn_blocking(work).await.map_err(|err| {
        tracing::error!(%err, "decryption task failed");
        BizError::sys_error()
    })
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
        Body::Json(Value::Object(fields)) => {
            let has = |name: &str| fields.contains_key(name);
            let text = |name: &str| match fields.get(name) {
                Some(Value::String(text)) => Some(text.clone()),
                _ => None,
            };
            match (text(PASSWORD), text(DATA)) {
                (Some(password), Some(data)) => {
                    let mut rest = fields.clone();
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
    let plaintext = on_blocking_pool(move || {
        let aes_key = cipher::decrypt_key(&key, &password)?;
        cipher::open(&aes_key, &data)
    })
    .await?
    .map_err(|err| undecryptable(DATA, err))?;
    let decrypted: Map<String, Value> = match serde_json::from_slice(&plaintext) {
        Ok(Value::Object(fields)) => fields,
        _ => return Err(undecryptable(DATA, "the plaintext is not a JSON object")),
    };
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
/// server key (or the key named in the attribute). Absent stays absent.
pub async fn rsa_decrypt_field(
    call: &Call,
    name: &str,
    source: &Source,
    key_path: Option<&str>,
) -> Result<Option<String>, BizError> {
    let blob = match call.request.get(source) {
        None => return Ok(None),
        Some(RawValue::Text(text)) => text.to_owned(),
        Some(RawValue::Json(Value::String(text))) => text.clone(),
        Some(RawValue::Json(Value::Null)) => return Ok(None),
        Some(_) => return Err(undecryptable(name, "not a base64 string")),
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
    let plain = on_blocking_pool(move || cipher::rsa_decrypt(&key, &blob))
        .await?
        .map_err(|err| undecryptable(name, err))?;
    String::from_utf8(plain)
        .map(Some)
        .map_err(|_| undecryptable(name, "the plaintext is not UTF-8"))
}
