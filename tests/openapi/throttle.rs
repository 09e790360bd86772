//! A throttled operation's document (DESIGN §13): `TooManyRequests` among its
//! codes, 429 in semantic mode, the rates in its description; `default_rate`
//! throttles the others, in the document too.

use super::*;

const TOO_MANY_REQUESTS: i64 = 1001010007;

/// The code `enum` of a response's schema.
fn code_enum(operation: &Value, status: &str) -> Vec<Value> {
    let schema = &operation["responses"][status]["content"]["application/json"]["schema"];
    schema["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn a_throttled_operation_documents_too_many_requests_and_its_rate() {
    let document = demo("demo-throttled", |_| {});
    let throttled = &document["paths"]["/throttled"]["get"];
    assert!(error_codes(throttled, "200").contains(&TOO_MANY_REQUESTS));
    assert!(code_enum(throttled, "200").contains(&json!(TOO_MANY_REQUESTS)));
    let description = throttled["description"].as_str().unwrap();
    assert!(
        description.contains("Throttled: 5/m per client address."),
        "{description}"
    );
    // Not throttled: not documented so.
    let ping = &document["paths"]["/ping"]["get"];
    assert!(!error_codes(ping, "200").contains(&TOO_MANY_REQUESTS));
    assert!(ping
        .get("description")
        .is_none_or(|d| !d.as_str().unwrap().contains("Throttled")));

    let semantic = demo("demo-throttled-semantic", |s| {
        s.http_status = HttpStatusMode::Semantic;
    });
    let throttled = &semantic["paths"]["/throttled"]["get"];
    assert_eq!(error_codes(throttled, "429"), BTreeSet::from([TOO_MANY_REQUESTS]));
    // The 429 carries Retry-After, and says so; the 200 of /ping does not.
    let retry_after = &throttled["responses"]["429"]["headers"]["Retry-After"];
    assert_eq!(retry_after["schema"]["type"], "integer", "{retry_after}");
    assert!(semantic["paths"]["/ping"]["get"]["responses"]["200"]["headers"]
        .get("Retry-After")
        .is_none());
    assert_eq!(code_enum(throttled, "429"), [json!(TOO_MANY_REQUESTS)]);
    assert!(!error_codes(throttled, "200").contains(&TOO_MANY_REQUESTS));
}

#[test]
fn the_default_rate_is_documented_on_every_operation_without_its_own() {
    let document = demo("demo-default-rate", |s| s.throttle.default_rate = "100/m".into());
    let ping = &document["paths"]["/ping"]["get"];
    assert!(error_codes(ping, "200").contains(&TOO_MANY_REQUESTS));
    let description = ping["description"].as_str().unwrap();
    assert!(
        description.contains("Throttled: 100/m per client address."),
        "{description}"
    );
    let throttled = document["paths"]["/throttled"]["get"]["description"]
        .as_str()
        .unwrap();
    assert!(
        throttled.contains("Throttled: 5/m per client address."),
        "{throttled}"
    );
}
