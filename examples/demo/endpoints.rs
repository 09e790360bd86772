//! The demo's endpoints. Their paths, parameters and answers are a public contract:
//! other people test against them.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use apiview::prelude::*;
use apiview::schemars::JsonSchema;
use serde_json::{json, Value};

#[path = "uploads.rs"]
pub mod uploads;

/// Always returns "pong".
///
/// --------
/// @methods: get
/// @response: 200 OK "正确的响应" {{{
///     "pong"
/// }}}
#[apiview]
#[allow_get]
pub async fn ping() -> &'static str {
    "pong"
}

/// Echo the message back.
///
/// Its length must be within [2, 4096] characters.
///
/// --------
/// @methods: post
/// @parameter: body {{{
///     in: body
///     required: true
///     example:
///       msg: "测试的字符串"
/// }}}
/// @response: 200 OK "正确的响应" {{{
///     "测试的字符串"
/// }}}
#[apiview]
#[allow_post]
#[string_length_limit(msg, max_length = 4096, min_length = 2)]
pub async fn echo(msg: String) -> String {
    msg
}

/// Add two integers.
///
/// `a` must be within [0, 100]; `b` is any 64-bit integer.
///
/// --------
/// @parameter: a {{{
///     in: query
///     required: true
///     type: integer
///     example: 1
/// }}}
/// @parameter: b {{{
///     in: query
///     required: true
///     type: integer
///     example: 2
/// }}}
/// @response: 200 OK "the sum" {{{
///     3
/// }}}
#[apiview]
#[requires(a, b)]
#[between(a, 0, 100)]
pub fn add(a: i64, b: i64) -> apiview::Result<i64> {
    add_checked(a, b)
}

/// Echo an operation name, which must be `add` or `sub`.
///
/// --------
/// @parameter: op {{{
///     in: query
///     required: true
///     type: string
///     enum: [add, sub]
/// }}}
/// @response: 200 OK "the operation" {{{
///     "add"
/// }}}
#[apiview]
#[choices(op, ["add", "sub"])]
pub fn pick(op: String) -> String {
    op
}

/// Answers "ok" to callers with the right API key.
///
/// The key goes in the `aclkey` header, query parameter or body field.
///
/// --------
/// @parameter: aclkey {{{
///     in: header
///     required: true
///     type: string
/// }}}
/// @response: 200 OK "authenticated" {{{
///     "ok"
/// }}}
#[apiview]
#[check_aclkey]
pub fn secure() -> &'static str {
    "ok"
}

/// Answers GET only.
///
/// --------
/// @methods: get
/// @response: 200 OK "got" {{{
///     "got"
/// }}}
#[apiview]
#[allow_get]
pub fn only_get() -> &'static str {
    "got"
}

/// Always panics, to show how a panic is packed as SysError.
///
/// The server logs the panic with the request id and goes on serving.
///
/// --------
/// @response: 200 ERROR "system error" {{{
///     {"code": 1001000000, "message": "System Error"}
/// }}}
#[apiview]
pub fn boom() -> &'static str {
    panic!("boom: this endpoint always panics")
}

/// Who is calling: the `uid` cookie and the User-Agent header.
///
/// --------
/// @parameter: uid {{{
///     in: cookie
///     type: string
/// }}}
/// @response: 200 OK "the caller" {{{
///     {"uid": "42", "agent": "curl/8.0"}
/// }}}
#[apiview]
#[cookie_variable(uid)]
#[meta_variable(agent, "HTTP_USER_AGENT")]
pub fn whoami(uid: Option<String>, agent: Option<String>) -> Value {
    json!({"uid": uid, "agent": agent})
}

/// Returns the posted JSON body as it is.
///
/// --------
/// @parameter: user {{{
///     in: body
///     required: true
///     example:
///       name: "ann"
///       age: 3
/// }}}
/// @response: 200 OK "the body" {{{
///     {"name": "ann", "age": 3}
/// }}}
#[apiview]
#[body_alias(user)]
pub fn body(user: Value) -> Value {
    user
}

/// Add two integers, cached for 60 seconds under `add:{a}:{b}`.
///
/// Same parameters and answers as `/add`; a repeated call is answered from the
/// cache (send `Disable-Cache: true` with the `aclkey` to skip the read).
///
/// --------
/// @parameter: a {{{
///     in: query
///     required: true
///     type: integer
/// }}}
/// @parameter: b {{{
///     in: query
///     required: true
///     type: integer
/// }}}
/// @response: 200 OK "the sum" {{{
///     3
/// }}}
#[apiview]
#[requires(a, b)]
#[between(a, 0, 100)]
#[cache(key = "add:{a}:{b}", expire = 60)]
pub fn cached_add(a: i64, b: i64) -> apiview::Result<i64> {
    add_checked(a, b)
}

