//! A server and a client talking over the safe packer.
//!
//! ```text
//! cargo run --example safe --features client
//! ```
//! At first start it generates throw-away RSA keys under `target/safe-demo-keys/`
//! (never commit keys like these as if they were real), serves safe-packed endpoints
//! on a free loopback port, and calls them with `ApiviewClient`: answers decrypted
//! with the client's private key, a request body encrypted for the server, a
//! password RSA-encrypted for `#[rsa_decrypt]`, and an unknown client refused.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use apiview::cipher::{self, generate_private_key, private_key_to_pem, public_key_to_pem};
use apiview::client::{ApiviewClient, ClientError};
use apiview::prelude::*;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::Server;
use serde_json::{json, Value};

/// Always returns "pong", encrypted for the caller.
#[apiview(packer = "safe")]
fn ping() -> &'static str {
    "pong"
}

/// Echo a message sent encrypted (`{encryptedPassword, encryptedData}`).
#[apiview(packer = "safe")]
#[allow_post]
#[string_length_limit(msg, min_length = 2, max_length = 4096)]
fn echo(msg: String) -> String {
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

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let keys = DemoKeys::ensure(Path::new("target/safe-demo-keys"))?;
    let settings = Settings::from_toml_str(&format!(
        "[safe]\nserver_private_key = {:?}\nclient_public_keys = {{ demo = {:?} }}\n",
        keys.path("server.pem").display().to_string(),
        keys.path("demo.pub.pem").display().to_string(),
    ))?;
    let app = App::new(settings)
        .at("/ping", ping)
        .at("/echo", echo)
        .at("/login", login);
    let endpoint = app.try_into_endpoint()?;
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

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("safe example: {err}");
            ExitCode::FAILURE
        }
    }
}
