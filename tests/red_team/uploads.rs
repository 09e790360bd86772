//! Uploads (DESIGN §12) under attack: many parts, huge and lying part headers, hostile
//! file names, boundaries missing or absurd, framing that lies, trickled and concurrent
//! large files, files sent where none is taken.

use std::path::PathBuf;
use std::time::Duration;

use apiview::prelude::*;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::common::{
    code_of, eventually, multipart, send, serve, settings, Part, TestServer, BAD_PARAMETER,
    MISSING_PARAMETER, TOO_LARGE_REQUEST_ERROR,
};
use crate::{answer_of, ping, raw, still_serving, BOUND};

#[apiview]
#[allow_post]
async fn one(file: Upload) -> apiview::Result<Value> {
    let bytes = file.bytes().await?;
    Ok(json!({
        "filename": file.filename(),
        "content_type": file.content_type(),
        "size": file.size(),
        "len": bytes.len(),
        "spooled": file.is_spooled(),
    }))
}

#[apiview]
#[allow_post]
fn many(files: Vec<Upload>) -> usize {
    files.len()
}

#[apiview]
#[allow_post]
fn text_only(msg: String) -> String {
    msg
}

struct Setup {
    server: TestServer,
    spool: tempfile::TempDir,
}

impl Setup {
    fn spooled(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.spool.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect()
    }

    /// Nothing is left in the spool folder (the last Upload may drop just after the
    /// answer is written).
    async fn assert_nothing_left(&self) {
        eventually("the spool folder is empty", Duration::from_secs(5), || async {
            self.spooled().is_empty()
        })
        .await;
    }

    async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Value {
        let request = self
            .server
            .client
            .post(self.server.url(path))
            .header("content-type", content_type)
            .body(body);
        tokio::time::timeout(BOUND, send(request))
            .await
            .expect("no answer in time")
            .json
    }

