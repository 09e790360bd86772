//! The snippets benchmark's baseline (`cargo xtask bench-snippets`, BENCHMARKS.md): the
//! two reads of `examples/snippets`, `GET /snippets/` and `GET /snippets/:id/`, written
//! by hand on plain poem, as a user without apiview would write them.
//!
//! ```text
//! cargo run --release --example snippets_baseline -- --addr 127.0.0.1:8001
//! DATABASE_URL=postgres://user@host/db cargo run --release --example snippets_baseline
//! ```
//!
//! - **The same SQL through the same pool**: the example's `storage.rs` and `models.rs`
//!   are compiled in as they are (`#[path]`), so the queries, the pool's settings and
//!   the row decoding are the example's own. The database is `$DATABASE_URL`, as for
//!   the example (default `sqlite://snippets.db`).
//! - **The same answers**, byte for byte for what the benchmark asks (it compares them
//!   before measuring): the simple envelope `{"success":true,"result":…}`, Django REST
//!   framework's page `{"count","next","previous","results"}` with `page` and
//!   `page_size` (at most 100) and `owner`, absolute `url`s from a plain `Host`
//!   header, v2's `highlighted` when `Accept` says `version=v2`, the same headers.
//! - **What a hand-written server would not do**: no list cache (the example's pages
//!   are cached; the benchmark measures it with and without), no limits or timeouts
//!   (poem's own `TcpListener`, as `tools/src/bin/baseline.rs`), no request log. Query
//!   values are read as they come (digits, no percent-decoding), and an unknown version
//!   is answered as v1 rather than refused.
//!
//! Where an example's answer allocates, so does this one (`format!` for the urls); the
//! rows are borrowed into the answer, not copied.

// Only the two reads are used here: the rest of the example's storage is not measured.
#[allow(dead_code)]
#[path = "../snippets/models.rs"]
mod models;
#[allow(dead_code)]
#[path = "../snippets/storage.rs"]
mod storage;

#[path = "../../tools/src/plain.rs"]
mod plain;

use std::process::ExitCode;

use poem::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HOST, X_CONTENT_TYPE_OPTIONS};
use poem::http::HeaderValue;
use poem::listener::TcpListener;
use poem::web::{Data, Path};
use poem::{get, handler, EndpointExt, Request, Response, Route, Server};
use serde::Serialize;

use models::Snippet;
use plain::{request_id, REQUEST_ID};
use storage::Db;

const USAGE: &str = "usage: snippets_baseline [--addr HOST:PORT]   (default 127.0.0.1:8001)
The database is $DATABASE_URL: sqlite://snippets.db (the default) or postgres://…";

/// The example's `#[paginate(page_size = 10, max_page_size = 100)]`.
const PAGE_SIZE: u64 = 10;
const MAX_PAGE_SIZE: u64 = 100;

const JSON_UTF8: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");
const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
const OK_PREFIX: &[u8] = br#"{"success":true,"result":"#;

// ---------------------------------------------------------------- the handlers

#[handler]
async fn snippet_list(req: &Request, db: Data<&Db>) -> Response {
    let id = request_id(req);
    let query = match ListQuery::parse(req.uri().query().unwrap_or("")) {
        Ok(query) => query,
        Err(failure) => return failure.answer(id),
    };
    let offset = match (query.page - 1).checked_mul(query.size) {
        Some(offset) => offset,
        None => return Failure::BadParameter("page", "is past any page").answer(id),
    };
    let (snippets, count) = match db.snippets(query.owner, offset, query.size).await {
        Ok(rows) => rows,
        Err(err) => return Failure::database(err).answer(id),
    };
    let base = base(req);
    let v2 = wants_v2(req);
    let next = offset
        .checked_add(query.size)
        .filter(|&next| next < count)
        .map(|next| query.link(&base, next));
    // Past the last page, `previous` points at the last page.
    let previous = (offset > 0).then(|| {
        let last = count.saturating_sub(1) / query.size * query.size;
        query.link(&base, (offset - query.size).min(last))
    });
    let page = PageView {
        count,
        next,
        previous,
        results: snippets
            .iter()
            .map(|snippet| SnippetView::new(&base, snippet, v2))
            .collect(),
    };
    answer(packed(&page), id)
}

#[handler]
async fn snippet_detail(req: &Request, Path(text): Path<String>, db: Data<&Db>) -> Response {
    let id = request_id(req);
    let Ok(snippet_id) = text.parse::<i64>() else {
        return Failure::BadType("id").answer(id);
    };
    match db.snippet(snippet_id).await {
        Ok(Some(snippet)) => answer(packed(&SnippetView::new(&base(req), &snippet, wants_v2(req))), id),
        Ok(None) => Failure::NotFound("snippet").answer(id),
        Err(err) => Failure::database(err).answer(id),
    }
}

// ---------------------------------------------------------------- the answers

#[derive(Serialize)]
struct PageView<'a> {
    count: u64,
    next: Option<String>,
    previous: Option<String>,
    results: Vec<SnippetView<'a>>,
}

/// The example's `SnippetView`, borrowing the row's text.
#[derive(Serialize)]
struct SnippetView<'a> {
    id: i64,
    url: String,
    highlight: String,
    owner: &'a str,
    owner_url: String,
    title: &'a str,
    code: &'a str,
    linenos: bool,
    language: &'a str,
    style: &'a str,
    created: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    highlighted: Option<&'a str>,
}

