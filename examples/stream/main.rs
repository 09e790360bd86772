//! Streamed answers from apiview endpoints: server-sent events at `/events`, a
//! `multipart/x-mixed-replace` picture at `/screen` (the camera / screen-sharing
//! pattern), a page showing both at `/`, and at `/live` how many streams are being
//! served (it falls back to 0 once their clients leave).
//!
//! ```text
//! cargo run --example stream -- --addr 127.0.0.1:8001
//! curl -N 'localhost:8001/events?count=3&interval_ms=500'
//! ```
//! Settings come from `$APIVIEW_SETTINGS` or `./apiview.toml`.

mod endpoints;
mod streams;

use std::process::ExitCode;
use std::time::Duration;

use apiview::listener::Limited;
use apiview::Settings;
use poem::listener::{Acceptor, Listener, TcpListener};

const USAGE: &str = "usage: stream [--addr HOST:PORT]   (default 127.0.0.1:8001; port 0: any free port)";

fn parse_args() -> Result<String, String> {
    let mut addr = "127.0.0.1:8001".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().ok_or("--addr needs HOST:PORT")?,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(addr)
}

#[tokio::main]
async fn main() -> ExitCode {
    let addr = match parse_args() {
        Ok(addr) => addr,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("stream: {err}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    // Bound before the log line, so that `--addr 127.0.0.1:0` logs the port it got.
    let acceptor = match TcpListener::bind(addr.clone()).into_acceptor().await {
        Ok(acceptor) => acceptor,
        Err(err) => {
            eprintln!("stream: cannot serve on {addr}: {err}");
            return ExitCode::FAILURE;
        }
    };
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|local| local.as_socket_addr().copied())
        .map_or(addr, |bound| bound.to_string());
    tracing::info!(%addr, "apiview stream example listening");
    tracing::info!("open http://{addr}/ in a browser");
    // `App::serve`'s server, by hand: the endpoints need their `LiveStreams` as poem
    // data, which an `App` cannot carry.
    let limits = settings.limits.clone();
    let endpoint = endpoints::endpoint(settings, streams::LiveStreams::default());
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let served = poem::Server::new_with_acceptor(Limited::new(acceptor, &limits))
        .http2_max_concurrent_streams(limits.http2_max_concurrent_streams)
        .run_with_graceful_shutdown(
            endpoint,
            stop,
            Some(Duration::from_millis(limits.body_timeout_ms)),
        )
        .await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("stream: serving on {addr} failed: {err}");
            ExitCode::FAILURE
        }
    }
}
