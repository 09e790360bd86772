//! `decode_encrypted_data`, `rsa_decrypt` and the signed requests of safe endpoints
//! (DESIGN §19) on the request path. RSA private-key work runs on the blocking pool,
//! never on the async workers, and only after the checks that need none (the aclkey,
//! and for a safe endpoint the client's signature).
//!
//! Every decryption failure answers the same `BadParameter` ("cannot be decrypted"),
//! whatever the cause (bad base64, wrong size, wrong key, bad padding, tampered
//! data, not JSON, not UTF-8), and costs the same work: the RSA layer always runs in
//! full (see [`cipher::rsa_decrypt`]), the AES layer runs even when the RSA layer
//! failed, and the answer is not sent before a time floor (see `padded`). This is
//! the mitigation of RUSTSEC-2023-0071 ("Marvin") described in SECURITY.md.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rsa::RsaPrivateKey;
use serde_json::{Map, Value};
use sha2::Digest;

use super::Call;
use crate::cache::{push_key_part, Cache};
use crate::cipher::{self, RsaPaddings};
use crate::error::{reasons, BizError};
use crate::meta::Source;
use crate::packer::ClientKeyStore;
use crate::request::{ApiRequest, Body, RawValue};

const PASSWORD: &str = "encryptedPassword";
const DATA: &str = "encryptedData";
const SIGNATURE: &str = "signature";
const TS: &str = "ts";
const NONCE: &str = "nonce";
/// Characters of a nonce, at least and at most.
const NONCE_CHARS: std::ops::RangeInclusive<usize> = 16..=128;

/// How an endpoint treats an `{encryptedPassword, encryptedData}` body.
pub(crate) enum Decode {
    /// It takes the body as it is.
    Off,
    /// `#[decode_encrypted_data]` without the safe packer: the body is decrypted,
    /// which keeps it secret, and that is all (no proof of who sent it; the answer is
    /// not encrypted either). A plain body is refused.
    Plain,
    /// A safe endpoint (DESIGN §19): the body is signed by a known client, bound to
    /// the method and path, fresh, and accepted once. `explicit`
    /// (`#[decode_encrypted_data]`): a plain body is refused.
    Signed {
        explicit: bool,
        requests: Arc<SignedRequests>,
    },
}

/// What checks the requests to safe endpoints: built once per App.
pub(crate) struct SignedRequests {
    pub(crate) keys: Arc<dyn ClientKeyStore>,
    pub(crate) client_id_field: String,
    /// `safe.replay_window_s`.
    pub(crate) window_s: u64,
    /// The backend of `safe.replay_backend`, which remembers nonces.
    pub(crate) replay: Cache,
}

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
/// stand-in key), so the work does not depend on which layer refused. `aad`: the
/// associated data of a signed request.
fn open_body(
    key: &RsaPrivateKey,
    password: &str,
    data: &str,
    aad: Option<&[u8]>,
) -> Result<Map<String, Value>, &'static str> {
    let aes_key = cipher::decrypt_key(key, password);
    let stand_in = aes_key.as_ref().unwrap_or(&[0; cipher::KEY_LEN]);
    let opened = match aad {
        Some(aad) => cipher::open_with_aad(stand_in, data, aad),
        None => cipher::open(stand_in, data),
    };
    match (aes_key, opened) {
        (Ok(_), Ok(plaintext)) => match serde_json::from_slice(&plaintext) {
            Ok(Value::Object(fields)) => Ok(fields),
            _ => Err("the plaintext is not a JSON object"),
        },
        _ => Err("the RSA or the AES layer does not decrypt"),
    }
}

/// An encrypted body's two fields and the plain fields beside them.
struct Encrypted {
    password: String,
    data: String,
    rest: Map<String, Value>,
}

/// The encrypted fields of a body. `Ok(None)`: the body is not encrypted, which only
/// an endpoint that asked for decryption (`explicit`) refuses.
fn split(body: &Body, explicit: bool) -> Result<Option<Encrypted>, BizError> {
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
    Ok(Some(Encrypted { password, data, rest }))
}

/// `#[decode_encrypted_data]` without the safe packer: the body with
/// `{encryptedPassword, encryptedData}` replaced by the decrypted fields (which win
/// over plain fields of the same name). `Ok(None)`: the body is not encrypted.
pub(crate) async fn decode_body(
    body: &Body,
    key: Arc<RsaPrivateKey>,
    explicit: bool,
) -> Result<Option<Body>, BizError> {
    let Some(Encrypted { password, data, rest }) = split(body, explicit)? else {
        return Ok(None);
    };
    let decrypted = padded(move || open_body(&key, &password, &data, None))
        .await?
        .map_err(|cause| undecryptable(DATA, cause))?;
    let mut merged = rest;
    merged.extend(decrypted);
    Ok(Some(Body::Json(Value::Object(merged))))
}

