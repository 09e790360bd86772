//! Invalid UTF-8 in JSON, form and multipart bodies, and elsewhere in the
//! request.

use super::*;

#[tokio::test]
async fn invalid_utf8_in_a_json_body_is_a_parse_json_error() {
    let server = server().await;
    let answer = post(
        &server,
        "/fields",
        Some("application/json"),
        b"{\"name\": \"\xff\xfe\"}".to_vec(),
    )
    .await;
    assert_eq!(code_of(&answer), common::PARSE_JSON_ERROR, "{answer}");
    assert_alive(&server).await;
}

#[tokio::test]
async fn invalid_utf8_in_a_form_body_is_a_packed_error() {
    let server = server().await;
    let answer = post(
        &server,
        "/fields",
        Some("application/x-www-form-urlencoded"),
        b"name=\xff\xfe&a=1".to_vec(),
    )
    .await;
    assert!(PARAMETER_CODES.contains(&code_of(&answer)), "{answer}");
    assert_alive(&server).await;
}

#[tokio::test]
async fn invalid_utf8_in_a_multipart_field_is_handled() {
    let server = roomy_server().await;
    let (content_type, mut body) =
        common::multipart(&[Part::File("f", "f.bin", b"data"), Part::Text("name", "ok")]);
    body.truncate(body.len() / 2);
    // A multipart body cut short is malformed.
    let answer = post(&server, "/fields", Some(&content_type), body).await;
    assert!(PARAMETER_CODES.contains(&code_of(&answer)), "{answer}");

    let (content_type, mut body) = common::multipart(&[Part::Text("name", "A_B")]);
    let at = body.windows(3).position(|w| w == b"A_B").unwrap();
    body[at + 1] = 0xff;
    let answer = post(&server, "/fields", Some(&content_type), body).await;
    match answer["success"].as_bool() {
        Some(true) => assert_eq!(answer["result"]["name"], "A\u{fffd}B", "{answer}"),
        _ => assert!(PARAMETER_CODES.contains(&code_of(&answer)), "{answer}"),
    }
    assert_alive(&server).await;
}

#[tokio::test]
async fn invalid_utf8_elsewhere_is_ignored_or_refused_cleanly() {
    let server = server().await;
    // Not JSON, not a form: ignored.
    let answer = post(
        &server,
        "/fields?a=2",
        Some("text/plain"),
        b"\xff\xfe\xfd".to_vec(),
    )
    .await;
    assert_eq!(answer, ok(json!({"a": 2, "name": null})));
    // Percent-encoded invalid UTF-8 in the query or a form: refused, not patched
    // with U+FFFD (issue 12, D11), even for an optional parameter.
    let answer = get(&server, "/fields?name=%FF%FE").await;
    assert_eq!(code_of(&answer), 1001060003, "{answer}");
    assert!(message_of(&answer).contains("name"), "{answer}");
    let form = Some("application/x-www-form-urlencoded");
    let answer = post(&server, "/fields", form, "a=1&name=%FF%FE").await;
    assert_eq!(code_of(&answer), 1001060003, "{answer}");
    let answer = post(&server, "/fields", form, "a=1&other=%FF&name=caf%C3%A9").await;
    assert_eq!(
        answer,
        ok(json!({"a": 1, "name": "café"})),
        "a field nobody reads may be anything"
    );
    // A header value that is not UTF-8, read as a parameter.
    let answer = raw(&server, "GET /agent HTTP/1.1\r\nUser-Agent: \u{0}", &[]).await;
    assert_ne!(answer.status, 500, "{answer:?}");
    let head = b"GET /agent HTTP/1.1\r\nUser-Agent: caf\xe9".to_vec();
    let answer = raw_bytes_head(&server, &head).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(PARAMETER_CODES.contains(&raw_error_code(&answer)), "{answer:?}");
    assert_alive(&server).await;
}

/// Like `TestServer::raw`, for a head that is not UTF-8.
async fn raw_bytes_head(server: &TestServer, head: &[u8]) -> RawAnswer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
        stream.write_all(head).await.unwrap();
        stream
            .write_all(format!("\r\nHost: {}\r\nConnection: close\r\n\r\n", server.addr()).as_bytes())
            .await
            .unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).await.unwrap();
        bytes
    };
    let bytes = tokio::time::timeout(Duration::from_secs(20), exchange)
        .await
        .expect("the server did not answer");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer: {text:?}"));
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    RawAnswer {
        status,
        headers: lines
            .filter_map(|line| line.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}
