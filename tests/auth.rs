//! Authentication and permissions over real HTTP (DESIGN §14): `#[login_required]`,
//! `Identity` parameters, `BearerJwt` with HS256 and RS256 tokens and every way a token
//! is refused (expired, not yet valid, other issuer or audience, forged, `alg: none`,
//! algorithm confusion, a malformed header), `#[permission]` functions (bool, Result,
//! async, several, one that panics), the phase order around them (aclkey before,
//! validators and the cache after), semantic statuses, a custom authenticator, and the
//! settings and start-up errors.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use apiview::prelude::*;
use common::{code_of, send, serve, settings, MISSING_PARAMETER, SYS_ERROR};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

const LOGIN_REQUIRED: i64 = 1001040009;
const BAD_USER_TOKEN: i64 = 1001040012;
const NO_PERMISSION: i64 = 1001100001;

const SECRET: &str = "tests-secret-of-at-least-32-bytes!!";

/// The caller, by type: logging in is required.
#[apiview]
fn current(me: Identity) -> Identity {
    me
}

/// `#[login_required]` without taking the caller.
#[apiview]
#[login_required]
fn members() -> &'static str {
    "members only"
}

/// Logging in is optional.
#[apiview]
fn maybe(me: Option<Identity>) -> Option<String> {
    me.map(|me| me.id().to_owned())
}

/// No authentication: the `Authorization` header means nothing here.
#[apiview]
fn public() -> &'static str {
    "public"
}

fn is_owner(me: &Identity, owner: &str) -> bool {
    me.id() == owner
}

fn not_frozen(me: &Identity) -> apiview::Result<()> {
    match me.claim("frozen") {
        Some(_) => Err(BizError::new(4001, "Account frozen.")),
        None => Ok(()),
    }
}

async fn is_admin(me: &Identity) -> bool {
    tokio::task::yield_now().await;
    me.claim("admin") == Some(&json!(true))
}

fn explodes(_me: &Identity, owner: Option<&str>) -> bool {
    panic!("the permission exploded for {owner:?}")
}

/// Only the owner named in the request may edit.
#[apiview]
#[permission(is_owner(owner))]
fn edit(owner: String, text: String) -> String {
    format!("{owner}: {text}")
}

/// A permission returning `Result`: its own error answers.
#[apiview]
#[permission(not_frozen)]
fn write(me: &Identity) -> String {
    me.id().to_owned()
}

/// An `async` permission.
#[apiview]
#[permission(is_admin)]
fn admins_only() -> &'static str {
    "admin"
}

/// Several permissions: all must pass.
#[apiview]
#[permission(is_owner(owner))]
#[permission(is_admin)]
#[permission(not_frozen)]
fn strict(owner: String) -> String {
    owner
}

/// A permission that panics.
#[apiview]
#[permission(explodes(owner))]
fn boom(owner: Option<String>) -> Option<String> {
    owner
}

static DOC_RUNS: AtomicUsize = AtomicUsize::new(0);

/// Cached by owner: the cache lookup comes after the permission.
#[apiview]
#[permission(is_owner(owner))]
#[cache(key = "doc:{owner}", expire = 60)]
fn doc(owner: String) -> String {
    DOC_RUNS.fetch_add(1, Ordering::SeqCst);
    format!("{owner}'s secrets")
}

/// Aclkey, then authentication, then validators.
#[apiview]
#[check_aclkey(aclkey = "k")]
#[login_required]
#[between(n, 0, 10)]
fn ordered(n: i64) -> i64 {
    n
}

/// Signs tokens with the App's `BearerJwt`.
#[apiview]
fn sign(jwt: &BearerJwt, username: String) -> apiview::Result<String> {
    jwt.issue(&username, Duration::from_secs(60), json!({"demo": true}))
}

