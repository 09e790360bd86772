//! The request data bag and coercion, over whole requests served by an App: body
//! parsing by content type, lookup precedence (path > body > form > query >
//! headers), cookies, the merged bag, and coercion into the common parameter types.
//! Never panics (libfuzzer-sys aborts on any panic, even one the runtime catches),
//! and never answers `SysError`.
//!
//! The input reads like a small HTTP request:
//!
//! ```text
//! C<path parameter>\n     C: content type, by its byte modulo 8 (see CONTENT_TYPES)
//! <query string>\n
//! <header name>: <value>\n   (any number)
//! \n
//! <body>
//! ```

#![no_main]

use std::sync::OnceLock;

use apiview::__private::coerce;
use apiview::prelude::*;
use apiview::request::Source;
use apiview::RawValue;
use libfuzzer_sys::fuzz_target;
use poem::endpoint::BoxEndpoint;
use poem::http::{HeaderName, HeaderValue, Method, StatusCode, Uri};
use poem::{Endpoint, EndpointExt, Request, Response};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

const CONTENT_TYPES: [Option<&str>; 8] = [
    None,
    Some("application/json"),
    Some("application/x-www-form-urlencoded"),
    Some("multipart/form-data; boundary=XyZ"),
    Some("text/plain"),
    Some("application/problem+json; charset=utf-8"),
    Some("multipart/form-data"),
    Some("APPLICATION/X-WWW-FORM-URLENCODED; charset=latin1"),
];

/// The names looked up: those the seeds use, plus one spelled as a header.
const NAMES: [&str; 7] = ["a", "s", "ids", "flag", "p", "id", "user_agent"];

#[derive(Debug, Serialize, Deserialize)]
struct Point {
    x: i64,
    y: i64,
    label: Option<String>,
}

/// Typed parameters, coerced by the code `#[apiview]` generates.
#[apiview]
#[methods(get, post)]
fn typed(id: String, a: i64, s: String, ids: Vec<i64>, flag: Option<bool>, p: Option<Point>) -> Value {
    json!([id, a, s, ids, flag, p])
}

/// Every lookup a request offers, each name coerced into every common type.
#[apiview]
#[methods(get, post)]
fn bag(request: &ApiRequest) -> Value {
    for name in NAMES {
        let raw = request.field(name);
        if let Some(RawValue::Text(text)) = &raw {
            let coerced: String = coerce(name, raw.clone()).expect("any text is a String");
            assert_eq!(&coerced, text);
        }
        let _ = coerce::<i64>(name, raw.clone());
        let _ = coerce::<u8>(name, raw.clone());
        let _ = coerce::<f64>(name, raw.clone());
        let _ = coerce::<String>(name, raw.clone());
        let _ = coerce::<Vec<i64>>(name, raw.clone());
        let _ = coerce::<Vec<String>>(name, raw.clone());
        let _ = coerce::<Option<bool>>(name, raw.clone());
        let _ = coerce::<Option<Point>>(name, raw.clone());
        let _ = coerce::<Value>(name, raw.clone());
        if let Some(raw) = &raw {
            let _ = (raw.is_filled(), raw.is_present(), raw.to_json());
        }
        let _ = request.get(&Source::Cookie { name, default: None });
    }
    let _ = request.get(&Source::Meta { name: "QUERY_STRING" });
    json!({"data": request.data(), "payload": request.payload()})
}

struct Harness {
    runtime: tokio::runtime::Runtime,
    app: BoxEndpoint<'static, Response>,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime builds");
        let app = {
            // Built inside the runtime, as a server builds it.
            let _entered = runtime.enter();
            App::new(Settings::default())
                .at("/typed/:id", typed)
                .at("/bag/:id", bag)
                .into_endpoint()
                .boxed()
        };
        Harness { runtime, app }
    })
}

/// One request for each endpoint, from the fuzz input; `None` when the input makes no
/// valid URI.
fn requests(data: &[u8]) -> Option<[Request; 2]> {
    let (&selector, rest) = data.split_first()?;
    let (head, body) = split_at(rest, b"\n\n").unwrap_or((rest, &[]));
    let mut lines = head.split(|&b| b == b'\n');
    let path_param = match lines.next().unwrap_or_default() {
        [] => "0".to_owned(),
        segment => percent_encode(segment, |b| b.is_ascii_alphanumeric()),
    };
    let query = percent_encode(lines.next().unwrap_or_default(), |b| {
        b.is_ascii_graphic() && b != b'#'
    });
    let headers: Vec<(HeaderName, HeaderValue)> = lines
        .filter_map(|line| {
            let (name, value) = split_at(line, b":")?;
            let name = HeaderName::from_bytes(name.trim_ascii()).ok()?;
            let value = HeaderValue::from_bytes(value.trim_ascii()).ok()?;
            Some((name, value))
        })
        .collect();
    let method = if body.is_empty() {
        Method::GET
    } else {
        Method::POST
    };
    let content_type = CONTENT_TYPES[usize::from(selector % 8)];
    let build = |endpoint: &str| -> Option<Request> {
        let uri: Uri = format!("/{endpoint}/{path_param}?{query}").parse().ok()?;
        let mut builder = Request::builder().method(method.clone()).uri(uri);
        if let Some(content_type) = content_type {
            builder = builder.content_type(content_type);
        }
        for (name, value) in &headers {
            builder = builder.header(name.clone(), value.clone());
        }
        Some(builder.body(body.to_vec()))
    };
    Some([build("typed")?, build("bag")?])
}

fn split_at<'a>(data: &'a [u8], separator: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let at = data.windows(separator.len()).position(|w| w == separator)?;
    Some((&data[..at], &data[at + separator.len()..]))
}

/// Keeps the bytes `keep` accepts and the `%` escapes, and escapes the others, so
/// that the fuzzer's own escapes (valid or not) reach the parser.
fn percent_encode(bytes: &[u8], keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if keep(b) || b == b'%' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some(requests) = requests(data) else {
        return;
    };
    let harness = harness();
    for request in requests {
        harness.runtime.block_on(async {
            let response = harness
                .app
                .call(request)
                .await
                .unwrap_or_else(|err| err.into_response());
            if response.status() == StatusCode::NOT_FOUND {
                // A path parameter that decodes to several segments matches no route.
                return;
            }
            let body = response
                .into_body()
                .into_bytes()
                .await
                .expect("the answer is read");
            let answer: Value = serde_json::from_slice(&body).expect("the answer is JSON");
            assert_ne!(
                answer["error"]["code"], 1001000000,
                "SysError (the endpoint panicked or a packer failed): {answer}"
            );
        });
    }
});
