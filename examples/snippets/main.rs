//! The Django REST framework tutorial, rebuilt with apiview on a real database
//! (DESIGN §20): users, and code snippets they own, highlighted, paginated, versioned
//! and cached. README, "A whole application", walks through it with curl.
//!
//! ```text
//! cargo run --example snippets                          # SQLite: ./snippets.db, created on first start
//! DATABASE_URL=postgres://user@host/db cargo run --example snippets
//! cargo run --example snippets -- --addr 127.0.0.1:8000
//! cargo run --example snippets -- --print-openapi       # the OpenAPI document, then exit
//! SNIPPETS_LIST_CACHE=off cargo run --example snippets  # the list reads the database every time
//! ```
//! Settings come from `$APIVIEW_SETTINGS` or `./snippets.toml` (missing: the
//! example's defaults), and the `APIVIEW_*` environment variables.

mod app;
#[path = "../common/cli.rs"]
mod cli;
mod cpu;
mod highlight;
mod models;
mod passwords;
mod routes;
mod storage;

use std::process::ExitCode;

use apiview::settings::SETTINGS_ENV;
use apiview::Settings;
use cli::Command;

const USAGE: &str = "usage: snippets [--addr HOST:PORT]   (default 127.0.0.1:8000)
       snippets --print-openapi      (print the OpenAPI document and exit)
The database is $DATABASE_URL: sqlite://snippets.db (the default) or postgres://…
SNIPPETS_LIST_CACHE=off: the snippet list is not cached (on: the default)";

/// Where the data lives when `DATABASE_URL` says nothing.
const DEFAULT_DATABASE_URL: &str = "sqlite://snippets.db";
/// The settings file read when `APIVIEW_SETTINGS` names none.
const DEFAULT_SETTINGS_FILE: &str = "snippets.toml";
/// `on` (the default) or `off`: whether the snippet list keeps its pages in the
/// `default` cache. Not a setting: `[cache] backends` always has a `default` (a file
/// can point it elsewhere, not remove it), and the cache is the example's own code.
const LIST_CACHE_ENV: &str = "SNIPPETS_LIST_CACHE";

/// Whether [`LIST_CACHE_ENV`] leaves the list cache on; a value other than `on`,
/// `off` or empty is refused rather than guessed.
fn list_cache_on() -> Result<bool, String> {
    match std::env::var(LIST_CACHE_ENV).as_deref() {
        Err(_) | Ok("" | "on") => Ok(true),
        Ok("off") => Ok(false),
        Ok(other) => Err(format!("{LIST_CACHE_ENV} is `{other}`: use `on` or `off`")),
    }
}

/// The database URL without its password, for the log.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…{}", &url[..scheme], &url[at..]),
        _ => url.to_owned(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let command = match cli::parse("127.0.0.1:8000", USAGE) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    if matches!(command, Command::Serve(_)) {
        cli::init_log();
    }
    let list_cache = match list_cache_on() {
        Ok(on) => on,
        Err(message) => {
            eprintln!("snippets: {message}");
            return ExitCode::from(2);
        }
    };
    let path = std::env::var_os(SETTINGS_ENV).unwrap_or_else(|| DEFAULT_SETTINGS_FILE.into());
    let settings = match Settings::from_file(&path) {
        Ok(settings) => app::settings(settings),
        Err(err) => {
            eprintln!("snippets: {err}");
            return ExitCode::from(2);
        }
    };
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
    // The document needs no database: printing it opens (and creates) none.
    let db = match &command {
        Command::PrintOpenapi => storage::Db::unconnected(&url),
        Command::Serve(_) => storage::Db::connect(&url).await,
    };
    let db = match db {
        Ok(db) => db,
        Err(err) => {
            eprintln!(
                "snippets: cannot open the database (DATABASE_URL={}): {err}",
                redacted(&url)
            );
            return ExitCode::FAILURE;
        }
    };
    let mount = cli::swagger_mount(&settings);
    let kind = db.kind();
    let app = app::app(settings, db, list_cache);
    let addr = match command {
        Command::PrintOpenapi => {
            use apiview::SwaggerExt;
            cli::print_document(&app.openapi());
            return ExitCode::SUCCESS;
        }
        Command::Serve(addr) => addr,
    };
    tracing::info!(%addr, database = %redacted(&url), ?kind, list_cache, "apiview snippets listening");
    tracing::info!("swagger ui at http://{addr}{mount}swagger-ui.html");
    match app.serve(&addr).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("snippets: cannot serve on {addr}: {err}");
            ExitCode::FAILURE
        }
    }
}