impl<'a> SnippetView<'a> {
    fn new(base: &str, snippet: &'a Snippet, v2: bool) -> SnippetView<'a> {
        SnippetView {
            id: snippet.id,
            url: format!("{base}/snippets/{}/", snippet.id),
            highlight: format!("{base}/snippets/{}/highlight/", snippet.id),
            owner: &snippet.owner,
            owner_url: format!("{base}/users/{}/", snippet.owner_id),
            title: &snippet.title,
            code: &snippet.code,
            linenos: snippet.linenos,
            language: &snippet.language,
            style: &snippet.style,
            created: snippet.created,
            highlighted: v2.then_some(snippet.highlighted.as_str()),
        }
    }
}

/// The simple envelope around `result`.
fn packed(result: &impl Serialize) -> Vec<u8> {
    let mut body = Vec::with_capacity(4096);
    body.extend_from_slice(OK_PREFIX);
    match serde_json::to_writer(&mut body, result) {
        Ok(()) => {
            body.push(b'}');
            body
        }
        Err(_) => br#"{"success":false,"error":{"code":1001000000,"message":"System Error"}}"#.to_vec(),
    }
}

fn answer(body: Vec<u8>, id: HeaderValue) -> Response {
    Response::builder()
        .header(CONTENT_TYPE, JSON_UTF8)
        .header(REQUEST_ID, id)
        .header(X_CONTENT_TYPE_OPTIONS, NOSNIFF)
        .header(CACHE_CONTROL, NO_STORE)
        .body(body)
}

/// The errors these two endpoints answer, with the example's codes and wording.
enum Failure {
    Database,
    BadParameter(&'static str, &'static str),
    BadType(&'static str),
    NotFound(&'static str),
}

impl Failure {
    fn database(err: sqlx::Error) -> Failure {
        eprintln!("snippets_baseline: database error: {err}");
        Failure::Database
    }

    fn answer(self, id: HeaderValue) -> Response {
        let (code, message) = match self {
            Failure::Database => (1001000002, "System Error".to_owned()),
            Failure::BadParameter(name, reason) => (1001060002, format!("Bad parameter: {name}. {reason}.")),
            Failure::BadType(name) => (
                1001060003,
                format!("Bad parameter type: {name}. Expected an integer (i64)."),
            ),
            Failure::NotFound(what) => (4040001, format!("Not found: {what}.")),
        };
        let body = serde_json::json!({"success": false, "error": {"code": code, "message": message}});
        answer(body.to_string().into_bytes(), id)
    }
}

// ---------------------------------------------------------------- the request

/// `page`, `page_size` and `owner` from the query string (the last of repeated keys wins).
struct ListQuery<'a> {
    page: u64,
    size: u64,
    /// Whether the request named its size: the links then keep it.
    sized: bool,
    owner: Option<i64>,
    /// `owner` as sent, for the links.
    owner_text: Option<&'a str>,
}

impl<'a> ListQuery<'a> {
    fn parse(query: &'a str) -> Result<ListQuery<'a>, Failure> {
        let (mut page, mut size, mut owner) = (None, None, None);
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match name {
                "page" => page = Some(value),
                "page_size" => size = Some(value),
                "owner" => owner = Some(value),
                _ => {}
            }
        }
        let positive = |name: &'static str, text: &str| match text.parse::<u64>() {
            Ok(n) if n > 0 && text.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
            _ => Err(Failure::BadParameter(name, "must be a whole number from 1")),
        };
        Ok(ListQuery {
            page: page.map_or(Ok(1), |page| positive("page", page))?,
            size: size
                .map_or(Ok(PAGE_SIZE), |size| positive("page_size", size))?
                .min(MAX_PAGE_SIZE),
            sized: size.is_some(),
            owner: owner
                .map(|owner| owner.parse().map_err(|_| Failure::BadType("owner")))
                .transpose()?,
            owner_text: owner,
        })
    }

    /// The link to the page at `offset`: `owner` kept, then `page` and `page_size`.
    fn link(&self, base: &str, offset: u64) -> String {
        let mut link = format!("{base}/snippets/?");
        if let Some(owner) = self.owner_text {
            link.push_str("owner=");
            link.push_str(owner);
            link.push('&');
        }
        link.push_str(&format!("page={}", offset / self.size + 1));
        if self.sized {
            link.push_str(&format!("&page_size={}", self.size));
        }
        link
    }
}

/// `http://HOST` when the `Host` header is a plain `host[:port]`, else nothing (the
/// links are then relative): a client writes that header.
fn base(req: &Request) -> String {
    let host = req
        .headers()
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .filter(|host| {
            !host.is_empty()
                && host.len() <= 255
                && !host.starts_with(['.', ':'])
                && !host.ends_with(':')
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        });
    host.map_or_else(String::new, |host| format!("http://{host}"))
}

/// Whether `Accept` asks for `version=v2`.
fn wants_v2(req: &Request) -> bool {
    req.headers()
        .get(ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .and_then(|accept| accept.split_once("version="))
        .is_some_and(|(_, rest)| rest.split([';', ',', ' ']).next() == Some("v2"))
}

// ---------------------------------------------------------------- main

#[tokio::main]
async fn main() -> ExitCode {
    let addr = match plain::parse_addr("127.0.0.1:8001", USAGE) {
        Ok(addr) => addr,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://snippets.db".to_owned());
    let db = match Db::connect(&url).await {
        Ok(db) => db,
        Err(err) => {
            eprintln!("snippets_baseline: cannot open the database: {err}");
            return ExitCode::FAILURE;
        }
    };
    let app = Route::new()
        .at("/snippets/", get(snippet_list))
        .at("/snippets/:id/", get(snippet_detail))
        .data(db);
    eprintln!("snippets_baseline listening on {addr}");
    let server = Server::new(TcpListener::bind(addr.as_str()));
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match server.run_with_graceful_shutdown(app, shutdown, None).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("snippets_baseline: cannot serve on {addr}: {err}");
            ExitCode::FAILURE
        }
    }
}