/// A slow computation, cached for 60 seconds under `square:{n}`: the square of `n`,
/// after a tenth of a second, with the id of the computation that produced it. Several
/// instances sharing a Redis backend with `cache.single_flight = "cluster"` answer a
/// storm of requests for one `n` with one computation's id (DESIGN §18). A cache
/// that fails is a computed answer, not an error (`ignore_errors`, the default).
///
/// --------
/// @parameter: n {{{
///     in: query
///     required: true
///     type: integer
/// }}}
/// @response: 200 OK "the square and the computation's id" {{{
///     {"square": 49, "computation": "9f86d081884c7d65"}
/// }}}
#[apiview]
#[allow_get]
#[requires(n)]
#[between(n, -1_000_000, 1_000_000)]
#[cache(key = "square:{n}", expire = 60)]
pub async fn slow_square(n: i64) -> Value {
    tokio::time::sleep(Duration::from_millis(100)).await;
    json!({"square": n * n, "computation": format!("{:016x}", rand::random::<u64>())})
}

fn add_checked(a: i64, b: i64) -> apiview::Result<i64> {
    a.checked_add(b)
        .ok_or_else(|| BizError::bad_parameter_because("b", "a + b does not fit in a 64-bit integer"))
}

/// The most the note store holds: names (counted twice: they are kept twice) and
/// texts, plus 64 bytes per note. A public demo must not let anyone grow it forever.
const NOTES_MAX_BYTES: usize = 4 * 1024 * 1024;

/// The notes, by name and by age; past [`NOTES_MAX_BYTES`] a write forgets the notes
/// written longest ago (never the one it writes).
struct Notes {
    by_name: BTreeMap<String, (u64, String)>,
    by_age: BTreeMap<u64, String>,
    written: u64,
    bytes: usize,
}

impl Notes {
    const fn new() -> Self {
        Notes {
            by_name: BTreeMap::new(),
            by_age: BTreeMap::new(),
            written: 0,
            bytes: 0,
        }
    }

    fn cost(name: &str, text: &str) -> usize {
        2 * name.len() + text.len() + 64
    }

    /// Stores a note; the names of the notes forgotten to make room.
    fn insert(&mut self, name: String, text: String) -> Vec<String> {
        if let Some((age, old)) = self.by_name.remove(&name) {
            self.by_age.remove(&age);
            self.bytes -= Notes::cost(&name, &old);
        }
        self.written += 1;
        self.bytes += Notes::cost(&name, &text);
        self.by_age.insert(self.written, name.clone());
        self.by_name.insert(name, (self.written, text));
        let mut forgotten = Vec::new();
        while self.bytes > NOTES_MAX_BYTES && self.by_age.len() > 1 {
            let Some((_, oldest)) = self.by_age.pop_first() else {
                break;
            };
            if let Some((_, text)) = self.by_name.remove(&oldest) {
                self.bytes -= Notes::cost(&oldest, &text);
            }
            forgotten.push(oldest);
        }
        forgotten
    }

    fn get(&self, name: &str) -> Option<String> {
        self.by_name.get(name).map(|(_, text)| text.clone())
    }
}

static NOTES: Mutex<Notes> = Mutex::new(Notes::new());

/// Read a note, cached for 60 seconds under `note:{name}`.
///
/// --------
/// @parameter: name {{{
///     in: query
///     required: true
///     type: string
/// }}}
/// @response: 200 OK "the note, or null" {{{
///     "buy milk"
/// }}}
#[apiview]
#[allow_get]
#[cache(key = "note:{name}", expire = 60)]
pub fn note_get(name: String) -> Option<String> {
    NOTES.lock().unwrap_or_else(|e| e.into_inner()).get(&name)
}

/// A note, as `/note_set` takes it: a model in the OpenAPI document
/// (`App::model::<Note>()`), named by `schema: {$ref: Note}` in the doc comment.
#[derive(JsonSchema)]
#[schemars(crate = "apiview::schemars")]
#[allow(dead_code)] // Only its schema is used.
pub struct Note {
    /// The note's name, its key in the cache (`note:{name}`).
    pub name: String,
    /// The text, at most 4096 characters.
    #[schemars(length(max = 4096))]
    pub text: String,
}

