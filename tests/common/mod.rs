//! Shared by the integration tests: serve an App on a free loopback port, over real
//! TCP, and talk to it with reqwest.
#![allow(dead_code)]

use apiview::{App, Settings};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::Server;

/// A server running in the background of the test's runtime; stops when dropped.
pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// Serves any poem endpoint on 127.0.0.1 at a free port.
pub async fn serve_endpoint<E>(endpoint: E) -> TestServer
where
    E: poem::IntoEndpoint,
    E::Endpoint: 'static,
{
    let endpoint = poem::EndpointExt::boxed(poem::EndpointExt::map_to_response(endpoint.into_endpoint()));
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
    let addr = acceptor.local_addr()[0].as_socket_addr().cloned().unwrap();
    let task = tokio::spawn(async move {
        let _ = Server::new_with_acceptor(acceptor).run(endpoint).await;
    });
    TestServer {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        task,
    }
}

/// Serves an App.
pub async fn serve(app: App) -> TestServer {
    serve_endpoint(app.into_endpoint()).await
}

/// Settings from TOML text.
pub fn settings(toml: &str) -> Settings {
    Settings::from_toml_str(toml).unwrap()
}

// ---- Helpers added for the topic test files (demo, injection, helpers, errors,
// bad_input, app). ----

/// An answer read over HTTP: status, headers and the body parsed as JSON.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub json: serde_json::Value,
}

impl Answer {
    /// A response header as text ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    /// The request id the server sent back.
    pub fn request_id(&self) -> &str {
        self.header("x-request-id")
    }
}

/// Sends a request and reads the answer, which must be JSON sent as
/// `application/json; charset=utf-8`; the panic message shows what came instead.
pub async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("the request got no HTTP answer");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response
        .bytes()
        .await
        .expect("the answer's body could not be read");
    let json = serde_json::from_slice(&bytes).unwrap_or_else(|err| {
        panic!(
            "status {status}: the body is not JSON ({err}): {:?}",
            String::from_utf8_lossy(&bytes)
        )
    });
    let content_type = headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    assert_eq!(
        content_type, "application/json; charset=utf-8",
        "content type of {json}"
    );
    Answer {
        status,
        headers,
        json,
    }
}

/// The simple packer's envelope of a result.
pub fn ok(result: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"success": true, "result": result})
}

/// The simple packer's envelope of an error.
pub fn err(code: i64, message: &str) -> serde_json::Value {
    serde_json::json!({"success": false, "error": {"code": code, "message": message}})
}

/// The error code of a simple-packed answer (panics when it is not an error).
pub fn code_of(packed: &serde_json::Value) -> i64 {
    assert_eq!(packed["success"], false, "not an error: {packed}");
    packed["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no error code in {packed}"))
}

/// The error message of a simple-packed answer.
pub fn message_of(packed: &serde_json::Value) -> String {
    assert_eq!(packed["success"], false, "not an error: {packed}");
    packed["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error message in {packed}"))
        .to_owned()
}

pub const SYS_ERROR: i64 = 1001000000;
pub const NOT_SUPPORTED_HTTP_METHOD: i64 = 1001010002;
pub const APP_AUTH_FAILED: i64 = 1001040004;
pub const PARSE_JSON_ERROR: i64 = 1001050006;
pub const TOO_LARGE_REQUEST_ERROR: i64 = 1001050009;
pub const MISSING_PARAMETER: i64 = 1001060001;
pub const BAD_PARAMETER: i64 = 1001060002;
pub const BAD_PARAMETER_TYPE: i64 = 1001060003;
pub const STRING_TOO_SHORT: i64 = 1001060004;
pub const STRING_TOO_LONG: i64 = 1001060005;

