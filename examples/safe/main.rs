//! A server and a client talking over the safe packer.
//!
//! ```text
//! cargo run --example safe --features client
//! cargo run --release --example safe --features client -- --serve 127.0.0.1:3000
//! ```
//! At first start it generates throw-away RSA keys under `target/safe-demo-keys/`
//! (never commit keys like these as if they were real), serves safe-packed endpoints
//! on a free loopback port, and calls them with `ApiviewClient`: answers decrypted
//! with the client's private key, a request body encrypted for the server and signed
//! by the client (DESIGN §19), the same body replayed and refused, a password
//! RSA-encrypted for `#[rsa_decrypt]`, and an unknown client refused.
//!
//! With `--serve HOST:PORT` (what `scripts/bench.sh` runs) it only serves, until
//! Ctrl-C or SIGTERM: the safe-packed `/ping`, `/echo` and `/login`, `/plain_ping`,
//! simple-packed, as the same server's baseline, and `/decode_echo`, simple-packed
//! with `#[decode_encrypted_data]`. It first writes
//! `target/safe-demo-keys/echo-body.json`: a body for `POST /decode_echo`,
//! `{"msg": "benchmark message"}` encrypted for the server. A benchmark sends it over
//! and over: a safe endpoint would refuse every copy after the first (each request
//! to it carries a fresh nonce), while `/decode_echo` decrypts each one, which is
//! the cost the benchmark measures (one RSA-OAEP decryption per request).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use apiview::cipher::{self, generate_private_key, private_key_to_pem, public_key_to_pem};
use apiview::client::{ApiviewClient, ClientError};
use apiview::packer::{Packer, SafePacker, UnpackContext};
use apiview::prelude::*;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::Server;
use serde_json::{json, Value};

/// Always returns "pong", encrypted for the caller.
#[apiview(packer = "safe")]
fn ping() -> &'static str {
    "pong"
}

/// Always returns "pong", simple-packed: the same server's baseline for `/ping`.
#[apiview(packer = "simple")]
fn plain_ping() -> &'static str {
    "pong"
}

/// Echo a message sent encrypted (`{encryptedPassword, encryptedData}`).
#[apiview(packer = "safe")]
#[allow_post]
#[string_length_limit(msg, min_length = 2, max_length = 4096)]
fn echo(msg: String) -> String {
    msg
}

/// Echo a message sent encrypted, answered plain: what the benchmark sends its one
/// prepared body to, again and again (no replay window outside the safe packer).
#[apiview(packer = "simple")]
#[allow_post]
#[decode_encrypted_data]
fn decode_echo(msg: String) -> String {
    msg
}

/// Check a password sent RSA-encrypted.
#[apiview(packer = "safe")]
#[rsa_decrypt(password)]
fn login(user: String, password: String) -> Value {
    json!({"user": user, "ok": password == "correct horse"})
}

struct DemoKeys {
    dir: PathBuf,
}

impl DemoKeys {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Server and client key pairs, generated on first use.
    fn ensure(dir: &Path) -> Result<DemoKeys, Box<dyn std::error::Error>> {
        std::fs::create_dir_all(dir)?;
        for who in ["server", "demo"] {
            let private = dir.join(format!("{who}.pem"));
            if !private.exists() {
                println!(
                    "generating a throw-away 2048-bit key pair for `{who}` in {}",
                    dir.display()
                );
                let key = generate_private_key(2048)?;
                std::fs::write(&private, private_key_to_pem(&key)?)?;
                std::fs::write(
                    dir.join(format!("{who}.pub.pem")),
                    public_key_to_pem(&key.to_public_key())?,
                )?;
            }
        }
        Ok(DemoKeys { dir: dir.to_owned() })
    }
}

const KEY_DIR: &str = "target/safe-demo-keys";

const USAGE: &str = "usage: safe                    (serve on a free port, call it, check the answers)
       safe --serve HOST:PORT  (serve until Ctrl-C or SIGTERM, for scripts/bench.sh)";

