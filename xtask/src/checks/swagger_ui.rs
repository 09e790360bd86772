//! The Swagger UI, loaded in headless Chromium from the address the demo logs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use serde_json::Value;

use crate::http::{self, Request};
use crate::process::{self, command, free_port, Server};

/// The demo logs where its Swagger UI and document are served; loaded from that
/// address in headless Chromium, the UI shows every operation of the document. A
/// screenshot goes to target/swagger-ui.png.
pub fn swagger_ui() -> Result<()> {
    process::need("chromium", "chromium")?;
    let demo = process::build(&["--example", "demo"], "demo")?;
    let work = process::scratch_dir("check-swagger-ui")?;
    let port = free_port()?;
    let mut server = command(&demo);
    server
        .env("RUST_LOG", "info")
        .args(["--addr", &format!("127.0.0.1:{port}")]);
    let mut server = Server::start("the demo", port, server, &work.join("demo.log"))?;
    let ui = logged_url(&mut server, "swagger ui at ")?;
    let document_url = logged_url(&mut server, "openapi document at ")?;
    let origin = format!("http://127.0.0.1:{port}/");
    ensure!(
        ui.starts_with(&origin) && document_url.starts_with(&origin),
        "the demo logs {ui} and {document_url}, not addresses under {origin}"
    );
    println!("the demo logs its Swagger UI at {ui} and its document at {document_url}");
    let document = http::send(port, &Request::get(&document_url[origin.len() - 1..]))?.json()?;

    let dom = chromium(&work, &["--dump-dom", &ui])?;
    let operations: Vec<&Value> = document["paths"]
        .as_object()
        .context("the document has no paths")?
        .values()
        .flat_map(|item| {
            item.as_object()
                .into_iter()
                .flatten()
                .map(|(_, operation)| operation)
        })
        .collect();
    let summaries: BTreeSet<&str> = operations
        .iter()
        .map(|operation| {
            operation["summary"]
                .as_str()
                .context("an operation without a summary")
        })
        .collect::<Result<_>>()?;
    let shown = rendered_summaries(&dom);
    let missing: Vec<&&str> = summaries
        .iter()
        .filter(|s| !shown.iter().any(|shown| shown == **s))
        .collect();
    ensure!(
        missing.is_empty(),
        "summaries not rendered by Swagger UI: {missing:?}"
    );
    ensure!(
        shown.len() == operations.len(),
        "{} summaries shown for {} operations",
        shown.len(),
        operations.len()
    );
    println!(
        "Swagger UI rendered all {} operations of the demo",
        operations.len()
    );
    // The demo's /secure checks an aclkey: an apiKey scheme (DESIGN §17), which Swagger
    // UI offers to fill once through its Authorize button.
    ensure!(
        document["components"]["securitySchemes"]["aclkey"]["type"] == "apiKey",
        "the demo's document declares no `aclkey` apiKey security scheme"
    );
    ensure!(
        dom.contains("btn authorize"),
        "the document declares a security scheme, but Swagger UI shows no Authorize button"
    );
    // Its /me and /note_owned_set take a bearer token (DESIGN §14): an http bearer
    // scheme beside the apiKey one, which the same Authorize button offers. Its dialog,
    // listing both, opens on a click: --dump-dom cannot click, so the check stops at
    // the document's schemes, the button and the operations' lock icons.
    let bearer = &document["components"]["securitySchemes"]["bearer"];
    ensure!(
        bearer["type"] == "http" && bearer["scheme"] == "bearer",
        "the demo's document declares no `bearer` http security scheme: {bearer}"
    );
    ensure!(
        document["paths"]["/me"]["get"]["security"] == serde_json::json!([{"bearer": []}]),
        "the demo's /me does not ask for the bearer scheme"
    );
    let locks = dom.matches("authorization__btn").count();
    let secured = operations
        .iter()
        .filter(|operation| operation.get("security").is_some())
        .count();
    ensure!(
        locks >= secured && secured >= 3,
        "{secured} operations ask for a credential, and Swagger UI shows {locks} lock icons"
    );
    println!(
        "Swagger UI offers the Authorize button for the aclkey and bearer schemes, and a lock on {secured} operations"
    );
    // The demo's /upload takes a file (DESIGN §12): opened by its deep link, its form
    // offers a file picker for the multipart body's `format: binary` field.
    let upload = &document["paths"]["/upload"]["post"];
    let tag = upload["tags"][0].as_str().context("/upload has no tag")?;
    let operation = upload["operationId"]
        .as_str()
        .context("/upload has no operationId")?;
    let dom = chromium(&work, &["--dump-dom", &format!("{ui}#/{tag}/{operation}")])?;
    ensure!(
        dom.contains("type=\"file\""),
        "the demo's /upload takes a file, but its Swagger UI form shows no file picker"
    );
    println!("Swagger UI offers a file picker for /upload's file");
    // The demo is versioned (DESIGN §16): one document per version, and the UI's top
    // bar selects among them, the default (v1) shown first.
    let versions = version_options(&dom);
    ensure!(
        versions == ["v1", "v2"],
        "Swagger UI's version selector lists {versions:?}, not the demo's versions v1 and v2"
    );
    let v2 = http::send(
        port,
        &Request::get(&format!("{}?version=v2", &document_url[origin.len() - 1..])),
    )?
    .json()?;
    ensure!(
        v2["paths"]["/greeting_v2_only"].is_object() && document["paths"].get("/greeting_v2_only").is_none(),
        "/greeting_v2_only is not in v2's document only"
    );
    println!("Swagger UI selects among the API versions {versions:?}");

    let screenshot = std::env::current_dir()?.join("target/swagger-ui.png");
    let _ = std::fs::remove_file(&screenshot);
    chromium(
        &work,
        &[
            "--hide-scrollbars",
            "--window-size=1280,4000",
            &format!("--screenshot={}", screenshot.display()),
            &ui,
        ],
    )?;
    let size = std::fs::metadata(&screenshot).map_or(0, |meta| meta.len());
    ensure!(size > 0, "Chromium wrote no screenshot");
    println!("screenshot: target/swagger-ui.png");
    Ok(())
}

