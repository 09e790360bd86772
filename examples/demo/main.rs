//! The apiview demo: every feature of the core on one server, and its Swagger UI at
//! `/apiview/swagger-ui.html` (its start-up log says where).
//!
//! ```text
//! cargo run --example demo -- --addr 127.0.0.1:3000
//! cargo run --example demo -- --print-openapi     # the OpenAPI document, then exit
//! ```
//! Settings come from `$APIVIEW_SETTINGS` or `./apiview.toml`.

mod endpoints;

use std::process::ExitCode;

use apiview::{Settings, SwaggerExt};

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
    // Where `.swagger()` serves the UI and the document (`swagger.mount`, e.g. `/apiview/`).
    let mount = match settings.swagger.mount.trim().trim_matches('/') {
        "" => "/".to_owned(),
        inner => format!("/{inner}/"),
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
