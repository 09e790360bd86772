//! The rows the snippets benchmark reads: 2 users and 200 snippets, created through the
//! example's own HTTP API (register, then `POST /snippets/`), so that every row is what
//! the example stores, its highlighted HTML page above all (the list's query reads it).

use std::ops::RangeInclusive;

use anyhow::{bail, Context, Result};
use serde_json::json;

use crate::http::{Connection, Request};

/// The users, each the owner of every other snippet.
const USERS: [&str; 2] = ["alice", "bob"];
/// How many snippets: 20 pages of 10.
pub const SNIPPETS: usize = 200;
/// Snippets a client address may create in a minute (`#[throttle(rate = "30/m")]` on
/// the example's `snippet_create`), with room to spare.
const PER_ADDRESS: usize = 25;
const _: () = assert!(PER_ADDRESS < 30);

/// The settings the seeding server adds to the benchmark's: the loopback peer is a
/// trusted proxy, so that each batch of snippets names a client address of its own in
/// `X-Forwarded-For` and creation is not throttled for a minute at a time.
pub const SETTINGS: &str = "[throttle]\ntrusted_proxies = [\"127.0.0.1\"]\n";

/// What was created: the snippets' ids (consecutive) and the first user's id.
pub struct Seeded {
    pub ids: RangeInclusive<i64>,
    pub first_owner: i64,
}

/// Creates the users and the snippets on the example listening on `port`, started with
/// [`SETTINGS`].
pub fn seed(port: u16) -> Result<Seeded> {
    let mut connection = Connection::open(port)?;
    let mut tokens = Vec::new();
    for name in USERS {
        let body = json!({"username": name, "password": "benchmark-password"}).to_string();
        let answer = connection
            .send(&Request::post(
                "/auth/register",
                "application/json",
                body.as_bytes(),
            ))?
            .json()?;
        let token = answer["result"]["token"]
            .as_str()
            .with_context(|| format!("registering {name}: {answer}"))?;
        tokens.push(format!("Bearer {token}"));
    }
    let (mut ids, mut first_owner) = (Vec::with_capacity(SNIPPETS), None);
    for i in 0..SNIPPETS {
        let body = json!({
            "title": format!("snippet {i}"),
            "code": code(i),
            "linenos": i % 3 == 0,
            "language": "python",
        })
        .to_string();
        let address = format!("10.0.{}.1", i / PER_ADDRESS);
        let request = Request::post("/snippets/", "application/json", body.as_bytes())
            .header("Authorization", &tokens[i % USERS.len()])
            .header("X-Forwarded-For", &address);
        let answer = connection.send(&request)?.json()?;
        let id = answer["result"]["id"]
            .as_i64()
            .with_context(|| format!("creating snippet {i}: {answer}"))?;
        if first_owner.is_none() {
            let owner_url = answer["result"]["owner_url"].as_str().unwrap_or_default();
            first_owner = owner_url
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .and_then(|id| id.parse().ok());
        }
        ids.push(id);
    }
    let (first, last) = (ids[0], ids[SNIPPETS - 1]);
    if ids.iter().zip(first..).any(|(id, expected)| *id != expected) {
        bail!("the snippets' ids are not consecutive: {ids:?}");
    }
    Ok(Seeded {
        ids: first..=last,
        first_owner: first_owner.context("the first snippet's owner_url names no user id")?,
    })
}

/// A Python function of 4 to 23 lines, different for each snippet.
fn code(i: usize) -> String {
    let mut code =
        format!("def snippet_{i}(values):\n    \"\"\"Snippet {i} of the benchmark.\"\"\"\n    total = 0\n");
    for line in 0..i % 20 {
        code.push_str(&format!("    total += values[{line}] * {}\n", i + line));
    }
    code.push_str("    return total\n");
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_differ_and_run_from_4_to_23_lines() {
        let lines: Vec<usize> = (0..SNIPPETS).map(|i| code(i).lines().count()).collect();
        assert_eq!((lines.iter().min(), lines.iter().max()), (Some(&4), Some(&23)));
        assert_ne!(code(0), code(20));
    }
}
