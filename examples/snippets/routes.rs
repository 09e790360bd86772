//! The snippets API: the routes of the Django REST framework tutorial, each an
//! `#[apiview]` function. Their paths, parameters and answers are the example's public
//! contract.
//!
//! | path | methods | who |
//! |---|---|---|
//! | `/auth/register`, `/auth/login` | POST | anyone: `{"token"}` for `Authorization: Bearer` |
//! | `/users/`, `/users/:id/` | GET | anyone |
//! | `/snippets/` | GET anyone, POST logged in (throttled) |
//! | `/snippets/:id/` | GET anyone; PUT, PATCH, DELETE the owner |
//! | `/snippets/:id/highlight/` | GET | anyone: the highlighted HTML page |

use std::time::Duration;

use apiview::prelude::*;
use apiview::schemars::JsonSchema;
use apiview::settings::SwaggerSettings;
use poem::web::{Data, Html};
use poem::IntoResponse;
use serde::Serialize;

use tokio::sync::Semaphore;

use crate::cpu::on_blocking_pool;
use crate::highlight::{self, DEFAULT_LANGUAGE, DEFAULT_STYLE};
use crate::models::{NewSnippet, Snippet, User};
use crate::passwords;
use crate::storage::Db;

/// What every endpoint shares (`App::data`): the database, and where links point.
#[derive(Clone)]
pub struct Site {
    /// The pool.
    pub db: Db,
    /// `swagger.api_host` and `api_basepath`: the `url` fields are written as the page
    /// links are (`apiview::paginate::link_base`).
    pub swagger: SwaggerSettings,
    /// Whether the snippet list keeps pages in the `default` cache ([`ListCache`]);
    /// `SNIPPETS_LIST_CACHE=off` turns it off, so that every page is read from the
    /// database (the benchmark measures both, BENCHMARKS.md).
    pub list_cache: bool,
}

/// Longest title, in characters (the tutorial's `max_length=100`).
const TITLE_MAX: usize = 100;
/// Longest code, in characters; a file uploaded as the code is held to it too.
const CODE_MAX: usize = 100_000;
/// How long a cached page of the snippet list lives; every write makes it unreachable
/// at once (see [`ListCache`]).
const LIST_TTL: Duration = Duration::from_secs(60);

/// The example's own error codes (declared in the doc comments of the endpoints that
/// answer them, so that the document lists them).
pub mod codes {
    use apiview::{ErrorClass, ErrorCode};

    /// No user or snippet of that id.
    pub const NOT_FOUND: ErrorCode = ErrorCode::new(4040001, "NotFound", "Not found: {what}.")
        .zh_hans("未找到：{what}。")
        .class(ErrorClass::NotFound);
    /// A PATCH that found the snippet changed under it, attempt after attempt.
    pub const EDIT_CONFLICT: ErrorCode = ErrorCode::new(
        4090001,
        "EditConflict",
        "The snippet kept changing while it was being edited; send the change again.",
    )
    .zh_hans("代码片段在编辑时被反复修改，请重新提交。")
    .class(ErrorClass::Business);
    /// `/auth/login` with a wrong username or password (which of the two is not said).
    pub const LOGIN_FAILED: ErrorCode = ErrorCode::new(
        4000001,
        "LoginFailed",
        "Unable to log in with the provided credentials.",
    )
    .zh_hans("用户名或密码错误！")
    .class(ErrorClass::Parameter);
}

fn not_found(what: &str) -> BizError {
    codes::NOT_FOUND.with("what", what)
}

/// A database failure: logged with its cause, answered `DatabaseError` (1001000002).
fn db_error(err: sqlx::Error) -> BizError {
    tracing::error!(%err, "database error");
    BizError::database_error()
}

// ---- the answers ------------------------------------------------------------------

/// A bearer token, for `Authorization: Bearer <token>`; valid for an hour.
#[derive(Serialize, JsonSchema)]
#[schemars(crate = "apiview::schemars")]
pub struct Token {
    pub token: String,
}

/// A user, as the API shows one.
#[derive(Serialize, JsonSchema)]
#[schemars(crate = "apiview::schemars")]
pub struct UserView {
    pub id: i64,
    /// This user's own URL.
    pub url: String,
    pub username: String,
    /// The list of this user's snippets.
    pub snippets: String,
}

