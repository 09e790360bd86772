//! Packers wrap an endpoint's result, or its error, in the business envelope clients
//! expect. `simple` is the default; `settings.packer` or `#[apiview(packer = "..")]`
//! picks another; `App::packer` registers your own under a name.

mod deetr;
mod dmrs;
mod safe;
mod simple;

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

pub use self::deetr::DeetrPacker;
pub use self::dmrs::DmrsPacker;
pub use self::safe::{ClientKeyStore, KeyReuse, SafePacker};
pub use self::simple::SimplePacker;
use crate::error::{BizError, Language};
use crate::request::ApiRequest;

/// What a packer knows about the request it answers.
///
/// ```
/// use apiview_core::packer::{DmrsPacker, PackContext, Packer};
///
/// let cx = PackContext::detached("0123");
/// assert_eq!(DmrsPacker.pack_result(serde_json::json!(1), &cx).unwrap()["returnCode"], 0);
/// ```
#[non_exhaustive]
pub struct PackContext<'a> {
    /// The request id, sent back as `X-Request-Id`.
    pub request_id: &'a str,
    /// The language of error messages.
    pub language: Language,
    /// The request: always there when an App packs an answer (even an error raised
    /// before the body was read); `None` only in a [detached](PackContext::detached)
    /// context.
    pub request: Option<&'a ApiRequest>,
}

impl<'a> PackContext<'a> {
    /// A context for packing outside a request (tests, documentation examples).
    ///
    /// ```
    /// use apiview_core::packer::{PackContext, Packer, SimplePacker};
    ///
    /// let cx = PackContext::detached("0123456789abcdef0123456789abcdef");
    /// let packed = SimplePacker.pack_result(serde_json::json!("pong"), &cx).unwrap();
    /// assert_eq!(packed, serde_json::json!({"success": true, "result": "pong"}));
    /// ```
    pub fn detached(request_id: &'a str) -> Self {
        PackContext {
            request_id,
            language: Language::En,
            request: None,
        }
    }

    pub(crate) fn new(request: &'a ApiRequest, language: Language) -> Self {
        PackContext {
            request_id: request.request_id(),
            language,
            request: Some(request),
        }
    }
}

/// What a packer knows when it unpacks an answer (client side).
///
/// ```
/// use apiview_core::packer::{Packer, SimplePacker, UnpackContext};
///
/// let result = SimplePacker.unpack(br#"{"success": true, "result": 3}"#, &UnpackContext::new()).unwrap();
/// assert_eq!(result, 3);
/// ```
#[non_exhaustive]
#[derive(Debug, Default)]
pub struct UnpackContext {}

impl UnpackContext {
    /// An empty context.
    ///
    /// ```
    /// use apiview_core::packer::{Packer, SimplePacker, UnpackContext};
    ///
    /// let cx = UnpackContext::new();
    /// let result = SimplePacker.unpack(br#"{"success": true, "result": 3}"#, &cx).unwrap();
    /// assert_eq!(result, 3);
    /// ```
    pub fn new() -> Self {
        UnpackContext {}
    }
}

