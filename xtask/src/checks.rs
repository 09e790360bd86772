//! The checks scripts/test.sh runs against the example binaries over real HTTP: what
//! the integration tests, which serve the endpoints in-process, cannot see (the
//! binaries' argument parsing, settings files, logs and start-up).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use serde_json::{json, Value};

use crate::http::{self, Request};
use crate::process::{self, command, free_port, Server};
use crate::{redis, settings};

const SYS_ERROR: i64 = 1001000000;
const BAD_PARAMETER: i64 = 1001060002;
const BAD_ACLKEY: i64 = 1001040004;

/// The demo binary once per packer (simple, deetr, dmrs): nine answers each, an
/// X-Request-Id on each, and a log with one short line for the caught panic.
pub fn demo() -> Result<()> {
    let demo = process::build(&["--example", "demo"], "demo")?;
    let work = process::scratch_dir("check-demo")?;
    let toml = std::fs::read_to_string("apiview.toml").context("reading apiview.toml")?;
    for packer in ["simple", "deetr", "dmrs"] {
        let settings = work.join(format!("{packer}.toml"));
        std::fs::write(&settings, settings::with_packer(&toml, packer))?;
        let port = free_port()?;
        let mut server = command(&demo);
        // RUST_BACKTRACE=1: a caught panic must still be logged once, without a backtrace.
        server
            .env("APIVIEW_SETTINGS", &settings)
            .env("RUST_LOG", "warn")
            .env("RUST_BACKTRACE", "1")
            .args(["--addr", &format!("127.0.0.1:{port}")]);
        let mut server = Server::start("the demo", port, server, &work.join(format!("demo-{packer}.log")))?;
        let count = demo_answers(port, packer).with_context(|| {
            format!(
                "the demo with the {packer} packer; its log:\n{}",
                server.log_tail(30)
            )
        })?;
        println!("demo with the {packer} packer: {count} answers as expected");
        server.stop();
        let length = panic_logged_once(&server.log_text())?;
        println!("the caught panic was logged in {length} bytes, without a backtrace");
    }
    Ok(())
}

/// Sends the checks; returns how many passed (all, or an error).
fn demo_answers(port: u16, packer: &str) -> Result<usize> {
    let echo = json!({"msg": "hello"}).to_string();
    let checks: Vec<(Request, (Value, Option<i64>))> = vec![
        (Request::get("/ping"), (json!("pong"), None)),
        (Request::get("/add?a=1&b=2"), (json!(3), None)),
        (Request::get("/add?a=101&b=2"), (Value::Null, Some(BAD_PARAMETER))),
        (
            Request::post("/echo", "application/json", echo.as_bytes()),
            (json!("hello"), None),
        ),
        (Request::get("/pick?op=mul"), (Value::Null, Some(BAD_PARAMETER))),
        (
            Request::get("/secure").header("aclkey", "test-aclkey"),
            (json!("ok"), None),
        ),
        (
            Request::get("/secure").header("aclkey", "wrong"),
            (Value::Null, Some(BAD_ACLKEY)),
        ),
        (Request::get("/boom"), (Value::Null, Some(SYS_ERROR))),
        (Request::get("/ping"), (json!("pong"), None)),
    ];
    for (request, expected) in &checks {
        let response = http::send(port, request)?;
        ensure!(
            response.status == 200,
            "{} answered status {}",
            request.path,
            response.status
        );
        let body = response.json()?;
        let unpacked = unpack(packer, &body)?;
        ensure!(
            &unpacked == expected,
            "{} with {packer}: {body} is not {expected:?}",
            request.path
        );
        let id = response.header("x-request-id").unwrap_or("");
        ensure!(
            id.len() == 32,
            "{}: X-Request-Id {id:?} is not 32 characters",
            request.path
        );
    }
    Ok(checks.len())
}