/// Write a note and invalidate its cached reads.
///
/// --------
/// @parameter: body {{{
///     in: body
///     required: true
///     schema:
///       $ref: Note
///     example:
///       name: "todo"
///       text: "buy milk"
/// }}}
/// @response: 200 OK "how many cached entries were removed" {{{
///     1
/// }}}
#[apiview]
#[allow_post]
#[string_length_limit(text, max_length = 4096)]
pub async fn note_set(request: &ApiRequest, name: String, text: String) -> apiview::Result<u64> {
    let forgotten = NOTES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(name.clone(), text);
    let cache = request.cache("default").ok_or_else(BizError::cache_error)?;
    let removed = cache.invalidate("note:{name}", &[("name", &name)]).await?;
    // A forgotten note must not live on in its cached reads. The answer counts only
    // the written note's.
    for name in forgotten {
        let _ = cache.invalidate("note:{name}", &[("name", &name)]).await;
    }
    Ok(removed)
}

/// The notes, by name, a page at a time: `{"count", "next", "previous", "results"}`
/// with links that keep the other query parameters.
///
/// --------
/// @response: 200 OK "a page of notes, by name" {{{
///     count: 12
///     next: "http://localhost:3000/note_list?page=3"
///     previous: "http://localhost:3000/note_list?page=1"
///     results:
///       - name: "todo"
///         text: "buy milk"
/// }}}
#[apiview]
#[allow_get]
#[paginate(page_size = 10, max_page_size = 50)]
pub fn note_list(page: PageRequest) -> Page<Value> {
    let notes = NOTES.lock().unwrap_or_else(|e| e.into_inner());
    let skip = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let take = usize::try_from(page.limit()).unwrap_or(usize::MAX);
    let items = notes
        .by_name
        .iter()
        .skip(skip)
        .take(take)
        .map(|(name, (_, text))| json!({"name": name, "text": text}))
        .collect();
    Page::new(items, notes.by_name.len() as u64)
}

/// A greeting, by API version (DESIGN §16; the demo reads it from the
/// `Accept-Version` header): v1 answers a word, v2 an object.
///
/// --------
/// @response: 200 OK "v1" {{{
///     "hello"
/// }}}
/// @response: 200 OK "v2" {{{
///     greeting: "hello"
///     version: "v2"
/// }}}
#[apiview]
#[allow_get]
pub fn greeting(request: &ApiRequest) -> Value {
    match request.version() {
        Some("v1") | None => json!("hello"),
        Some(version) => json!({"greeting": "hello", "version": version}),
    }
}

/// A greeting that exists in v2 only: asked in v1 (or with no version, v1 being the
/// default), it answers `BadParameter(version)`.
///
/// --------
/// @response: 200 OK "v2" {{{
///     greeting: "hello from v2"
///     version: "v2"
/// }}}
#[apiview(versions = ["v2"])]
#[allow_get]
pub fn greeting_v2_only(request: &ApiRequest) -> Value {
    json!({"greeting": "hello from v2", "version": request.version()})
}

/// Throttled: five calls a minute per client address (DESIGN §13); the sixth is
/// answered `TooManyRequests` with `Retry-After`.
///
/// --------
/// @response: 200 OK "ok" {{{
///     "ok"
/// }}}
#[apiview]
#[allow_get]
#[throttle(rate = "5/m")]
pub fn throttled() -> &'static str {
    "ok"
}

/// A bearer token for `username`, valid for 15 minutes (DESIGN §14). **A demo
/// only**: there is no password, anyone gets a token for any name. A real login checks
/// a password (or another factor) first, then issues the token the same way.
///
/// --------
/// @parameter: username {{{
///     in: body
///     required: true
///     type: string
///     example: "ann"
/// }}}
/// @response: 200 OK "the token, for `Authorization: Bearer <token>`" {{{
///     "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2lnbmF0dXJl"
/// }}}
#[apiview]
#[allow_post]
#[string_length_limit(username, min_length = 1, max_length = 64)]
pub fn token(jwt: &BearerJwt, username: String) -> apiview::Result<String> {
    jwt.issue(&username, TOKEN_TTL, json!({"demo": true}))
}

/// How long the demo's tokens last.
const TOKEN_TTL: Duration = Duration::from_secs(15 * 60);

/// Who the bearer token says you are: `{"id", "claims"}`.
///
/// --------
/// @response: 200 OK "the caller" {{{
///     id: "ann"
///     claims:
///       sub: "ann"
///       demo: true
///       iat: 1767225600
///       exp: 1767226500
///       iss: "apiview-demo"
/// }}}
#[apiview]
#[allow_get]
#[login_required]
pub fn current_user(me: Identity) -> Identity {
    me
}

