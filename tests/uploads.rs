//! Uploaded files (DESIGN §12) over real HTTP: held in memory or spooled to a
//! temporary file, bounded by `limits.max_upload_bytes` and the body limit, and never
//! left on disk — not after an answer, a refusal, a stalled body or a client that
//! went away.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use apiview::prelude::*;
use common::{
    code_of, eventually, multipart, send, serve, settings, Part, TestServer, BAD_PARAMETER,
    MISSING_PARAMETER, TOO_LARGE_REQUEST_ERROR,
};
use serde_json::{json, Value};

/// What arrived: name, type, size, whether spooled, where, and the bytes' sum.
async fn describe(file: &Upload) -> apiview::Result<Value> {
    let bytes = file.bytes().await?;
    Ok(json!({
        "filename": file.filename(),
        "content_type": file.content_type(),
        "size": file.size(),
        "spooled": file.is_spooled(),
        "dir": file.path().and_then(Path::parent).map(|dir| dir.display().to_string()),
        "exists": file.path().is_some_and(Path::exists),
        "sum": bytes.iter().map(|byte| u64::from(*byte)).sum::<u64>(),
        "len": bytes.len(),
    }))
}

#[apiview]
#[allow_post]
async fn one(file: Upload, note: Option<String>) -> apiview::Result<Value> {
    let mut answer = describe(&file).await?;
    answer["note"] = json!(note);
    Ok(answer)
}

#[apiview]
#[allow_post]
async fn maybe(file: Option<Upload>) -> apiview::Result<Value> {
    match file {
        Some(file) => describe(&file).await,
        None => Ok(Value::Null),
    }
}

#[apiview]
#[allow_post]
async fn many(files: Vec<Upload>) -> apiview::Result<Vec<Value>> {
    let mut answers = Vec::new();
    for file in &files {
        answers.push(describe(file).await?);
    }
    Ok(answers)
}

#[apiview(body_limit = 300_000)]
#[allow_post]
async fn roomy(file: Upload) -> u64 {
    file.size()
}

/// Keeps the file at `dest` (a folder the test names).
#[apiview]
#[allow_post]
async fn keep(file: Upload, dest: String) -> apiview::Result<String> {
    let temp = file.into_temp_file().await?;
    let target = PathBuf::from(dest).join("kept.bin");
    temp.persist(&target).map_err(|_| BizError::sys_error())?;
    Ok(target.display().to_string())
}

/// Takes no file: a file part sent to it is read past.
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
    /// The spool folder's entries.
    fn spooled(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.spool.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect()
    }

    async fn post(&self, path: &str, parts: &[Part<'_>]) -> Value {
        let (content_type, body) = multipart(parts);
        let request = self
            .server
            .client
            .post(self.server.url(path))
            .header("content-type", content_type)
            .body(body);
        send(request).await.json
    }
}

/// An App whose uploads over 1 kB are spooled to a private folder; files up to 100 kB,
/// bodies up to 200 kB (300 kB for `/roomy`), bodies whole within `body_timeout_ms`.
async fn setup(body_timeout_ms: u64) -> Setup {
    let spool = tempfile::tempdir().unwrap();
    let toml = format!(
        "body_limit = 200000\n[limits]\nupload_memory_bytes = 1000\nmax_upload_bytes = 100000\n\
         body_timeout_ms = {body_timeout_ms}\nupload_dir = {:?}\n",
        spool.path().display().to_string()
    );
    let app = App::new(settings(&toml))
        .at("/one", one)
        .at("/maybe", maybe)
        .at("/many", many)
        .at("/roomy", roomy)
        .at("/keep", keep)
        .at("/text_only", text_only);
    Setup {
        server: serve(app).await,
        spool,
    }
}

fn bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn sum(data: &[u8]) -> u64 {
    data.iter().map(|byte| u64::from(*byte)).sum()
}

#[tokio::test]
async fn a_small_file_is_held_in_memory() {
    let setup = setup(5_000).await;
    let data = bytes(600);
    let answer = setup
        .post(
            "/one",
            &[Part::File("file", "small.bin", &data), Part::Text("note", "hi")],
        )
        .await;
    assert_eq!(
        answer["result"],
        json!({
            "filename": "small.bin", "content_type": "application/octet-stream", "size": 600,
            "spooled": false, "dir": null, "exists": false, "sum": sum(&data), "len": 600, "note": "hi",
        })
    );
    assert!(setup.spooled().is_empty());
}

