//! `#[paginate]` over real HTTP (DESIGN §15): each style, DRF's shape inside the
//! packers' envelopes, links that keep the other query parameters, the signed
//! cursor refusing every alteration, pages past the end, bad pages, max_page_size,
//! and the query parameters in the OpenAPI document.

#[path = "common/mod.rs"]
mod common;

use apiview::prelude::*;
use base64::Engine;
use common::{code_of, message_of, serve, settings, TestServer};
use serde_json::{json, Value};

const TOTAL: u64 = 25;
const BAD_PARAMETER: i64 = 1001060002;

fn numbers(offset: u64, limit: u64) -> Vec<u64> {
    (offset..TOTAL.min(offset.saturating_add(limit))).collect()
}

/// Numbers 0..25, ten a page unless asked.
#[apiview]
#[paginate(page_size = 10, max_page_size = 12)]
fn by_page(page: PageRequest) -> Page<u64> {
    Page::new(numbers(page.offset(), page.limit()), TOTAL)
}

#[apiview]
#[paginate(style = "limit_offset", page_size = 10)]
async fn by_offset(page: PageRequest) -> apiview::Result<Page<u64>> {
    Ok(Page::new(numbers(page.offset(), page.limit()), TOTAL))
}

/// The cursor is the next number, as text.
#[apiview]
#[paginate(style = "cursor", page_size = 10)]
fn by_cursor(page: PageRequest) -> Result<Page<u64>, BizError> {
    let from: u64 = match page.cursor() {
        Some(cursor) => cursor.parse().map_err(|_| BizError::bad_parameter("cursor"))?,
        None => 0,
    };
    let items = numbers(from, page.limit());
    let next = from + page.limit();
    Ok(Page::cursor(items, (next < TOTAL).then(|| next.to_string())))
}

#[apiview(packer = "deetr")]
#[paginate(page_size = 10)]
fn by_page_deetr(page: PageRequest) -> Page<u64> {
    Page::new(numbers(page.offset(), page.limit()), TOTAL)
}

#[apiview(packer = "dmrs")]
#[paginate(style = "cursor", page_size = 10)]
fn by_cursor_dmrs(page: PageRequest) -> Page<u64> {
    let from: u64 = page.cursor().map_or(0, |cursor| cursor.parse().unwrap());
    let next = from + page.limit();
    Page::cursor(
        numbers(from, page.limit()),
        (next < TOTAL).then(|| next.to_string()),
    )
}

/// Settings' `[pagination]` decides all.
#[apiview]
#[paginate]
fn by_settings(page: PageRequest) -> Page<u64> {
    Page::new(numbers(page.offset(), page.limit()), TOTAL)
}

/// On the blocking pool, with the request beside the page.
#[apiview(blocking)]
#[paginate(style = "limit_offset")]
fn by_offset_blocking(request: &ApiRequest, page: PageRequest) -> Page<String> {
    let items = numbers(page.offset(), page.limit())
        .iter()
        .map(|n| format!("{n}"))
        .collect();
    let _ = request.path();
    Page::new(items, TOTAL)
}

fn app(toml: &str) -> App {
    App::new(settings(toml))
        .at("/pages", by_page)
        .at("/offsets", by_offset)
        .at("/cursor", by_cursor)
        .at("/deetr", by_page_deetr)
        .at("/dmrs", by_cursor_dmrs)
        .at("/settings", by_settings)
        .at("/blocking", by_offset_blocking)
        .swagger()
}

async fn server() -> TestServer {
    serve(app("[pagination]\npage_size = 5\nmax_page_size = 20")).await
}

fn host_of(server: &TestServer) -> String {
    server.base.clone()
}

/// The `result` of a simple-packed answer.
async fn result(server: &TestServer, path: &str) -> Value {
    let packed = server.get_json(path).await;
    assert_eq!(packed["success"], true, "{path}: {packed}");
    packed["result"].clone()
}

async fn bad(server: &TestServer, path: &str) -> String {
    let packed = server.get_json(path).await;
    assert_eq!(code_of(&packed), BAD_PARAMETER, "{path}: {packed}");
    message_of(&packed)
}

