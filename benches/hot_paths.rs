//! Micro-benchmarks of the per-request hot paths, without the network: coercion of
//! request values, each packer's `pack_result`, cache-key filling, and whole requests
//! through an App's endpoint in-process (routing, lookup by name, coercion,
//! validation, packing), by number of parameters and by body size.
//!
//! ```text
//! cargo bench --bench hot_paths                # all of them
//! cargo bench --bench hot_paths -- endpoint    # those whose name contains "endpoint"
//! ```
//!
//! Figures are wall-clock medians on a shared machine: compare benchmarks of one run
//! with each other, not with another run's.

use std::sync::OnceLock;

use apiview::packer::{DeetrPacker, DmrsPacker, PackContext, Packer, SimplePacker};
use apiview::prelude::*;
use apiview::{AppEndpoint, RawValue};
use divan::{black_box, Bencher};
use poem::http::Method;
use poem::{Endpoint, Request};
use serde_json::{json, Value};

fn main() {
    divan::main();
}

// ---------------------------------------------------------------- coercion

mod coerce {
    use super::*;
    use apiview::__private::coerce;

    #[divan::bench]
    fn integer_from_text() -> i64 {
        coerce::<i64>("a", black_box(Some(RawValue::Text("12345")))).unwrap_or_default()
    }

    #[divan::bench]
    fn string_from_text() -> String {
        coerce::<String>("msg", black_box(Some(RawValue::Text("hello, benchmark")))).unwrap_or_default()
    }

    #[divan::bench]
    fn list_from_repeated_text() -> Vec<i64> {
        coerce::<Vec<i64>>("ids", black_box(Some(RawValue::Texts(vec!["1", "2", "3", "4"]))))
            .unwrap_or_default()
    }

    #[derive(serde::Deserialize, Default)]
    #[allow(dead_code)] // read by serde, the point of the benchmark
    struct Point {
        x: f64,
        y: f64,
        label: String,
    }

    #[divan::bench]
    fn struct_from_json(bencher: Bencher) {
        let value = json!({"x": 1.5, "y": -2, "label": "origin"});
        bencher
            .bench(|| coerce::<Point>("point", black_box(Some(RawValue::Json(&value)))).unwrap_or_default());
    }

    #[divan::bench]
    fn missing_optional() -> Option<i64> {
        coerce::<Option<i64>>("a", black_box(None)).unwrap_or_default()
    }
}

// ---------------------------------------------------------------- packers

mod pack {
    use super::*;

    fn small() -> Value {
        json!("pong")
    }

    fn kilobyte() -> Value {
        json!((0..40)
            .map(|i| json!({"id": i, "name": format!("item {i}")}))
            .collect::<Vec<_>>())
    }

    fn result_bytes(packer: &dyn Packer, value: Value) -> Vec<u8> {
        let cx = PackContext::detached("0123456789abcdef0123456789abcdef");
        let mut out = Vec::with_capacity(128);
        packer.write_result(value, &cx, &mut out).unwrap_or_default();
        out
    }

    #[divan::bench(name = "simple_small")]
    fn simple_small(bencher: Bencher) {
        bencher
            .with_inputs(small)
            .bench_values(|value| result_bytes(&SimplePacker, value));
    }

    #[divan::bench(name = "simple_1kB")]
    fn simple_kilobyte(bencher: Bencher) {
        bencher
            .with_inputs(kilobyte)
            .bench_values(|value| result_bytes(&SimplePacker, value));
    }

    #[divan::bench(name = "deetr_small")]
    fn deetr_small(bencher: Bencher) {
        bencher
            .with_inputs(small)
            .bench_values(|value| result_bytes(&DeetrPacker, value));
    }

    #[divan::bench(name = "dmrs_small")]
    fn dmrs_small(bencher: Bencher) {
        bencher
            .with_inputs(small)
            .bench_values(|value| result_bytes(&DmrsPacker, value));
    }

    #[divan::bench(name = "simple_error")]
    fn simple_error() -> Value {
        let cx = PackContext::detached("0123456789abcdef0123456789abcdef");
        SimplePacker
            .pack_error(black_box(&BizError::missing_parameter("msg")), &cx)
            .unwrap_or_default()
    }
}

// ---------------------------------------------------------------- cache keys

mod cache_key {
    use super::*;
    use apiview::cache::fill_key;

    /// What `#[cache(key = "add:{a}:{b}")]` builds its key with.
    #[divan::bench]
    fn two_integers() -> String {
        fill_key(&["add:", ":", ""], &[black_box(&1_i64), black_box(&2_i64)]).unwrap()
    }

