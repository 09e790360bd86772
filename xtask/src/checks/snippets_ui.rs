//! The snippets example's Swagger UI, used as a person would in headless Chromium:
//! register and log in, authorize with the token, create a snippet, list it.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use serde_json::{json, Value};

use super::swagger_ui::logged_url;
use crate::browser::{js_string, Browser};
use crate::http::{self, Request};
use crate::process::{self, command, free_port, Server};

const USERNAME: &str = "swagger-ui-user";
const PASSWORD: &str = "correct-horse-battery";
const TITLE: &str = "Hello from Swagger UI";
const CODE: &str = "print('hello from a browser')";

/// How long a page element may take to appear, or an answer to be shown (the debug
/// build hashes passwords with Argon2id in about a second).
const LIMIT: Duration = Duration::from_secs(30);

/// The snippets example on a fresh SQLite file, its Swagger UI (at the address it
/// logs) driven in headless Chromium: `POST /auth/register` and `POST /auth/login`
/// through their forms, the token pasted into the Authorize dialog, `POST /snippets/`
/// and `GET /snippets/` executed, each answer read from the page. Then plain HTTP
/// checks that the snippet is stored with that user as its owner, which it can be only
/// if the UI sent the token. On a failure the page's screenshot and HTML are saved
/// beside the server's log.
pub fn snippets_ui() -> Result<()> {
    process::need("chromium", "chromium")?;
    let started = Instant::now();
    let snippets = process::build(&["--example", "snippets"], "snippets")?;
    let work = std::path::absolute(process::scratch_dir("check-snippets-ui")?)?;
    // The example's settings come from the environment and ./snippets.toml: neither
    // is wanted here (the server runs in the scratch directory, which has none).
    process::clear_apiview_env();
    let port = free_port()?;
    let mut server = command(&snippets);
    server
        .current_dir(&work)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", work.join("snippets.db").display()),
        )
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .args(["--addr", &format!("127.0.0.1:{port}")]);
    let mut server = Server::start("the snippets example", port, server, &work.join("snippets.log"))?;
    let ui = logged_url(&mut server, "swagger ui at ")?;
    println!("the snippets example logs its Swagger UI at {ui}");

    let mut browser = Browser::launch(&work.join("chromium-profile"), &work.join("chromium.log"))?;
    let snippet = match use_the_ui(&mut browser, &ui) {
        Ok(snippet) => snippet,
        Err(err) => {
            let report = failure_report(&mut browser, &work);
            bail!(
                "{err:#}\n{report}\nthe server's log ({}) ends with:\n{}",
                server.log.display(),
                server.log_tail(10)
            );
        }
    };
    let shot = work.join("snippets-ui.png");
    browser.screenshot(&shot)?;
    drop(browser);

    check_over_http(port, &snippet).with_context(|| format!("the server's log:\n{}", server.log_tail(20)))?;
    println!(
        "check-snippets-ui passed in {:.1} s; the page at the end: {}",
        started.elapsed().as_secs_f64(),
        shot.display()
    );
    Ok(())
}

