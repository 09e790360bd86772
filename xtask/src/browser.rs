//! Headless Chromium driven like a user, over the DevTools protocol on the pipe that
//! `--remote-debugging-pipe` opens (Chromium reads commands from fd 3 and writes
//! answers and events to fd 4, each a JSON message ended by a NUL byte): Puppeteer's
//! default transport. No WebSocket, no driver program to match with the browser's
//! version, nothing downloaded: Debian's chromium and serde_json are enough.
//!
//! Clicks and typing are input events dispatched at the page
//! (`Input.dispatchMouseEvent` at the element's centre, `Input.insertText` into the
//! focused field), not DOM calls: an element hidden or covered by a dialog is not
//! clicked, and the page's own handlers see what they would see from a person.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use base64::Engine;
use serde_json::{json, Value};

use crate::process::command;

/// How long one protocol command may take before the browser counts as hung.
const CALL_LIMIT: Duration = Duration::from_secs(30);
/// How often a condition is evaluated again while waiting for it.
const POLL: Duration = Duration::from_millis(100);
/// The page's viewport: wide enough that Swagger UI lays operations out in one column.
const VIEWPORT: (u32, u32) = (1280, 1024);

/// A headless Chromium with one page; the browser and every process it started are
/// killed when it is dropped, pass or fail.
pub struct Browser {
    child: Child,
    commands: File,
    messages: Receiver<Value>,
    session: String,
    next_id: u64,
    /// The page's uncaught exceptions and console errors, for a failure's report.
    page_errors: Vec<String>,
}

impl Browser {
    /// Starts Chromium with a fresh profile in `profile`, its output in `log`, and
    /// opens a blank page.
    pub fn launch(profile: &Path, log: &Path) -> Result<Browser> {
        let (commands_read, commands_write) = pipe()?;
        let (messages_read, messages_write) = pipe()?;
        let out = File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let mut chromium = command("chromium");
        chromium
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic"])
            .args([
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
            ])
            .args([
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                "--mute-audio",
            ])
            .arg("--remote-debugging-pipe")
            .arg(format!("--window-size={},{}", VIEWPORT.0, VIEWPORT.1))
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        let (read, write) = (commands_read.as_raw_fd(), messages_write.as_raw_fd());
        // SAFETY: dup2 is async-signal-safe. Both descriptors are above 4 (see `pipe`),
        // so neither dup2 overwrites the other's source, and dup2 clears close-on-exec
        // on 3 and 4 only.
        unsafe {
            chromium.pre_exec(move || {
                if libc::dup2(read, 3) < 0 || libc::dup2(write, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = chromium.spawn().context("starting chromium")?;
        // Chromium's ends are its own now: closing ours lets a read see its exit.
        drop((commands_read, messages_write));
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(File::from(messages_read));
            let mut message = Vec::new();
            loop {
                message.clear();
                match reader.read_until(0, &mut message) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if message.last() == Some(&0) {
                    message.pop();
                }
                let Ok(value) = serde_json::from_slice(&message) else {
                    continue;
                };
                if sender.send(value).is_err() {
                    return;
                }
            }
        });
        let mut browser = Browser {
            child,
            commands: File::from(commands_write),
            messages,
            session: String::new(),
            next_id: 0,
            page_errors: Vec::new(),
        };
        let target = browser.send(None, "Target.createTarget", json!({"url": "about:blank"}))?;
        let target = target["targetId"]
            .as_str()
            .context("Target.createTarget answered no targetId")?
            .to_owned();
        let attached = browser.send(
            None,
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
        )?;
        browser.session = attached["sessionId"]
            .as_str()
            .context("Target.attachToTarget answered no sessionId")?
            .to_owned();
        browser.call("Runtime.enable", json!({}))?;
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": VIEWPORT.0, "height": VIEWPORT.1, "deviceScaleFactor": 1, "mobile": false}),
        )?;
        Ok(browser)
    }

    /// A command to the page; its result.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value> {
        let session = std::mem::take(&mut self.session);
        let result = self.send(Some(&session), method, params);
        self.session = session;
        result
    }