impl UserView {
    fn new(base: &str, user: User) -> UserView {
        UserView {
            url: format!("{base}/users/{}/", user.id),
            snippets: format!("{base}/snippets/?owner={}", user.id),
            id: user.id,
            username: user.username,
        }
    }
}

/// A snippet, as the API shows one. Version v2 adds `highlighted`.
#[derive(Serialize, JsonSchema)]
#[schemars(crate = "apiview::schemars")]
pub struct SnippetView {
    pub id: i64,
    /// This snippet's own URL.
    pub url: String,
    /// Its highlighted HTML page.
    pub highlight: String,
    /// The owner's username.
    pub owner: String,
    /// The owner's URL.
    pub owner_url: String,
    pub title: String,
    pub code: String,
    pub linenos: bool,
    pub language: String,
    pub style: String,
    /// When it was created, in milliseconds since the Unix epoch.
    pub created: i64,
    /// v2 only: the highlighted HTML page itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub highlighted: Option<String>,
}

impl SnippetView {
    fn new(request: &ApiRequest, base: &str, snippet: Snippet) -> SnippetView {
        let v2 = request.version() == Some("v2");
        SnippetView {
            url: format!("{base}/snippets/{}/", snippet.id),
            highlight: format!("{base}/snippets/{}/highlight/", snippet.id),
            owner_url: format!("{base}/users/{}/", snippet.owner_id),
            id: snippet.id,
            owner: snippet.owner,
            title: snippet.title,
            code: snippet.code,
            linenos: snippet.linenos,
            language: snippet.language,
            style: snippet.style,
            created: snippet.created,
            highlighted: v2.then_some(snippet.highlighted),
        }
    }
}

fn base(request: &ApiRequest, site: &Site) -> String {
    apiview::paginate::link_base(request, &site.swagger)
}

// ---- users ------------------------------------------------------------------------

/// The characters of a username (Django's): letters, digits and `@ . + - _`.
fn check_username(username: &str) -> apiview::Result<()> {
    let valid = |c: char| c.is_alphanumeric() || "@.+-_".contains(c);
    if username.chars().all(valid) {
        Ok(())
    } else {
        Err(BizError::bad_parameter_because(
            "username",
            "use letters, digits and @ . + - _ only",
        ))
    }
}

fn issue(jwt: &BearerJwt, user: &User) -> apiview::Result<Token> {
    let token = jwt.issue(
        &user.id.to_string(),
        Duration::from_secs(3600),
        serde_json::json!({"username": user.username}),
    )?;
    Ok(Token { token })
}

/// Register a user and log in: answers a bearer token.
///
/// The username is 1 to 150 letters, digits or `@ . + - _` and must be free; the
/// password 8 to 128 characters (stored as an Argon2id hash).
///
/// --------
/// @response: 200 OK "a token for the new user" {{{
///     token: "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
/// }}}
#[apiview(tag = "auth")]
#[allow_post]
#[throttle(rate = "10/m", scope = "snippets.register")]
#[string_length_limit(username, min_length = 1, max_length = 150)]
#[string_length_limit(password, min_length = 8, max_length = 128)]
pub async fn register(
    #[extract] site: Data<&Site>,
    jwt: &BearerJwt,
    username: String,
    password: String,
) -> apiview::Result<Token> {
    check_username(&username)?;
    let hash = passwords::hash(password).await?;
    match site.db.create_user(&username, &hash).await.map_err(db_error)? {
        Some(user) => issue(jwt, &user),
        None => Err(BizError::bad_parameter_because("username", "it is taken")),
    }
}

/// Log in: answers a bearer token for the user.
///
/// --------
/// @response: 200 OK "a token" {{{
///     token: "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
/// }}}
/// @response: 200 ERROR "a wrong username or password" {{{
///     {"code": 4000001, "message": "Unable to log in with the provided credentials."}
/// }}}
#[apiview(tag = "auth")]
#[allow_post]
#[throttle(rate = "10/m", scope = "snippets.login")]
#[throttle(rate = "20/h", scope = "snippets.login_name", key = "{username}")]
#[string_length_limit(username, min_length = 1, max_length = 150)]
#[string_length_limit(password, min_length = 1, max_length = 128)]
pub async fn login(
    #[extract] site: Data<&Site>,
    jwt: &BearerJwt,
    username: String,
    password: String,
) -> apiview::Result<Token> {
    let found = site.db.user_login(&username).await.map_err(db_error)?;
    // An unknown name costs the same hashing as a wrong password: the time of the
    // answer does not tell which names exist.
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let matches = passwords::verify(password, hash).await?;
    match user {
        Some(user) if matches => issue(jwt, &user),
        _ => Err(codes::LOGIN_FAILED.error()),
    }
}