/// A request to a safe endpoint (DESIGN §19), checked in this order:
/// 1. the outer client id (query, header or plain body field) names a known client;
/// 2. `signature` verifies with that client's public key over
///    `encryptedPassword.encryptedData` — public-key work only, before any
///    private-key work, so that only bodies a registered client signed are decrypted;
/// 3. the body decrypts, with the method and path as AES-GCM associated data;
/// 4. the client id inside equals the outer one (a client re-signing another's
///    body fails here);
/// 5. `ts` is within `safe.replay_window_s` of now, either way;
/// 6. `nonce` was not seen (for this client) within twice the window, and is
///    remembered now, atomically, in the replay backend; a backend failure refuses
///    the request.
///
/// Returns the body with the decrypted fields merged (they win over plain ones);
/// `Ok(None)`: the body is not encrypted (a plain request, unauthenticated).
pub(crate) async fn decode_signed(
    request: &ApiRequest,
    key: Arc<RsaPrivateKey>,
    explicit: bool,
    checks: &SignedRequests,
) -> Result<Option<Body>, BizError> {
    let Some(Encrypted {
        password,
        data,
        mut rest,
    }) = split(request.body(), explicit)?
    else {
        return Ok(None);
    };
    let client = request
        .field(&checks.client_id_field)
        .and_then(|value| value.as_str())
        .filter(|client| !client.is_empty())
        .ok_or_else(BizError::app_auth_failed)?
        .to_owned();
    let public = checks.keys.public_key(&client).ok_or_else(|| {
        tracing::debug!(client, "signed request: unknown client");
        BizError::app_auth_failed()
    })?;
    let signature = match request.field(SIGNATURE) {
        Some(value) if value.is_filled() => value.as_str().unwrap_or_default().to_owned(),
        _ => return Err(BizError::missing_parameter(SIGNATURE)),
    };
    rest.remove(SIGNATURE);
    cipher::verify_request(&public, &password, &data, &signature).map_err(|err| {
        tracing::debug!(client, %err, "signed request: bad signature");
        BizError::bad_parameter_for(SIGNATURE, reasons::BAD_SIGNATURE)
    })?;
    // A replayed blob is refused here, before any private-key work: replaying one
    // captured request must not buy the sender a decryption each time. (A client can
    // make a new blob of the same plaintext; the nonce inside catches that.)
    let digest = sha2::Sha256::digest(signature.as_bytes());
    let mut blob = String::with_capacity(64);
    for byte in digest {
        let _ = write!(blob, "{byte:02x}");
    }
    remember(checks, "signed", &client, &blob).await?;
    let aad = cipher::request_aad(
        request.method().as_str(),
        request.poem_request().original_uri().path(),
    );
    let fields = padded(move || open_body(&key, &password, &data, Some(&aad)))
        .await?
        .map_err(|cause| undecryptable(DATA, cause))?;

    if fields.get(&checks.client_id_field).and_then(Value::as_str) != Some(client.as_str()) {
        tracing::debug!(client, "signed request: the client id inside differs");
        return Err(BizError::bad_parameter_for(
            &checks.client_id_field,
            reasons::CLIENT_MISMATCH,
        ));
    }
    let ts = match fields.get(TS) {
        None | Some(Value::Null) => return Err(BizError::missing_parameter(TS)),
        Some(value) => value
            .as_i64()
            .ok_or_else(|| BizError::bad_parameter_type_for(TS, reasons::UNIX_SECONDS))?,
    };
    let now = unix_now();
    if now.abs_diff(ts) > checks.window_s {
        tracing::debug!(client, ts, now, "signed request: outside the replay window");
        return Err(BizError::request_expired());
    }
    let nonce = match fields.get(NONCE) {
        None | Some(Value::Null) => return Err(BizError::missing_parameter(NONCE)),
        Some(Value::String(nonce)) if NONCE_CHARS.contains(&nonce.chars().count()) => nonce,
        Some(_) => return Err(BizError::bad_parameter_for(NONCE, reasons::BAD_NONCE)),
    };
    remember(checks, "nonce", &client, nonce).await?;

    rest.extend(fields);
    Ok(Some(Body::Json(Value::Object(rest))))
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| i64::try_from(since.as_secs()).unwrap_or(i64::MAX))
}