/// The server: client `demo` known by its public key, the server's private key for
/// encrypted requests.
fn app(keys: &DemoKeys) -> Result<App, Box<dyn std::error::Error>> {
    let settings = Settings::from_toml_str(&format!(
        "[safe]\nserver_private_key = {:?}\nclient_public_keys = {{ demo = {:?} }}\n",
        keys.path("server.pem").display().to_string(),
        keys.path("demo.pub.pem").display().to_string(),
    ))?;
    Ok(App::new(settings)
        .at("/ping", ping)
        .at("/plain_ping", plain_ping)
        .at("/echo", echo)
        .at("/decode_echo", decode_echo)
        .at("/login", login))
}

/// Writes `echo-body.json`: `{"msg": "benchmark message"}` encrypted for the server
/// (`{encryptedPassword, encryptedData}`), to be sent as is, many times, to
/// `POST /decode_echo`.
fn write_echo_body(keys: &DemoKeys) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let server_key = cipher::read_public_key(keys.path("server.pub.pem"))?;
    let key = cipher::random_key();
    let plaintext = serde_json::to_vec(&json!({"msg": "benchmark message"}))?;
    let body = json!({
        "encryptedPassword": cipher::encrypt_key(&server_key, &key)?,
        "encryptedData": cipher::seal(&key, &plaintext),
    });
    let path = keys.path("echo-body.json");
    std::fs::write(&path, serde_json::to_vec(&body)?)?;
    Ok(path)
}

/// Resolves at Ctrl-C (SIGINT) or, on Unix, SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `--serve HOST:PORT`: serve until Ctrl-C or SIGTERM.
async fn serve(addr: &str) -> Result<(), Box<dyn std::error::Error>> {
    let keys = DemoKeys::ensure(Path::new(KEY_DIR))?;
    let body = write_echo_body(&keys)?;
    println!("encrypted body for POST /decode_echo: {}", body.display());
    let endpoint = app(&keys)?.try_into_endpoint()?;
    let acceptor = TcpListener::bind(addr).into_acceptor().await?;
    let local = acceptor.local_addr()[0].to_string().replace("socket://", "");
    let server = tokio::spawn(Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(
        endpoint,
        shutdown_signal(),
        Some(Duration::from_secs(1)),
    ));

    // The body is sent as is (no `encrypt_requests`), twice: the answer must be the
    // message both times, not an error, or a benchmark would measure the error path.
    let sent: Value = serde_json::from_slice(&std::fs::read(&body)?)?;
    let client = ApiviewClient::new(format!("http://{local}"));
    for _ in 0..2 {
        let echoed: String = client.post_json("/decode_echo", &sent).await?;
        if echoed != "benchmark message" {
            return Err(format!("POST /decode_echo with {} answered {echoed:?}", body.display()).into());
        }
    }
    println!("checked: POST /decode_echo with that body answers \"benchmark message\", every time");
    println!(
        "safe server on http://{local} (/ping, /plain_ping, /echo, /decode_echo, /login); Ctrl-C or SIGTERM to stop"
    );
    server.await??;
    Ok(())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let keys = DemoKeys::ensure(Path::new(KEY_DIR))?;
    let endpoint = app(&keys)?.try_into_endpoint()?;
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await?;
    let addr = acceptor.local_addr()[0].to_string().replace("socket://", "");
    tokio::spawn(Server::new_with_acceptor(acceptor).run(endpoint));
    let base = format!("http://{addr}");
    println!("safe server on {base}");

    let client_key = cipher::read_private_key(keys.path("demo.pem"))?;
    let server_key = cipher::read_public_key(keys.path("server.pub.pem"))?;
    let client = ApiviewClient::new(&base)
        .safe("demo", client_key)
        .encrypt_requests(server_key.clone());

    let raw: Value = reqwest::get(format!("{base}/ping?clientId=demo"))
        .await?
        .json()
        .await?;
    println!("GET /ping on the wire:   {raw}");
    let pong: String = client.get("/ping", &()).await?;
    println!("GET /ping decrypted:     {pong:?}");
    if pong != "pong" || raw.get("encryptedData").is_none() {
        return Err("GET /ping: not an encrypted \"pong\"".into());
    }
    let echoed: String = client
        .post_json("/echo", &json!({"msg": "a secret message"}))
        .await?;
    println!("POST /echo (encrypted):  {echoed:?}");
    match client.post_json::<String>("/echo", &json!({"msg": "x"})).await {
        Err(ClientError::Business(err)) => println!("POST /echo too short:    business error {err}"),
        other => return Err(format!("POST /echo too short: expected StringTooShort, got {other:?}").into()),
    }
    // A request body as `ApiviewClient` signs it, captured and sent again: refused.
    let client_key = cipher::read_private_key(keys.path("demo.pem"))?;
    let captured = signed_body(&client_key, &server_key, "/echo", "replay me")?;
    let url = format!("{base}/echo?clientId=demo");
    let mut answers = Vec::new();
    for _ in 0..2 {
        let bytes = reqwest::Client::new()
            .post(&url)
            .json(&captured)
            .send()
            .await?
            .bytes()
            .await?;
        answers.push(SafePacker::for_client(client_key.clone()).unpack(&bytes, &UnpackContext::new()));
    }
    match (&answers[0], &answers[1]) {
        (Ok(first), Err(again)) if first == "replay me" && again.code() == 1001040013 => {
            println!("POST /echo replayed:     business error {again}")
        }
        other => {
            return Err(format!("a replayed POST /echo: expected ReqidDuplicateError, got {other:?}").into())
        }
    }
    let password = cipher::encrypt_key_bytes(&server_key, b"correct horse")?;
    let answer: Value = client
        .get("/login", &[("user", "ann"), ("password", password.as_str())])
        .await?;
    println!("GET /login (rsa_decrypt): {answer}");
    if echoed != "a secret message" || answer != json!({"user": "ann", "ok": true}) {
        return Err("the encrypted request or the decrypted password did not arrive intact".into());
    }
    let stranger = ApiviewClient::new(&base).safe("stranger", generate_private_key(2048)?);
    match stranger.get::<String>("/ping", &()).await {
        Err(ClientError::Business(err)) => println!("unknown client:          {err}"),
        other => return Err(format!("unknown client: expected AppAuthFailed, got {other:?}").into()),
    }
    Ok(())
}