/// The most owned notes the demo keeps: a public demo must not grow forever.
const OWNED_NOTES_MAX: usize = 1024;

/// Owned notes: name → (owner, text).
static OWNED_NOTES: Mutex<BTreeMap<String, (String, String)>> = Mutex::new(BTreeMap::new());

/// Whether `me` may write the owned note `name`: it is free, or theirs.
fn owns_note(me: &Identity, name: &str) -> bool {
    let notes = OWNED_NOTES.lock().unwrap_or_else(|e| e.into_inner());
    notes.get(name).is_none_or(|(owner, _)| owner == me.id())
}

/// Write an owned note: the first writer of a name owns it, and only the owner may
/// write it again (others get `NoPermissionError`). Answers the note.
///
/// --------
/// @parameter: body {{{
///     in: body
///     required: true
///     example:
///       name: "plan"
///       text: "ship it"
/// }}}
/// @response: 200 OK "the note" {{{
///     name: "plan"
///     owner: "ann"
///     text: "ship it"
/// }}}
/// @response: 200 ERROR "the demo holds no more owned notes" {{{
///     {"code": 4001001, "message": "The demo holds no more owned notes."}
/// }}}
#[apiview]
#[allow_post]
#[permission(owns_note(name))]
#[string_length_limit(name, min_length = 1, max_length = 64)]
#[string_length_limit(text, max_length = 4096)]
pub fn note_owned_set(me: &Identity, name: String, text: String) -> apiview::Result<Value> {
    let mut notes = OWNED_NOTES.lock().unwrap_or_else(|e| e.into_inner());
    // Checked again under the lock: another caller may have taken the name since.
    match notes.get(&name) {
        Some((owner, _)) if owner != me.id() => return Err(BizError::no_permission()),
        None if notes.len() >= OWNED_NOTES_MAX => {
            return Err(BizError::new(4001001, "The demo holds no more owned notes."))
        }
        _ => {}
    }
    notes.insert(name.clone(), (me.id().to_owned(), text.clone()));
    Ok(json!({"name": name, "owner": me.id(), "text": text}))
}

/// The demo's `[auth.jwt]`: an HS256 secret that is public, as the demo is. Settings
/// with an `[auth.jwt]` section of their own keep it.
fn authenticated(mut settings: Settings) -> Settings {
    if settings.auth.jwt.is_none() {
        settings.auth.jwt = Some(apiview::settings::JwtSettings {
            secret: DEMO_SECRET.into(),
            issuer: "apiview-demo".into(),
            ..Default::default()
        });
    }
    settings
}

/// The demo's HS256 secret, as its `apiview.toml` has it too. Public: never use a
/// secret from a repository.
const DEMO_SECRET: &str = "apiview-demo-secret-not-for-production";

/// The demo's `[versioning]`: `Accept-Version`, v1 (the default) and v2. Settings
/// with a scheme of their own keep it.
fn versioned(mut settings: Settings) -> Settings {
    let versioning = &mut settings.versioning;
    if !versioning.is_on() {
        versioning.scheme = "header".into();
        versioning.allowed = vec!["v1".into(), "v2".into()];
        versioning.default = "v1".into();
    }
    settings
}

/// Every demo endpoint, at its path, with the Swagger UI under `/apiview/`. The API
/// is versioned by the `Accept-Version` header unless the settings choose another
/// `[versioning]` scheme, and authenticates bearer tokens (HS256, the demo's secret)
/// unless they have an `[auth.jwt]` of their own.
pub fn app(settings: Settings) -> App {
    App::new(authenticated(versioned(settings)))
        .swagger()
        .model::<Note>()
        .at("/ping", ping)
        .at("/echo", echo)
        .at("/add", add)
        .at("/pick", pick)
        .at("/secure", secure)
        .at("/only_get", only_get)
        .at("/boom", boom)
        .at("/whoami", whoami)
        .at("/body", body)
        .at("/cached_add", cached_add)
        .at("/slow_square", slow_square)
        .at("/note_get", note_get)
        .at("/note_set", note_set)
        .at("/note_list", note_list)
        .at("/upload", uploads::upload)
        .at("/upload_many", uploads::upload_many)
        .at("/greeting", greeting)
        .at("/greeting_v2_only", greeting_v2_only)
        .at("/throttled", throttled)
        .at("/token", token)
        .at("/me", current_user)
        .at("/note_owned_set", note_owned_set)
}