/// Register, log in, authorize, create, list: returns the created snippet as the UI
/// showed it.
fn use_the_ui(browser: &mut Browser, ui: &str) -> Result<Value> {
    browser.open(ui)?;
    browser.wait_for(
        "Swagger UI to render the document's operations",
        "document.querySelectorAll('.opblock').length > 0",
        LIMIT,
    )?;
    let credentials = json!({"username": USERNAME, "password": PASSWORD});
    let registered = execute(browser, "auth", "register", Some(&credentials))?;
    ensure!(
        registered["success"] == true && registered["result"]["token"].is_string(),
        "POST /auth/register through the UI answered {registered}"
    );
    println!("registered {USERNAME} through the UI");
    let logged_in = execute(browser, "auth", "login", Some(&credentials))?;
    let token = logged_in["result"]["token"]
        .as_str()
        .filter(|_| logged_in["success"] == true)
        .with_context(|| format!("POST /auth/login through the UI answered {logged_in}"))?
        .to_owned();
    println!(
        "logged in through the UI; the token is {} characters",
        token.len()
    );

    authorize(browser, &token)?;
    println!("authorized in the UI's dialog with the bearer token");

    let body = json!({"title": TITLE, "code": CODE, "language": "python"});
    let created = execute(browser, "snippets", "snippet_create", Some(&body))?;
    let snippet = &created["result"];
    ensure!(
        created["success"] == true && snippet["title"] == TITLE && snippet["code"] == CODE,
        "POST /snippets/ through the UI answered {created}"
    );
    ensure!(
        snippet["owner"] == USERNAME,
        "the snippet created through the UI is owned by {}, not {USERNAME}",
        snippet["owner"]
    );
    let curl = browser.eval(&format!(
        "document.querySelector({}).textContent",
        js_string("#operations-snippets-snippet_create .curl-command")
    ))?;
    ensure!(
        curl.as_str()
            .is_some_and(|curl| curl.contains(&format!("Authorization: Bearer {token}"))),
        "the request the UI shows for POST /snippets/ has no bearer token: {curl}"
    );
    println!(
        "created snippet {} through the UI, sent with the bearer token",
        snippet["id"]
    );

    let listed = execute(browser, "snippets", "snippet_list", None)?;
    let results = listed["result"]["results"]
        .as_array()
        .filter(|_| listed["success"] == true)
        .with_context(|| format!("GET /snippets/ through the UI answered {listed}"))?;
    ensure!(
        results
            .iter()
            .any(|item| item["id"] == snippet["id"] && item["title"] == TITLE && item["owner"] == USERNAME),
        "GET /snippets/ through the UI does not list snippet {}: {listed}",
        snippet["id"]
    );
    println!("GET /snippets/ through the UI lists it");
    Ok(snippet.clone())
}

/// Opens the operation `#operations-TAG-OPERATION`, makes it editable (Try it out,
/// unless the UI opened it so), types `body` as its JSON request body, clicks Execute
/// and returns the response body the page shows, as JSON.
fn execute(browser: &mut Browser, tag: &str, operation: &str, body: Option<&Value>) -> Result<Value> {
    let id = format!("operations-{tag}-{operation}");
    let block = format!("#{id}");
    let what = format!("{tag}/{operation}");
    let open = format!(
        "document.querySelector({}) !== null",
        js_string(&format!("{block}.is-open"))
    );
    if browser.eval(&open)? != true {
        browser.click(&format!("{block} .opblock-summary-control"), LIMIT)?;
        browser.wait_for(&format!("{what} to open"), &open, LIMIT)?;
    }
    // The UI's configuration has `tryItOutEnabled`: the button may already say Cancel.
    let button = format!("{block} .btn.try-out__btn");
    let label = browser.wait_for(
        &format!("{what}'s Try it out button"),
        &format!(
            "document.querySelector({})?.textContent.trim() || null",
            js_string(&button)
        ),
        LIMIT,
    )?;
    if label
        .as_str()
        .is_some_and(|label| label.starts_with("Try it out"))
    {
        browser.click(&button, LIMIT)?;
    }
    if let Some(body) = body {
        browser.fill(
            &format!("{block} textarea.body-param__text"),
            &serde_json::to_string_pretty(body)?,
            LIMIT,
        )?;
    }
    browser.click(&format!("{block} .btn.execute"), LIMIT)?;
    let shown = browser.wait_for(
        &format!("{what}'s response to be shown"),
        &format!("({SHOWN_RESPONSE})({})", js_string(&id)),
        LIMIT,
    )?;
    let status = shown["status"].as_str().unwrap_or_default();
    let text = shown["body"].as_str().unwrap_or_default();
    ensure!(
        status == "200",
        "{what} through the UI: the page shows status {status}: {text}"
    );
    serde_json::from_str(text).with_context(|| format!("{what} through the UI: the page shows {text}"))
}

/// The status and response body of an operation's executed request, as the page
/// shows them under "Server response" (null until they are there).
const SHOWN_RESPONSE: &str = "(id) => {
    const table = document.getElementById(id)?.querySelector('.responses-wrapper .live-responses-table');
    const status = table?.querySelector('tbody .response-col_status');
    const body = table?.querySelector('tbody .response-col_description pre');
    if (!status || !body || !body.textContent.trim()) return null;
    return {status: status.textContent.trim(), body: body.textContent};
}";