/// The users, ten a page, in order of registration.
#[apiview(tag = "users")]
#[allow_get]
#[paginate(page_size = 10, max_page_size = 100)]
pub async fn user_list(
    #[extract] site: Data<&Site>,
    request: &ApiRequest,
    page: PageRequest,
) -> apiview::Result<Page<UserView>> {
    let (users, count) = site
        .db
        .users(page.offset(), page.limit())
        .await
        .map_err(db_error)?;
    let base = base(request, &site);
    Ok(Page::new(
        users.into_iter().map(|user| UserView::new(&base, user)).collect(),
        count,
    ))
}

/// A user.
///
/// --------
/// @response: 200 ERROR "no user of that id" {{{
///     {"code": 4040001, "message": "Not found: user."}
/// }}}
#[apiview(tag = "users")]
#[allow_get]
pub async fn user_detail(
    #[extract] site: Data<&Site>,
    request: &ApiRequest,
    id: i64,
) -> apiview::Result<UserView> {
    match site.db.user(id).await.map_err(db_error)? {
        Some(user) => Ok(UserView::new(&base(request, &site), user)),
        None => Err(not_found("user")),
    }
}

// ---- snippets ---------------------------------------------------------------------

/// The snippet list's cache: pages of rows (not of answers: links and the v2 field
/// are made per request) under a *generation*, a random token that every write
/// replaces. A reader looks the generation up first, so a page computed before a
/// write, and stored after it, is stored under a generation nobody reads any more: the
/// list never shows a snippet deleted before the request began.
struct ListCache<'a> {
    cache: Option<&'a apiview::cache::Cache>,
}

const GENERATION_KEY: &str = "snippets:generation";

type Rows = (Vec<Snippet>, u64);

impl<'a> ListCache<'a> {
    fn of(request: &'a ApiRequest, site: &Site) -> ListCache<'a> {
        ListCache {
            cache: request.cache("default").filter(|_| site.list_cache),
        }
    }

    /// The current generation, starting one when there is none.
    async fn generation(&self) -> Option<String> {
        let cache = self.cache?;
        match cache.get(GENERATION_KEY).await {
            Ok(Some(serde_json::Value::String(generation))) => Some(generation),
            Ok(_) => self.bump().await,
            // A failing cache is a miss: the database answers.
            Err(_) => None,
        }
    }

    /// Starts a new generation: every page cached so far is out of reach.
    async fn bump(&self) -> Option<String> {
        let cache = self.cache?;
        let generation = format!("{:016x}", rand::random::<u64>());
        // Longer than any page lives, so the pages of a generation die before it.
        cache.set(GENERATION_KEY, &generation, LIST_TTL * 60).await.ok()?;
        Some(generation)
    }

    fn key(generation: &str, owner: Option<i64>, page: &PageRequest) -> String {
        let owner = owner.map_or_else(|| "all".to_owned(), |owner| owner.to_string());
        format!(
            "snippets:list:{generation}:{owner}:{}:{}",
            page.offset(),
            page.limit()
        )
    }

    async fn get(&self, key: &str) -> Option<Rows> {
        let value = self.cache?.get(key).await.ok()??;
        serde_json::from_value(value).ok()
    }

    async fn set(&self, key: &str, rows: &Rows) {
        if let Some(cache) = self.cache {
            let _ = cache.set(key, rows, LIST_TTL).await;
        }
    }
}

/// Every write to a snippet ends here: the cached list pages are out of reach.
async fn snippets_changed(request: &ApiRequest, site: &Site) {
    if !site.list_cache {
        return;
    }
    let list = ListCache::of(request, site);
    if list.bump().await.is_none() {
        tracing::warn!(
            "the snippet list cache could not be invalidated; pages may be stale for up to a minute"
        );
    }
}

/// The snippets, ten a page, oldest first; `owner` keeps one user's.
///
/// Cached, and never stale after a write. Version v2 adds `highlighted` to each (send
/// `Accept: application/json; version=v2`).
#[apiview(tag = "snippets")]
#[allow_get]
#[paginate(page_size = 10, max_page_size = 100)]
pub async fn snippet_list(
    #[extract] site: Data<&Site>,
    request: &ApiRequest,
    page: PageRequest,
    owner: Option<i64>,
) -> apiview::Result<Page<SnippetView>> {
    let list = ListCache::of(request, &site);
    let generation = list.generation().await;
    let key = generation
        .as_deref()
        .map(|generation| ListCache::key(generation, owner, &page));
    let cached = match &key {
        Some(key) => list.get(key).await,
        None => None,
    };
    let (snippets, count) = match cached {
        Some(rows) => rows,
        None => {
            let rows = site
                .db
                .snippets(owner, page.offset(), page.limit())
                .await
                .map_err(db_error)?;
            if let Some(key) = &key {
                list.set(key, &rows).await;
            }
            rows
        }
    };
    let base = base(request, &site);
    Ok(Page::new(
        snippets
            .into_iter()
            .map(|snippet| SnippetView::new(request, &base, snippet))
            .collect(),
        count,
    ))
}

/// The language tokens a snippet may name: the highlighter's own list.
fn languages() -> impl Iterator<Item = &'static str> {
    highlight::languages().iter().map(String::as_str)
}