/// (data, None) for a success, (null, Some(code)) for an error, in each packer's envelope.
fn unpack(packer: &str, body: &Value) -> Result<(Value, Option<i64>)> {
    let keys = |expected: &[&str]| -> Result<()> {
        let found: BTreeSet<&str> = body
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.as_str())
            .collect();
        ensure!(
            found == expected.iter().copied().collect(),
            "the {packer} envelope's keys: {body}"
        );
        Ok(())
    };
    let code = |value: &Value| {
        value
            .as_i64()
            .with_context(|| format!("not an integer code: {body}"))
    };
    Ok(match packer {
        "simple" if body["success"] == true => (body["result"].clone(), None),
        "simple" => (Value::Null, Some(code(&body["error"]["code"])?)),
        "deetr" => {
            keys(&["data", "errcode", "errmsg", "time", "reqid"])?;
            match code(&body["errcode"])? {
                0 => (body["data"].clone(), None),
                errcode => (Value::Null, Some(errcode)),
            }
        }
        _ => {
            keys(&["data", "message", "returnCode", "successSign"])?;
            if body["successSign"] == true {
                (body["data"].clone(), None)
            } else {
                (Value::Null, Some(code(&body["returnCode"])?))
            }
        }
    })
}

/// One logged panic for one /boom, with its location, without a backtrace, in a short
/// log; returns the length of the panic's line.
fn panic_logged_once(log: &str) -> Result<usize> {
    let panics: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("endpoint panicked"))
        .collect();
    let end = |text: &str| process::tail(text, 40);
    ensure!(
        panics.len() == 1,
        "one logged panic for one /boom, not {}:\n{}",
        panics.len(),
        end(log)
    );
    ensure!(
        panics[0].contains("location") && panics[0].contains("endpoints.rs"),
        "the panic's line has no location in endpoints.rs: {}",
        panics[0]
    );
    ensure!(
        !log.contains("stack backtrace") && log.len() < 4096,
        "{} bytes of log:\n{}",
        log.len(),
        end(log)
    );
    Ok(panics[0].chars().count())
}

/// The redis_cache example against a private redis-server: computed, served from
/// Redis, with its TTL, then invalidated.
pub fn redis_cache() -> Result<()> {
    let example = process::build(&["--example", "redis_cache"], "redis_cache")?;
    let work = process::scratch_dir("check-redis-cache")?;
    let redis = redis::start_private(&work)?;
    let port = free_port()?;
    let mut server = command(&example);
    server
        .env("APIVIEW_SETTINGS", "examples/redis_cache/apiview.toml")
        .env(
            "APIVIEW_CACHE__BACKENDS__DEFAULT",
            format!("redis://127.0.0.1:{}/0", redis.port),
        )
        .env("RUST_LOG", "warn")
        .args(["--addr", &format!("127.0.0.1:{port}")]);
    let server = Server::start(
        "the redis_cache example",
        port,
        server,
        &work.join("redis_cache.log"),
    )?;
    redis_cache_answers(port, redis.port)
        .with_context(|| format!("the redis_cache example; its log:\n{}", server.log_tail(30)))?;
    println!("redis_cache example: computed, served from Redis, TTL set, invalidated");
    Ok(())
}

fn redis_cache_answers(port: u16, redis_port: u16) -> Result<()> {
    let timed = |request: &Request| -> Result<(Value, Duration)> {
        let started = Instant::now();
        let response = http::send(port, request)?;
        Ok((response.json()?, started.elapsed()))
    };
    let (first, slow) = timed(&Request::get("/square?n=12"))?;
    let (second, fast) = timed(&Request::get("/square?n=12"))?;
    let expected = json!({"success": true, "result": 144});
    ensure!(first == expected && second == expected, "{first} then {second}");
    ensure!(
        slow >= Duration::from_millis(200) && fast < Duration::from_millis(200),
        "computed in {slow:?}, then answered in {fast:?}: not from the cache"
    );
    ensure!(
        redis::integer(redis_port, &["EXISTS", "square:12"])? == 1,
        "the result is not in Redis"
    );
    let ttl = redis::integer(redis_port, &["TTL", "square:12"])?;
    ensure!(0 < ttl && ttl <= 60, "TTL {ttl}");
    let forget = Request {
        method: "POST",
        path: "/forget?n=12",
        ..Request::default()
    };
    let (forgotten, _) = timed(&forget)?;
    ensure!(forgotten == json!({"success": true, "result": 1}), "{forgotten}");
    ensure!(
        redis::integer(redis_port, &["EXISTS", "square:12"])? == 0,
        "still in Redis after /forget"
    );
    Ok(())
}