#[tokio::test]
async fn page_number_style_answers_drf_shape_with_absolute_links() {
    let server = server().await;
    let base = host_of(&server);
    assert_eq!(
        result(&server, "/pages").await,
        json!({
            "count": 25,
            "next": format!("{base}/pages?page=2"),
            "previous": null,
            "results": numbers(0, 10),
        })
    );
    assert_eq!(
        result(&server, "/pages?page=3").await,
        json!({
            "count": 25,
            "next": null,
            "previous": format!("{base}/pages?page=2"),
            "results": numbers(20, 10),
        })
    );
    let keys: Vec<String> = result(&server, "/pages?page=2")
        .await
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["count", "next", "previous", "results"]);
}

#[tokio::test]
async fn links_keep_the_other_query_parameters_percent_encoded() {
    let server = server().await;
    let base = host_of(&server);
    let page = result(&server, "/pages?q=a%26b%3Dc&page=2&tag=%E4%B8%AD&page_size=5").await;
    assert_eq!(
        page["next"],
        format!("{base}/pages?q=a%26b%3Dc&tag=%E4%B8%AD&page=3&page_size=5")
    );
    assert_eq!(
        page["previous"],
        format!("{base}/pages?q=a%26b%3Dc&tag=%E4%B8%AD&page=1&page_size=5")
    );
    assert_eq!(page["results"], json!(numbers(5, 5)));
    // Following the link gives the next page.
    let next = page["next"]
        .as_str()
        .unwrap()
        .strip_prefix(&base)
        .unwrap()
        .to_owned();
    assert_eq!(result(&server, &next).await["results"], json!(numbers(10, 5)));
}

#[tokio::test]
async fn limit_offset_style() {
    let server = server().await;
    let base = host_of(&server);
    assert_eq!(
        result(&server, "/offsets?offset=4&limit=3&x=1").await,
        json!({
            "count": 25,
            "next": format!("{base}/offsets?x=1&offset=7&limit=3"),
            "previous": format!("{base}/offsets?x=1&offset=1&limit=3"),
            "results": [4, 5, 6],
        })
    );
    assert_eq!(
        result(&server, "/offsets").await["results"],
        json!(numbers(0, 10))
    );
    let past = result(&server, "/offsets?offset=18446744073709551615").await;
    assert_eq!(
        (past["results"].clone(), past["next"].clone()),
        (json!([]), Value::Null)
    );
    assert!(bad(&server, "/offsets?offset=-1").await.contains("offset"));
    assert!(bad(&server, "/offsets?offset=18446744073709551616")
        .await
        .contains("offset"));
    assert!(bad(&server, "/offsets?limit=0").await.contains("limit"));
}

#[tokio::test]
async fn cursor_style_walks_forward_without_a_count() {
    let server = server().await;
    let first = result(&server, "/cursor?keep=yes").await;
    assert!(first.get("count").is_none(), "{first}");
    assert_eq!(
        (first["previous"].clone(), first["results"].clone()),
        (Value::Null, json!(numbers(0, 10)))
    );
    let next = first["next"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{}/cursor?keep=yes&cursor=", server.base)),
        "{next}"
    );
    // Opaque: the position does not show.
    assert!(!next.contains("cursor=10"));
    let second = result(&server, next.strip_prefix(&server.base).unwrap()).await;
    assert_eq!(second["results"], json!(numbers(10, 10)));
    let third = result(
        &server,
        second["next"]
            .as_str()
            .unwrap()
            .strip_prefix(&server.base)
            .unwrap(),
    )
    .await;
    assert_eq!(
        (third["results"].clone(), third["next"].clone()),
        (json!(numbers(20, 10)), Value::Null)
    );
}

