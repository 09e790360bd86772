//! The apiview demo: every feature of the core on one server, and its Swagger UI at
//! `/apiview/swagger-ui.html`.
//!
//! ```text
//! cargo run --example demo -- --addr 127.0.0.1:3000
//! cargo run --example demo -- --print-openapi     # the OpenAPI document, then exit
//! ```
//! Settings come from `$APIVIEW_SETTINGS` or `./apiview.toml`.

mod endpoints;

use std::process::ExitCode;
use std::time::Duration;

use apiview::listener::HeadTimeout;
use apiview::{Settings, SwaggerExt};
use poem::listener::TcpListener;
use poem::Server;

/// How long a client may take to send a request head (slow-loris defence).
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may stay silent before it is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

const USAGE: &str = "usage: demo [--addr HOST:PORT]   (default 127.0.0.1:3000)
       demo --print-openapi      (print the OpenAPI document and exit)";

enum Command {
    Serve(String),
    PrintOpenapi,
}

fn parse_args() -> Result<Command, String> {
    let mut addr = "127.0.0.1:3000".to_owned();
    let mut print_openapi = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().ok_or("--addr needs HOST:PORT")?,
            "--print-openapi" => print_openapi = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(if print_openapi {
        Command::PrintOpenapi
    } else {
        Command::Serve(addr)
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let command = match parse_args() {
        Ok(command) => command,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("demo: {err}");
            return ExitCode::from(2);
        }
    };
    let app = endpoints::app(settings);
    let addr = match command {
        Command::PrintOpenapi => {
            let document = serde_json::to_string_pretty(&app.openapi()).expect("a JSON value serializes");
            println!("{document}");
            return ExitCode::SUCCESS;
        }
        Command::Serve(addr) => addr,
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let endpoint = match app.try_into_endpoint() {
        Ok(endpoint) => endpoint,
        Err(err) => {
            eprintln!("demo: {err}");
            return ExitCode::from(2);
        }
    };
    tracing::info!(%addr, "apiview demo listening");
    let listener = HeadTimeout::new(TcpListener::bind(addr.as_str())).timeout(HEAD_TIMEOUT);
    let server = Server::new(listener).idle_timeout(IDLE_TIMEOUT);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match server.run_with_graceful_shutdown(endpoint, shutdown, None).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("demo: cannot serve on {addr}: {err}");
            ExitCode::FAILURE
        }
    }
}