    fn send(&mut self, session: Option<&str>, method: &str, params: Value) -> Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&message)?;
        bytes.push(0);
        self.commands
            .write_all(&bytes)
            .with_context(|| format!("sending {method} to Chromium (has it exited?)"))?;
        let deadline = Instant::now() + CALL_LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let mut message = match self.messages.recv_timeout(left) {
                Ok(message) => message,
                Err(RecvTimeoutError::Timeout) => bail!("Chromium did not answer {method} in {CALL_LIMIT:?}"),
                Err(RecvTimeoutError::Disconnected) => bail!("Chromium exited while answering {method}"),
            };
            if message["id"] == id {
                if let Some(error) = message.get("error") {
                    bail!("Chromium refused {method}: {error}");
                }
                return Ok(message["result"].take());
            }
            self.event(&message);
        }
    }

    fn event(&mut self, message: &Value) {
        let params = &message["params"];
        let error = match message["method"].as_str() {
            Some("Runtime.exceptionThrown") => {
                let details = &params["exceptionDetails"];
                let text = details["exception"]["description"]
                    .as_str()
                    .or(details["text"].as_str())
                    .unwrap_or("an exception");
                Some(format!("uncaught: {text}"))
            }
            Some("Runtime.consoleAPICalled") if params["type"] == "error" => {
                let args: Vec<String> = params["args"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|arg| match &arg["value"] {
                        Value::String(text) => text.clone(),
                        Value::Null => arg["description"].as_str().unwrap_or("").to_owned(),
                        value => value.to_string(),
                    })
                    .collect();
                Some(format!("console.error: {}", args.join(" ")))
            }
            _ => None,
        };
        if let Some(error) = error {
            if self.page_errors.len() < 20 {
                self.page_errors.push(error);
            }
        }
    }

    /// The page's uncaught exceptions and console errors so far (the first 20).
    pub fn page_errors(&self) -> &[String] {
        &self.page_errors
    }

    /// Loads `url` in the page (returns once the navigation is committed).
    pub fn open(&mut self, url: &str) -> Result<()> {
        let result = self.call("Page.navigate", json!({"url": url}))?;
        if let Some(error) = result["errorText"].as_str() {
            bail!("Chromium could not open {url}: {error}");
        }
        Ok(())
    }

    /// The value of a JavaScript expression (a promise is awaited); `null` for
    /// `undefined`.
    pub fn eval(&mut self, expression: &str) -> Result<Value> {
        let mut result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        )?;
        if let Some(details) = result.get("exceptionDetails") {
            let text = details["exception"]["description"]
                .as_str()
                .or(details["text"].as_str())
                .unwrap_or("an exception");
            bail!("the page threw: {text}");
        }
        Ok(result["result"]["value"].take())
    }

    /// Evaluates `expression` every 100 ms until its value is neither `null`, `false`
    /// nor `undefined`, for up to `limit`; returns that value. `what` names the
    /// condition in the error.
    pub fn wait_for(&mut self, what: &str, expression: &str, limit: Duration) -> Result<Value> {
        let started = Instant::now();
        loop {
            let value = self.eval(expression)?;
            if !matches!(value, Value::Null | Value::Bool(false)) {
                return Ok(value);
            }
            if started.elapsed() > limit {
                bail!("waited {limit:?} for {what}");
            }
            std::thread::sleep(POLL);
        }
    }

    /// Clicks the first element `selector` matches, as a mouse does, once it is
    /// visible, still, and nothing covers its centre (waiting up to `limit`).
    pub fn click(&mut self, selector: &str, limit: Duration) -> Result<()> {
        let point = self.wait_for(
            &format!("`{selector}` to be visible and uncovered"),
            &format!("({CLICKABLE_POINT})({})", js_string(selector)),
            limit,
        )?;
        let (x, y) = (point["x"].clone(), point["y"].clone());
        self.call(
            "Input.dispatchMouseEvent",
            json!({"type": "mouseMoved", "x": x, "y": y}),
        )?;
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "buttons": 1, "clickCount": 1}),
            )?;
        }
        Ok(())
    }

    /// Clicks the field `selector` matches, selects what it holds and types `text`
    /// over it; waits until the field holds `text`.
    pub fn fill(&mut self, selector: &str, text: &str, limit: Duration) -> Result<()> {
        self.click(selector, limit)?;
        let field = format!("document.querySelector({})", js_string(selector));
        self.eval(&format!("{field}.select()"))?;
        self.call("Input.insertText", json!({"text": text}))?;
        self.wait_for(
            &format!("`{selector}` to hold what was typed"),
            &format!("{field}.value === {}", js_string(text)),
            limit,
        )?;
        Ok(())
    }

    /// The page's HTML as it is now.
    pub fn html(&mut self) -> Result<String> {
        let html = self.eval("document.documentElement.outerHTML")?;
        Ok(html.as_str().unwrap_or_default().to_owned())
    }

    /// A PNG of the whole page (not only the viewport) written to `path`.
    pub fn screenshot(&mut self, path: &Path) -> Result<()> {
        let shot = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
        )?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(
                shot["data"]
                    .as_str()
                    .context("Page.captureScreenshot answered no data")?,
            )
            .context("Page.captureScreenshot answered bad base64")?;
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }
}