    async fn post(&self, path: &str, parts: &[Part<'_>]) -> Value {
        let (content_type, body) = multipart(parts);
        self.post_raw(path, &content_type, body).await
    }
}

/// Uploads over 1 kB spooled to a private folder, files up to 100 kB, bodies up to
/// 200 kB, 20 form fields.
async fn setup(body_timeout_ms: u64) -> Setup {
    let spool = tempfile::tempdir().unwrap();
    let toml = format!(
        "body_limit = 200000\n[limits]\nupload_memory_bytes = 1000\nmax_upload_bytes = 100000\n\
         max_form_fields = 20\nbody_timeout_ms = {body_timeout_ms}\nupload_dir = {:?}\n",
        spool.path().display().to_string()
    );
    let app = App::new(settings(&toml))
        .at("/one", one)
        .at("/many", many)
        .at("/text_only", text_only)
        .at("/ping", ping);
    Setup {
        server: serve(app).await,
        spool,
    }
}

fn bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// A multipart body written by hand: `--B` + each raw part + `--B--`.
fn body_of(boundary: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        body.extend_from_slice(part);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

fn file_part(headers: &str, data: &[u8]) -> Vec<u8> {
    let mut part = headers.as_bytes().to_vec();
    part.extend_from_slice(b"\r\n\r\n");
    part.extend_from_slice(data);
    part
}

#[tokio::test]
async fn many_tiny_file_parts_are_refused_past_max_form_fields() {
    let setup = setup(5_000).await;
    let data = bytes(2_000); // each one spooled
    let names: Vec<String> = (0..60).map(|i| format!("f{i}.bin")).collect();
    let parts: Vec<Part<'_>> = names
        .iter()
        .map(|name| Part::File("files", name, &data))
        .collect();
    let refused = setup.post("/many", &parts).await;
    assert_eq!(code_of(&refused), BAD_PARAMETER, "{refused}");
    setup.assert_nothing_left().await;
    // Within the limit they are all taken, and removed after.
    let answer = setup.post("/many", &parts[..20]).await;
    assert_eq!(answer["result"], json!(20), "{answer}");
    setup.assert_nothing_left().await;
    still_serving(&setup.server).await;
}

#[tokio::test]
async fn part_headers_that_are_huge_many_or_never_end_are_packed_errors() {
    let setup = setup(5_000).await;
    let boundary = "B0undary";
    let content_type = format!("multipart/form-data; boundary={boundary}");
    // One part header of 150 kB: within the body limit.
    let long = format!(
        "Content-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\nX-Pad: {}",
        "p".repeat(150_000)
    );
    let answer = setup
        .post_raw(
            "/one",
            &content_type,
            body_of(boundary, &[&file_part(&long, b"data")]),
        )
        .await;
    assert_eq!(answer["result"]["size"], json!(4), "{answer}");
    // Over the body limit.
    let longer = long.replace(&"p".repeat(150_000), &"p".repeat(250_000));
    let answer = setup
        .post_raw(
            "/one",
            &content_type,
            body_of(boundary, &[&file_part(&longer, b"data")]),
        )
        .await;
    assert_eq!(code_of(&answer), TOO_LARGE_REQUEST_ERROR, "{answer}");
    // 40 headers on one part.
    let mut crowded = "Content-Disposition: form-data; name=\"file\"; filename=\"a.bin\"".to_owned();
    for i in 0..40 {
        crowded.push_str(&format!("\r\nX-H{i}: v"));
    }
    let answer = setup
        .post_raw(
            "/one",
            &content_type,
            body_of(boundary, &[&file_part(&crowded, b"data")]),
        )
        .await;
    assert_eq!(code_of(&answer), BAD_PARAMETER, "{answer}");
    // A head that never ends: no blank line before the body does.
    let endless = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"\r\nX: {}",
        "y".repeat(100_000)
    );
    let answer = setup.post_raw("/one", &content_type, endless.into_bytes()).await;
    assert_eq!(code_of(&answer), BAD_PARAMETER, "{answer}");
    setup.assert_nothing_left().await;
    still_serving(&setup.server).await;
}

#[tokio::test]
async fn hostile_file_names_are_reduced_never_a_path() {
    let setup = setup(5_000).await;
    let boundary = "B0undary";
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let named = |filename: &str| {
        body_of(
            boundary,
            &[&file_part(
                &format!("Content-Disposition: form-data; name=\"file\"; filename=\"{filename}\""),
                b"x",
            )],
        )
    };
    for (given, kept) in [
        ("../../etc/passwd", json!("passwd")),
        ("..", Value::Null),
        ("..\\..\\boot.ini", json!("boot.ini")),
        ("dir/", Value::Null),
        (
            "\u{0442}\u{0435}\u{0441}\u{0442}.txt",
            json!("\u{0442}\u{0435}\u{0441}\u{0442}.txt"),
        ),
        ("a\tb.txt", json!("ab.txt")),
        ("/", Value::Null),
    ] {
        let answer = setup.post_raw("/one", &content_type, named(given)).await;
        assert_eq!(answer["result"]["filename"], kept, "{given:?}: {answer}");
    }
    // Bytes no header may hold: NUL, a bare CR, or a CRLF that ends the header early.
    for bad in ["a\0b.txt", "a\rb.txt", "a\r\nContent-Type: text/html\r\n\r\nevil"] {
        let answer = setup.post_raw("/one", &content_type, named(bad)).await;
        let name = answer["result"]["filename"].as_str().unwrap_or("");
        assert!(
            answer["success"] == json!(false) || !name.chars().any(char::is_control),
            "{bad:?}: {answer}"
        );
    }
    // A name of 100 kB is still just text.
    let answer = setup
        .post_raw("/one", &content_type, named(&"n".repeat(100_000)))
        .await;
    assert!(answer["success"].is_boolean(), "{answer}");
    setup.assert_nothing_left().await;
    still_serving(&setup.server).await;
}

#[tokio::test]
async fn a_lying_part_content_type_is_reported_as_declared_never_trusted() {
    let setup = setup(5_000).await;
    let boundary = "B0undary";
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let part = file_part(
        "Content-Disposition: form-data; name=\"file\"; filename=\"x.png\"\r\nContent-Type: image/png",
        b"<script>alert(1)</script>",
    );
    let answer = setup
        .post_raw("/one", &content_type, body_of(boundary, &[&part]))
        .await;
    assert_eq!(answer["result"]["content_type"], json!("image/png"), "{answer}");
    assert_eq!(answer["result"]["size"], json!(25), "{answer}");
    // A nested multipart/mixed part is one opaque file, not parsed further.
    let inner = body_of(
        "inner",
        &[b"Content-Disposition: file; filename=\"a.txt\"\r\n\r\nA"],
    );
    let part = file_part(
        "Content-Disposition: form-data; name=\"file\"; filename=\"n\"\r\nContent-Type: multipart/mixed; boundary=inner",
        &inner,
    );
    let answer = setup
        .post_raw("/one", &content_type, body_of(boundary, &[&part]))
        .await;
    assert_eq!(answer["result"]["size"], json!(inner.len()), "{answer}");
    // Sent where a text field is expected, it is no text field.
    let part = file_part(
        "Content-Disposition: form-data; name=\"msg\"\r\nContent-Type: multipart/mixed; boundary=inner",
        &inner,
    );
    let answer = setup
        .post_raw("/text_only", &content_type, body_of(boundary, &[&part]))
        .await;
    assert!(answer["success"].is_boolean(), "{answer}");
    setup.assert_nothing_left().await;
}

#[tokio::test]
async fn boundaries_missing_garbage_or_huge() {
    let setup = setup(5_000).await;
    let data = bytes(5_000);
    let (_, good) = multipart(&[Part::File("file", "a.bin", &data)]);
    for content_type in [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"",
        "multipart/form-data; boundary=not-the-one",
        "multipart/form-data; boundary=other; boundary=apiview-test-boundary-7MA4YWxkTrZu0gW",
    ] {
        let answer = setup.post_raw("/one", content_type, good.clone()).await;
        assert!(
            matches!(code_of(&answer), BAD_PARAMETER | MISSING_PARAMETER),
            "{content_type}: {answer}"
        );
    }
    // A boundary of 4 kB, used consistently: served.
    let boundary = "b".repeat(4_000);
    let part = file_part(
        "Content-Disposition: form-data; name=\"file\"; filename=\"a\"",
        &data,
    );
    let answer = setup
        .post_raw(
            "/one",
            &format!("multipart/form-data; boundary={boundary}"),
            body_of(&boundary, &[&part]),
        )
        .await;
    assert_eq!(answer["result"]["size"], json!(5_000), "{answer}");
    // A body that is the boundary over and over: empty parts, past max_form_fields.
    let answer = setup
        .post_raw(
            "/many",
            "multipart/form-data; boundary=X",
            "--X\r\n\r\n\r\n".repeat(5_000).into_bytes(),
        )
        .await;
    assert_eq!(code_of(&answer), BAD_PARAMETER, "{answer}");
    setup.assert_nothing_left().await;
    still_serving(&setup.server).await;
}

#[tokio::test]
async fn a_content_length_that_lies_is_no_hang_and_leaves_nothing() {
    let setup = setup(1_000).await;
    let data = bytes(50_000);
    let (content_type, body) = multipart(&[Part::File("file", "a.bin", &data)]);
    // Shorter than the body: the body ends before its closing boundary.
    let head = format!(
        "POST /one HTTP/1.1\r\nContent-Type: {content_type}\r\nContent-Length: {}",
        body.len() - 100
    );
    let answer = raw(&setup.server, &head, &[&body]).await;
    assert_eq!(code_of(&answer.json()), BAD_PARAMETER, "{answer:?}");
    // Longer, the rest never coming: multipart ends itself at its closing boundary,
    // so the answer is the file's; the connection is not held for the rest.
    let head = format!(
        "POST /one HTTP/1.1\r\nContent-Type: {content_type}\r\nContent-Length: {}",
        body.len() + 100
    );
    let answer = raw(&setup.server, &head, &[&body]).await;
    assert_eq!(answer.json()["result"]["size"], json!(50_000), "{answer:?}");
    // Longer, the rest a second request: it is body, never served as a request.
    let smuggled = b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut stream = tokio::net::TcpStream::connect(setup.server.addr()).await.unwrap();
    let head = format!(
        "POST /one HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len() + smuggled.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body).await.unwrap();
    stream.write_all(smuggled).await.unwrap();
    stream
        .write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answers = answer_of(&mut stream, BOUND).await;
    assert_eq!(
        answers.matches("HTTP/1.1 ").count(),
        answers.matches("\"pong\"").count() + 1,
        "{answers}"
    );
    assert!(
        answers.matches("\"pong\"").count() <= 1,
        "the smuggled request was served: {answers}"
    );
    setup.assert_nothing_left().await;
    still_serving(&setup.server).await;
}

#[tokio::test]
async fn a_trickled_upload_ends_at_body_timeout_and_leaves_nothing() {
    let setup = setup(800).await;
    let data = bytes(90_000);
    let (content_type, body) = multipart(&[Part::File("file", "slow.bin", &data)]);
    let mut stream = tokio::net::TcpStream::connect(setup.server.addr()).await.unwrap();
    let head = format!(
        "POST /one HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // 2 kB every 50 ms: never stalled, but far from whole when its time is up.
    let trickle = async {
        for piece in body.chunks(2_000) {
            if stream.write_all(piece).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(4), trickle).await;
    let answer = answer_of(&mut stream, BOUND).await;
    assert!(answer.contains(&BAD_PARAMETER.to_string()), "{answer}");
    setup.assert_nothing_left().await;
    still_serving(&setup.server).await;
}

#[tokio::test]
async fn concurrent_large_uploads_are_all_served_and_all_removed() {
    let setup = setup(10_000).await;
    let data = bytes(90_000);
    let (content_type, body) = multipart(&[Part::File("file", "big.bin", &data)]);
    let sends = (0..8).map(|_| setup.post_raw("/one", &content_type, body.clone()));
    for answer in futures_util::future::join_all(sends).await {
        assert_eq!(answer["result"]["size"], json!(90_000), "{answer}");
        assert_eq!(answer["result"]["spooled"], json!(true), "{answer}");
    }
    setup.assert_nothing_left().await;
}

#[tokio::test]
async fn a_file_sent_where_none_is_taken_is_neither_kept_nor_spooled() {
    let setup = setup(5_000).await;
    let data = bytes(90_000);
    let answer = setup
        .post(
            "/text_only",
            &[Part::File("msg", "a.bin", &data), Part::Text("msg", "hi")],
        )
        .await;
    assert_eq!(answer["result"], json!("hi"), "{answer}");
    // A file only, under the text field's name: the field is missing, not the file's bytes.
    let answer = setup
        .post("/text_only", &[Part::File("msg", "a.bin", &data)])
        .await;
    assert_eq!(code_of(&answer), MISSING_PARAMETER, "{answer}");
    assert!(setup.spooled().is_empty());
    // Two files for one `Upload`: refused, both removed.
    let answer = setup
        .post(
            "/one",
            &[Part::File("file", "a", &data), Part::File("file", "b", &data)],
        )
        .await;
    assert_eq!(code_of(&answer), BAD_PARAMETER, "{answer}");
    setup.assert_nothing_left().await;
}

#[tokio::test]
async fn a_chunked_upload_is_bounded_like_any_other() {
    let setup = setup(5_000).await;
    let data = bytes(90_000);
    let (content_type, body) = multipart(&[Part::File("file", "a.bin", &data)]);
    let chunked = |body: &[u8]| {
        let mut out = Vec::new();
        for piece in body.chunks(7_000) {
            out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            out.extend_from_slice(piece);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
        out
    };
    let head = format!("POST /one HTTP/1.1\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked");
    let answer = raw(&setup.server, &head, &[&chunked(&body)]).await;
    assert_eq!(answer.json()["result"]["size"], json!(90_000), "{answer:?}");
    // Over the body limit, in chunks (no Content-Length to refuse it up front).
    let filler = bytes(95_000);
    let (content_type, body) = multipart(&[
        Part::File("file", "a.bin", &data),
        Part::File("other", "b.bin", &filler),
        Part::File("third", "c.bin", &filler),
    ]);
    let head = format!("POST /one HTTP/1.1\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked");
    let answer = raw(&setup.server, &head, &[&chunked(&body)]).await;
    assert_eq!(code_of(&answer.json()), TOO_LARGE_REQUEST_ERROR, "{answer:?}");
    // A chunk size that lies (longer than what follows, then the connection idles).
    let head = format!("POST /one HTTP/1.1\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked");
    let answer = raw(&setup.server, &head, &[b"ffffff\r\n--apiview"]).await;
    assert!(
        answer.status == 400 || code_of(&answer.json()) == BAD_PARAMETER,
        "{answer:?}"
    );
    setup.assert_nothing_left().await;
    still_serving(&setup.server).await;
}

#[tokio::test]
async fn a_client_gone_after_many_spooled_files_leaves_nothing() {
    let setup = setup(30_000).await;
    let data = bytes(5_000);
    let names: Vec<String> = (0..15).map(|i| format!("f{i}.bin")).collect();
    let parts: Vec<Part<'_>> = names
        .iter()
        .map(|name| Part::File("files", name, &data))
        .collect();
    let (content_type, body) = multipart(&parts);
    let mut stream = tokio::net::TcpStream::connect(setup.server.addr()).await.unwrap();
    let head = format!(
        "POST /many HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len() + 1_000
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..body.len() - 2_000]).await.unwrap();
    stream.flush().await.unwrap();
    eventually("several parts are spooled", Duration::from_secs(5), || async {
        setup.spooled().len() >= 10
    })
    .await;
    drop(stream);
    setup.assert_nothing_left().await;
    still_serving(&setup.server).await;
}
