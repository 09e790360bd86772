//! Errors over real HTTP (DESIGN §3): the catalogue in `en` and `zh-hans`, user
//! codes, and `http_status = "semantic"`.

mod common;

use apiview::prelude::*;
use apiview::{ErrorClass, ErrorCode};
use common::{code_of, err, message_of, ok, TestServer};
use serde_json::{json, Value};

const OUT_OF_STOCK: ErrorCode =
    ErrorCode::new(2001000001, "OutOfStock", "Item {item} is out of stock.").zh_hans("商品{item}已售罄。");

const ACCOUNT_LOCKED: ErrorCode =
    ErrorCode::new(2001000002, "AccountLocked", "Account {user} is locked.").class(ErrorClass::Auth);

#[apiview]
#[string_length_limit(msg, min_length = 2, max_length = 3)]
fn text(msg: String) -> String {
    msg
}

#[apiview]
fn typed(a: i64) -> i64 {
    a
}

#[apiview]
#[choices(op, ["add", "sub"])]
fn pick(op: String) -> String {
    op
}

#[apiview]
#[check_aclkey]
fn secure() -> &'static str {
    "ok"
}

#[apiview]
#[allow_post]
fn post_only() -> &'static str {
    "posted"
}

#[apiview]
#[methods(get, delete)]
fn get_or_delete() -> &'static str {
    "done"
}

#[apiview]
fn boom() -> &'static str {
    panic!("boom")
}

#[apiview]
fn buy(item: String) -> apiview::Result<String> {
    if item == "apple" {
        return Err(OUT_OF_STOCK.with("item", item));
    }
    Ok(item)
}

#[apiview]
fn login(user: String) -> apiview::Result<String> {
    Err(ACCOUNT_LOCKED.with("user", user))
}

#[apiview]
fn plain_biz() -> apiview::Result<i64> {
    Err(BizError::new(3000, "Plain business failure."))
}

/// An application's own error type, converted into a BizError.
#[derive(Debug)]
enum ShopError {
    Closed,
}

impl From<ShopError> for BizError {
    fn from(error: ShopError) -> BizError {
        match error {
            ShopError::Closed => BizError::new(2002000001, "The shop is closed."),
        }
    }
}

#[apiview]
fn shop() -> Result<i64, ShopError> {
    Err(ShopError::Closed)
}

#[apiview]
fn upload(data: Value) -> Value {
    data
}

fn app(settings: &str) -> App {
    App::new(common::settings(settings))
        .at("/text", text)
        .at("/typed", typed)
        .at("/pick", pick)
        .at("/secure", secure)
        .at("/post_only", post_only)
        .at("/get_or_delete", get_or_delete)
        .at("/boom", boom)
        .at("/buy", buy)
        .at("/login", login)
        .at("/plain_biz", plain_biz)
        .at("/shop", shop)
        .at("/upload", upload)
}

async fn get(server: &TestServer, path: &str) -> common::Answer {
    common::send(server.client.get(server.url(path))).await
}

// ---- zh-hans ----------------------------------------------------------------------

