//! The apiview demo: every feature of the core on one server, and its Swagger UI at
//! `/apiview/swagger-ui.html` (its start-up log says where).
//!
//! ```text
//! cargo run --example demo -- --addr 127.0.0.1:3000
//! cargo run --example demo -- --print-openapi     # the OpenAPI document, then exit
//! ```
//! Settings come from `$APIVIEW_SETTINGS` or `./apiview.toml`.

#[path = "../common/cli.rs"]
mod cli;
mod endpoints;

use std::process::ExitCode;

use apiview::{Settings, SwaggerExt};
use cli::Command;

const USAGE: &str = "usage: demo [--addr HOST:PORT]   (default 127.0.0.1:3000)
       demo --print-openapi      (print the OpenAPI document and exit)";

#[tokio::main]
async fn main() -> ExitCode {
    let command = match cli::parse("127.0.0.1:3000", USAGE) {
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
    let mount = cli::swagger_mount(&settings);
    let app = endpoints::app(settings);
    let addr = match command {
        Command::PrintOpenapi => {
            cli::print_document(&app.openapi());
            return ExitCode::SUCCESS;
        }
        Command::Serve(addr) => addr,
    };
    cli::init_log();
    tracing::info!(%addr, "apiview demo listening");
    tracing::info!("swagger ui at http://{addr}{mount}swagger-ui.html");
    tracing::info!("openapi document at http://{addr}{mount}openapi.json");
    // Every `[limits]` setting applies: head, body and idle timeouts, connections, HTTP/2.
    match app.serve(&addr).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("demo: cannot serve on {addr}: {err}");
            ExitCode::FAILURE
        }
    }
}