/// An HTTP/1.1 answer read from a raw socket.
#[derive(Debug)]
pub struct RawAnswer {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON; the panic message shows what came instead.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!(
                "status {}: the body is not JSON ({err}): {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

impl TestServer {
    /// `host:port` of the server.
    pub fn addr(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// Writes `head` (request line and headers, without the blank line; the
    /// function adds `Connection: close`) and then each of `body_parts` as it is, and
    /// reads the answer until the server closes the connection. For requests reqwest
    /// will not send: chunked bodies written by hand, odd methods, huge headers.
    pub async fn raw(&self, head: &str, body_parts: &[&[u8]]) -> RawAnswer {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let mut stream = tokio::net::TcpStream::connect(self.addr()).await.unwrap();
        let head = format!(
            "{}\r\nHost: {}\r\nConnection: close\r\n\r\n",
            head.trim_end(),
            self.addr()
        );
        // The server may answer (and close) before reading everything: a refused
        // body. A failed write is then not the test's concern; the answer is.
        let mut written = stream.write_all(head.as_bytes()).await;
        for part in body_parts {
            if written.is_ok() {
                written = stream.write_all(part).await;
            }
        }
        let _ = stream.flush().await;
        let mut bytes = Vec::new();
        if let Err(err) = stream.read_to_end(&mut bytes).await {
            // A reset after the answer was sent still leaves the answer readable.
            assert!(!bytes.is_empty(), "connection failed with no answer: {err}");
        }
        parse_raw_answer(&bytes)
    }
}

fn parse_raw_answer(bytes: &[u8]) -> RawAnswer {
    let split = bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .unwrap_or_else(|| {
            panic!(
                "no complete HTTP answer (connection dropped?): {:?}",
                String::from_utf8_lossy(bytes)
            )
        });
    let head = std::str::from_utf8(&bytes[..split]).expect("answer head is not UTF-8");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (key.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let rest = &bytes[split + 4..];
    let chunked = headers
        .iter()
        .any(|(key, value)| key == "transfer-encoding" && value.eq_ignore_ascii_case("chunked"));
    let body = if chunked { dechunk(rest) } else { rest.to_vec() };
    RawAnswer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let Some(end) = rest.windows(2).position(|window| window == b"\r\n") else {
            return body;
        };
        let size_text = std::str::from_utf8(&rest[..end]).unwrap_or("0");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16).unwrap_or(0);
        if size == 0 {
            return body;
        }
        let start = end + 2;
        body.extend_from_slice(&rest[start..(start + size).min(rest.len())]);
        rest = &rest[(start + size + 2).min(rest.len())..];
    }
}

/// One part of a multipart/form-data body written by hand (reqwest's `multipart`
/// feature is not enabled in this workspace).
pub enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

/// A multipart/form-data body and its content type.
pub fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    const BOUNDARY: &str = "apiview-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                );
                body.extend_from_slice(value.as_bytes());
            }
            Part::File(name, file_name, data) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(data);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// Polls `check` every 50 ms until it holds; panics after `within`.
pub async fn eventually<F, Fut>(what: &str, within: std::time::Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + within;
    loop {
        if check().await {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not within {within:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Collects what the tracing subscriber writes. Installed globally, not with
/// `set_default`: tracing caches each callsite's interest across threads, and a
/// callsite first hit by a parallel test while only a thread-local subscriber existed
/// can stay silenced. Lines are told apart by request id.
#[derive(Clone, Default)]
pub struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogBuffer {
    /// Installs a global subscriber at `level` writing here; one test per binary.
    pub fn install(level: tracing::Level) -> LogBuffer {
        let buffer = LogBuffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(level)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("only one test installs a subscriber");
        buffer
    }

    /// Every line written so far.
    pub fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The warnings logged while answering the request with this id.
    pub fn warnings_of(&self, request_id: &str) -> Vec<String> {
        self.lines()
            .into_iter()
            .filter(|line| line.contains("WARN") && line.contains(request_id))
            .collect()
    }
}

pub mod death_signal;
pub mod pg_host;
pub mod postgres;
pub mod process;
pub mod redis;
pub mod redis_cluster;

/// Throw-away RSA keys for the encryption tests, generated once per test binary.
pub mod keys {
    use std::sync::OnceLock;

    use apiview::cipher;
    use rsa::RsaPrivateKey;

    /// A server's key, another server's, and two clients' (1024 bits: fast to make,
    /// and the wire format does not depend on the size).
    pub struct TestKeys {
        pub server: RsaPrivateKey,
        pub other_server: RsaPrivateKey,
        pub alice: RsaPrivateKey,
        pub bob: RsaPrivateKey,
    }

    /// The keys, generated in parallel on first use.
    pub fn keys() -> &'static TestKeys {
        static KEYS: OnceLock<TestKeys> = OnceLock::new();
        KEYS.get_or_init(|| {
            let handles: Vec<_> = (0..4)
                .map(|_| std::thread::spawn(|| cipher::generate_private_key(1024).unwrap()))
                .collect();
            let mut generated = handles.into_iter().map(|handle| handle.join().unwrap());
            let mut next = || generated.next().unwrap();
            TestKeys {
                server: next(),
                other_server: next(),
                alice: next(),
                bob: next(),
            }
        })
    }
}