/// The styles a snippet may name: the highlighter's themes.
fn styles() -> impl Iterator<Item = &'static str> {
    highlight::styles().iter().map(String::as_str)
}

/// The code of a new snippet: `code`, or the text of the uploaded `file`.
async fn code_of(code: Option<String>, file: Option<Upload>) -> apiview::Result<(String, Option<String>)> {
    match (code, file) {
        (Some(code), None) => Ok((code, None)),
        (None, Some(file)) => {
            let name = file.filename().map(str::to_owned);
            let bytes = file.bytes().await?;
            let code = String::from_utf8(bytes.to_vec())
                .map_err(|_| BizError::bad_parameter_because("file", "send UTF-8 text"))?;
            if code.is_empty() {
                return Err(BizError::bad_parameter_because("file", "the file is empty"));
            }
            if code.chars().count() > CODE_MAX {
                return Err(BizError::bad_parameter_because(
                    "file",
                    format!("the code is at most {CODE_MAX} characters"),
                ));
            }
            Ok((code, name))
        }
        (Some(_), Some(_)) => Err(BizError::bad_parameter_because(
            "file",
            "send the code as `code` or as a file, not both",
        )),
        (None, None) => Err(BizError::missing_parameter("code")),
    }
}

/// Highlightings running at once: a large snippet takes tens of milliseconds of CPU
/// (hundreds in a debug build), and any logged-in user may send many.
static HIGHLIGHTING: Semaphore = Semaphore::const_new(2);

/// Highlights on the blocking pool, two at a time.
async fn highlighted(snippet: &NewSnippet) -> apiview::Result<String> {
    let snippet = snippet.clone();
    on_blocking_pool(&HIGHLIGHTING, "highlighting", move || {
        highlight::highlight(
            &snippet.code,
            &snippet.language,
            &snippet.style,
            snippet.linenos,
            &snippet.title,
        )
    })
    .await
}

/// Create a snippet, owned by the caller, from `code` or an uploaded `file`.
///
/// The file comes in a multipart body; its name is the title when none is given.
/// Without a file, the fields may come as JSON or a form. Throttled: 30 a minute per
/// client address.
///
/// --------
/// @response: 200 ERROR "neither `code` nor `file`" {{{
///     {"code": 1001060001, "message": "Missing parameter: code."}
/// }}}
// The longest valid request is 1.2 MB: 100 000 characters of four UTF-8 bytes, each
// byte percent-encoded in a form, or each character `\uXXXX\uXXXX` in ASCII-only JSON.
#[apiview(tag = "snippets", body_limit = 2_097_152)]
#[allow_post]
#[throttle(rate = "30/m", scope = "snippets.create")]
#[string_length_limit(title, max_length = 100)]
#[string_length_limit(code, min_length = 1, max_length = 100000)]
#[choices(language, languages, allow_none = true)]
#[choices(style, styles, allow_none = true)]
#[allow(clippy::too_many_arguments)]
pub async fn snippet_create(
    #[extract] site: Data<&Site>,
    request: &ApiRequest,
    me: &Identity,
    title: Option<String>,
    code: Option<String>,
    file: Option<Upload>,
    linenos: Option<bool>,
    language: Option<String>,
    style: Option<String>,
) -> apiview::Result<SnippetView> {
    let owner = owner_id(me)?;
    let (code, file_name) = code_of(code, file).await?;
    let title = title
        .or(file_name.map(|name| name.chars().take(TITLE_MAX).collect()))
        .unwrap_or_default();
    let new = NewSnippet {
        title,
        code,
        linenos: linenos.unwrap_or(false),
        language: language.unwrap_or_else(|| DEFAULT_LANGUAGE.to_owned()),
        style: style.unwrap_or_else(|| DEFAULT_STYLE.to_owned()),
    };
    let html = highlighted(&new).await?;
    let snippet = site
        .db
        .create_snippet(owner, &new, &html)
        .await
        .map_err(|err| match &err {
            // A well-signed token of a user the database does not have (it was reset
            // under a kept `[auth.jwt]` secret): the token's fault, not the database's.
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                apiview::error::codes::BAD_USER_TOKEN.error()
            }
            _ => db_error(err),
        })?;
    snippets_changed(request, &site).await;
    Ok(SnippetView::new(request, &base(request, &site), snippet))
}