/// The demo's OpenAPI documents (`--print-openapi`, 3.1 and 3.0) written into `dir` as
/// demo-3.1.json and demo-3.0.json, each of its version and with every path of the
/// demo's contract.
pub fn openapi(dir: &Path) -> Result<()> {
    let demo = process::build(&["--example", "demo"], "demo")?;
    std::fs::create_dir_all(dir)?;
    for (version, openapi) in [("3.1", "3.1.0"), ("3.0", "3.0.3")] {
        let mut print = Command::new(&demo);
        print.arg("--print-openapi");
        if version == "3.0" {
            print.env("APIVIEW_SWAGGER__OPENAPI_VERSION", "3.0");
        }
        let text = process::output(&mut print)?;
        let file = dir.join(format!("demo-{version}.json"));
        std::fs::write(&file, &text)?;
        let document: Value = serde_json::from_str(&text).with_context(|| format!("{}", file.display()))?;
        ensure!(
            document["openapi"] == openapi,
            "{}: openapi {}",
            file.display(),
            document["openapi"]
        );
        let paths: BTreeSet<&str> = document["paths"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(path, _)| path.as_str())
            .collect();
        let contract = [
            "/ping",
            "/echo",
            "/add",
            "/pick",
            "/secure",
            "/only_get",
            "/boom",
            "/whoami",
            "/body",
            "/cached_add",
            "/note_get",
            "/note_set",
        ];
        let missing: Vec<&str> = contract
            .into_iter()
            .filter(|path| !paths.contains(path))
            .collect();
        ensure!(missing.is_empty(), "{}: no {missing:?}", file.display());
    }
    println!(
        "the demo's OpenAPI 3.1 and 3.0 documents are in {}",
        dir.display()
    );
    Ok(())
}

/// The demo logs where its Swagger UI and document are served; loaded from that
/// address in headless Chromium, the UI shows every operation of the document. A
/// screenshot goes to target/swagger-ui.png.
pub fn swagger_ui() -> Result<()> {
    process::need("chromium", "chromium")?;
    let demo = process::build(&["--example", "demo"], "demo")?;
    let work = process::scratch_dir("check-swagger-ui")?;
    let port = free_port()?;
    let mut server = command(&demo);
    server
        .env("RUST_LOG", "info")
        .args(["--addr", &format!("127.0.0.1:{port}")]);
    let mut server = Server::start("the demo", port, server, &work.join("demo.log"))?;
    let ui = logged_url(&mut server, "swagger ui at ")?;
    let document_url = logged_url(&mut server, "openapi document at ")?;
    let origin = format!("http://127.0.0.1:{port}/");
    ensure!(
        ui.starts_with(&origin) && document_url.starts_with(&origin),
        "the demo logs {ui} and {document_url}, not addresses under {origin}"
    );
    println!("the demo logs its Swagger UI at {ui} and its document at {document_url}");
    let document = http::send(port, &Request::get(&document_url[origin.len() - 1..]))?.json()?;

    let dom = chromium(&work, &["--dump-dom", &ui])?;
    let operations: Vec<&Value> = document["paths"]
        .as_object()
        .context("the document has no paths")?
        .values()
        .flat_map(|item| {
            item.as_object()
                .into_iter()
                .flatten()
                .map(|(_, operation)| operation)
        })
        .collect();
    let summaries: BTreeSet<&str> = operations
        .iter()
        .map(|operation| {
            operation["summary"]
                .as_str()
                .context("an operation without a summary")
        })
        .collect::<Result<_>>()?;
    let shown = rendered_summaries(&dom);
    let missing: Vec<&&str> = summaries
        .iter()
        .filter(|s| !shown.iter().any(|shown| shown == **s))
        .collect();
    ensure!(
        missing.is_empty(),
        "summaries not rendered by Swagger UI: {missing:?}"
    );
    ensure!(
        shown.len() == operations.len(),
        "{} summaries shown for {} operations",
        shown.len(),
        operations.len()
    );
    println!(
        "Swagger UI rendered all {} operations of the demo",
        operations.len()
    );

    let screenshot = std::env::current_dir()?.join("target/swagger-ui.png");
    let _ = std::fs::remove_file(&screenshot);
    chromium(
        &work,
        &[
            "--hide-scrollbars",
            "--window-size=1280,4000",
            &format!("--screenshot={}", screenshot.display()),
            &ui,
        ],
    )?;
    let size = std::fs::metadata(&screenshot).map_or(0, |meta| meta.len());
    ensure!(size > 0, "Chromium wrote no screenshot");
    println!("screenshot: target/swagger-ui.png");
    Ok(())
}

