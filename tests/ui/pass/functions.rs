use apiview::prelude::*;
use poem::web::Redirect;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Point {
    x: i64,
    y: i64,
}

#[derive(Serialize)]
struct Sum {
    total: i64,
}

/// Always returns "pong".
///
/// --------
/// @methods: get
#[apiview(packer = "simple", tag = "misc", operation_id = "ping")]
#[allow_get]
async fn ping() -> &'static str {
    "pong"
}

#[apiview]
fn sync_fn(msg: String) -> String {
    msg
}

#[apiview(blocking)]
fn blocking_fn(msg: String, req: &ApiRequest) -> String {
    format!("{msg} {}", req.path())
}

#[apiview]
fn nothing() {}

#[apiview]
fn params(a: Option<i64>, tags: Vec<String>, point: Point, flag: bool, ratio: f64) -> Sum {
    Sum {
        total: a.unwrap_or(0) + tags.len() as i64 + point.x + point.y + i64::from(flag) + ratio as i64,
    }
}

#[apiview]
fn payload(_payload: serde_json::Value) -> serde_json::Value {
    _payload
}

#[apiview]
async fn request_ref(req: &ApiRequest, msg: String) -> String {
    format!("{} {} {msg}", req.method(), req.request_id())
}

#[apiview]
async fn request_owned(req: ApiRequest) -> String {
    req.path().to_owned()
}

#[apiview]
fn mutable(mut msg: String) -> String {
    msg.push('!');
    msg
}

#[apiview]
fn raw() -> Raw<Redirect> {
    Raw(Redirect::see_other("/home"))
}

#[apiview]
async fn raw_text() -> Raw<&'static str> {
    Raw("plain text")
}

#[apiview]
fn result(a: i64, b: i64) -> apiview::Result<i64> {
    a.checked_add(b)
        .ok_or_else(|| BizError::bad_parameter_because("b", "a + b does not fit in a 64-bit integer"))
}

#[apiview]
async fn result_async(n: String) -> Result<i64, BizError> {
    n.parse().map_err(|_| BizError::bad_parameter("n"))
}

#[apiview]
pub fn public() -> &'static str {
    "ok"
}

mod inner {
    use apiview::prelude::*;

    #[apiview]
    pub(crate) fn nested() -> &'static str {
        "ok"
    }
}

fn main() {
    let _app = App::new(Settings::default())
        .at("/ping", ping)
        .at("/sync_fn", sync_fn)
        .at("/blocking_fn", blocking_fn)
        .at("/nothing", nothing)
        .at("/params", params)
        .at("/payload", payload)
        .at("/request_ref", request_ref)
        .at("/request_owned", request_owned)
        .at("/mutable", mutable)
        .at("/raw", raw)
        .at("/raw_text", raw_text)
        .at("/result", result)
        .at("/result_async", result_async)
        .at("/public", public)
        .at("/nested", inner::nested);
}

mod extractors {
    use apiview::prelude::*;

    pub struct Pool(pub u32);

    #[apiview]
    pub async fn borrowed(#[extract] pool: poem::web::Data<&Pool>, name: String) -> String {
        format!("{} {name}", pool.0 .0)
    }

    #[apiview]
    pub fn owned(#[extract] method: poem::http::Method) -> String {
        method.to_string()
    }
}
