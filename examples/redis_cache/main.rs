//! Results cached in Redis, shared by every server that points at the same Redis.
//!
//! ```text
//! redis-server --port 6379 &
//! cargo run --example redis_cache -- --addr 127.0.0.1:3001
//! curl '127.0.0.1:3001/square?n=12'          # computed (slowly), then cached
//! curl '127.0.0.1:3001/square?n=12'          # from Redis
//! curl -X POST '127.0.0.1:3001/forget?n=12'  # invalidates square:12
//! curl '127.0.0.1:3001/entries'              # what is cached, where, for how long
//! ```
//! Settings: `$APIVIEW_SETTINGS`, else `examples/redis_cache/apiview.toml`. When
//! Redis is down, requests still succeed (the cache is skipped and logged), and
//! caching resumes by itself when Redis is back.

use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::Duration;

use apiview::app::CacheEntry;
use apiview::prelude::*;
use serde_json::{json, Value};

/// The square of `n`, computed slowly and cached for 60 seconds.
///
/// --------
/// @parameter: n {{{
///     in: query
///     required: true
///     type: integer
/// }}}
#[apiview]
#[allow_get]
#[between(n, -1_000_000, 1_000_000)]
#[cache(key = "square:{n}", expire = 60)]
async fn square(n: i64) -> i64 {
    tokio::time::sleep(Duration::from_millis(200)).await;
    n * n
}

/// Forget the cached square of `n`; how many entries were removed.
#[apiview]
#[allow_post]
async fn forget(request: &ApiRequest, n: i64) -> apiview::Result<u64> {
    let cache = request.cache("default").ok_or_else(BizError::cache_error)?;
    cache.invalidate("square:{n}", &[("n", &n)]).await
}

static ENTRIES: OnceLock<Vec<CacheEntry>> = OnceLock::new();

/// Every cached endpoint: key template, backend, expiry.
#[apiview]
#[allow_get]
fn entries() -> Value {
    let entries = ENTRIES.get().map(Vec::as_slice).unwrap_or_default();
    Value::Array(
        entries
            .iter()
            .map(|entry| {
                json!({
                    "path": entry.path,
                    "template": entry.template,
                    "backend": entry.backend,
                    "url": entry.url,
                    "expire": entry.expire,
                })
            })
            .collect(),
    )
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let mut addr = "127.0.0.1:3001".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--addr", Some(value)) => addr = value,
            _ => {
                eprintln!("usage: redis_cache [--addr HOST:PORT]");
                return ExitCode::from(2);
            }
        }
    }
    let path =
        std::env::var("APIVIEW_SETTINGS").unwrap_or_else(|_| "examples/redis_cache/apiview.toml".into());
    let app = match App::from_settings_file(&path) {
        Ok(app) => app
            .at("/square", square)
            .at("/forget", forget)
            .at("/entries", entries),
        Err(err) => {
            eprintln!("redis_cache: {err}");
            return ExitCode::from(2);
        }
    };
    let _ = ENTRIES.set(app.cache_entries());
    tracing::info!(%addr, settings = %path, "redis_cache example listening");
    match app.serve(&addr).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("redis_cache: cannot serve on {addr}: {err}");
            ExitCode::FAILURE
        }
    }
}
