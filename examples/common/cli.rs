//! What the example servers share (included by `#[path]`): their command line
//! (`--addr HOST:PORT`, `--print-openapi`), their log, where their Swagger UI is
//! mounted, and printing their document.

use std::io::Write;

use apiview::Settings;

/// What the command line asks for.
pub enum Command {
    /// Serve on this address.
    Serve(String),
    /// Print the OpenAPI document and exit.
    PrintOpenapi,
}

/// The command of `std::env::args()`; `Err` holds what to print (`usage` for `--help`,
/// the fault and `usage` otherwise).
pub fn parse(default_addr: &str, usage: &str) -> Result<Command, String> {
    let mut addr = default_addr.to_owned();
    let mut print_openapi = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().ok_or("--addr needs HOST:PORT")?,
            "--print-openapi" => print_openapi = true,
            "-h" | "--help" => return Err(usage.to_owned()),
            other => return Err(format!("unknown argument `{other}`\n{usage}")),
        }
    }
    Ok(if print_openapi {
        Command::PrintOpenapi
    } else {
        Command::Serve(addr)
    })
}

/// Logs to stderr, at `RUST_LOG`'s levels (`info` without it).
pub fn init_log() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
}

/// Where `.swagger()` serves the UI and the document (`swagger.mount`, e.g. `/apiview/`).
pub fn swagger_mount(settings: &Settings) -> String {
    match settings.swagger.mount.trim().trim_matches('/') {
        "" => "/".to_owned(),
        inner => format!("/{inner}/"),
    }
}

/// Prints `document`, indented. Written rather than `println!`ed: a reader that stops
/// early (`| head`) is no panic.
pub fn print_document(document: &serde_json::Value) {
    let text = serde_json::to_string_pretty(document).expect("a JSON value serializes");
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}
