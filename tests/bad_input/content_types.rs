//! Content types: JSON under another type, text/plain, malformed multipart, JSON
//! text in a form body.

use super::*;

#[tokio::test]
async fn json_under_another_content_type_is_accepted() {
    let server = server().await;
    let body = r#"{"a": 5, "name": "n"}"#;
    for content_type in [None, Some("application/octet-stream"), Some("weird")] {
        let answer = post(&server, "/fields", content_type, body).await;
        assert_eq!(answer, ok(json!({"a": 5, "name": "n"})), "{content_type:?}");
    }
}

/// A browser posts `text/plain` cross-site without a preflight: a JSON-looking form
/// post must not reach an endpoint's parameters (DESIGN §2.1).
#[tokio::test]
async fn a_text_plain_body_is_not_parsed_unless_the_settings_say_so() {
    let body = r#"{"a": 5, "name": "n"}"#;
    for content_type in ["text/plain", "text/plain; charset=utf-8", "TEXT/PLAIN"] {
        let answer = post(&server().await, "/fields?name=q", Some(content_type), body).await;
        assert_eq!(answer, ok(json!({"a": null, "name": "q"})), "{content_type}");
    }
    let parsing =
        common::serve(App::new(common::settings("parse_untyped_bodies = true")).at("/fields", fields)).await;
    let answer = post(&parsing, "/fields", Some("text/plain"), body).await;
    assert_eq!(answer, ok(json!({"a": 5, "name": "n"})));
}

#[tokio::test]
async fn a_body_that_is_not_json_under_another_content_type_is_ignored() {
    let server = server().await;
    for (content_type, body) in [
        (Some("text/plain"), "hello there"),
        (Some("application/xml"), "<a>1</a>"),
        (None, "a=1&name=x"),
        (Some("text/plain"), "{\"a\": "),
        (Some(";;;"), "{"),
    ] {
        let answer = post(&server, "/fields?name=q", content_type, body).await;
        assert_eq!(
            answer,
            ok(json!({"a": null, "name": "q"})),
            "{content_type:?} {body:?}"
        );
    }
}

#[tokio::test]
async fn a_malformed_multipart_body_is_a_packed_error() {
    let server = server().await;
    for (content_type, body) in [
        ("multipart/form-data", "--x\r\n\r\n"),
        (
            "multipart/form-data; boundary=xyz",
            "garbage, no boundary anywhere",
        ),
        (
            "multipart/form-data; boundary=xyz",
            "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1",
        ),
    ] {
        let answer = post(&server, "/fields", Some(content_type), body).await;
        assert!(
            PARAMETER_CODES.contains(&code_of(&answer)),
            "{content_type} {body:?}: {answer}"
        );
    }
    assert_alive(&server).await;
}

#[tokio::test]
async fn json_text_in_a_form_body_is_just_a_form() {
    let server = server().await;
    let answer = post(
        &server,
        "/fields",
        Some("application/x-www-form-urlencoded"),
        r#"{"a": 5}"#,
    )
    .await;
    assert_eq!(answer, ok(json!({"a": null, "name": null})));
}
