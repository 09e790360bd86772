//! The benchmark's baseline: hand-written poem handlers for `/ping`, `/echo` and
//! `/add` that answer byte for byte what the demo answers with the simple packer —
//! the honest best a user could write without `#[apiview]`.
//!
//! ```text
//! cargo run --release -p apiview-tools --bin baseline -- --addr 127.0.0.1:3001
//! ```
//!
//! It keeps the demo's contract for these paths: the method allow-lists (`/ping`
//! GET, `/echo` POST, `/add` GET and POST), parameters looked up by name in the JSON
//! body or form fields, then the query string, then the headers, the same coercions
//! (`"42"` is an integer; `42` is not a string) and validators in the same order,
//! the 2 MiB body limit, always status 200 with `application/json; charset=utf-8`,
//! and an `x-request-id` header (the request's own when it is a sane token, else a
//! new 32-hex id). The settings are the repository's `apiview.toml`, as constants.
//!
//! What a hand-written server does not need it does not do: no JSON tree for the
//! body (one pass picks the wanted fields, borrowing their text), no owned copy of
//! the query string, no allocation for a constant answer.

#[path = "../plain.rs"]
mod plain;

use std::borrow::Cow;
use std::fmt;
use std::io::Write as _;
use std::process::ExitCode;

use futures_util::StreamExt;
use poem::http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use poem::http::{HeaderValue, Method};
use poem::listener::TcpListener;
use poem::web::Multipart;
use poem::{handler, Body, FromRequest, Request, RequestBody, Response, Route, Server};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use plain::{request_id, REQUEST_ID};

const USAGE: &str = "usage: baseline [--addr HOST:PORT]   (default 127.0.0.1:3001)";
/// `body_limit` of the repository's `apiview.toml`.
const BODY_LIMIT: u64 = 2 * 1024 * 1024;
const JSON_UTF8: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");
/// The demo's safe defaults (DESIGN §11), sent as a careful hand-written server would.
const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
const OK_PREFIX: &[u8] = br#"{"success":true,"result":"#;

// ---------------------------------------------------------------- the handlers

