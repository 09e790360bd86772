//! Every demo endpoint over real HTTP, with each built-in packer (simple, deetr,
//! dmrs) chosen only in the settings, asserting the exact envelopes; and the demo with
//! no settings at all.

mod common;

#[path = "../examples/demo/endpoints.rs"]
mod endpoints;

use common::{Answer, TestServer};
use serde_json::{json, Map, Value};

const ACLKEY: &str = "test-aclkey";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Packer {
    Simple,
    Deetr,
    Dmrs,
}

impl Packer {
    fn name(self) -> &'static str {
        match self {
            Packer::Simple => "simple",
            Packer::Deetr => "deetr",
            Packer::Dmrs => "dmrs",
        }
    }
}

/// What an answer must carry.
enum Expect<'a> {
    Ok(Value),
    Err(i64, &'a str),
}

struct Demo {
    server: TestServer,
    packer: Packer,
}

fn is_hex32(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `YYYY-MM-DD HH:MM:SS` with plausible field values.
fn assert_deetr_time(time: &str) {
    let bytes = time.as_bytes();
    assert_eq!(bytes.len(), 19, "deetr time {time:?}");
    for (i, byte) in bytes.iter().enumerate() {
        let expected_separator = match i {
            4 | 7 => Some(b'-'),
            10 => Some(b' '),
            13 | 16 => Some(b':'),
            _ => None,
        };
        match expected_separator {
            Some(separator) => assert_eq!(*byte, separator, "deetr time {time:?}"),
            None => assert!(byte.is_ascii_digit(), "deetr time {time:?}"),
        }
    }
    let field = |range: std::ops::Range<usize>| time[range].parse::<u32>().unwrap();
    assert!(field(0..4) >= 2024, "deetr time {time:?}");
    assert!((1..=12).contains(&field(5..7)), "deetr time {time:?}");
    assert!((1..=31).contains(&field(8..10)), "deetr time {time:?}");
    assert!(field(11..13) < 24, "deetr time {time:?}");
    assert!(field(14..16) < 60, "deetr time {time:?}");
    assert!(field(17..19) < 61, "deetr time {time:?}");
}

impl Demo {
    async fn start(packer: Packer) -> Demo {
        let settings = common::settings(&format!("packer = '{}'\naclkey = '{ACLKEY}'", packer.name()));
        Demo {
            server: common::serve(endpoints::app(settings)).await,
            packer,
        }
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.server.client.get(self.server.url(path))
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.server.client.post(self.server.url(path))
    }

    /// The envelope this packer gives `expect`, without deetr's `time` and `reqid`.
    fn envelope(&self, expect: &Expect<'_>) -> Value {
        match (self.packer, expect) {
            (Packer::Simple, Expect::Ok(result)) => json!({"success": true, "result": result}),
            (Packer::Simple, Expect::Err(code, message)) => {
                json!({"success": false, "error": {"code": code, "message": message}})
            }
            (Packer::Deetr, Expect::Ok(result)) => json!({"data": result, "errcode": 0, "errmsg": "OK"}),
            (Packer::Deetr, Expect::Err(code, message)) => {
                json!({"data": null, "errcode": code, "errmsg": message})
            }
            (Packer::Dmrs, Expect::Ok(result)) => {
                json!({"data": result, "message": "OK", "returnCode": 0, "successSign": true})
            }
            (Packer::Dmrs, Expect::Err(code, message)) => {
                json!({"data": null, "message": message, "returnCode": code, "successSign": false})
            }
        }
    }

    /// Checks the whole envelope; deetr's `time` format and `reqid` (32 hex, or the
    /// id the request sent, and equal to the `X-Request-Id` response header) too.
    /// Returns the answer's request id.
    fn check(&self, answer: &Answer, expect: Expect<'_>, sent_request_id: Option<&str>) -> String {
        assert_eq!(answer.status, 200, "{}", answer.json);
        let request_id = answer.request_id().to_owned();
        match sent_request_id {
            Some(sent) => assert_eq!(request_id, sent, "X-Request-Id not echoed"),
            None => assert!(is_hex32(&request_id), "X-Request-Id {request_id:?}"),
        }
        let mut packed: Map<String, Value> = answer
            .json
            .as_object()
            .unwrap_or_else(|| panic!("not an object: {}", answer.json))
            .clone();
        if self.packer == Packer::Deetr {
            let time = packed.remove("time").expect("deetr answer without time");
            assert_deetr_time(time.as_str().expect("time is not a string"));
            let reqid = packed.remove("reqid").expect("deetr answer without reqid");
            assert_eq!(reqid, request_id.as_str(), "reqid vs X-Request-Id header");
        }
        assert_eq!(Value::Object(packed), self.envelope(&expect));
        request_id
    }

    async fn expect(&self, request: reqwest::RequestBuilder, expect: Expect<'_>) {
        let answer = common::send(request).await;
        self.check(&answer, expect, None);
    }

    /// The error's message, after checking the rest of the envelope.
    async fn error_message(&self, request: reqwest::RequestBuilder, code: i64) -> String {
        let answer = common::send(request).await;
        let message = match self.packer {
            Packer::Simple => answer.json["error"]["message"].clone(),
            Packer::Deetr => answer.json["errmsg"].clone(),
            Packer::Dmrs => answer.json["message"].clone(),
        };
        let message = message
            .as_str()
            .unwrap_or_else(|| panic!("no message in {}", answer.json))
            .to_owned();
        self.check(&answer, Expect::Err(code, &message), None);
        message
    }
}

macro_rules! demo_tests {
    ($module:ident, $packer:expr) => {
        mod $module {
            use super::*;

            async fn demo() -> Demo {
                Demo::start($packer).await
            }

            #[tokio::test]
            async fn ping_answers_pong_to_get() {
                let demo = demo().await;
                demo.expect(demo.get("/ping"), Expect::Ok(json!("pong"))).await;
            }

            #[tokio::test]
            async fn ping_refuses_post() {
                let demo = demo().await;
                demo.expect(
                    demo.post("/ping"),
                    Expect::Err(common::NOT_SUPPORTED_HTTP_METHOD, "Not supported http method."),
                )
                .await;
            }

            #[tokio::test]
            async fn echo_returns_the_message_from_json_form_and_query() {
                let demo = demo().await;
                demo.expect(
                    demo.post("/echo").json(&json!({"msg": "hello"})),
                    Expect::Ok(json!("hello")),
                )
                .await;
                demo.expect(
                    demo.post("/echo").form(&[("msg", "from a form")]),
                    Expect::Ok(json!("from a form")),
                )
                .await;
                demo.expect(demo.post("/echo?msg=queried"), Expect::Ok(json!("queried")))
                    .await;
            }

            #[tokio::test]
            async fn echo_counts_characters_not_bytes() {
                let demo = demo().await;
                // Two characters, six bytes: long enough.
                demo.expect(demo.post("/echo").json(&json!({"msg": "测试"})), Expect::Ok(json!("测试")))
                    .await;
                // 4096 characters, 12288 bytes: not too long.
                let long = "测".repeat(4096);
                demo.expect(demo.post("/echo").json(&json!({"msg": long})), Expect::Ok(json!(long)))
                    .await;
                // One character of three bytes: too short.
                demo.expect(
                    demo.post("/echo").json(&json!({"msg": "测"})),
                    Expect::Err(common::STRING_TOO_SHORT, "String shorter than 2."),
                )
                .await;
            }

            #[tokio::test]
            async fn echo_refuses_too_short_too_long_and_missing() {
                let demo = demo().await;
                demo.expect(
                    demo.post("/echo").json(&json!({"msg": "a"})),
                    Expect::Err(common::STRING_TOO_SHORT, "String shorter than 2."),
                )
                .await;
                demo.expect(
                    demo.post("/echo").json(&json!({"msg": "a".repeat(4097)})),
                    Expect::Err(common::STRING_TOO_LONG, "String longer than 4096."),
                )
                .await;
                demo.expect(
                    demo.post("/echo").json(&json!({})),
                    Expect::Err(common::MISSING_PARAMETER, "Missing parameter: msg."),
                )
                .await;
            }

            #[tokio::test]
            async fn echo_refuses_get() {
                let demo = demo().await;
                demo.expect(
                    demo.get("/echo?msg=hello"),
                    Expect::Err(common::NOT_SUPPORTED_HTTP_METHOD, "Not supported http method."),
                )
                .await;
            }

            #[tokio::test]
            async fn add_sums_query_and_json_operands() {
                let demo = demo().await;
                demo.expect(demo.get("/add?a=1&b=2"), Expect::Ok(json!(3))).await;
                demo.expect(demo.post("/add").json(&json!({"a": 100, "b": -7})), Expect::Ok(json!(93)))
                    .await;
                demo.expect(demo.post("/add").json(&json!({"a": "0", "b": "5"})), Expect::Ok(json!(5)))
                    .await;
            }

            #[tokio::test]
            async fn add_refuses_a_outside_0_to_100() {
                let demo = demo().await;
                for a in ["101", "-1"] {
                    let message = demo
                        .error_message(demo.get(&format!("/add?a={a}&b=1")), common::BAD_PARAMETER)
                        .await;
                    assert!(message.starts_with("Bad parameter: a."), "{message}");
                    assert!(message.contains(a), "value {a} not named: {message}");
                    assert!(message.contains("100"), "range not named: {message}");
                }
            }

            #[tokio::test]
            async fn add_refuses_missing_and_mistyped_operands() {
                let demo = demo().await;
                demo.expect(
                    demo.get("/add?a=1"),
                    Expect::Err(common::MISSING_PARAMETER, "Missing parameter: b."),
                )
                .await;
                demo.expect(
                    demo.get("/add?b=1"),
                    Expect::Err(common::MISSING_PARAMETER, "Missing parameter: a."),
                )
                .await;
                let message = demo
                    .error_message(demo.get("/add?a=one&b=1"), common::BAD_PARAMETER_TYPE)
                    .await;
                assert!(message.starts_with("Bad parameter type: a"), "{message}");
            }

            #[tokio::test]
            async fn add_reports_an_overflowing_sum_as_a_bad_parameter() {
                let demo = demo().await;
                let message = demo
                    .error_message(
                        demo.get(&format!("/add?a=100&b={}", i64::MAX)),
                        common::BAD_PARAMETER,
                    )
                    .await;
                assert!(message.starts_with("Bad parameter: b."), "{message}");
            }

            #[tokio::test]
            async fn pick_accepts_add_and_sub_only() {
                let demo = demo().await;
                demo.expect(demo.get("/pick?op=add"), Expect::Ok(json!("add"))).await;
                demo.expect(demo.post("/pick").json(&json!({"op": "sub"})), Expect::Ok(json!("sub")))
                    .await;
                let message = demo
                    .error_message(demo.get("/pick?op=mul"), common::BAD_PARAMETER)
                    .await;
                assert!(message.starts_with("Bad parameter: op."), "{message}");
                assert!(message.contains("mul"), "value not named: {message}");
                assert!(message.contains("add") && message.contains("sub"), "choices not named: {message}");
                demo.expect(
                    demo.get("/pick"),
                    Expect::Err(common::MISSING_PARAMETER, "Missing parameter: op."),
                )
                .await;
            }

            #[tokio::test]
            async fn secure_accepts_the_key_in_header_query_or_body() {
                let demo = demo().await;
                demo.expect(demo.get("/secure").header("aclkey", ACLKEY), Expect::Ok(json!("ok")))
                    .await;
                demo.expect(demo.get(&format!("/secure?aclkey={ACLKEY}")), Expect::Ok(json!("ok")))
                    .await;
                demo.expect(
                    demo.post("/secure").json(&json!({"aclkey": ACLKEY})),
                    Expect::Ok(json!("ok")),
                )
                .await;
                demo.expect(
                    demo.post("/secure").form(&[("aclkey", ACLKEY)]),
                    Expect::Ok(json!("ok")),
                )
                .await;
            }

            #[tokio::test]
            async fn secure_refuses_a_wrong_or_missing_key() {
                let demo = demo().await;
                demo.expect(
                    demo.get("/secure").header("aclkey", "wrong"),
                    Expect::Err(common::APP_AUTH_FAILED, "App auth failed."),
                )
                .await;
                demo.expect(
                    demo.get("/secure").header("aclkey", format!("{ACLKEY}x")),
                    Expect::Err(common::APP_AUTH_FAILED, "App auth failed."),
                )
                .await;
                demo.expect(
                    demo.get("/secure"),
                    Expect::Err(common::MISSING_PARAMETER, "Missing parameter: aclkey."),
                )
                .await;
            }

            #[tokio::test]
            async fn only_get_answers_get_and_refuses_post() {
                let demo = demo().await;
                demo.expect(demo.get("/only_get"), Expect::Ok(json!("got"))).await;
                demo.expect(
                    demo.post("/only_get"),
                    Expect::Err(common::NOT_SUPPORTED_HTTP_METHOD, "Not supported http method."),
                )
                .await;
            }

            #[tokio::test]
            async fn boom_is_a_sys_error_and_the_server_keeps_answering() {
                let demo = demo().await;
                demo.expect(demo.get("/boom"), Expect::Err(common::SYS_ERROR, "System Error"))
                    .await;
                demo.expect(demo.get("/ping"), Expect::Ok(json!("pong"))).await;
                // Many panics at once, interleaved with normal requests.
                let mut requests = Vec::new();
                for i in 0..20 {
                    let path = if i % 2 == 0 { "/boom" } else { "/ping" };
                    requests.push(common::send(demo.get(path)));
                }
                let answers = futures_util::future::join_all(requests).await;
                for (i, answer) in answers.iter().enumerate() {
                    let expect = if i % 2 == 0 {
                        Expect::Err(common::SYS_ERROR, "System Error")
                    } else {
                        Expect::Ok(json!("pong"))
                    };
                    demo.check(answer, expect, None);
                }
                demo.expect(demo.post("/echo").json(&json!({"msg": "still here"})), Expect::Ok(json!("still here")))
                    .await;
            }

            #[tokio::test]
            async fn whoami_reads_the_uid_cookie_and_the_user_agent() {
                let demo = demo().await;
                demo.expect(
                    demo.get("/whoami")
                        .header("cookie", "theme=dark; uid=42")
                        .header("user-agent", "curl/8.0"),
                    Expect::Ok(json!({"uid": "42", "agent": "curl/8.0"})),
                )
                .await;
                demo.expect(demo.get("/whoami"), Expect::Ok(json!({"uid": null, "agent": null})))
                    .await;
                // A query field named `uid` is not the cookie.
                demo.expect(
                    demo.get("/whoami?uid=7&agent=x"),
                    Expect::Ok(json!({"uid": null, "agent": null})),
                )
                .await;
            }

            #[tokio::test]
            async fn body_returns_the_posted_json_as_is() {
                let demo = demo().await;
                let user = json!({"name": "ann", "age": 3, "tags": ["a", "b"], "nested": {"x": null}});
                demo.expect(demo.post("/body").json(&user), Expect::Ok(user.clone())).await;
                demo.expect(demo.post("/body").json(&json!([1, 2, 3])), Expect::Ok(json!([1, 2, 3])))
                    .await;
            }

            #[tokio::test]
            async fn the_request_id_sent_is_echoed() {
                let demo = demo().await;
                let answer = common::send(demo.get("/ping").header("X-Request-Id", "client-req-0001")).await;
                demo.check(&answer, Expect::Ok(json!("pong")), Some("client-req-0001"));
                let answer = common::send(demo.get("/boom").header("X-Request-Id", "client-req-0002")).await;
                demo.check(
                    &answer,
                    Expect::Err(common::SYS_ERROR, "System Error"),
                    Some("client-req-0002"),
                );
            }

            #[tokio::test]
            async fn each_answer_gets_a_fresh_request_id() {
                let demo = demo().await;
                let first = common::send(demo.get("/ping")).await;
                let second = common::send(demo.get("/ping")).await;
                let first = demo.check(&first, Expect::Ok(json!("pong")), None);
                let second = demo.check(&second, Expect::Ok(json!("pong")), None);
                assert_ne!(first, second);
            }

            #[tokio::test]
            async fn throttled_answers_five_a_minute_then_too_many_requests() {
                let demo = demo().await;
                for _ in 0..5 {
                    demo.expect(demo.get("/throttled"), Expect::Ok(json!("ok"))).await;
                }
                let answer = common::send(demo.get("/throttled")).await;
                assert_eq!(answer.header("retry-after"), "12");
                demo.check(
                    &answer,
                    Expect::Err(1001010007, "Too many requests. Retry after 12 seconds."),
                    None,
                );
            }

            #[tokio::test]
            async fn non_ascii_is_sent_unescaped() {
                let demo = demo().await;
                let response = demo
                    .post("/echo")
                    .json(&json!({"msg": "测试的字符串"}))
                    .send()
                    .await
                    .unwrap();
                let text = response.text().await.unwrap();
                assert!(text.contains("测试的字符串"), "{text}");
                assert!(!text.contains("\\u"), "{text}");
            }
        }
    };
}

demo_tests!(simple, Packer::Simple);
demo_tests!(deetr, Packer::Deetr);
demo_tests!(dmrs, Packer::Dmrs);

/// The demo's App with no settings at all (every default: the simple packer, no
/// aclkey) still serves: /ping answers the exact envelope.
#[tokio::test]
async fn the_demo_answers_with_default_settings() {
    let server = common::serve(endpoints::app(common::settings(""))).await;
    let body = server.get_json("/ping").await;
    assert_eq!(body, json!({"success": true, "result": "pong"}));
}
