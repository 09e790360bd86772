//! A running snippets site for one test: the example's App on a fresh database, served
//! on a loopback port, and the requests its tests send.
//!
//! Registration and login are throttled per client address (10 a minute) and creation
//! too (30 a minute), and the example's rates are not settings. The test settings
//! trust `127.0.0.1` as a proxy instead, and each [`User`] sends its own
//! `X-Forwarded-For` address: every user has budgets of their own, while a request
//! without the header counts as `127.0.0.1`'s. Each site is a new App, so its
//! throttle counters and list cache (`memory://`) start empty.

use std::sync::atomic::{AtomicU32, Ordering};

use base64::Engine;
use reqwest::{Method, RequestBuilder};
use serde_json::Value;

use crate::common::postgres::PostgresServer;
use crate::common::{self, Answer, Part, TestServer};
use crate::{app, storage};

pub const NOT_FOUND: i64 = 4040001;
pub const EDIT_CONFLICT: i64 = 4090001;
pub const LOGIN_FAILED: i64 = 4000001;
pub const DATABASE_ERROR: i64 = 1001000002;
pub const TOO_MANY_REQUESTS: i64 = 1001010007;
pub const NO_PERMISSION: i64 = 1001100001;
pub const LOGIN_REQUIRED: i64 = 1001040009;
pub const BAD_USER_TOKEN: i64 = 1001040012;
pub use crate::common::{
    BAD_PARAMETER, BAD_PARAMETER_TYPE, MISSING_PARAMETER, STRING_TOO_LONG, STRING_TOO_SHORT,
};

/// The password every test user registers with.
pub const PASSWORD: &str = "correct-horse-battery";

/// `Accept` asking for version v2.
pub const V2: &str = "application/json; version=v2";

/// The database a scenario runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A file in a temporary folder.
    Sqlite,
    /// A new database on the test binary's shared server.
    Postgres,
}

impl Backend {
    /// A fresh, empty database: its URL, and the folder to keep while it is used.
    pub async fn new_database(self) -> (String, Option<tempfile::TempDir>) {
        match self {
            Backend::Sqlite => {
                let folder = tempfile::tempdir().expect("a temporary folder");
                let url = format!("sqlite://{}", folder.path().join("snippets.db").display());
                (url, Some(folder))
            }
            Backend::Postgres => (PostgresServer::shared().await.new_database().await, None),
        }
    }
}

/// The example's App on its own database, served over TCP.
pub struct Site {
    pub server: TestServer,
    /// The database's URL, for a second connection that goes around the App.
    pub db_url: String,
    _folder: Option<tempfile::TempDir>,
    /// The last address handed to a user.
    addresses: AtomicU32,
}

/// A registered user, and the address their requests come from.
#[derive(Clone, Debug)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub token: String,
    pub address: String,
}

impl Site {
    /// The example on a fresh database of `backend`, with the test settings.
    pub async fn start(backend: Backend) -> Site {
        Site::with_settings(backend, "").await
    }

    /// Same, with `extra` TOML before the test settings (top-level keys first).
    pub async fn with_settings(backend: Backend, extra: &str) -> Site {
        let (url, folder) = backend.new_database().await;
        let mut site = Site::on(&url, extra).await;
        site._folder = folder;
        site
    }