/// The caller's user id: the subject of the tokens `/auth/*` issue.
fn owner_id(me: &Identity) -> apiview::Result<i64> {
    me.id()
        .parse()
        .map_err(|_| apiview::error::codes::BAD_USER_TOKEN.error())
}

/// The permission of the writes (DESIGN §14): only the owner edits or deletes. A
/// snippet that does not exist is `NotFound`, whoever asks.
async fn owns_snippet(me: &Identity, site: &Data<&Site>, id: &i64) -> apiview::Result<()> {
    match site.db.snippet_owner(*id).await.map_err(db_error)? {
        None => Err(not_found("snippet")),
        Some(owner) if owner_id(me)? == owner => Ok(()),
        Some(_) => Err(BizError::no_permission()),
    }
}

/// A snippet.
///
/// --------
/// @response: 200 ERROR "no snippet of that id" {{{
///     {"code": 4040001, "message": "Not found: snippet."}
/// }}}
#[apiview(tag = "snippets")]
#[allow_get]
pub async fn snippet_detail(
    #[extract] site: Data<&Site>,
    request: &ApiRequest,
    id: i64,
) -> apiview::Result<SnippetView> {
    match site.db.snippet(id).await.map_err(db_error)? {
        Some(snippet) => Ok(SnippetView::new(request, &base(request, &site), snippet)),
        None => Err(not_found("snippet")),
    }
}

/// Replace a snippet (its owner only).
///
/// `code` is required; a field left out takes its default (no title, no line numbers,
/// python, InspiredGitHub).
///
/// --------
/// @response: 200 ERROR "no snippet of that id" {{{
///     {"code": 4040001, "message": "Not found: snippet."}
/// }}}
#[apiview(tag = "snippets")]
#[allow_put]
#[throttle(rate = "60/m", scope = "snippets.write")]
#[permission(owns_snippet(site, id))]
#[string_length_limit(title, max_length = 100)]
#[string_length_limit(code, min_length = 1, max_length = 100000)]
#[choices(language, languages, allow_none = true)]
#[choices(style, styles, allow_none = true)]
#[allow(clippy::too_many_arguments)]
pub async fn snippet_update(
    #[extract] site: Data<&Site>,
    request: &ApiRequest,
    id: i64,
    title: Option<String>,
    code: String,
    linenos: Option<bool>,
    language: Option<String>,
    style: Option<String>,
) -> apiview::Result<SnippetView> {
    let new = NewSnippet {
        title: title.unwrap_or_default(),
        code,
        linenos: linenos.unwrap_or(false),
        language: language.unwrap_or_else(|| DEFAULT_LANGUAGE.to_owned()),
        style: style.unwrap_or_else(|| DEFAULT_STYLE.to_owned()),
    };
    save(&site, request, id, new).await
}