#[handler]
fn ping(req: &Request) -> Response {
    let id = request_id(req);
    if req.method() != Method::GET {
        return failure(Failure::Method, id);
    }
    answer(&br#"{"success":true,"result":"pong"}"#[..], id)
}

#[handler]
async fn echo(req: &Request, body: Body) -> Response {
    let id = request_id(req);
    if req.method() != Method::POST {
        return failure(Failure::Method, id);
    }
    match echo_result(req, body).await {
        Ok(packed) => answer(packed, id),
        Err(err) => failure(err, id),
    }
}

async fn echo_result(req: &Request, body: Body) -> Result<Vec<u8>, Failure> {
    let bytes = read_body(req, body).await?;
    let [msg] = fields(req, bytes.as_ref(), ["msg"]).await?;
    // #[string_length_limit(msg, max_length = 4096, min_length = 2)]
    let msg = into_string("msg", msg)?;
    let length = msg.chars().count();
    if length < 2 {
        return Err(Failure::TooShort(2));
    }
    if length > 4096 {
        return Err(Failure::TooLong(4096));
    }
    let mut packed = Vec::with_capacity(OK_PREFIX.len() + msg.len() + 8);
    packed.extend_from_slice(OK_PREFIX);
    serde_json::to_writer(&mut packed, &*msg).map_err(|_| Failure::System)?;
    packed.push(b'}');
    Ok(packed)
}

#[handler]
async fn add(req: &Request, body: Body) -> Response {
    let id = request_id(req);
    if req.method() != Method::GET && req.method() != Method::POST {
        return failure(Failure::Method, id);
    }
    match add_result(req, body).await {
        Ok(packed) => answer(packed, id),
        Err(err) => failure(err, id),
    }
}

async fn add_result(req: &Request, body: Body) -> Result<Vec<u8>, Failure> {
    let bytes = read_body(req, body).await?;
    let [a, b] = fields(req, bytes.as_ref(), ["a", "b"]).await?;
    // #[requires(a, b)]
    for (name, value) in [("a", &a), ("b", &b)] {
        if !matches!(value, Some(found) if !matches!(found, Found::Null)) {
            return Err(Failure::Missing(name));
        }
    }
    // #[between(a, 0, 100)]
    let a = into_i64("a", a)?;
    if !(0..=100).contains(&a) {
        return Err(Failure::OutOfRange("a", a, "[0, 100]"));
    }
    let b = into_i64("b", b)?;
    let sum = a
        .checked_add(b)
        .ok_or(Failure::Because("b", "a + b does not fit in a 64-bit integer"))?;
    let mut packed = Vec::with_capacity(OK_PREFIX.len() + 21);
    packed.extend_from_slice(OK_PREFIX);
    write!(packed, "{sum}}}").map_err(|_| Failure::System)?;
    Ok(packed)
}

// ---------------------------------------------------------------- answers

fn answer(body: impl Into<Body>, id: HeaderValue) -> Response {
    Response::builder()
        .header(CONTENT_TYPE, JSON_UTF8)
        .header(REQUEST_ID, id)
        .header(X_CONTENT_TYPE_OPTIONS, NOSNIFF)
        .header(CACHE_CONTROL, NO_STORE)
        .body(body)
}

/// The errors these endpoints can answer, worded as the demo's catalogue words them.
enum Failure {
    System,
    Method,
    ParseJson(String),
    TooLarge(u64, u64),
    Missing(&'static str),
    Because(&'static str, &'static str),
    OutOfRange(&'static str, i64, &'static str),
    BadType(&'static str, &'static str),
    TooShort(usize),
    TooLong(usize),
}

impl Failure {
    fn code(&self) -> i64 {
        match self {
            Failure::System => 1001000000,
            Failure::Method => 1001010002,
            Failure::ParseJson(_) => 1001050006,
            Failure::TooLarge(..) => 1001050009,
            Failure::Missing(_) => 1001060001,
            Failure::Because(..) | Failure::OutOfRange(..) => 1001060002,
            Failure::BadType(..) => 1001060003,
            Failure::TooShort(_) => 1001060004,
            Failure::TooLong(_) => 1001060005,
        }
    }

    /// `ParseJsonError`, quoting the first 256 bytes of the body.
    fn parse_json(body: &[u8]) -> Self {
        const QUOTED: usize = 256;
        let mut quoted = String::from_utf8_lossy(&body[..body.len().min(QUOTED)]).into_owned();
        if body.len() > QUOTED {
            quoted.push('…');
        }
        Failure::ParseJson(quoted)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::System => f.write_str("System Error"),
            Failure::Method => f.write_str("Not supported http method."),
            Failure::ParseJson(text) => write!(f, "Parse json error. Raw text {text}."),
            Failure::TooLarge(size, max) => write!(f, "Too large request error: {size} > {max}."),
            Failure::Missing(name) => write!(f, "Missing parameter: {name}."),
            Failure::Because(name, reason) => write!(f, "Bad parameter: {name}. {reason}."),
            Failure::OutOfRange(name, value, range) => {
                write!(f, "Bad parameter: {name}. Value {value} is out of range {range}.")
            }
            Failure::BadType(name, expected) => {
                write!(f, "Bad parameter type: {name}. Expected {expected}.")
            }
            Failure::TooShort(min) => write!(f, "String shorter than {min}."),
            Failure::TooLong(max) => write!(f, "String longer than {max}."),
        }
    }
}

#[derive(Serialize)]
struct ErrorEnvelope<'a> {
    success: bool,
    error: ErrorFields<'a>,
}

#[derive(Serialize)]
struct ErrorFields<'a> {
    code: i64,
    message: &'a str,
}

fn failure(err: Failure, id: HeaderValue) -> Response {
    let message = err.to_string();
    let envelope = ErrorEnvelope {
        success: false,
        error: ErrorFields {
            code: err.code(),
            message: &message,
        },
    };
    let packed = serde_json::to_vec(&envelope).unwrap_or_else(|_| {
        br#"{"success":false,"error":{"code":1001000000,"message":"System Error"}}"#.to_vec()
    });
    answer(packed, id)
}

// ---------------------------------------------------------------- the body

/// Reads the body, refusing more than `BODY_LIMIT` bytes: by `Content-Length` before
/// reading anything (hyper then ends the body there), and while reading otherwise.
async fn read_body(req: &Request, body: Body) -> Result<impl AsRef<[u8]>, Failure> {
    let unreadable = |_| Failure::Because("_payload", "the request body could not be read");
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok());
    if let Some(length) = declared {
        if length > BODY_LIMIT {
            return Err(Failure::TooLarge(length, BODY_LIMIT));
        }
        return body.into_bytes().await.map_err(unreadable);
    }
    let mut stream = body.into_bytes_stream();
    let Some(first) = stream.next().await else {
        return Ok(Default::default());
    };
    let first = first.map_err(|_| Failure::Because("_payload", "the request body could not be read"))?;
    let mut data: Option<Vec<u8>> = None;
    let mut size = first.len() as u64;
    if size > BODY_LIMIT {
        return Err(Failure::TooLarge(size, BODY_LIMIT));
    }
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| Failure::Because("_payload", "the request body could not be read"))?;
        size += chunk.len() as u64;
        if size > BODY_LIMIT {
            return Err(Failure::TooLarge(size, BODY_LIMIT));
        }
        data.get_or_insert_with(|| first.to_vec())
            .extend_from_slice(&chunk);
    }
    match data {
        None => Ok(first),
        Some(data) => Body::from_vec(data).into_bytes().await.map_err(unreadable),
    }
}

