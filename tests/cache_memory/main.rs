//! `#[cache]` on the embedded `memory://` backend, over real HTTP (DESIGN §5, issue 3):
//! hits and misses, expiry, the disable header, the options, errors, batch, escaping,
//! invalidation, `App::cache_entries`, single flight, the phase order and values in
//! the cache that are not JSON (refused when written).
//!
//! Each test has its own App (so its own memory backend) and its own endpoints with
//! their own call counters, so the tests run in parallel.
//!
//! One test binary; this file holds the helpers and the endpoints several topics
//! share, each topic its own file.

#[path = "../common/mod.rs"]
mod common;

#[path = "../../examples/demo/endpoints.rs"]
mod endpoints;

mod backends;
mod batch;
mod demo;
mod disable_header;
mod invalidation;
mod keys;
mod phase_order;
mod reads_and_writes;
mod single_flight;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use apiview::app::CacheEntry;
use apiview::prelude::*;
use common::{code_of, err, ok, TestServer};
use serde_json::{json, Value};

const MINUTE: Duration = Duration::from_secs(60);

fn calls(counter: &AtomicUsize) -> usize {
    counter.load(Ordering::SeqCst)
}

/// One more call; the number of this call (1 for the first).
fn count(counter: &AtomicUsize) -> usize {
    counter.fetch_add(1, Ordering::SeqCst) + 1
}

async fn get(server: &TestServer, path: &str) -> Value {
    common::send(server.client.get(server.url(path))).await.json
}

async fn get_with(server: &TestServer, path: &str, header: (&str, &str)) -> Value {
    common::send(server.client.get(server.url(path)).header(header.0, header.1))
        .await
        .json
}

async fn post_json(server: &TestServer, path: &str, body: Value) -> Value {
    common::send(server.client.post(server.url(path)).json(&body))
        .await
        .json
}

// ---- endpoints several topics use -----------------------------------------------

static ADD_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "add:{a}:{b}", expire = 60)]
fn add(a: i64, b: i64) -> i64 {
    count(&ADD_CALLS);
    a + b
}

static DEFAULT_EXPIRE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[apiview]
#[cache(key = "default_expire:{n}")]
fn default_expire(n: i64) -> i64 {
    count(&DEFAULT_EXPIRE_CALLS);
    n
}

/// Items of a shop: numeric ids as numbers, others as strings; `-` gives an item
/// without an id.
#[apiview]
#[cache(key = "item:{shop}:{id}", expire = 60, batch = true)]
fn items(shop: i64, ids: String) -> Vec<Value> {
    let _ = shop;
    shop_items(&ids)
}

fn shop_items(ids: &str) -> Vec<Value> {
    ids.split(',')
        .map(|id| match id.parse::<i64>() {
            Ok(number) => json!({"id": number, "name": format!("item {id}")}),
            Err(_) if id == "-" => json!({"name": "anonymous"}),
            Err(_) => json!({"id": id, "name": format!("item {id}")}),
        })
        .collect()
}