    /// The example on the database at `url`.
    pub async fn on(url: &str, extra: &str) -> Site {
        let settings = common::settings(&format!("{extra}\n[throttle]\ntrusted_proxies = ['127.0.0.1']\n"));
        let db = storage::Db::connect(url)
            .await
            .unwrap_or_else(|err| panic!("cannot open {url}: {err}"));
        let server = common::serve(app::app(app::settings(settings), db, true)).await;
        Site {
            server,
            db_url: url.to_owned(),
            _folder: None,
            addresses: AtomicU32::new(0),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> &str {
        &self.server.base
    }

    /// A second connection to the site's database, around the App.
    pub async fn db(&self) -> storage::Db {
        storage::Db::connect(&self.db_url).await.expect("a second pool")
    }

    /// An address no other user of this site has (TEST-NET-2, then TEST-NET-3).
    pub fn new_address(&self) -> String {
        let n = self.addresses.fetch_add(1, Ordering::Relaxed) + 1;
        assert!(n < 500, "out of test addresses");
        if n < 250 {
            format!("198.51.100.{n}")
        } else {
            format!("203.0.113.{}", n - 249)
        }
    }

    /// A request from nobody in particular (the client address is `127.0.0.1`).
    pub fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.server.client.request(method, self.server.url(path))
    }

    /// A request from `address`, without a token.
    pub fn from(&self, address: &str, method: Method, path: &str) -> RequestBuilder {
        self.anonymous(method, path).header("x-forwarded-for", address)
    }

    /// A request of `user`: their token, from their address.
    pub fn as_user(&self, user: &User, method: Method, path: &str) -> RequestBuilder {
        self.from(&user.address, method, path).bearer_auth(&user.token)
    }

    /// `GET path`, anonymously.
    pub async fn get(&self, path: &str) -> Answer {
        common::send(self.anonymous(Method::GET, path)).await
    }

    /// `GET path` in version v2.
    pub async fn get_v2(&self, path: &str) -> Answer {
        common::send(self.anonymous(Method::GET, path).header("accept", V2)).await
    }

    /// `method path` with a form body, as `user` (anonymously with `None`).
    pub async fn send_form(
        &self,
        user: Option<&User>,
        method: Method,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Answer {
        let request = match user {
            Some(user) => self.as_user(user, method, path),
            None => self.anonymous(method, path),
        };
        common::send(request.form(fields)).await
    }

    /// `POST /snippets/` as `user` with a multipart body.
    pub async fn upload(&self, user: &User, parts: &[Part<'_>]) -> Answer {
        let (content_type, body) = common::multipart(parts);
        let request = self
            .as_user(user, Method::POST, "/snippets/")
            .header("content-type", content_type)
            .body(body);
        common::send(request).await
    }

    /// Creates a snippet as `user` and answers it (panics unless it was created).
    pub async fn create(&self, user: &User, fields: &[(&str, &str)]) -> Value {
        let answer = self
            .send_form(Some(user), Method::POST, "/snippets/", fields)
            .await;
        result(&answer).clone()
    }

    /// `POST /auth/register` from `address`.
    pub async fn try_register(&self, address: &str, username: &str, password: &str) -> Answer {
        let form = [("username", username), ("password", password)];
        common::send(self.from(address, Method::POST, "/auth/register").form(&form)).await
    }

    /// `POST /auth/login` from `address`.
    pub async fn try_login(&self, address: &str, username: &str, password: &str) -> Answer {
        let form = [("username", username), ("password", password)];
        common::send(self.from(address, Method::POST, "/auth/login").form(&form)).await
    }

    /// Registers `username` from an address of their own (panics unless registered).
    pub async fn register(&self, username: &str) -> User {
        let address = self.new_address();
        let answer = self.try_register(&address, username, PASSWORD).await;
        let token = result(&answer)["token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token in {:?}", answer.json))
            .to_owned();
        let claims = claims(&token);
        assert_eq!(claims["username"], username, "{claims}");
        let id = claims["sub"]
            .as_str()
            .and_then(|sub| sub.parse().ok())
            .unwrap_or_else(|| panic!("the subject is not a user id: {claims}"));
        User {
            id,
            name: username.to_owned(),
            token,
            address,
        }
    }

    /// Every snippet id of the list at `path` (which has no `page` yet), walking its
    /// `next` links to the end; checks `count` on each page and `previous` links.
    pub async fn walk(&self, path: &str) -> Vec<i64> {
        let mut ids = Vec::new();
        let mut next = Some(self.server.url(path));
        let mut previous_url: Option<String> = None;
        let mut count = None;
        let mut pages = 0;
        while let Some(url) = next {
            pages += 1;
            assert!(pages < 1000, "the links do not end");
            let page = common::send(self.server.client.get(&url)).await;
            let page = result(&page);
            let this_count = page["count"].as_u64().expect("a count");
            assert_eq!(*count.get_or_insert(this_count), this_count, "the count changed");
            if pages == 1 {
                assert_eq!(page["previous"], Value::Null, "{page}");
            } else {
                // `previous` leads back to the page before, which served this link.
                let previous = page["previous"].as_str().expect("a previous link");
                let back = common::send(self.server.client.get(previous)).await;
                let back_page = common::send(self.server.client.get(previous_url.as_deref().unwrap())).await;
                assert_eq!(result(&back), result(&back_page), "previous of {url}");
            }
            ids.extend(ids_of(page));
            next = page["next"].as_str().map(str::to_owned);
            previous_url = Some(url);
        }
        assert_eq!(
            ids.len() as u64,
            count.unwrap_or(0),
            "the pages hold `count` items"
        );
        ids
    }
}

/// The result of a successful answer (panics with the answer otherwise).
pub fn result(answer: &Answer) -> &Value {
    assert_eq!(answer.status, 200, "{:?}", answer.json);
    assert_eq!(answer.json["success"], true, "not a success: {}", answer.json);
    &answer.json["result"]
}

/// The error code of a failed answer (panics when it succeeded).
pub fn code(answer: &Answer) -> i64 {
    common::code_of(&answer.json)
}

/// The error message of a failed answer.
pub fn message(answer: &Answer) -> String {
    common::message_of(&answer.json)
}

/// The ids of a page's results.
pub fn ids_of(page: &Value) -> Vec<i64> {
    page["results"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .iter()
        .map(|item| item["id"].as_i64().expect("an id"))
        .collect()
}

/// `/snippets/ID/`.
pub fn snippet_path(snippet: &Value) -> String {
    format!("/snippets/{}/", snippet["id"].as_i64().expect("an id"))
}

/// The payload of a JSON Web Token (not checked: the server checks it).
pub fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("a JSON payload")
}