/// Adds `token` (of the kind `what`: a signed blob or a nonce) to the client's replay
/// window: `ReqidDuplicateError` when it is there already. A backend that fails
/// refuses the request (fail closed: a replay check that cannot be made is not
/// skipped).
async fn remember(checks: &SignedRequests, what: &str, client: &str, token: &str) -> Result<(), BizError> {
    // Escaped as cache keys are: neither value can forge another key or a glob.
    // Strings always make a key part; the error is only the signature's.
    let unkeyable = |_| BizError::sys_error();
    let mut key = format!("apiview:safe:{what}:");
    push_key_part(&mut key, client).map_err(unkeyable)?;
    key.push(':');
    push_key_part(&mut key, token).map_err(unkeyable)?;
    // A `ts` up to the window ahead stays acceptable for twice the window from now.
    let ttl = Duration::from_secs(checks.window_s.saturating_mul(2));
    match checks
        .replay
        .backend()
        .add(&key, Bytes::from_static(b"1"), ttl)
        .await
    {
        Ok(true) => Ok(()),
        Ok(false) => {
            tracing::debug!(client, what, "signed request: seen before");
            Err(BizError::reqid_duplicate_error())
        }
        Err(failure) => {
            tracing::warn!(
                cache = checks.replay.name(),
                %failure,
                "the replay backend (safe.replay_backend) failed: request refused"
            );
            Err(BizError::cache_error())
        }
    }
}

/// A body without both encrypted fields as strings. A plain body passes on an
/// endpoint that decrypts automatically; half an encrypted body never does.
fn incomplete(
    explicit: bool,
    has_password: bool,
    has_data: bool,
    unreadable: &str,
) -> Result<Option<Encrypted>, BizError> {
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
/// use apiview_core::__private::{rsa_decrypt_field, Call};
/// use apiview_core::{BizError, Source};
///
/// // What #[rsa_decrypt(password)] runs before the function.
/// async fn password(call: &Call, source: &Source) -> Result<Option<String>, BizError> {
///     rsa_decrypt_field(call, "password", source, None).await
/// }
/// # let _ = password;
///
/// // Over HTTP, with `safe.server_private_key` naming the server key's PEM file:
/// use apiview::prelude::*;
/// use apiview_core::cipher::{encrypt_key_bytes, generate_private_key, private_key_to_pem};
///
/// #[apiview]
/// #[rsa_decrypt(password)]
/// fn login(password: Option<String>) -> Option<String> {
///     password
/// }
///
/// let server = generate_private_key(1024).unwrap();
/// let pem = std::env::temp_dir().join(format!("apiview-doc-rsa-{}.pem", std::process::id()));
/// std::fs::write(&pem, private_key_to_pem(&server).unwrap()).unwrap();
/// let mut settings = Settings::default();
/// settings.safe.server_private_key = pem.display().to_string();
/// let app = App::new(settings).at("/login", login).into_endpoint();
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// # use poem::{Endpoint, Request};
/// # async fn post(app: &impl Endpoint, body: serde_json::Value) -> serde_json::Value {
/// #     let request = Request::builder().method(poem::http::Method::POST).uri_str("/login");
/// #     let request = request.content_type("application/json").body(body.to_string());
/// #     app.get_response(request).await.into_body().into_json().await.unwrap()
/// # }
/// let blob = encrypt_key_bytes(&server.to_public_key(), b"s3cret").unwrap();
/// assert_eq!(post(&app, serde_json::json!({"password": blob})).await["result"], "s3cret");
/// assert_eq!(post(&app, serde_json::json!({})).await["result"], serde_json::Value::Null);
/// let error = &post(&app, serde_json::json!({"password": "not base64!"})).await["error"];
/// assert_eq!(error["code"], 1001060002); // BadParameter
/// assert!(error["message"].as_str().unwrap().contains("cannot be decrypted"));
/// # });
/// # std::fs::remove_file(pem).unwrap();
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
    let paddings = if call.runtime.settings.safe.allow_pkcs1v15 {
        RsaPaddings::OaepOrPkcs1v15
    } else {
        RsaPaddings::OaepOnly
    };
    padded(move || {
        cipher::rsa_decrypt(&key, &blob, paddings)
            .ok()
            .and_then(|plaintext| String::from_utf8(plaintext).ok())
    })
    .await?
    .map(Some)
    .ok_or_else(|| undecryptable(name, "not an RSA blob that decrypts to UTF-8 text"))
}