impl Drop for Browser {
    /// SIGTERM to Chromium, which stops its helpers (zygote, renderers, GPU and
    /// network services) and exits; after 2 s, SIGKILL to its process group (`command`
    /// made it its own), helpers included.
    fn drop(&mut self) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) on our own child, not reaped yet.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let started = Instant::now();
        while matches!(self.child.try_wait(), Ok(None)) && started.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_millis(50));
        }
        // SAFETY: the group of our own child: its id is not reused while the child is
        // not reaped, and only Chromium's processes are in it.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

/// For `click`: the centre of the element a selector matches, scrolled into view,
/// when it is visible, has not moved in the last 50 ms (a section still opening would
/// move it under the pointer), and the element found at that point is it or inside it
/// (a dialog over it, or one still closing, would take the click); else null.
const CLICKABLE_POINT: &str = "async (selector) => {
    const element = document.querySelector(selector);
    if (!element) return null;
    element.scrollIntoView({block: 'center', inline: 'center'});
    const before = element.getBoundingClientRect();
    await new Promise(resolve => setTimeout(resolve, 50));
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return null;
    if (box.left !== before.left || box.top !== before.top || box.width !== before.width || box.height !== before.height) return null;
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    const hit = document.elementFromPoint(x, y);
    if (!hit || !(hit === element || element.contains(hit))) return null;
    return {x, y};
}";

/// A JavaScript string literal holding `text` (JSON's is one).
pub fn js_string(text: &str) -> String {
    Value::from(text).to_string()
}

/// A pipe whose two ends are close-on-exec descriptors numbered above 4, so that a
/// child can take them as 3 and 4 without one overwriting the other.
fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the array it is given.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error()).context("creating a pipe");
    }
    // SAFETY: both descriptors were just created and are owned by nothing else.
    let ends = unsafe { [OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])] };
    let high = |fd: &OwnedFd| -> Result<OwnedFd> {
        // SAFETY: fcntl(F_DUPFD_CLOEXEC) on an open descriptor returns a new one or -1.
        let new = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 10) };
        if new < 0 {
            return Err(std::io::Error::last_os_error()).context("moving a pipe's descriptor");
        }
        // SAFETY: a new descriptor nothing else owns.
        Ok(unsafe { OwnedFd::from_raw_fd(new) })
    };
    Ok((high(&ends[0])?, high(&ends[1])?))
}