#[tokio::test]
async fn altered_truncated_garbage_or_huge_cursors_are_bad_parameter_cursor() {
    let server = server().await;
    let first = result(&server, "/cursor").await;
    let next = first["next"].as_str().unwrap();
    let cursor = next.split("cursor=").nth(1).unwrap().to_owned();
    assert_eq!(
        result(&server, &format!("/cursor?cursor={cursor}")).await["results"][0],
        10
    );

    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut bytes = engine.decode(&cursor).unwrap();
    let mut tampered = Vec::new();
    for at in [0, bytes.len() / 2, bytes.len() - 1] {
        bytes[at] ^= 0x01;
        tampered.push(engine.encode(&bytes));
        bytes[at] ^= 0x01;
    }
    // A forged position with a tag of its own making.
    let mut forged = b"20".to_vec();
    forged.extend_from_slice(&bytes[2..]);
    tampered.push(engine.encode(&forged));
    tampered.push(cursor[..cursor.len() - 1].to_owned());
    tampered.push(cursor[..4].to_owned());
    tampered.push("garbage!!".to_owned());
    tampered.push("%FF%FE".to_owned());
    tampered.push(String::new());
    // A URI carries at most 64 KiB (http's `Uri`), so this is the longest cursor
    // HTTP can bring; 100 KB is refused unread by `CursorKey::verify`'s unit test.
    tampered.push("A".repeat(60 * 1024));
    for cursor in tampered {
        let message = bad(&server, &format!("/cursor?cursor={cursor}")).await;
        assert_eq!(
            message,
            "Bad parameter: cursor.",
            "{}",
            &cursor[..cursor.len().min(40)]
        );
    }
    // A cursor of one endpoint is not accepted by another.
    let dmrs: Value = server.get_json("/dmrs").await;
    let other = dmrs["data"]["next"]
        .as_str()
        .unwrap()
        .split("cursor=")
        .nth(1)
        .unwrap()
        .to_owned();
    assert_eq!(
        bad(&server, &format!("/cursor?cursor={other}")).await,
        "Bad parameter: cursor."
    );
}

#[tokio::test]
async fn a_cursor_of_another_app_is_refused_unless_they_share_the_secret() {
    let one = serve(app("")).await;
    let two = serve(app("")).await;
    let next = result(&one, "/cursor").await["next"].as_str().unwrap().to_owned();
    let path = next.strip_prefix(&one.base).unwrap();
    assert_eq!(bad(&two, path).await, "Bad parameter: cursor.");

    let shared = "[pagination]\ncursor_secret = 'a long secret shared by the instances'";
    let (one, two) = (serve(app(shared)).await, serve(app(shared)).await);
    let next = result(&one, "/cursor").await["next"].as_str().unwrap().to_owned();
    let path = next.strip_prefix(&one.base).unwrap();
    assert_eq!(result(&two, path).await["results"][0], 10);
}

#[tokio::test]
async fn a_page_past_the_last_is_empty_and_points_back_at_the_last() {
    let server = server().await;
    let page = result(&server, "/pages?page=9").await;
    assert_eq!(
        page,
        json!({"count": 25, "next": null, "previous": format!("{}/pages?page=3", server.base), "results": []})
    );
    let page = result(&server, "/pages?page=18446744073709551615&page_size=1").await;
    assert_eq!(page["results"], json!([]));
}

#[tokio::test]
async fn bad_page_values_are_bad_parameter_naming_them() {
    let server = server().await;
    for page in ["0", "-1", "abc", "1.5", "+2", "", "99999999999999999999", "%20"] {
        let message = bad(&server, &format!("/pages?page={page}")).await;
        assert_eq!(
            message, "Bad parameter: page. must be a whole number from 1.",
            "page={page}"
        );
    }
    // The offset of a huge page overflows u64: refused, not wrapped.
    assert!(bad(&server, "/pages?page=18446744073709551615")
        .await
        .contains("page"));
    for size in ["0", "-3", "x"] {
        assert!(bad(&server, &format!("/pages?page_size={size}"))
            .await
            .contains("page_size"));
    }
}

#[tokio::test]
async fn a_size_over_max_page_size_is_clamped() {
    let server = server().await;
    let page = result(&server, "/pages?page_size=1000").await;
    assert_eq!(page["results"], json!(numbers(0, 12)));
    assert_eq!(page["next"], format!("{}/pages?page=2&page_size=12", server.base));
    // Settings' max_page_size when the attribute writes none.
    assert_eq!(
        result(&server, "/settings?page_size=50").await["results"],
        json!(numbers(0, 20))
    );
    assert_eq!(
        result(&server, "/settings").await["results"],
        json!(numbers(0, 5))
    );
}