/// The URL that follows `prefix` in a line of the server's log.
pub(super) fn logged_url(server: &mut Server, prefix: &str) -> Result<String> {
    let line = server.wait_for_line(prefix, Duration::from_secs(10))?;
    let after = &line[line.find(prefix).expect("the line has the prefix") + prefix.len()..];
    let url: String = after
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '\u{1b}')
        .collect();
    ensure!(url.starts_with("http://"), "not a URL after `{prefix}`: {line}");
    Ok(url)
}

/// Headless Chromium, offline-friendly, with a fresh profile; returns its stdout.
fn chromium(work: &Path, args: &[&str]) -> Result<String> {
    let profile = unique_dir(work, "chromium")?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(work.join("chromium.log"))?;
    let out = command("timeout")
        .args([
            "180",
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
        ])
        .args([
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
        ])
        .arg("--disable-sync")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--virtual-time-budget=15000")
        .args(args)
        .stderr(log)
        .output()
        .context("running chromium")?;
    if !out.status.success() {
        bail!(
            "chromium {args:?} failed ({}); see {}",
            out.status,
            work.join("chromium.log").display()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn unique_dir(parent: &Path, prefix: &str) -> Result<PathBuf> {
    for n in 0.. {
        let dir = parent.join(format!("{prefix}.{n}"));
        if !dir.exists() {
            std::fs::create_dir_all(&dir)?;
            return Ok(dir);
        }
    }
    unreachable!("an unbounded range")
}

/// The operation summaries Swagger UI rendered: the text of each element with class
/// `opblock-summary-description`, HTML entities decoded.
fn rendered_summaries(dom: &str) -> Vec<String> {
    const CLASS: &str = "class=\"opblock-summary-description\"";
    let mut shown = Vec::new();
    let mut rest = dom;
    while let Some(at) = rest.find(CLASS) {
        rest = &rest[at + CLASS.len()..];
        let Some(open) = rest.find('>') else { break };
        let text = &rest[open + 1..];
        if let Some(close) = text.find('<') {
            shown.push(unescape(&text[..close]));
        }
    }
    shown
}

/// The names in the top bar's definition selector (`urls` of the UI's
/// configuration): the text of each `<option>` of the `<select>` after "Select a
/// definition".
fn version_options(dom: &str) -> Vec<String> {
    let Some(at) = dom.find("Select a definition") else {
        return Vec::new();
    };
    let rest = &dom[at..];
    let select = &rest[..rest.find("</select>").unwrap_or(rest.len())];
    let mut names = Vec::new();
    let mut rest = select;
    while let Some(at) = rest.find("<option") {
        rest = &rest[at..];
        let Some(open) = rest.find('>') else { break };
        let text = &rest[open + 1..];
        let Some(close) = text.find('<') else { break };
        names.push(unescape(&text[..close]));
        rest = &text[close..];
    }
    names
}

/// HTML character references: the named five and numeric ones.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest.find(';').and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_are_read_from_the_dom() {
        let dom = r#"<div class="opblock-summary-description" x="1">Adds &amp; checks</div>
            <span class="opblock-summary-description"><b>x</b></span>
            <div class="opblock-summary-description">Echo &#39;it&#x27;</div>"#;
        assert_eq!(rendered_summaries(dom), ["Adds & checks", "", "Echo 'it'"]);
        assert_eq!(unescape("a &lt;b&gt; &unknown; &"), "a <b> &unknown; &");
        let topbar = r#"<label class="select-label"><span>Select a definition</span><select id="select">
            <option value="openapi.json?version=v1">v1</option><option value="openapi.json?version=v2">v2</option>
            </select></label><select><option>other</option></select>"#;
        assert_eq!(version_options(topbar), ["v1", "v2"]);
        assert!(version_options("<select><option>x</option></select>").is_empty());
    }
}
