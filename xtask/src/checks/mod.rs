//! The checks scripts/test.sh runs against the example binaries over real HTTP: what
//! the integration tests, which serve the endpoints in-process, cannot see (the
//! binaries' argument parsing, settings files, logs and start-up).

mod cluster;
mod snippets_ui;
mod swagger_ui;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use serde_json::{json, Value};

pub use cluster::cluster;
pub use snippets_ui::snippets_ui;
pub use swagger_ui::swagger_ui;

use crate::http::{self, Request};
use crate::process::{self, command, free_port, Server};
use crate::{redis, settings};

const SYS_ERROR: i64 = 1001000000;
const BAD_PARAMETER: i64 = 1001060002;
const BAD_ACLKEY: i64 = 1001040004;
const TOO_MANY_REQUESTS: i64 = 1001010007;

/// The demo binary once per packer (simple, deetr, dmrs): eighteen answers each, an
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
        // Versioned by Accept-Version (DESIGN §16), v1 by default.
        (Request::get("/greeting"), (json!("hello"), None)),
        (
            Request::get("/greeting").header("Accept-Version", "v2"),
            (json!({"greeting": "hello", "version": "v2"}), None),
        ),
        (
            Request::get("/greeting_v2_only"),
            (Value::Null, Some(BAD_PARAMETER)),
        ),
        // Five a minute per client address (DESIGN §13): the sixth is refused.
        (Request::get("/throttled"), (json!("ok"), None)),
        (Request::get("/throttled"), (json!("ok"), None)),
        (Request::get("/throttled"), (json!("ok"), None)),
        (Request::get("/throttled"), (json!("ok"), None)),
        (Request::get("/throttled"), (json!("ok"), None)),
        (Request::get("/throttled"), (Value::Null, Some(TOO_MANY_REQUESTS))),
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
            "/slow_square",
            "/note_get",
            "/note_set",
            "/note_list",
            "/greeting",
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

#[cfg(test)]
mod tests {
    use super::*;

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
