//! The demo's bearer tokens (DESIGN §14) over real HTTP: `POST /token` hands one out
//! for any name (a demo: no password), `GET /me` answers who it says you are, and
//! `POST /note_owned_set` lets only a note's owner write it again. The demo's own
//! settings file turns `[auth.jwt]` on, and so does `endpoints::app` for settings
//! without one.

mod common;

#[path = "../examples/demo/endpoints.rs"]
mod endpoints;

use common::{code_of, send, TestServer};
use serde_json::{json, Value};

const LOGIN_REQUIRED: i64 = 1001040009;
const BAD_USER_TOKEN: i64 = 1001040012;
const NO_PERMISSION: i64 = 1001100001;

async fn token(server: &TestServer, username: &str) -> String {
    let request = server
        .client
        .post(server.url("/token"))
        .json(&json!({"username": username}));
    let answer = send(request).await.json;
    answer["result"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_owned()
}

async fn get(server: &TestServer, path: &str, token: Option<&str>) -> Value {
    let mut request = server.client.get(server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    send(request).await.json
}

async fn write(server: &TestServer, token: Option<&str>, name: &str, text: &str) -> Value {
    let mut request = server
        .client
        .post(server.url("/note_owned_set"))
        .json(&json!({"name": name, "text": text}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    send(request).await.json
}

#[tokio::test]
async fn a_demo_token_says_who_you_are() {
    let server = common::serve(endpoints::app(common::settings(""))).await;
    assert_eq!(code_of(&get(&server, "/me", None).await), LOGIN_REQUIRED);
    let ann = token(&server, "ann").await;
    let me = get(&server, "/me", Some(&ann)).await;
    assert_eq!(me["result"]["id"], "ann", "{me}");
    let claims = &me["result"]["claims"];
    assert_eq!(
        (claims["iss"].as_str(), claims["demo"].as_bool()),
        (Some("apiview-demo"), Some(true))
    );
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        15 * 60
    );
    assert_eq!(
        code_of(&get(&server, "/me", Some("not-a-token")).await),
        BAD_USER_TOKEN
    );
    // An empty name gets no token.
    let request = server
        .client
        .post(server.url("/token"))
        .json(&json!({"username": ""}));
    assert_eq!(code_of(&send(request).await.json), 1001060004);
}

#[tokio::test]
async fn only_the_owner_writes_an_owned_note_again() {
    let server = common::serve(endpoints::app(common::settings(""))).await;
    let (ann, bob) = (token(&server, "ann").await, token(&server, "bob").await);
    assert_eq!(
        code_of(&write(&server, None, "demo-auth-plan", "x").await),
        LOGIN_REQUIRED
    );
    let first = write(&server, Some(&ann), "demo-auth-plan", "ship it").await;
    assert_eq!(
        first["result"],
        json!({"name": "demo-auth-plan", "owner": "ann", "text": "ship it"})
    );
    assert_eq!(
        code_of(&write(&server, Some(&bob), "demo-auth-plan", "mine now").await),
        NO_PERMISSION
    );
    let again = write(&server, Some(&ann), "demo-auth-plan", "shipped").await;
    assert_eq!(again["result"]["text"], "shipped");
    assert_eq!(
        write(&server, Some(&bob), "demo-auth-bobs", "hi").await["result"]["owner"],
        "bob"
    );
}

#[tokio::test]
async fn the_demo_settings_file_turns_bearer_tokens_on() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/apiview.toml");
    let settings = apiview::Settings::from_toml_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let jwt = settings
        .auth
        .jwt
        .clone()
        .expect("the demo's apiview.toml has [auth.jwt]");
    assert_eq!(jwt.issuer, "apiview-demo");
    // Its tokens are the ones `endpoints::app` makes for settings without [auth.jwt].
    let from_file = common::serve(endpoints::app(settings)).await;
    let from_code = common::serve(endpoints::app(common::settings(""))).await;
    let ann = token(&from_file, "ann").await;
    assert_eq!(get(&from_code, "/me", Some(&ann)).await["result"]["id"], "ann");
}