/// What an App shares with its endpoints (`App::data`): here, who owns what.
#[derive(Clone)]
struct Owners(std::sync::Arc<std::collections::HashMap<i64, &'static str>>);

/// A permission deciding with the App's shared data, as a database-backed object
/// permission does.
async fn owns_item(me: &Identity, owners: &poem::web::Data<&Owners>, id: &i64) -> bool {
    tokio::task::yield_now().await;
    owners.0 .0.get(id) == Some(&me.id())
}

/// Only the item's owner may edit it.
#[apiview]
#[permission(owns_item(owners, id))]
fn edit_item(#[extract] owners: poem::web::Data<&Owners>, id: i64) -> String {
    format!("{id} of {}", owners.0 .0.len())
}

fn routes(app: App) -> App {
    app.at("/me", current)
        .at("/members", members)
        .at("/maybe", maybe)
        .at("/public", public)
        .at("/edit", edit)
        .at("/write", write)
        .at("/admin", admins_only)
        .at("/strict", strict)
        .at("/boom", boom)
        .at("/doc", doc)
        .at("/ordered", ordered)
        .at("/token", sign)
        .at("/items/:id", edit_item)
}

fn hs256_settings(extra: &str) -> Settings {
    settings(&format!("[auth.jwt]\nsecret = '{SECRET}'\n{extra}"))
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// An HS256 token with exactly these claims.
fn hs256(claims: Value) -> String {
    hs256_with(SECRET.as_bytes(), claims)
}

fn hs256_with(secret: &[u8], claims: Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

/// A token for `sub` valid for a minute, with more claims.
fn token_for(sub: &str, more: Value) -> String {
    let mut claims = json!({"sub": sub, "exp": now() + 60});
    claims
        .as_object_mut()
        .unwrap()
        .extend(more.as_object().cloned().unwrap_or_default());
    hs256(claims)
}

async fn call(server: &common::TestServer, path: &str, authorization: Option<&str>) -> Value {
    answer(server, path, authorization).await.json
}

async fn answer(server: &common::TestServer, path: &str, authorization: Option<&str>) -> common::Answer {
    let mut request = server.client.get(server.url(path));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    send(request).await
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn login_is_required_by_identity_and_by_the_attribute() {
    let server = serve(routes(App::new(hs256_settings("")))).await;
    for path in ["/me", "/members"] {
        let refused = call(&server, path, None).await;
        assert_eq!(code_of(&refused), LOGIN_REQUIRED, "{path}: {refused}");
        assert_eq!(refused["error"]["message"], "Login required.");
    }
    let token = token_for("ann", json!({"role": "editor"}));
    let answer = call(&server, "/me", Some(&bearer(&token))).await;
    assert_eq!(answer["result"]["id"], "ann", "{answer}");
    assert_eq!(answer["result"]["claims"]["role"], "editor");
    assert_eq!(
        call(&server, "/members", Some(&bearer(&token))).await["result"],
        "members only"
    );
}

#[tokio::test]
async fn optional_login_serves_anonymous_callers_and_refuses_bad_tokens() {
    let server = serve(routes(App::new(hs256_settings("")))).await;
    assert_eq!(call(&server, "/maybe", None).await["result"], Value::Null);
    let token = token_for("ann", json!({}));
    assert_eq!(
        call(&server, "/maybe", Some(&bearer(&token))).await["result"],
        "ann"
    );
    // As DRF does: credentials that are there must be good, even where they are optional.
    let forged = hs256_with(
        b"another-secret-of-at-least-32-bytes",
        json!({"sub": "ann", "exp": now() + 60}),
    );
    assert_eq!(
        code_of(&call(&server, "/maybe", Some(&bearer(&forged))).await),
        BAD_USER_TOKEN
    );
    // Another scheme is not a bearer token: no caller.
    assert_eq!(
        call(&server, "/maybe", Some("Basic YW5uOnB3")).await["result"],
        Value::Null
    );
}

#[tokio::test]
async fn every_bad_token_is_bad_user_token() {
    let server = serve(routes(App::new(hs256_settings(
        "issuer = 'tests'\naudience = 'api'",
    ))))
    .await;
    let good = json!({"sub": "ann", "exp": now() + 60, "iss": "tests", "aud": "api"});
    let with = |changes: Value| {
        let mut claims = good.clone();
        for (key, value) in changes.as_object().unwrap() {
            if value.is_null() {
                claims.as_object_mut().unwrap().remove(key);
            } else {
                claims[key] = value.clone();
            }
        }
        claims
    };
    assert_eq!(
        call(&server, "/me", Some(&bearer(&hs256(good.clone())))).await["result"]["id"],
        "ann"
    );
    // Within the leeway (30 s by default), an expired token still passes; beyond it, not.
    let just_expired = hs256(with(json!({"exp": now() - 10})));
    assert_eq!(
        call(&server, "/me", Some(&bearer(&just_expired))).await["result"]["id"],
        "ann"
    );
    let header = Header {
        alg: Algorithm::HS256,
        ..Header::default()
    };
    let none_header = base64_url(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = base64_url(good.to_string().as_bytes());
    let refused = [
        ("expired", hs256(with(json!({"exp": now() - 120})))),
        ("not yet valid", hs256(with(json!({"nbf": now() + 120})))),
        ("no exp", hs256(with(json!({"exp": null})))),
        ("no sub", hs256(with(json!({"sub": null})))),
        ("sub not text", hs256(with(json!({"sub": 42})))),
        ("other issuer", hs256(with(json!({"iss": "elsewhere"})))),
        ("no issuer", hs256(with(json!({"iss": null})))),
        ("other audience", hs256(with(json!({"aud": "admin"})))),
        (
            "forged",
            jsonwebtoken::encode(
                &header,
                &good,
                &EncodingKey::from_secret(b"another-secret-of-at-least-32-bytes"),
            )
            .unwrap(),
        ),
        ("alg none", format!("{none_header}.{payload}.")),
        ("garbage", "not-a-token".to_owned()),
        ("tampered payload", {
            let token = hs256(good.clone());
            let parts: Vec<&str> = token.split('.').collect();
            let admin = base64_url(with(json!({"sub": "root"})).to_string().as_bytes());
            format!("{}.{admin}.{}", parts[0], parts[2])
        }),
    ];
    for (what, token) in refused {
        for path in ["/me", "/maybe"] {
            let answer = call(&server, path, Some(&bearer(&token))).await;
            assert_eq!(code_of(&answer), BAD_USER_TOKEN, "{what} at {path}: {answer}");
        }
    }
}

fn rsa_key(private: &rsa::RsaPrivateKey) -> EncodingKey {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    EncodingKey::from_rsa_der(private.to_pkcs1_der().unwrap().as_bytes())
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn a_malformed_authorization_header_is_bad_user_token() {
    let server = serve(routes(App::new(hs256_settings("")))).await;
    let token = token_for("ann", json!({}));
    for value in [
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        format!("Bearer {token} extra"),
        "Bearer a*b".to_owned(),
        format!("Bearer {token}é"),
    ] {
        let answer = call(&server, "/members", Some(&value)).await;
        assert_eq!(code_of(&answer), BAD_USER_TOKEN, "{value:?}: {answer}");
    }
    // Not UTF-8.
    let latin1 = reqwest::header::HeaderValue::from_bytes(b"Bearer \xff").unwrap();
    let request = server
        .client
        .get(server.url("/members"))
        .header("authorization", latin1);
    assert_eq!(code_of(&send(request).await.json), BAD_USER_TOKEN);
    // The scheme is case-insensitive (RFC 9110 §11.1).
    assert_eq!(
        call(&server, "/members", Some(&format!("bEaReR {token}"))).await["result"],
        "members only"
    );
    // Two Authorization headers: which one would count?
    let request = server
        .client
        .get(server.url("/members"))
        .header("authorization", bearer(&token))
        .header("authorization", bearer(&token));
    assert_eq!(code_of(&send(request).await.json), BAD_USER_TOKEN);
    // Another scheme carries no bearer token: login required.
    assert_eq!(
        code_of(&call(&server, "/members", Some("Basic YW5uOnB3")).await),
        LOGIN_REQUIRED
    );
}

#[tokio::test]
async fn endpoints_without_authentication_ignore_the_header_and_never_run_the_authenticator() {
    struct Counting(AtomicUsize);
    static COUNTING: Counting = Counting(AtomicUsize::new(0));
    struct Counted;
    impl Authenticate for Counted {
        async fn authenticate(&self, _request: &ApiRequest) -> apiview::Result<Option<Identity>> {
            COUNTING.0.fetch_add(1, Ordering::SeqCst);
            Err(BizError::bad_user_token())
        }
    }
    let app = App::new(Settings::default()).authenticator(Counted);
    let server = serve(app.at("/public", public).at("/maybe", maybe)).await;
    for value in ["Bearer garbage", "Bearer", "Basic !!", "Bearer é"] {
        let answer = call(&server, "/public", Some(value)).await;
        assert_eq!(answer["result"], "public", "{value:?}: {answer}");
    }
    assert_eq!(COUNTING.0.load(Ordering::SeqCst), 0);
    assert_eq!(code_of(&call(&server, "/maybe", None).await), BAD_USER_TOKEN);
    assert_eq!(COUNTING.0.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn rs256_tokens_are_checked_with_the_public_key_and_signed_with_the_private_one() {
    let dir = tempfile::tempdir().unwrap();
    let private = apiview::cipher::generate_private_key(2048).unwrap();
    let public_pem = apiview::cipher::public_key_to_pem(&private.to_public_key()).unwrap();
    let private_pem = apiview::cipher::private_key_to_pem(&private).unwrap();
    let (public_path, private_path) = (dir.path().join("jwt.pub.pem"), dir.path().join("jwt.pem"));
    std::fs::write(&public_path, &public_pem).unwrap();
    std::fs::write(&private_path, &private_pem).unwrap();
    let toml = format!(
        "[auth.jwt]\npublic_key = '{}'\nprivate_key = '{}'\nissuer = 'tests'",
        public_path.display(),
        private_path.display()
    );
    let server = serve(routes(App::new(settings(&toml)))).await;
    // Signed by another holder of the private key (jsonwebtoken itself).
    let claims = json!({"sub": "ann", "exp": now() + 60, "iss": "tests"});
    let rs256 = rsa_key(&private);
    let good = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &rs256).unwrap();
    assert_eq!(
        call(&server, "/me", Some(&bearer(&good))).await["result"]["id"],
        "ann"
    );
    // Signed here, with `private_key`.
    let issued = call(&server, "/token?username=bob", None).await;
    let issued = issued["result"].as_str().unwrap().to_owned();
    let me = call(&server, "/me", Some(&bearer(&issued))).await;
    assert_eq!(
        (
            me["result"]["id"].as_str(),
            me["result"]["claims"]["demo"].as_bool()
        ),
        (Some("bob"), Some(true))
    );
    // Algorithm confusion: an HS256 token whose secret is the public key's PEM.
    let confused = hs256_with(public_pem.as_bytes(), claims.clone());
    assert_eq!(
        code_of(&call(&server, "/me", Some(&bearer(&confused))).await),
        BAD_USER_TOKEN
    );
    // Signed by another key.
    let other = apiview::cipher::generate_private_key(2048).unwrap();
    let forged = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &rsa_key(&other)).unwrap();
    assert_eq!(
        code_of(&call(&server, "/me", Some(&bearer(&forged))).await),
        BAD_USER_TOKEN
    );
    // RS384 with the right key: not the one algorithm configured.
    let rs384 = jsonwebtoken::encode(&Header::new(Algorithm::RS384), &claims, &rs256).unwrap();
    assert_eq!(
        code_of(&call(&server, "/me", Some(&bearer(&rs384))).await),
        BAD_USER_TOKEN
    );
}

#[tokio::test]
async fn permissions_pass_refuse_and_answer_their_own_errors() {
    let server = serve(routes(App::new(hs256_settings("")))).await;
    let ann = bearer(&token_for("ann", json!({})));
    let admin = bearer(&token_for("ann", json!({"admin": true})));
    let frozen = bearer(&token_for("ann", json!({"admin": true, "frozen": true})));
    // A bool.
    assert_eq!(
        call(&server, "/edit?owner=ann&text=hi", Some(&ann)).await["result"],
        "ann: hi"
    );
    let refused = call(&server, "/edit?owner=bob&text=hi", Some(&ann)).await;
    assert_eq!(
        (code_of(&refused), refused["error"]["message"].as_str()),
        (NO_PERMISSION, Some("No permission error."))
    );
    // No identity: login required before any permission.
    assert_eq!(
        code_of(&call(&server, "/edit?owner=ann&text=hi", None).await),
        LOGIN_REQUIRED
    );
    // The permission's parameter is injected: missing, it is MissingParameter.
    assert_eq!(
        code_of(&call(&server, "/edit?text=hi", Some(&ann)).await),
        MISSING_PARAMETER
    );
    // A Result: its own error.
    assert_eq!(call(&server, "/write", Some(&ann)).await["result"], "ann");
    assert_eq!(code_of(&call(&server, "/write", Some(&frozen)).await), 4001);
    // Async.
    assert_eq!(call(&server, "/admin", Some(&admin)).await["result"], "admin");
    assert_eq!(code_of(&call(&server, "/admin", Some(&ann)).await), NO_PERMISSION);
    // Several: all must pass, checked in written order.
    assert_eq!(
        call(&server, "/strict?owner=ann", Some(&admin)).await["result"],
        "ann"
    );
    assert_eq!(
        code_of(&call(&server, "/strict?owner=ann", Some(&ann)).await),
        NO_PERMISSION
    );
    assert_eq!(
        code_of(&call(&server, "/strict?owner=bob", Some(&admin)).await),
        NO_PERMISSION
    );
    assert_eq!(
        code_of(&call(&server, "/strict?owner=ann", Some(&frozen)).await),
        4001
    );
}

#[tokio::test]
async fn a_panicking_permission_is_a_sys_error_and_the_server_goes_on() {
    let server = serve(routes(App::new(hs256_settings("")))).await;
    let ann = bearer(&token_for("ann", json!({})));
    for _ in 0..3 {
        let answer = call(&server, "/boom?owner=x", Some(&ann)).await;
        assert_eq!(code_of(&answer), SYS_ERROR, "{answer}");
        assert!(!answer.to_string().contains("exploded"), "no internals: {answer}");
    }
    assert_eq!(
        call(&server, "/members", Some(&ann)).await["result"],
        "members only"
    );
}

#[tokio::test]
async fn a_cached_answer_is_never_served_to_a_caller_without_permission() {
    let server = serve(routes(App::new(hs256_settings("")))).await;
    let ann = bearer(&token_for("ann", json!({})));
    let bob = bearer(&token_for("bob", json!({})));
    let before = DOC_RUNS.load(Ordering::SeqCst);
    assert_eq!(
        call(&server, "/doc?owner=ann", Some(&ann)).await["result"],
        "ann's secrets"
    );
    assert_eq!(
        call(&server, "/doc?owner=ann", Some(&ann)).await["result"],
        "ann's secrets"
    );
    assert_eq!(
        DOC_RUNS.load(Ordering::SeqCst),
        before + 1,
        "the second answer was the cached one"
    );
    let refused = call(&server, "/doc?owner=ann", Some(&bob)).await;
    assert_eq!(code_of(&refused), NO_PERMISSION, "{refused}");
    assert_eq!(
        code_of(&call(&server, "/doc?owner=ann", None).await),
        LOGIN_REQUIRED
    );
}

#[tokio::test]
async fn authentication_runs_after_the_aclkey_and_before_the_validators() {
    let server = serve(routes(App::new(hs256_settings("")))).await;
    let ann = bearer(&token_for("ann", json!({})));
    // No aclkey: refused as such, whatever the token.
    let answer = call(&server, "/ordered?n=99", Some("Bearer forged")).await;
    assert_eq!(code_of(&answer), MISSING_PARAMETER, "{answer}");
    // An aclkey and no token: login required, before `n` is looked at.
    assert_eq!(
        code_of(&call(&server, "/ordered?n=99&aclkey=k", None).await),
        LOGIN_REQUIRED
    );
    assert_eq!(
        code_of(&call(&server, "/ordered?n=99&aclkey=k", Some(&ann)).await),
        1001060002
    );
    assert_eq!(
        call(&server, "/ordered?n=9&aclkey=k", Some(&ann)).await["result"],
        9
    );
}

#[tokio::test]
async fn semantic_statuses_are_401_with_a_challenge_and_403() {
    let toml = format!("http_status = 'semantic'\nlanguage = 'zh-hans'\n[auth.jwt]\nsecret = '{SECRET}'");
    let server = serve(routes(App::new(settings(&toml)))).await;
    let missing = answer(&server, "/members", None).await;
    assert_eq!(
        (missing.status, missing.header("www-authenticate")),
        (401, "Bearer")
    );
    assert_eq!(missing.json["error"]["message"], "请先登录！");
    let bad = answer(&server, "/members", Some("Bearer x.y.z")).await;
    assert_eq!(
        (bad.status, bad.json["error"]["message"].as_str()),
        (401, Some("用户令牌无效！"))
    );
    let ann = bearer(&token_for("ann", json!({})));
    let forbidden = answer(&server, "/edit?owner=bob&text=x", Some(&ann)).await;
    assert_eq!(
        (forbidden.status, forbidden.header("www-authenticate")),
        (403, "")
    );
    assert_eq!(forbidden.json["error"]["message"], "无权限错误！");
}

#[tokio::test]
async fn app_authenticator_replaces_the_settings_jwt() {
    struct Header;
    impl Authenticate for Header {
        async fn authenticate(&self, request: &ApiRequest) -> apiview::Result<Option<Identity>> {
            Ok(request
                .header("x-user")
                .map(|user| Identity::new(user, json!({}))))
        }
    }
    let server = serve(routes(App::new(hs256_settings("")).authenticator(Header))).await;
    let request = server.client.get(server.url("/me")).header("x-user", "carol");
    assert_eq!(send(request).await.json["result"]["id"], "carol");
    // The settings' BearerJwt no longer authenticates, and still signs.
    let token = token_for("ann", json!({}));
    assert_eq!(
        code_of(&call(&server, "/me", Some(&bearer(&token))).await),
        LOGIN_REQUIRED
    );
    assert!(call(&server, "/token?username=x", None).await["result"].is_string());
}

#[tokio::test]
async fn settings_and_start_up_errors_name_the_key() {
    for (toml, key) in [
        ("[auth.jwt]\nissuer = 'x'", "auth.jwt.secret"),
        ("[auth.jwt]\nsecret = 'short'", "auth.jwt.secret"),
        (
            "[auth.jwt]\nsecret = 'tests-secret-of-at-least-32-bytes!!'\npublic_key = 'k.pem'",
            "auth.jwt.secret",
        ),
        (
            "[auth.jwt]\nsecret = 'tests-secret-of-at-least-32-bytes!!'\nprivate_key = 'k.pem'",
            "auth.jwt.private_key",
        ),
        (
            "[auth.jwt]\nsecret = 'tests-secret-of-at-least-32-bytes!!'\nleeway_s = 86400",
            "auth.jwt.leeway_s",
        ),
        (
            "[auth.jwt]\nsecret = 'tests-secret-of-at-least-32-bytes!!'\nleeway = 5",
            "leeway",
        ),
    ] {
        let err = Settings::from_toml_str(toml).unwrap_err().to_string();
        assert!(err.contains(key), "{toml:?}: {err}");
    }
    let err = routes(App::new(settings(
        "[auth.jwt]\npublic_key = 'no/such/jwt.pub.pem'",
    )))
    .try_into_endpoint()
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains("auth.jwt.public_key") && err.contains("no/such/jwt.pub.pem"),
        "{err}"
    );
    let err = App::new(Settings::default())
        .at("/members", members)
        .try_into_endpoint()
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("members") && err.contains("[auth.jwt]"), "{err}");
    let err = App::new(Settings::default())
        .authenticator(
            BearerJwt::rs256(
                &apiview::cipher::generate_private_key(1024)
                    .unwrap()
                    .to_public_key(),
            )
            .unwrap(),
        )
        .at("/token", sign)
        .try_into_endpoint();
    assert!(
        err.is_ok(),
        "an RS256 BearerJwt without a signing key is still a BearerJwt"
    );
    let err = App::new(Settings::default())
        .authenticator(HeaderOnly)
        .at("/token", sign)
        .try_into_endpoint()
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("token") && err.contains("BearerJwt"), "{err}");
}

struct HeaderOnly;

impl Authenticate for HeaderOnly {
    async fn authenticate(&self, _request: &ApiRequest) -> apiview::Result<Option<Identity>> {
        Ok(None)
    }
}

#[tokio::test]
async fn environment_overrides_keep_the_secret_as_text() {
    // The only test of this binary that touches APIVIEW_* variables.
    std::env::set_var("APIVIEW_AUTH__JWT__SECRET", "00000000000000000000000000000000123");
    std::env::set_var("APIVIEW_AUTH__JWT__LEEWAY_S", "5");
    let loaded = Settings::from_file("no-such-settings-file.toml");
    std::env::remove_var("APIVIEW_AUTH__JWT__SECRET");
    std::env::remove_var("APIVIEW_AUTH__JWT__LEEWAY_S");
    let jwt = loaded.unwrap().auth.jwt.unwrap();
    assert_eq!(
        (jwt.secret.as_str(), jwt.leeway_s),
        ("00000000000000000000000000000000123", 5)
    );
}

#[tokio::test]
async fn a_permission_decides_with_what_the_app_shares() {
    let owners = Owners(std::sync::Arc::new(
        [(1, "ann"), (2, "bob")].into_iter().collect(),
    ));
    let server = serve(routes(App::new(hs256_settings(""))).data(owners)).await;
    let ann = bearer(&token_for("ann", json!({})));
    assert_eq!(
        call(&server, "/items/1", Some(&ann)).await,
        json!({"success": true, "result": "1 of 2"})
    );
    let refused = call(&server, "/items/2", Some(&ann)).await;
    assert_eq!(code_of(&refused), 1001100001, "{refused}");
    assert_eq!(code_of(&call(&server, "/items/1", None).await), 1001040009);
}

#[tokio::test]
async fn an_endpoint_asking_for_data_the_app_lacks_answers_sys_error() {
    // No `App::data(Owners)`: the server's mistake, not the client's.
    let server = serve(routes(App::new(hs256_settings("")))).await;
    let ann = bearer(&token_for("ann", json!({})));
    let answer = call(&server, "/items/1", Some(&ann)).await;
    assert_eq!(code_of(&answer), SYS_ERROR, "{answer}");
}
