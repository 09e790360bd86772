use serde_json::{json, Map, Value};

use super::{error_from_envelope, parse_envelope, PackContext, Packer, UnpackContext};
use crate::error::BizError;

/// `{"data": R|null, "message": "OK"|M, "returnCode": 0|C, "successSign": true|false}`
/// (django-apiview's `DmrsPacker`).
///
/// ```
/// use apiview_core::packer::{DmrsPacker, PackContext, Packer};
/// use apiview_core::BizError;
/// use serde_json::json;
///
/// let cx = PackContext::detached("id");
/// let packed = DmrsPacker.pack_error(&BizError::app_auth_failed(), &cx).unwrap();
/// assert_eq!(packed, json!({"data": null, "message": "App auth failed.", "returnCode": 1001040004, "successSign": false}));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DmrsPacker;

fn envelope(data: Value, message: String, code: i64, success: bool) -> Value {
    let mut envelope = Map::with_capacity(4);
    envelope.insert("data".into(), data);
    envelope.insert("message".into(), message.into());
    envelope.insert("returnCode".into(), code.into());
    envelope.insert("successSign".into(), success.into());
    Value::Object(envelope)
}

impl Packer for DmrsPacker {
    fn pack_result(&self, result: Value, _cx: &PackContext) -> Result<Value, BizError> {
        Ok(envelope(result, "OK".into(), 0, true))
    }

    fn write_result_json(&self, json: &[u8], _cx: &PackContext, out: &mut Vec<u8>) -> Result<(), BizError> {
        // What `pack_result` builds, serialized, with the result's text copied in.
        const PREFIX: &[u8] = br#"{"data":"#;
        const SUFFIX: &[u8] = br#","message":"OK","returnCode":0,"successSign":true}"#;
        out.reserve(PREFIX.len() + json.len() + SUFFIX.len());
        out.extend_from_slice(PREFIX);
        out.extend_from_slice(json);
        out.extend_from_slice(SUFFIX);
        Ok(())
    }

    fn pack_error(&self, error: &BizError, cx: &PackContext) -> Result<Value, BizError> {
        Ok(envelope(
            Value::Null,
            error.message_in(cx.language),
            error.code(),
            false,
        ))
    }

    fn unpack(&self, body: &[u8], _cx: &UnpackContext) -> Result<Value, BizError> {
        let mut envelope = parse_envelope(body)?;
        match envelope.get("successSign") {
            Some(Value::Bool(true)) => Ok(envelope.remove("data").unwrap_or(Value::Null)),
            Some(Value::Bool(false)) => Err(error_from_envelope(
                envelope.get("returnCode"),
                envelope.get("message"),
                body,
            )),
            _ => Err(BizError::parse_json_error(body)),
        }
    }

    fn envelope_schema(&self) -> Value {
        json!({
            "type": "object",
            "required": ["data", "message", "returnCode", "successSign"],
            "properties": {
                "data": {},
                "message": {"type": "string"},
                "returnCode": {"type": "integer"},
                "successSign": {"type": "boolean"},
            },
        })
    }
}