#[tokio::test]
async fn a_large_file_is_spooled_to_the_upload_dir_and_removed_after_the_answer() {
    let setup = setup(5_000).await;
    let data = bytes(50_000);
    let answer = setup
        .post("/one", &[Part::File("file", "large.bin", &data)])
        .await;
    let result = &answer["result"];
    assert_eq!(result["spooled"], true, "{answer}");
    assert_eq!(
        result["exists"], true,
        "the file is there while the endpoint runs"
    );
    let dir = std::fs::canonicalize(setup.spool.path()).unwrap();
    let seen = std::fs::canonicalize(result["dir"].as_str().unwrap()).unwrap();
    assert_eq!(seen, dir);
    assert_eq!(
        (result["len"].as_u64(), result["sum"].as_u64()),
        (Some(50_000), Some(sum(&data)))
    );
    assert!(setup.spooled().is_empty(), "left on disk: {:?}", setup.spooled());
}

#[tokio::test]
async fn into_temp_file_hands_the_spooled_file_over() {
    let setup = setup(5_000).await;
    let dest = tempfile::tempdir_in(setup.spool.path().parent().unwrap()).unwrap();
    let data = bytes(20_000);
    let dest_text = dest.path().display().to_string();
    let answer = setup
        .post(
            "/keep",
            &[Part::File("file", "k.bin", &data), Part::Text("dest", &dest_text)],
        )
        .await;
    let kept = answer["result"].as_str().unwrap_or_else(|| panic!("{answer}"));
    assert_eq!(std::fs::read(kept).unwrap(), data);
    assert!(setup.spooled().is_empty());
}

#[tokio::test]
async fn a_file_over_max_upload_bytes_is_refused_and_nothing_is_left() {
    let setup = setup(5_000).await;
    let data = bytes(150_000);
    let answer = setup.post("/one", &[Part::File("file", "huge.bin", &data)]).await;
    assert_eq!(code_of(&answer), TOO_LARGE_REQUEST_ERROR, "{answer}");
    assert!(
        answer["error"]["message"].as_str().unwrap().contains("> 100000"),
        "{answer}"
    );
    assert!(setup.spooled().is_empty(), "left on disk: {:?}", setup.spooled());
}