/// The URL that follows `prefix` in a line of the server's log.
fn logged_url(server: &mut Server, prefix: &str) -> Result<String> {
    let line = server.wait_for_line(prefix, Duration::from_secs(10))?;
    let after = &line[line.find(prefix).expect("the line has the prefix") + prefix.len()..];
    let url: String = after
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '\u{1b}')
        .collect();
    ensure!(url.starts_with("http://"), "not a URL after `{prefix}`: {line}");
    Ok(url)
}

/// Headless Chromium, offline-friendly, with a fresh profile; returns its stdout.
fn chromium(work: &Path, args: &[&str]) -> Result<String> {
    let profile = unique_dir(work, "chromium")?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(work.join("chromium.log"))?;
    let out = command("timeout")
        .args([
            "180",
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
        ])
        .args([
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
        ])
        .arg("--disable-sync")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--virtual-time-budget=15000")
        .args(args)
        .stderr(log)
        .output()
        .context("running chromium")?;
    if !out.status.success() {
        bail!(
            "chromium {args:?} failed ({}); see {}",
            out.status,
            work.join("chromium.log").display()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn unique_dir(parent: &Path, prefix: &str) -> Result<PathBuf> {
    for n in 0.. {
        let dir = parent.join(format!("{prefix}.{n}"));
        if !dir.exists() {
            std::fs::create_dir_all(&dir)?;
            return Ok(dir);
        }
    }
    unreachable!("an unbounded range")
}

/// The operation summaries Swagger UI rendered: the text of each element with class
/// `opblock-summary-description`, HTML entities decoded.
fn rendered_summaries(dom: &str) -> Vec<String> {
    const CLASS: &str = "class=\"opblock-summary-description\"";
    let mut shown = Vec::new();
    let mut rest = dom;
    while let Some(at) = rest.find(CLASS) {
        rest = &rest[at + CLASS.len()..];
        let Some(open) = rest.find('>') else { break };
        let text = &rest[open + 1..];
        if let Some(close) = text.find('<') {
            shown.push(unescape(&text[..close]));
        }
    }
    shown
}

/// HTML character references: the named five and numeric ones.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest.find(';').and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_are_read_from_the_dom() {
        let dom = r#"<div class="opblock-summary-description" x="1">Adds &amp; checks</div>
            <span class="opblock-summary-description"><b>x</b></span>
            <div class="opblock-summary-description">Echo &#39;it&#x27;</div>"#;
        assert_eq!(rendered_summaries(dom), ["Adds & checks", "", "Echo 'it'"]);
        assert_eq!(unescape("a &lt;b&gt; &unknown; &"), "a <b> &unknown; &");
    }

    #[test]
    fn envelopes_unpack_per_packer() {
        let ok = |packer, body: Value| unpack(packer, &body).unwrap();
        assert_eq!(
            ok("simple", json!({"success": true, "result": 3})),
            (json!(3), None)
        );
        assert_eq!(
            ok("simple", json!({"success": false, "error": {"code": 7}})),
            (Value::Null, Some(7))
        );
        let deetr = json!({"data": null, "errcode": 7, "errmsg": "", "time": "", "reqid": ""});
        assert_eq!(ok("deetr", deetr), (Value::Null, Some(7)));
        let dmrs = json!({"data": "x", "message": "", "returnCode": 0, "successSign": true});
        assert_eq!(ok("dmrs", dmrs), (json!("x"), None));
        assert!(unpack("deetr", &json!({"data": 1, "errcode": 0})).is_err());
    }

    #[test]
    fn one_short_panic_line() {
        let line = "WARN endpoint panicked location=examples/demo/endpoints.rs:9:5";
        assert_eq!(
            panic_logged_once(&format!("start\n{line}\n")).unwrap(),
            line.len()
        );
        assert!(panic_logged_once("nothing").is_err());
        assert!(panic_logged_once(&format!("{line}\nstack backtrace:\n")).is_err());
    }
}