/// A value found under a parameter's name, before it is coerced.
#[derive(Debug)]
enum Found<'a> {
    Null,
    Int(i64),
    UInt(u64),
    /// A boolean or a float: neither an `i64` nor a string here.
    Other,
    /// A JSON string, a form field, a query parameter or a header.
    Text(Cow<'a, str>),
    /// A JSON array or object.
    Compound,
    /// A form or query key given several times: a list, never a scalar.
    Repeated,
}

fn into_string<'a>(name: &'static str, found: Option<Found<'a>>) -> Result<Cow<'a, str>, Failure> {
    match found {
        None | Some(Found::Null) => Err(Failure::Missing(name)),
        Some(Found::Text(text)) => Ok(text),
        // Inside a JSON body a string takes a JSON string only, as the demo's does.
        Some(_) => Err(Failure::BadType(name, "a string")),
    }
}

fn into_i64(name: &'static str, found: Option<Found<'_>>) -> Result<i64, Failure> {
    let bad = || Failure::BadType(name, "an integer (i64)");
    match found {
        None | Some(Found::Null) => Err(Failure::Missing(name)),
        Some(Found::Int(number)) => Ok(number),
        Some(Found::UInt(number)) => i64::try_from(number).map_err(|_| bad()),
        Some(Found::Text(text)) => text.trim().parse().map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

/// The values of `names`: from the body's fields (JSON object or form), else the
/// query string, else the headers of the same name.
async fn fields<'a, const N: usize>(
    req: &'a Request,
    body: &'a [u8],
    names: [&'static str; N],
) -> Result<[Option<Found<'a>>; N], Failure> {
    let mut found: [Option<Found<'a>>; N] = std::array::from_fn(|_| None);
    if !body.is_empty() {
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok());
        let essence = content_type
            .map(|value| value.split(';').next().unwrap_or("").trim())
            .unwrap_or("");
        let is_json = essence.eq_ignore_ascii_case("application/json")
            || (essence.len() >= 5 && essence[essence.len() - 5..].eq_ignore_ascii_case("+json"));
        if is_json {
            json_fields(body, &names, &mut found).map_err(|_| Failure::parse_json(body))?;
        } else if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            if std::str::from_utf8(body).is_err() {
                return Err(Failure::Because("_payload", "the form body is not valid UTF-8"));
            }
            form_fields(body, &names, &mut found);
        } else if essence.eq_ignore_ascii_case("multipart/form-data") {
            multipart_fields(req, body, &names, &mut found)
                .await
                .map_err(|_| Failure::Because("_payload", "the multipart/form-data body is malformed"))?;
        } else {
            // Any other body counts as JSON when it happens to parse.
            let mut picked: [Option<Found<'a>>; N] = std::array::from_fn(|_| None);
            if json_fields(body, &names, &mut picked).is_ok() {
                found = picked;
            }
        }
    }
    if found.iter().any(Option::is_none) {
        let mut queried: [Option<Found<'a>>; N] = std::array::from_fn(|_| None);
        if let Some(query) = req.uri().query() {
            form_fields(query.as_bytes(), &names, &mut queried);
        }
        for (i, slot) in found.iter_mut().enumerate() {
            if slot.is_none() {
                *slot = queried[i].take().or_else(|| {
                    let value = req.headers().get(names[i])?;
                    std::str::from_utf8(value.as_bytes())
                        .ok()
                        .map(|text| Found::Text(Cow::Borrowed(text)))
                });
            }
        }
    }
    Ok(found)
}

/// `application/x-www-form-urlencoded` pairs (a body or a query string): each
/// wanted key's value, percent-decoded only when it has to be.
fn form_fields<'a, const N: usize>(text: &'a [u8], names: &[&str; N], found: &mut [Option<Found<'a>>; N]) {
    for pair in text.split(|&b| b == b'&').filter(|pair| !pair.is_empty()) {
        let (key, value) = match pair.iter().position(|&b| b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let key = percent_decode(key);
        if let Some(i) = names.iter().position(|name| *name == key) {
            found[i] = Some(match found[i] {
                None => Found::Text(percent_decode(value)),
                Some(_) => Found::Repeated,
            });
        }
    }
}

fn percent_decode(text: &[u8]) -> Cow<'_, str> {
    if !text.iter().any(|&b| b == b'%' || b == b'+') {
        return String::from_utf8_lossy(text);
    }
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = |at: usize| text.get(at).and_then(|&b| (b as char).to_digit(16));
                match (hex(i + 1), hex(i + 2)) {
                    (Some(high), Some(low)) => {
                        out.push((high * 16 + low) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(text) => Cow::Owned(text),
        Err(err) => Cow::Owned(String::from_utf8_lossy(err.as_bytes()).into_owned()),
    }
}

async fn multipart_fields<const N: usize>(
    req: &Request,
    body: &[u8],
    names: &[&str; N],
    found: &mut [Option<Found<'_>>; N],
) -> Result<(), poem::Error> {
    let mut request_body = RequestBody::new(Body::from_vec(body.to_vec()));
    let mut multipart = Multipart::from_request(req, &mut request_body).await?;
    while let Some(field) = multipart.next_field().await? {
        let is_file = field.file_name().is_some();
        let slot = field
            .name()
            .and_then(|name| names.iter().position(|wanted| *wanted == name));
        let bytes = field.bytes().await?;
        if let (false, Some(i)) = (is_file, slot) {
            found[i] = Some(match found[i] {
                None => Found::Text(Cow::Owned(String::from_utf8_lossy(&bytes).into_owned())),
                Some(_) => Found::Repeated,
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- JSON, one pass

/// Picks the wanted fields of a JSON body without building its tree. The document
/// is still parsed whole (numbers in range, strings valid, no trailing text), so a
/// body the demo refuses is refused here too; a document that is not an object has
/// no fields.
fn json_fields<'a, const N: usize>(
    body: &'a [u8],
    names: &[&str; N],
    found: &mut [Option<Found<'a>>; N],
) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    Pick { names, found }.deserialize(&mut de)?;
    de.end()
}

struct Pick<'p, 'a, const N: usize> {
    names: &'p [&'p str; N],
    found: &'p mut [Option<Found<'a>>; N],
}

impl<'de, const N: usize> DeserializeSeed<'de> for Pick<'_, 'de, N> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for Pick<'_, 'de, N> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(slot) = map.next_key_seed(Slot(self.names))? {
            match slot {
                // A repeated key: the last one wins, as in a parsed JSON object.
                Some(i) => self.found[i] = Some(map.next_value_seed(FoundSeed)?),
                None => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// A key of the body's object: the index of the wanted name it is, if any.
struct Slot<'p, const N: usize>(&'p [&'p str; N]);

impl<'de, const N: usize> DeserializeSeed<'de> for Slot<'_, N> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<const N: usize> Visitor<'_> for Slot<'_, N> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|name| *name == key))
    }
}

/// A wanted field's value, borrowed from the body when it has no escapes.
struct FoundSeed;

impl<'de> DeserializeSeed<'de> for FoundSeed {
    type Value = Found<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Found<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FoundSeed {
    type Value = Found<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Found<'de>, E> {
        Ok(Found::Null)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Found<'de>, E> {
        Ok(Found::Other)
    }
    fn visit_i64<E: de::Error>(self, number: i64) -> Result<Found<'de>, E> {
        Ok(Found::Int(number))
    }
    fn visit_u64<E: de::Error>(self, number: u64) -> Result<Found<'de>, E> {
        Ok(Found::UInt(number))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Found<'de>, E> {
        Ok(Found::Other)
    }
    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Found<'de>, E> {
        Ok(Found::Text(Cow::Borrowed(text)))
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<Found<'de>, E> {
        Ok(Found::Text(Cow::Owned(text.to_owned())))
    }
    fn visit_string<E: de::Error>(self, text: String) -> Result<Found<'de>, E> {
        Ok(Found::Text(Cow::Owned(text)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Found<'de>, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Found::Compound)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Found<'de>, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Found::Compound)
    }
}

/// A value nobody reads, parsed as strictly as a JSON tree would be (unlike
/// `IgnoredAny`, which lets an out-of-range number through).
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Skip, D::Error> {
        deserializer.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

// ---------------------------------------------------------------- main

#[tokio::main]
async fn main() -> ExitCode {
    let addr = match plain::parse_addr("127.0.0.1:3001", USAGE) {
        Ok(addr) => addr,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let app = Route::new().at("/ping", ping).at("/echo", echo).at("/add", add);
    // What a user would write: poem's own server on its plain TcpListener, no limits.
    // The demo runs with every limit on (`App::serve`): the ratio prices them too.
    let server = Server::new(TcpListener::bind(addr.as_str()));
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match server.run_with_graceful_shutdown(app, shutdown, None).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("baseline: cannot serve on {addr}: {err}");
            ExitCode::FAILURE
        }
    }
}