/// A business envelope: how results and errors are wrapped, and unwrapped again.
///
/// A user packer is a first-class one: register it with `App::packer("name", ..)`
/// and select it by that name in settings or per endpoint.
///
/// ```
/// use apiview_core::packer::{PackContext, Packer, UnpackContext};
/// use apiview_core::BizError;
/// use serde_json::{json, Value};
///
/// /// `{"ok": true, "payload": R}` / `{"ok": false, "reason": M, "code": C}`
/// struct OkPacker;
///
/// impl Packer for OkPacker {
///     fn pack_result(&self, result: Value, _cx: &PackContext) -> Result<Value, BizError> {
///         Ok(json!({"ok": true, "payload": result}))
///     }
///     fn pack_error(&self, error: &BizError, cx: &PackContext) -> Result<Value, BizError> {
///         Ok(json!({"ok": false, "reason": error.message_in(cx.language), "code": error.code()}))
///     }
///     fn unpack(&self, body: &[u8], _cx: &UnpackContext) -> Result<Value, BizError> {
///         let mut value: Value = serde_json::from_slice(body).map_err(|_| BizError::parse_json_error(body))?;
///         match value["ok"].as_bool() {
///             Some(true) => Ok(value["payload"].take()),
///             _ => Err(BizError::new(value["code"].as_i64().unwrap_or(0), value["reason"].as_str().unwrap_or("").to_owned())),
///         }
///     }
///     fn envelope_schema(&self) -> Value {
///         json!({"type": "object", "required": ["ok"]})
///     }
/// }
///
/// use apiview::prelude::*;
///
/// #[apiview(packer = "ok")]
/// #[between(n, 1, 9)]
/// fn square(n: i64) -> i64 {
///     n * n
/// }
///
/// let app = App::new(Settings::default()).packer("ok", OkPacker).at("/square", square);
/// let app = app.into_endpoint();
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// # use poem::{Endpoint, Request};
/// let response = app.get_response(Request::builder().uri_str("/square?n=3").finish()).await;
/// let body = response.into_body().into_bytes().await.unwrap();
/// assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), json!({"ok": true, "payload": 9}));
/// assert_eq!(OkPacker.unpack(&body, &UnpackContext::new()).unwrap(), 9);
///
/// let response = app.get_response(Request::builder().uri_str("/square?n=10").finish()).await;
/// let body = response.into_body().into_bytes().await.unwrap();
/// let error = OkPacker.unpack(&body, &UnpackContext::new()).unwrap_err();
/// assert_eq!(error.code(), 1001060002); // BadParameter: out of [1, 9]
/// # });
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a packer",
    note = "implement `apiview::Packer` for it (`pack_result`, `pack_error`, `unpack`, `envelope_schema`), or pass a built-in one such as `apiview::packer::SimplePacker`"
)]
pub trait Packer: Send + Sync + 'static {
    /// Wraps a successful result.
    fn pack_result(&self, result: Value, cx: &PackContext) -> Result<Value, BizError>;
    /// Wraps an error.
    fn pack_error(&self, error: &BizError, cx: &PackContext) -> Result<Value, BizError>;
    /// Unwraps a packed answer: the result, or the error it carries.
    fn unpack(&self, body: &[u8], cx: &UnpackContext) -> Result<Value, BizError>;
    /// The envelope's JSON schema, for the OpenAPI document.
    fn envelope_schema(&self) -> Value;

    /// Writes the packed result as JSON, the answer's body, into `out`. The default
    /// serializes what [`Packer::pack_result`] builds; a packer whose envelope is
    /// fixed text can write it around the result instead, without building it.
    ///
    /// ```
    /// use apiview_core::packer::{DmrsPacker, PackContext, Packer};
    ///
    /// let mut out = Vec::new();
    /// DmrsPacker.write_result(serde_json::json!(3), &PackContext::detached("id"), &mut out).unwrap();
    /// let packed: serde_json::Value = serde_json::from_slice(&out).unwrap();
    /// assert_eq!(packed["data"], 3);
    /// ```
    fn write_result(&self, result: Value, cx: &PackContext, out: &mut Vec<u8>) -> Result<(), BizError> {
        write_json(&self.pack_result(result, cx)?, out)
    }

    /// Like [`Packer::write_result`], for a result that is already JSON text (a
    /// cache hit): a packer that overrides it copies the text instead of parsing it.
    /// `json` is always well-formed JSON.
    ///
    /// ```
    /// use apiview_core::packer::{PackContext, Packer, SimplePacker};
    ///
    /// let mut out = Vec::new();
    /// SimplePacker.write_result_json(b"[1,2]", &PackContext::detached("id"), &mut out).unwrap();
    /// assert_eq!(out, br#"{"success":true,"result":[1,2]}"#);
    /// ```
    fn write_result_json(&self, json: &[u8], cx: &PackContext, out: &mut Vec<u8>) -> Result<(), BizError> {
        let result = serde_json::from_slice(json).map_err(|err| {
            tracing::error!(%err, "a cached result is not JSON");
            BizError::sys_error()
        })?;
        self.write_result(result, cx, out)
    }
}