#[tokio::test]
async fn the_body_limit_is_the_endpoints_when_it_sets_one() {
    let setup = setup(5_000).await;
    // Three files of 90 kB: each within max_upload_bytes, together over 200 kB.
    let data = bytes(90_000);
    let parts = [
        Part::File("files", "a", &data),
        Part::File("files", "b", &data),
        Part::File("files", "c", &data),
    ];
    let refused = setup.post("/many", &parts).await;
    assert_eq!(code_of(&refused), TOO_LARGE_REQUEST_ERROR, "{refused}");
    assert!(setup.spooled().is_empty(), "left on disk: {:?}", setup.spooled());
    // 250 kB to the endpoint allowing 300 kB: one file of 90 kB and filler text.
    let filler = "x".repeat(160_000);
    let accepted = setup
        .post(
            "/roomy",
            &[Part::File("file", "a", &data), Part::Text("filler", &filler)],
        )
        .await;
    assert_eq!(accepted["result"], 90_000, "{accepted}");
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_reading() {
    let setup = setup(5_000).await;
    let answer = setup
        .server
        .raw(
            "POST /one HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=X\r\nContent-Length: 999999999",
            &[],
        )
        .await;
    assert_eq!(code_of(&answer.json()), TOO_LARGE_REQUEST_ERROR);
}

#[tokio::test]
async fn option_vec_and_missing_files() {
    let setup = setup(5_000).await;
    assert_eq!(
        setup.post("/maybe", &[Part::Text("other", "x")]).await["result"],
        Value::Null
    );
    // A browser's empty file input: an empty part with an empty file name.
    assert_eq!(
        setup.post("/maybe", &[Part::File("file", "", b"")]).await["result"],
        Value::Null
    );
    // A real empty file is a file.
    assert_eq!(
        setup
            .post("/maybe", &[Part::File("file", "empty.txt", b"")])
            .await["result"]["size"],
        0
    );
    let missing = setup.post("/one", &[Part::Text("note", "no file")]).await;
    assert_eq!(code_of(&missing), MISSING_PARAMETER, "{missing}");
    let twice = setup
        .post(
            "/one",
            &[Part::File("file", "a", b"1"), Part::File("file", "b", b"2")],
        )
        .await;
    assert_eq!(code_of(&twice), BAD_PARAMETER, "{twice}");
    let none = setup.post("/many", &[Part::Text("x", "y")]).await;
    assert_eq!(none["result"], json!([]));
    let big = bytes(5_000);
    let listed = setup
        .post(
            "/many",
            &[
                Part::File("files", "1.txt", b"one"),
                Part::File("other", "skip.txt", b"skipped"),
                Part::File("files", "2.bin", &big),
            ],
        )
        .await;
    let names: Vec<_> = listed["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["filename"].clone())
        .collect();
    assert_eq!(names, [json!("1.txt"), json!("2.bin")]);
    assert_eq!(listed["result"][1]["spooled"], true);
    assert!(setup.spooled().is_empty());
}

#[tokio::test]
async fn a_text_part_of_an_uploads_name_is_a_file_without_a_name() {
    let setup = setup(5_000).await;
    let answer = setup.post("/one", &[Part::Text("file", "typed in")]).await;
    assert_eq!(answer["result"]["filename"], Value::Null);
    assert_eq!(answer["result"]["len"], 8);
}

#[tokio::test]
async fn a_client_file_name_is_reduced_to_its_last_component() {
    let setup = setup(5_000).await;
    let answer = setup
        .post("/one", &[Part::File("file", "../../etc/passwd", b"x")])
        .await;
    assert_eq!(answer["result"]["filename"], "passwd");
}

#[tokio::test]
async fn a_file_no_parameter_takes_is_read_past_not_kept() {
    let setup = setup(5_000).await;
    let data = bytes(150_000);
    let answer = setup
        .post(
            "/text_only",
            &[
                Part::File("attachment", "big.bin", &data),
                Part::Text("msg", "hello"),
            ],
        )
        .await;
    assert_eq!(
        answer["result"], "hello",
        "over max_upload_bytes, but no parameter keeps it"
    );
    assert!(setup.spooled().is_empty());
}

#[tokio::test]
async fn a_malformed_multipart_body_is_a_packed_error_and_nothing_is_left() {
    let setup = setup(5_000).await;
    let data = bytes(5_000);
    let (content_type, body) = multipart(&[Part::File("file", "a.bin", &data)]);
    // The closing boundary cut off: the part never ends.
    let cut = &body[..body.len() - 30];
    let answer = send(
        setup
            .server
            .client
            .post(setup.server.url("/one"))
            .header("content-type", content_type)
            .body(cut.to_vec()),
    )
    .await;
    assert_eq!(code_of(&answer.json), BAD_PARAMETER, "{}", answer.json);
    assert!(setup.spooled().is_empty(), "left on disk: {:?}", setup.spooled());
}

/// Sends the head and `sent` bytes of a body declared longer, with a large file part
/// started, then waits until the server has spooled it.
async fn start_upload(setup: &Setup, sent: usize) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;

    let data = bytes(80_000);
    let (content_type, body) = multipart(&[Part::File("file", "slow.bin", &data)]);
    let mut stream = tokio::net::TcpStream::connect(setup.server.addr()).await.unwrap();
    let head = format!(
        "POST /one HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        setup.server.addr(),
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..sent]).await.unwrap();
    stream.flush().await.unwrap();
    eventually("the part is spooled", Duration::from_secs(5), || async {
        !setup.spooled().is_empty()
    })
    .await;
    stream
}

#[tokio::test]
async fn a_stalled_upload_times_out_and_its_spooled_part_is_removed() {
    use tokio::io::AsyncReadExt;

    let setup = setup(700).await;
    let mut stream = start_upload(&setup, 20_000).await;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server answers a stalled body within its timeout")
        .ok();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.contains(&BAD_PARAMETER.to_string()), "{text}");
    eventually("the spooled part is removed", Duration::from_secs(5), || async {
        setup.spooled().is_empty()
    })
    .await;
}

#[tokio::test]
async fn a_client_gone_mid_upload_leaves_nothing_on_disk() {
    let setup = setup(30_000).await;
    let stream = start_upload(&setup, 20_000).await;
    drop(stream);
    eventually("the spooled part is removed", Duration::from_secs(5), || async {
        setup.spooled().is_empty()
    })
    .await;
}

#[tokio::test]
async fn settings_refuse_a_missing_upload_dir() {
    let err = Settings::from_toml_str("[limits]\nupload_dir = \"/no/such/folder\"").unwrap_err();
    assert!(err.to_string().contains("limits.upload_dir"), "{err}");
    let err = Settings::from_toml_str("[limits]\nmax_upload_bytes = 0").unwrap_err();
    assert!(err.to_string().contains("limits.max_upload_bytes"), "{err}");
}
