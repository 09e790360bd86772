use serde_json::{json, Map, Value};

use super::{error_from_envelope, parse_envelope, write_json, PackContext, Packer, UnpackContext};
use crate::error::BizError;

/// `{"success": true, "result": R}` / `{"success": false, "error": {"code": C, "message": M}}`
/// (django-apiview's `SimpleJsonResultPacker`, the default).
///
/// ```
/// use apiview_core::packer::{PackContext, Packer, SimplePacker, UnpackContext};
/// use apiview_core::BizError;
/// use serde_json::json;
///
/// let cx = PackContext::detached("id");
/// let packed = SimplePacker.pack_error(&BizError::missing_parameter("msg"), &cx).unwrap();
/// assert_eq!(packed, json!({"success": false, "error": {"code": 1001060001, "message": "Missing parameter: msg."}}));
/// let err = SimplePacker.unpack(packed.to_string().as_bytes(), &UnpackContext::new()).unwrap_err();
/// assert_eq!(err.code(), 1001060001);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SimplePacker;

/// What `pack_result` builds, serialized, up to the result (the `Map` keeps key order).
const RESULT_PREFIX: &[u8] = br#"{"success":true,"result":"#;

impl Packer for SimplePacker {
    fn pack_result(&self, result: Value, _cx: &PackContext) -> Result<Value, BizError> {
        let mut envelope = Map::with_capacity(2);
        envelope.insert("success".into(), Value::Bool(true));
        envelope.insert("result".into(), result);
        Ok(Value::Object(envelope))
    }

    fn write_result(&self, result: Value, _cx: &PackContext, out: &mut Vec<u8>) -> Result<(), BizError> {
        out.extend_from_slice(RESULT_PREFIX);
        write_json(&result, out)?;
        out.push(b'}');
        Ok(())
    }

    fn write_result_json(&self, json: &[u8], _cx: &PackContext, out: &mut Vec<u8>) -> Result<(), BizError> {
        out.reserve(RESULT_PREFIX.len() + json.len() + 1);
        out.extend_from_slice(RESULT_PREFIX);
        out.extend_from_slice(json);
        out.push(b'}');
        Ok(())
    }

    fn pack_error(&self, error: &BizError, cx: &PackContext) -> Result<Value, BizError> {
        Ok(json!({
            "success": false,
            "error": {"code": error.code(), "message": error.message_in(cx.language)},
        }))
    }

    fn unpack(&self, body: &[u8], _cx: &UnpackContext) -> Result<Value, BizError> {
        let mut envelope = parse_envelope(body)?;
        match envelope.get("success") {
            Some(Value::Bool(true)) => Ok(envelope.remove("result").unwrap_or(Value::Null)),
            Some(Value::Bool(false)) => {
                let error = envelope.get("error");
                Err(error_from_envelope(
                    error.and_then(|e| e.get("code")),
                    error.and_then(|e| e.get("message")),
                    body,
                ))
            }
            _ => Err(BizError::parse_json_error(body)),
        }
    }

    fn envelope_schema(&self) -> Value {
        json!({
            "type": "object",
            "required": ["success"],
            "properties": {
                "success": {"type": "boolean"},
                "result": {},
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
                },
            },
        })
    }
}