#[tokio::test]
async fn settings_choose_the_style_of_an_endpoint_that_names_none() {
    let server = serve(app("[pagination]\nstyle = 'limit_offset'")).await;
    let page = result(&server, "/settings?limit=2&offset=2").await;
    assert_eq!(page["results"], json!([2, 3]));
    assert_eq!(page["next"], format!("{}/settings?offset=4&limit=2", server.base));
}

#[tokio::test]
async fn every_packer_wraps_the_same_shape() {
    let server = server().await;
    let deetr = server.get_json("/deetr?page=2").await;
    assert_eq!(deetr["errcode"], 0);
    assert_eq!(
        deetr["data"],
        json!({
            "count": 25,
            "next": format!("{}/deetr?page=3", server.base),
            "previous": format!("{}/deetr?page=1", server.base),
            "results": numbers(10, 10),
        })
    );
    let dmrs = server.get_json("/dmrs").await;
    assert_eq!(
        (dmrs["returnCode"].clone(), dmrs["successSign"].clone()),
        (json!(0), json!(true))
    );
    assert_eq!(dmrs["data"]["results"], json!(numbers(0, 10)));
    assert!(dmrs["data"].get("count").is_none());
}

#[tokio::test]
async fn links_use_api_host_and_never_a_hostile_host_header() {
    let server = serve(app("[swagger]\napi_host = 'https://api.example.com'")).await;
    let page = result(&server, "/pages").await;
    assert_eq!(page["next"], "https://api.example.com/pages?page=2");
    // The document's server: api_host, then api_basepath.
    let server = serve(app(
        "[swagger]\napi_host = 'api.example.com'\napi_basepath = '/v1/'",
    ))
    .await;
    let page = result(&server, "/pages").await;
    assert_eq!(page["next"], "http://api.example.com/v1/pages?page=2");

    let server = serve(app("")).await;
    for host in [
        "evil.example/phish?",
        "a b",
        "x@evil.example",
        "evil.example:99999",
        "[::1",
    ] {
        let packed: Value = server
            .client
            .get(server.url("/pages"))
            .header("host", host)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(packed["result"]["next"], "/pages?page=2", "Host: {host}");
    }
    let packed: Value = server
        .client
        .get(server.url("/pages"))
        .header("host", "shop.example:8443")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(packed["result"]["next"], "http://shop.example:8443/pages?page=2");
}

#[tokio::test]
async fn a_blocking_endpoint_paginates_and_a_page_request_alone_reads_no_body() {
    let server = server().await;
    let page = result(&server, "/blocking?limit=2&offset=23").await;
    assert_eq!(page["results"], json!(["23", "24"]));
    assert_eq!(page["next"], Value::Null);
    use apiview::Handler;
    assert!(!by_page.meta().reads_body);
    assert!(by_offset_blocking.meta().reads_body);
}

#[tokio::test]
async fn links_of_a_nested_app_keep_its_prefix_and_cursors_still_verify() {
    let route = poem::Route::new().nest("/api", app("").into_endpoint());
    let server = common::serve_endpoint(route).await;
    let page = result(&server, "/api/pages?page=2").await;
    assert_eq!(page["next"], format!("{}/api/pages?page=3", server.base));
    let first = result(&server, "/api/cursor").await;
    let next = first["next"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{}/api/cursor?cursor=", server.base)),
        "{next}"
    );
    assert_eq!(
        result(&server, next.strip_prefix(&server.base).unwrap()).await["results"][0],
        10
    );
}

#[tokio::test]
async fn the_document_lists_each_styles_query_parameters() {
    let server = server().await;
    let document = server.get_json("/apiview/openapi.json").await;
    let names = |path: &str| -> Vec<String> {
        let operation = &document["paths"][path]["get"];
        operation["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("no parameters on {path}: {operation}"))
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names("/pages"), ["page", "page_size"]);
    assert_eq!(names("/offsets"), ["limit", "offset"]);
    assert_eq!(names("/cursor"), ["cursor", "page_size"]);
    let page_size = document["paths"]["/pages"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "page_size")
        .unwrap()
        .clone();
    assert_eq!(page_size["schema"]["maximum"], 12);
    assert_eq!(page_size["schema"]["default"], 10);
}