/// `{"msg": msg}` as a safe client sends it to `POST path` (DESIGN §19): with the
/// client id, `ts` and a nonce inside, sealed for the server with the method and path
/// as associated data, and signed with the client's key.
fn signed_body(
    client_key: &rsa::RsaPrivateKey,
    server_key: &rsa::RsaPublicKey,
    path: &str,
    msg: &str,
) -> Result<Value, Box<dyn std::error::Error>> {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let nonce = cipher::random_key()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    let plaintext = serde_json::to_vec(&json!({"clientId": "demo", "ts": ts, "nonce": nonce, "msg": msg}))?;
    let key = cipher::random_key();
    let password = cipher::encrypt_key(server_key, &key)?;
    let data = cipher::seal_with_aad(&key, &plaintext, &cipher::request_aad("POST", path));
    let signature = cipher::sign_request(client_key, &password, &data);
    Ok(json!({"encryptedPassword": password, "encryptedData": data, "signature": signature}))
}

enum Mode {
    /// Serve on a free port, call the server, check the answers.
    Check,
    /// Serve on this address until stopped.
    Serve(String),
}

fn parse_args() -> Result<Mode, String> {
    let mut mode = Mode::Check;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--serve" => mode = Mode::Serve(args.next().ok_or("--serve needs HOST:PORT")?),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(mode)
}

#[tokio::main]
async fn main() -> ExitCode {
    let outcome = match parse_args() {
        Ok(Mode::Check) => run().await,
        Ok(Mode::Serve(addr)) => serve(&addr).await,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("safe example: {err}");
            ExitCode::FAILURE
        }
    }
}