/// Serializes `value` into `out`; a value that does not serialize is a SysError.
pub(crate) fn write_json(value: &Value, out: &mut Vec<u8>) -> Result<(), BizError> {
    out.reserve(128);
    serde_json::to_writer(out, value).map_err(|err| {
        tracing::error!(%err, "a packed answer does not serialize");
        BizError::sys_error()
    })
}

/// The packers an App knows, by name.
///
/// ```
/// let packers = apiview_core::packer::Packers::default();
/// assert_eq!(packers.names(), ["deetr", "dmrs", "simple"]);
/// ```
#[derive(Clone)]
pub struct Packers {
    by_name: HashMap<String, Arc<dyn Packer>>,
}

impl Default for Packers {
    fn default() -> Self {
        let mut by_name: HashMap<String, Arc<dyn Packer>> = HashMap::new();
        by_name.insert("simple".into(), Arc::new(SimplePacker));
        by_name.insert("deetr".into(), Arc::new(DeetrPacker));
        by_name.insert("dmrs".into(), Arc::new(DmrsPacker));
        Packers { by_name }
    }
}

impl Packers {
    /// Registers (or replaces) a packer.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let mut packers = apiview_core::packer::Packers::default();
    /// packers.insert("plain", Arc::new(apiview_core::packer::SimplePacker));
    /// assert!(packers.get("plain").is_some());
    /// ```
    pub fn insert(&mut self, name: impl Into<String>, packer: Arc<dyn Packer>) {
        self.by_name.insert(name.into(), packer);
    }

    /// The packer registered under `name`.
    ///
    /// ```
    /// let packers = apiview_core::packer::Packers::default();
    /// assert!(packers.get("deetr").is_some() && packers.get("nope").is_none());
    /// ```
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Packer>> {
        self.by_name.get(name)
    }

    /// The registered names, sorted.
    ///
    /// ```
    /// assert!(apiview_core::packer::Packers::default().names().contains(&"simple"));
    /// ```
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.by_name.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

pub(crate) fn parse_envelope(body: &[u8]) -> Result<serde_json::Map<String, Value>, BizError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        _ => Err(BizError::parse_json_error(body)),
    }
}

pub(crate) fn error_from_envelope(code: Option<&Value>, message: Option<&Value>, body: &[u8]) -> BizError {
    match (code.and_then(Value::as_i64), message.and_then(Value::as_str)) {
        (Some(code), Some(message)) => BizError::new(code, message.to_owned()),
        _ => BizError::parse_json_error(body),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::{DeetrPacker, DmrsPacker, PackContext, Packer, SimplePacker};

    /// The envelopes written around JSON text are the envelopes `pack_result` builds.
    #[test]
    fn written_envelopes_are_the_packed_ones() {
        let cx = PackContext::detached("0123456789abcdef0123456789abcdef");
        let packers: [&dyn Packer; 3] = [&SimplePacker, &DeetrPacker, &DmrsPacker];
        for value in [
            json!(null),
            json!("pong"),
            json!(-3.5),
            json!([1, {"a": "é\n"}]),
            json!({"z": 1, "a": 2}),
        ] {
            let json = serde_json::to_vec(&value).unwrap();
            for packer in packers {
                let mut packed = packer.pack_result(value.clone(), &cx).unwrap();
                let mut written = Vec::new();
                packer.write_result_json(&json, &cx, &mut written).unwrap();
                let mut written: Value = serde_json::from_slice(&written).unwrap();
                // deetr's clock may tick between the two.
                for envelope in [&mut packed, &mut written] {
                    if let Some(time) = envelope.get_mut("time") {
                        *time = json!("now");
                    }
                }
                assert_eq!(
                    serde_json::to_string(&written).unwrap(),
                    serde_json::to_string(&packed).unwrap()
                );
            }
        }
    }
}