/// The Authorize dialog: the token typed into the bearer scheme's field, Authorize,
/// Close; the page then shows the scheme as authorized (a closed lock).
fn authorize(browser: &mut Browser, token: &str) -> Result<()> {
    browser.click(".scheme-container .btn.authorize", LIMIT)?;
    browser.fill(".modal-ux .auth-container input[type=text]", token, LIMIT)?;
    browser.click(".modal-ux .auth-btn-wrapper .btn.modal-btn.authorize", LIMIT)?;
    browser.wait_for(
        "the dialog to offer Logout (the scheme is authorized)",
        "[...document.querySelectorAll('.modal-ux .auth-btn-wrapper .btn')].some(b => b.textContent.trim() === 'Logout')",
        LIMIT,
    )?;
    browser.click(".modal-ux .auth-btn-wrapper .btn-done", LIMIT)?;
    browser.wait_for(
        "the dialog to close",
        "document.querySelector('.modal-ux') === null",
        LIMIT,
    )?;
    browser.wait_for(
        "the Authorize button to show a closed lock",
        "document.querySelector('.scheme-container .btn.authorize.locked') !== null",
        LIMIT,
    )?;
    Ok(())
}

/// The page's screenshot and HTML and its errors, saved in `work`; what to read.
fn failure_report(browser: &mut Browser, work: &Path) -> String {
    let shot = work.join("failure.png");
    let page = work.join("failure.html");
    let mut report = Vec::new();
    match browser.screenshot(&shot) {
        Ok(()) => report.push(format!("the page's screenshot: {}", shot.display())),
        Err(err) => report.push(format!("no screenshot: {err:#}")),
    }
    match browser.html().and_then(|html| Ok(std::fs::write(&page, html)?)) {
        Ok(()) => report.push(format!("the page's HTML: {}", page.display())),
        Err(err) => report.push(format!("no HTML: {err:#}")),
    }
    for error in browser.page_errors() {
        report.push(format!("the page: {error}"));
    }
    report.join("\n")
}

/// Over HTTP, without the UI: the snippet is stored, owned by the user who logged in
/// through the UI, listed under that user; and creating one without a token is refused.
fn check_over_http(port: u16, snippet: &Value) -> Result<()> {
    let id = snippet["id"].as_i64().context("the snippet has no id")?;
    let stored = http::send(port, &Request::get(&format!("/snippets/{id}/")))?.json()?;
    ensure!(
        stored["success"] == true
            && stored["result"]["title"] == TITLE
            && stored["result"]["owner"] == USERNAME,
        "GET /snippets/{id}/ answers {stored}"
    );
    let users = http::send(port, &Request::get("/users/"))?.json()?;
    let user = users["result"]["results"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|user| user["username"] == USERNAME)
        .with_context(|| format!("GET /users/ does not list {USERNAME}: {users}"))?;
    let user_id = user["id"].as_i64().context("a user without an id")?;
    ensure!(
        stored["result"]["owner_url"]
            .as_str()
            .is_some_and(|url| url.ends_with(&format!("/users/{user_id}/"))),
        "snippet {id}'s owner_url is not user {user_id}'s: {stored}"
    );
    let owned = http::send(port, &Request::get(&format!("/snippets/?owner={user_id}")))?.json()?;
    ensure!(
        owned["result"]["count"] == 1 && owned["result"]["results"][0]["id"] == id,
        "GET /snippets/?owner={user_id} answers {owned}"
    );
    let anonymous = json!({"title": "anonymous", "code": "x"}).to_string();
    let refused = http::send(
        port,
        &Request::post("/snippets/", "application/json", anonymous.as_bytes()),
    )?
    .json()?;
    ensure!(
        refused["success"] == false,
        "POST /snippets/ without a token answers {refused}"
    );
    println!(
        "over HTTP: snippet {id} is stored, owned by {USERNAME} (user {user_id}); without a token, creating one is refused ({})",
        refused["error"]["code"]
    );
    Ok(())
}