    #[divan::bench]
    fn text_needing_escapes() -> String {
        fill_key(&["note:", ""], &[black_box(&"my note: *draft* [2]")]).unwrap()
    }
}

// ---------------------------------------------------------------- whole requests, in-process

/// Always returns "pong". (No doc-comment sections: the documented twin below has them.)
#[apiview]
fn ping() -> &'static str {
    "pong"
}

/// Always returns "pong", with a doc comment as long as a real one.
///
/// The answer never changes. This text, its parameters and its responses are
/// parsed when the crate compiles; routing a request must not depend on them.
/// --------
/// @methods: get
/// @response: 200 OK "the answer" {{{
/// pong
/// }}}
/// @response: 200 ERROR "a system error" {{{
/// code: 1001000000
/// message: System Error
/// }}}
#[apiview]
fn ping_documented() -> &'static str {
    "pong"
}

#[apiview]
#[requires(a, b)]
#[between(a, 0, 100)]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

#[apiview]
#[allow_post]
fn echo(msg: String) -> String {
    msg
}

#[apiview]
fn params_1(p1: i64) -> i64 {
    p1
}

#[apiview]
#[allow_get]
fn params_4(p1: i64, p2: i64, p3: i64, p4: i64) -> i64 {
    p1 + p2 + p3 + p4
}

#[apiview]
#[allow_get]
#[allow(clippy::too_many_arguments)]
fn params_16(
    p1: i64,
    p2: i64,
    p3: i64,
    p4: i64,
    p5: i64,
    p6: i64,
    p7: i64,
    p8: i64,
    p9: i64,
    p10: i64,
    p11: i64,
    p12: i64,
    p13: i64,
    p14: i64,
    p15: i64,
    p16: i64,
) -> i64 {
    p1 + p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9 + p10 + p11 + p12 + p13 + p14 + p15 + p16
}

struct Served {
    runtime: tokio::runtime::Runtime,
    endpoint: AppEndpoint,
}

fn served() -> &'static Served {
    static SERVED: OnceLock<Served> = OnceLock::new();
    SERVED.get_or_init(|| {
        let settings = Settings::from_toml_str("body_limit = 4194304").expect("valid settings");
        let app = App::new(settings)
            .at("/ping", ping)
            .at("/ping_documented", ping_documented)
            .at("/add", add)
            .at("/echo", echo)
            .at("/params_1", params_1)
            .at("/params_4", params_4)
            .at("/params_16", params_16);
        Served {
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a tokio runtime"),
            endpoint: app.into_endpoint(),
        }
    })
}

/// Sends a request through the App and returns the answer's body length; an answer
/// that is not a success would measure the wrong thing, and stops the benchmark.
fn call(request: Request) -> usize {
    let served = served();
    served.runtime.block_on(async {
        let response = served.endpoint.get_response(request).await;
        let body = response.into_body().into_bytes().await.unwrap_or_default();
        assert!(
            body.starts_with(br#"{"success":true,"#),
            "not a success: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        );
        body.len()
    })
}

fn get(uri: &str) -> Request {
    Request::builder().method(Method::GET).uri_str(uri).finish()
}

mod endpoint {
    use super::*;

    #[divan::bench]
    fn ping(bencher: Bencher) {
        bencher.with_inputs(|| get("/ping")).bench_values(call);
    }

    /// The same endpoint with a long doc comment: the same cost.
    #[divan::bench]
    fn ping_documented(bencher: Bencher) {
        bencher.with_inputs(|| get("/ping_documented")).bench_values(call);
    }

    #[divan::bench]
    fn add(bencher: Bencher) {
        bencher.with_inputs(|| get("/add?a=1&b=2")).bench_values(call);
    }

    #[divan::bench(args = [1, 4, 16])]
    fn params(bencher: Bencher, count: usize) {
        let query: Vec<String> = (1..=count).map(|i| format!("p{i}={i}")).collect();
        let uri = format!("/params_{count}?{}", query.join("&"));
        bencher.with_inputs(|| get(&uri)).bench_values(call);
    }

    #[divan::bench(args = [1_024, 65_536, 1_048_576])]
    fn echo_body_bytes(bencher: Bencher, size: usize) {
        let body = serde_json::to_vec(&json!({"msg": "x".repeat(size - 10)})).expect("JSON");
        bencher
            .with_inputs(|| {
                Request::builder()
                    .method(Method::POST)
                    .uri_str("/echo")
                    .content_type("application/json")
                    .body(body.clone())
            })
            .bench_values(call);
    }
}
