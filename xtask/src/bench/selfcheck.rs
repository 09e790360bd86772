//! Before the runs: the baseline answers the demo's bytes. The same requests go to
//! both; their bodies, content-types and x-request-id formats must be equal.

use anyhow::{bail, Result};

use crate::http::{self, Request};

/// `METHOD PATH [DATA]`: GET/POST/PUT send no body; JSON and FORM POST DATA as
/// `application/json` and `application/x-www-form-urlencoded`.
const CHECKS: &[&str] = &[
    "GET /ping",
    "POST /ping",
    "GET /add?a=1&b=2",
    "POST /add?a=1&b=2",
    "GET /add?a=101&b=2",
    "GET /add?a=x&b=2",
    "GET /add?a=1",
    "GET /add?a=1&a=2&b=3",
    "GET /add?a=1&b=9223372036854775807",
    "PUT /add?a=1&b=2",
    r#"JSON /add {"a":"3","b":4}"#,
    r#"JSON /add {"a":null,"b":4}"#,
    r#"JSON /echo {"msg":"hello, benchmark"}"#,
    r#"JSON /echo {"msg":"h"}"#,
    r#"JSON /echo {"msg":42}"#,
    r#"JSON /echo {"msg":["x"]}"#,
    r#"JSON /echo {"msg":"a\"b\\c\u00e9\n\/测试"}"#,
    r#"JSON /echo {"msg":"hi"}x"#,
    "JSON /echo {}",
    "FORM /echo msg=hello+world%21",
    "FORM /echo msg=a&msg=b",
    "GET /echo?msg=hello",
    "POST /echo?msg=hello",
];

/// The answer to one check: the body, then its content-type and whether its
/// x-request-id is 32 lowercase hex digits, in the order the headers came.
pub fn call(port: u16, check: &str) -> Result<String> {
    let mut parts = check.splitn(3, ' ');
    let (method, path, data) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let request = match method {
        "JSON" => Request::post(path, "application/json", data.as_bytes()),
        "FORM" => Request::post(path, "application/x-www-form-urlencoded", data.as_bytes()),
        _ => Request {
            method,
            path,
            ..Request::default()
        },
    };
    let response = http::send(port, &request)?;
    let mut answer = String::from_utf8_lossy(&response.body).into_owned();
    answer.push('\n');
    for (name, value) in &response.headers {
        if name.eq_ignore_ascii_case("content-type") {
            answer.push_str(&format!("content-type: {value}\n"));
        } else if name.eq_ignore_ascii_case("x-request-id") {
            let hex32 = value.len() == 32
                && value
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            answer.push_str(&format!(
                "x-request-id: {}\n",
                if hex32 { "32 hex" } else { value }
            ));
        }
    }
    Ok(answer)
}

/// Sends every check to both servers; returns how many answers differ (an error when
/// any does, unless `allow_mismatch`).
pub fn run(demo: u16, baseline: u16, allow_mismatch: bool) -> Result<usize> {
    println!("== self-check: the baseline answers the demo's bytes");
    let mut mismatches = 0;
    for check in CHECKS {
        let (ours, theirs) = (call(demo, check)?, call(baseline, check)?);
        if ours != theirs {
            mismatches += 1;
            println!("  MISMATCH {check}");
            for line in ours
                .lines()
                .filter(|line| !theirs.lines().any(|other| other == *line))
            {
                println!("    < {line}");
            }
            for line in theirs
                .lines()
                .filter(|line| !ours.lines().any(|other| other == *line))
            {
                println!("    > {line}");
            }
        }
    }
    if mismatches > 0 {
        println!(
            "  {mismatches} of {} checks differ (< demo, > baseline)",
            CHECKS.len()
        );
        if !allow_mismatch {
            bail!(
                "the baseline no longer answers the demo's bytes; fix tools/src/bin/baseline.rs (or BENCH_ALLOW_MISMATCH=1)"
            );
        }
    } else {
        println!(
            "  {} requests: same bodies, content-type and x-request-id format",
            CHECKS.len()
        );
    }
    Ok(mismatches)
}