/// Change some fields of a snippet (its owner only).
///
/// The fields left out keep their values. Two PATCHes of different fields sent at
/// once both land: a PATCH writes only if the snippet is still as it read it, and
/// otherwise reads it again (five times at most, then `EditConflict`).
///
/// --------
/// @response: 200 ERROR "no snippet of that id" {{{
///     {"code": 4040001, "message": "Not found: snippet."}
/// }}}
/// @response: 200 ERROR "the snippet kept changing under five attempts" {{{
///     {"code": 4090001, "message": "The snippet kept changing while it was being edited; send the change again."}
/// }}}
#[apiview(tag = "snippets")]
#[allow_patch]
#[throttle(rate = "60/m", scope = "snippets.write")]
#[permission(owns_snippet(site, id))]
#[string_length_limit(title, max_length = 100)]
#[string_length_limit(code, min_length = 1, max_length = 100000)]
#[choices(language, languages, allow_none = true)]
#[choices(style, styles, allow_none = true)]
#[allow(clippy::too_many_arguments)]
pub async fn snippet_partial_update(
    #[extract] site: Data<&Site>,
    request: &ApiRequest,
    id: i64,
    title: Option<String>,
    code: Option<String>,
    linenos: Option<bool>,
    language: Option<String>,
    style: Option<String>,
) -> apiview::Result<SnippetView> {
    // Read, change, and write only if nothing changed since the read: two PATCHes of
    // different fields sent at once both land, neither overwrites the other.
    for _ in 0..PATCH_ATTEMPTS {
        let Some(old) = site.db.snippet(id).await.map_err(db_error)? else {
            return Err(not_found("snippet"));
        };
        let read = NewSnippet {
            title: old.title,
            code: old.code,
            linenos: old.linenos,
            language: old.language,
            style: old.style,
        };
        let new = NewSnippet {
            title: title.clone().unwrap_or_else(|| read.title.clone()),
            code: code.clone().unwrap_or_else(|| read.code.clone()),
            linenos: linenos.unwrap_or(read.linenos),
            language: language.clone().unwrap_or_else(|| read.language.clone()),
            style: style.clone().unwrap_or_else(|| read.style.clone()),
        };
        let html = highlighted(&new).await?;
        let saved = site
            .db
            .update_snippet_if_unchanged(id, &read, &new, &html)
            .await
            .map_err(db_error)?;
        if let Some(snippet) = saved {
            snippets_changed(request, &site).await;
            return Ok(SnippetView::new(request, &base(request, &site), snippet));
        }
    }
    Err(codes::EDIT_CONFLICT.error())
}

/// How many times a PATCH reads and tries again when the snippet changed under it.
const PATCH_ATTEMPTS: usize = 5;

async fn save(site: &Site, request: &ApiRequest, id: i64, new: NewSnippet) -> apiview::Result<SnippetView> {
    let html = highlighted(&new).await?;
    let saved = site.db.update_snippet(id, &new, &html).await.map_err(db_error)?;
    snippets_changed(request, site).await;
    match saved {
        Some(snippet) => Ok(SnippetView::new(request, &base(request, site), snippet)),
        None => Err(not_found("snippet")),
    }
}

/// Delete a snippet (its owner only). Answers `null`.
///
/// --------
/// @response: 200 ERROR "no snippet of that id" {{{
///     {"code": 4040001, "message": "Not found: snippet."}
/// }}}
#[apiview(tag = "snippets")]
#[allow_delete]
#[throttle(rate = "60/m", scope = "snippets.write")]
#[permission(owns_snippet(site, id))]
pub async fn snippet_delete(
    #[extract] site: Data<&Site>,
    request: &ApiRequest,
    id: i64,
) -> apiview::Result<()> {
    let deleted = site.db.delete_snippet(id).await.map_err(db_error)?;
    snippets_changed(request, &site).await;
    if deleted {
        Ok(())
    } else {
        Err(not_found("snippet"))
    }
}

/// The snippet's highlighted HTML page (not packed: `text/html`).
///
/// A missing snippet is a packed `NotFound`. The page is made of what a user sent,
/// escaped by the highlighter; a content security policy lets it have inline styles
/// and nothing else (no script, no request anywhere), should an escape ever be missed.
///
/// --------
/// @response: 200 ERROR "no snippet of that id" {{{
///     {"code": 4040001, "message": "Not found: snippet."}
/// }}}
#[apiview(tag = "snippets", content_type = "text/html")]
#[allow_get]
pub async fn snippet_highlight(
    #[extract] site: Data<&Site>,
    id: i64,
) -> apiview::Result<Raw<poem::Response>> {
    match site.db.snippet(id).await.map_err(db_error)? {
        Some(snippet) => Ok(Raw(Html(snippet.highlighted)
            .with_header(
                "content-security-policy",
                "default-src 'none'; style-src 'unsafe-inline'",
            )
            .into_response())),
        None => Err(not_found("snippet")),
    }
}