#[tokio::test]
async fn zh_hans_catalogue_messages() {
    let server = common::serve(app("language = 'zh-hans'\naclkey = 'k'")).await;
    assert_eq!(
        get(&server, "/text").await.json,
        err(common::MISSING_PARAMETER, "必要参数缺失：msg。")
    );
    assert_eq!(
        get(&server, "/text?msg=a").await.json,
        err(common::STRING_TOO_SHORT, "参数字符数不足，最低要求为：2。")
    );
    assert_eq!(
        get(&server, "/text?msg=abcd").await.json,
        err(common::STRING_TOO_LONG, "参数字符数过多，最高限定为：3。")
    );
    assert_eq!(
        get(&server, "/secure?aclkey=wrong").await.json,
        err(common::APP_AUTH_FAILED, "应用认证失败！")
    );
    assert_eq!(
        get(&server, "/post_only").await.json,
        err(common::NOT_SUPPORTED_HTTP_METHOD, "不支持的请求方法！")
    );
    assert_eq!(
        get(&server, "/boom").await.json,
        err(common::SYS_ERROR, "系统异常！")
    );

    // The words the toolkit fills in are Chinese too, not only the templates.
    assert_eq!(
        get(&server, "/typed?a=x").await.json,
        err(common::BAD_PARAMETER_TYPE, "参数类型有误：a。应为整数（i64）。")
    );
    let answer = common::send(
        server
            .client
            .post(server.url("/upload"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(b"data=\xff".to_vec()),
    )
    .await;
    assert_eq!(
        answer.json,
        err(
            common::BAD_PARAMETER,
            "参数值有误：_payload。表单请求体不是有效的 UTF-8 文本。"
        )
    );

    let answer = get(&server, "/pick?op=mul").await.json;
    assert_eq!(code_of(&answer), common::BAD_PARAMETER);
    let message = message_of(&answer);
    assert!(message.starts_with("参数值有误：op"), "{message}");
    assert!(message.contains("mul"), "{message}");
}

#[tokio::test]
async fn zh_hans_falls_back_to_english_where_the_catalogue_has_no_translation() {
    let server = common::serve(app("language = 'zh-hans'\nbody_limit = 16")).await;
    let answer = common::send(
        server
            .client
            .post(server.url("/upload"))
            .header("content-type", "application/json")
            .body("{oops"),
    )
    .await;
    assert_eq!(
        answer.json,
        err(common::PARSE_JSON_ERROR, "Parse json error. Raw text {oops.")
    );
    let answer = common::send(
        server
            .client
            .post(server.url("/upload"))
            .json(&json!({"data": "0123456789abcdef"})),
    )
    .await;
    let body_len = json!({"data": "0123456789abcdef"}).to_string().len();
    assert_eq!(
        answer.json,
        err(
            common::TOO_LARGE_REQUEST_ERROR,
            &format!("Too large request error: {body_len} > 16.")
        )
    );
}

#[tokio::test]
async fn english_is_the_default_language() {
    let server = common::serve(app("")).await;
    assert_eq!(
        get(&server, "/text").await.json,
        err(common::MISSING_PARAMETER, "Missing parameter: msg.")
    );
    assert_eq!(
        get(&server, "/boom").await.json,
        err(common::SYS_ERROR, "System Error")
    );
}

// ---- user codes ---------------------------------------------------------------------

#[tokio::test]
async fn user_error_codes_fill_their_templates_in_each_language() {
    let server = common::serve(app("")).await;
    assert_eq!(get(&server, "/buy?item=pear").await.json, ok(json!("pear")));
    assert_eq!(
        get(&server, "/buy?item=apple").await.json,
        err(2001000001, "Item apple is out of stock.")
    );
    assert_eq!(
        get(&server, "/login?user=ann").await.json,
        err(2001000002, "Account ann is locked.")
    );
    assert_eq!(
        get(&server, "/plain_biz").await.json,
        err(3000, "Plain business failure.")
    );
    assert_eq!(
        get(&server, "/shop").await.json,
        err(2002000001, "The shop is closed.")
    );

    let server = common::serve(app("language = 'zh-hans'")).await;
    assert_eq!(
        get(&server, "/buy?item=apple").await.json,
        err(2001000001, "商品apple已售罄。")
    );
    // No zh-hans template: English.
    assert_eq!(
        get(&server, "/login?user=ann").await.json,
        err(2001000002, "Account ann is locked.")
    );
}

// ---- HTTP statuses ------------------------------------------------------------------

#[tokio::test]
async fn business_mode_answers_every_error_with_200() {
    let server = common::serve(app("aclkey = 'k'\nbody_limit = 8")).await;
    for path in [
        "/text",
        "/typed?a=x",
        "/secure?aclkey=no",
        "/post_only",
        "/boom",
        "/buy?item=apple",
    ] {
        let answer = get(&server, path).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.json);
        assert_eq!(answer.json["success"], false, "{path}");
    }
    let answer = common::send(server.client.post(server.url("/upload")).body("0123456789")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(code_of(&answer.json), common::TOO_LARGE_REQUEST_ERROR);
}

#[tokio::test]
async fn semantic_mode_maps_error_classes_to_statuses() {
    let server = common::serve(app("http_status = 'semantic'\naclkey = 'k'\nbody_limit = 8")).await;
    let cases = [
        ("/text", 400, common::MISSING_PARAMETER),
        ("/text?msg=a", 400, common::STRING_TOO_SHORT),
        ("/typed?a=x", 400, common::BAD_PARAMETER_TYPE),
        ("/pick?op=mul", 400, common::BAD_PARAMETER),
        ("/secure?aclkey=no", 403, common::APP_AUTH_FAILED),
        ("/secure", 400, common::MISSING_PARAMETER),
        ("/boom", 500, common::SYS_ERROR),
        ("/buy?item=apple", 200, 2001000001),
        ("/plain_biz", 200, 3000),
        ("/shop", 200, 2002000001),
        ("/login?user=ann", 403, 2001000002),
    ];
    for (path, status, code) in cases {
        let answer = get(&server, path).await;
        assert_eq!(answer.status, status, "{path}: {}", answer.json);
        assert_eq!(code_of(&answer.json), code, "{path}");
        assert!(!answer.request_id().is_empty(), "{path}");
    }
    // Successes stay 200.
    let answer = get(&server, "/secure?aclkey=k").await;
    assert_eq!((answer.status, answer.json), (200, ok(json!("ok"))));

    let answer = common::send(
        server
            .client
            .post(server.url("/upload"))
            .header("content-type", "application/json")
            .body("{"),
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.json);
    assert_eq!(code_of(&answer.json), common::PARSE_JSON_ERROR);

    let answer = common::send(server.client.post(server.url("/upload")).body("0123456789")).await;
    assert_eq!(answer.status, 413, "{}", answer.json);
    assert_eq!(code_of(&answer.json), common::TOO_LARGE_REQUEST_ERROR);
}

#[tokio::test]
async fn semantic_mode_answers_405_with_allow() {
    let server = common::serve(app("http_status = 'semantic'")).await;
    let answer = get(&server, "/post_only").await;
    assert_eq!(answer.status, 405);
    assert_eq!(
        answer.json,
        err(common::NOT_SUPPORTED_HTTP_METHOD, "Not supported http method.")
    );
    assert_eq!(answer.header("allow"), "POST");

    let answer = common::send(server.client.put(server.url("/get_or_delete"))).await;
    assert_eq!(answer.status, 405);
    let mut allowed: Vec<&str> = answer.header("allow").split(',').map(str::trim).collect();
    allowed.sort_unstable();
    assert_eq!(allowed, ["DELETE", "GET"]);

    let answer = common::send(server.client.put(server.url("/typed?a=1"))).await;
    assert_eq!(answer.status, 405);
    let mut allowed: Vec<&str> = answer.header("allow").split(',').map(str::trim).collect();
    allowed.sort_unstable();
    assert_eq!(allowed, ["GET", "POST"], "settings.default_allow_methods");
}
