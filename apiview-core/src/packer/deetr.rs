use serde_json::{json, Map, Value};

use super::{error_from_envelope, parse_envelope, PackContext, Packer, UnpackContext};
use crate::error::BizError;

/// `{"data": R|null, "errcode": 0|C, "errmsg": "OK"|M, "time": "YYYY-MM-DD HH:MM:SS", "reqid": ID}`
/// (django-apiview's `DeetrResultPacker`). `reqid` is the request's `X-Request-Id`, or
/// a new 32-hex id, and is sent back in the `X-Request-Id` header too.
///
/// ```
/// use apiview_core::packer::{DeetrPacker, PackContext, Packer};
///
/// let cx = PackContext::detached("67aa6f147d074c2c8bed121c1994f80d");
/// let packed = DeetrPacker.pack_result(serde_json::json!(3), &cx).unwrap();
/// assert_eq!(packed["data"], 3);
/// assert_eq!(packed["errcode"], 0);
/// assert_eq!(packed["errmsg"], "OK");
/// assert_eq!(packed["reqid"], "67aa6f147d074c2c8bed121c1994f80d");
/// assert_eq!(packed["time"].as_str().unwrap().len(), "2022-09-10 23:09:33".len());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DeetrPacker;

fn envelope(data: Value, errcode: i64, errmsg: String, cx: &PackContext) -> Value {
    let mut envelope = Map::with_capacity(5);
    envelope.insert("data".into(), data);
    envelope.insert("errcode".into(), errcode.into());
    envelope.insert("errmsg".into(), errmsg.into());
    envelope.insert("time".into(), now().into());
    envelope.insert("reqid".into(), cx.request_id.into());
    Value::Object(envelope)
}

fn now() -> String {
    chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

impl Packer for DeetrPacker {
    fn pack_result(&self, result: Value, cx: &PackContext) -> Result<Value, BizError> {
        Ok(envelope(result, 0, "OK".into(), cx))
    }

    fn write_result_json(&self, json: &[u8], cx: &PackContext, out: &mut Vec<u8>) -> Result<(), BizError> {
        // What `pack_result` builds, serialized, with the result's text copied in.
        out.reserve(json.len() + 96 + cx.request_id.len());
        out.extend_from_slice(br#"{"data":"#);
        out.extend_from_slice(json);
        out.extend_from_slice(br#","errcode":0,"errmsg":"OK","time":"#);
        // Strings serialize without fail.
        let _ = serde_json::to_writer(&mut *out, &now());
        out.extend_from_slice(br#","reqid":"#);
        let _ = serde_json::to_writer(&mut *out, cx.request_id);
        out.push(b'}');
        Ok(())
    }

    fn pack_error(&self, error: &BizError, cx: &PackContext) -> Result<Value, BizError> {
        Ok(envelope(
            Value::Null,
            error.code(),
            error.message_in(cx.language),
            cx,
        ))
    }

    fn unpack(&self, body: &[u8], _cx: &UnpackContext) -> Result<Value, BizError> {
        let mut envelope = parse_envelope(body)?;
        match envelope.get("errcode").and_then(Value::as_i64) {
            Some(0) => Ok(envelope.remove("data").unwrap_or(Value::Null)),
            Some(_) => Err(error_from_envelope(
                envelope.get("errcode"),
                envelope.get("errmsg"),
                body,
            )),
            None => Err(BizError::parse_json_error(body)),
        }
    }

    fn envelope_schema(&self) -> Value {
        json!({
            "type": "object",
            "required": ["data", "errcode", "errmsg", "time", "reqid"],
            "properties": {
                "data": {},
                "errcode": {"type": "integer"},
                "errmsg": {"type": "string"},
                "time": {"type": "string", "description": "YYYY-MM-DD HH:MM:SS, server local time"},
                "reqid": {"type": "string"},
            },
        })
    }
}
