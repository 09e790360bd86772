//! How long RSA decryption takes per kind of input (RUSTSEC-2023-0071, "Marvin"):
//! valid ciphertexts next to ciphertexts with bad padding, blobs of the wrong length,
//! text that is not base64 and blobs above the modulus. SECURITY.md quotes its
//! figures.
//!
//! ```text
//! cargo run --release -p apiview-tools --bin marvin_timing
//! cargo run --release -p apiview-tools --bin marvin_timing -- --samples 1000 --http-samples 300 --bits 2048
//! ```
//!
//! Two sections:
//! - `cipher`: `cipher::rsa_decrypt` with PKCS#1 v1.5 allowed (what `#[rsa_decrypt]`
//!   runs with `safe.allow_pkcs1v15 = true`, the more exposed setting) and
//!   `cipher::decrypt_key` (the `encryptedPassword` of `decode_encrypted_data`),
//!   called directly: the work the server does, without network noise.
//! - `http`: the same blobs sent over loopback to an App with an `#[rsa_decrypt]`
//!   and a `#[decode_encrypted_data]` endpoint: what a client on the network sees,
//!   after the answer-time floor of the decryption phase (`apiview-core` `serve/decrypt.rs`).
//!
//! The classes are measured interleaved (one sample of each in turn, in a rotating
//! order), so a burst of load from elsewhere on the machine hits them all alike. For
//! each class: mean, median and standard deviation in microseconds, and the median's
//! difference and ratio to the first (valid) class. This is a program rather than an
//! `#[ignore]` test because its figures mean something only in a release build and
//! need reading, not asserting: on a shared machine a threshold would be flaky.

use std::time::{Duration, Instant};

use apiview::cipher;
use apiview::prelude::*;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use poem::listener::{Acceptor, Listener, TcpListener};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};
use serde_json::{json, Value};

/// `#[rsa_decrypt]`: true for the right password.
#[apiview]
#[allow_post]
#[rsa_decrypt(password)]
fn login(password: String) -> bool {
    password == "correct horse"
}

/// `#[decode_encrypted_data]`: the decrypted message.
#[apiview]
#[allow_post]
#[decode_encrypted_data]
fn echo(msg: String) -> String {
    msg
}

const USAGE: &str =
    "usage: marvin_timing [--samples N (400)] [--http-samples N (150)] [--bits BITS (2048)] [--no-http]";

struct Options {
    samples: usize,
    http_samples: usize,
    bits: usize,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        samples: 400,
        http_samples: 150,
        bits: 2048,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            args.next()
                .and_then(|value| value.parse().ok())
                .ok_or_else(|| format!("{name} takes a whole number\n{USAGE}"))
        };
        match arg.as_str() {
            "--samples" => options.samples = number("--samples")?,
            "--http-samples" => options.http_samples = number("--http-samples")?,
            "--bits" => options.bits = number("--bits")?,
            "--no-http" => options.http_samples = 0,
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(options)
}

/// One kind of input and what it is sent as.
struct Class {
    name: &'static str,
    input: String,
}

/// The base64 blobs of each class, for `key`.
fn rsa_classes(key: &RsaPrivateKey) -> Vec<Class> {
    let public = key.to_public_key();
    let size = key.size();
    let oaep = cipher::encrypt_key_bytes(&public, b"correct horse").expect("OAEP encryption");
    let raw = B64.decode(&oaep).expect("base64 of our own blob");
    let mut flipped = raw.clone();
    flipped[size / 2] ^= 0x40;
    let v15 = public
        .encrypt(&mut rand::rngs::OsRng, Pkcs1v15Encrypt, b"correct horse")
        .expect("PKCS#1 v1.5 encryption");
    vec![
        Class {
            name: "valid OAEP",
            input: oaep.clone(),
        },
        Class {
            name: "valid PKCS#1 v1.5",
            input: B64.encode(v15),
        },
        Class {
            name: "bad padding",
            input: B64.encode(&flipped),
        },
        Class {
            name: "wrong length (k-1)",
            input: B64.encode(&raw[..size - 1]),
        },
        Class {
            name: "not base64",
            input: format!("%{}", &oaep[1..]),
        },
        Class {
            name: "above the modulus",
            input: B64.encode(vec![0xff; size]),
        },
    ]
}

/// The `encryptedPassword` blobs of each class, for `key`.
fn key_classes(key: &RsaPrivateKey) -> Vec<Class> {
    let public = key.to_public_key();
    let size = key.size();
    let good = cipher::encrypt_key(&public, &cipher::random_key()).expect("OAEP encryption");
    let raw = B64.decode(&good).expect("base64 of our own blob");
    let mut flipped = raw.clone();
    flipped[size / 2] ^= 0x40;
    vec![
        Class {
            name: "valid 32-byte key",
            input: good,
        },
        Class {
            name: "valid OAEP, 16-byte key",
            input: cipher::encrypt_key_bytes(&public, &[7; 16]).expect("OAEP encryption"),
        },
        Class {
            name: "bad padding",
            input: B64.encode(&flipped),
        },
        Class {
            name: "wrong length (k-1)",
            input: B64.encode(&raw[..size - 1]),
        },
    ]
}

struct Stats {
    mean: f64,
    median: f64,
    stddev: f64,
}

fn stats(samples: &mut [Duration]) -> Stats {
    samples.sort_unstable();
    let micros: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e6).collect();
    let n = micros.len().max(1) as f64;
    let mean = micros.iter().sum::<f64>() / n;
    let variance = micros.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let median = match micros.len() {
        0 => 0.0,
        len if len % 2 == 1 => micros[len / 2],
        len => (micros[len / 2 - 1] + micros[len / 2]) / 2.0,
    };
    Stats {
        mean,
        median,
        stddev: variance.sqrt(),
    }
}

fn report(title: &str, classes: &[Class], samples: &mut [Vec<Duration>]) {
    println!("\n{title}");
    println!(
        "  {:<26} {:>6} {:>11} {:>11} {:>11} {:>13} {:>8}",
        "class", "n", "mean µs", "median µs", "stddev µs", "Δmedian µs", "ratio"
    );
    let all: Vec<Stats> = samples.iter_mut().map(|s| stats(s)).collect();
    let reference = all[0].median;
    for ((class, stat), taken) in classes.iter().zip(&all).zip(samples.iter()) {
        println!(
            "  {:<26} {:>6} {:>11.1} {:>11.1} {:>11.1} {:>+13.1} {:>8.3}",
            class.name,
            taken.len(),
            stat.mean,
            stat.median,
            stat.stddev,
            stat.median - reference,
            stat.median / reference
        );
    }
}

/// Times `run` on every class, `rounds` times, interleaved in a rotating order,
/// after a short warm-up.
fn measure(classes: &[Class], rounds: usize, mut run: impl FnMut(&str)) -> Vec<Vec<Duration>> {
    for class in classes {
        for _ in 0..3 {
            run(&class.input);
        }
    }
    let mut samples = vec![Vec::with_capacity(rounds); classes.len()];
    for round in 0..rounds {
        for step in 0..classes.len() {
            let index = (round + step) % classes.len();
            let started = Instant::now();
            run(&classes[index].input);
            samples[index].push(started.elapsed());
        }
    }
    samples
}

async fn measure_http(
    classes: &[Class],
    rounds: usize,
    send: impl Fn(&str) -> reqwest::RequestBuilder,
) -> Vec<Vec<Duration>> {
    let mut samples = vec![Vec::with_capacity(rounds); classes.len()];
    for round in 0..rounds + 3 {
        for step in 0..classes.len() {
            let index = (round + step) % classes.len();
            let started = Instant::now();
            let answer: Value = send(&classes[index].input)
                .send()
                .await
                .expect("an HTTP answer")
                .json()
                .await
                .expect("a JSON answer");
            let elapsed = started.elapsed();
            if round == 0 {
                println!("  {:<26} answers {answer}", classes[index].name);
            }
            if round >= 3 {
                samples[index].push(elapsed);
            }
        }
    }
    samples
}

async fn http(key: &RsaPrivateKey, options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::TempDir::new()?;
    let key_path = dir.path().join("server.pem");
    std::fs::write(&key_path, cipher::private_key_to_pem(key)?)?;
    let settings = Settings::from_toml_str(&format!(
        // PKCS#1 v1.5 opted in: the exposed configuration, both paddings tried.
        "[safe]\nserver_private_key = {:?}\nallow_pkcs1v15 = true\n",
        key_path.display().to_string()
    ))?;
    let app = App::new(settings).at("/login", login).at("/echo", echo);
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await?;
    let addr = acceptor.local_addr()[0]
        .as_socket_addr()
        .cloned()
        .ok_or("no socket address")?;
    let server = tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app.into_endpoint()));
    let client = reqwest::Client::new();

    println!("\nhttp: POST /login {{\"password\": <class>}} (#[rsa_decrypt]), loopback");
    let classes = rsa_classes(key);
    let url = format!("http://{addr}/login");
    let mut samples = measure_http(&classes, options.http_samples, |blob| {
        client.post(&url).json(&json!({"password": blob}))
    })
    .await;
    report("http #[rsa_decrypt] round trip", &classes, &mut samples);

    println!("\nhttp: POST /echo {{encryptedPassword: <class>, encryptedData}} (decode_encrypted_data)");
    let classes = key_classes(key);
    let url = format!("http://{addr}/echo");
    // encryptedData sealed under the key of the valid class: the other classes fail at
    // the RSA layer, the valid one opens and answers.
    let aes_key = cipher::decrypt_key(key, &classes[0].input)?;
    let data = cipher::seal(&aes_key, br#"{"msg":"hello"}"#);
    let mut samples = measure_http(&classes, options.http_samples, |password| {
        client
            .post(&url)
            .json(&json!({"encryptedPassword": password, "encryptedData": data}))
    })
    .await;
    report("http decode_encrypted_data round trip", &classes, &mut samples);
    server.abort();
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = options()?;
    println!(
        "generating a {}-bit key; {} samples per class (cipher), {} (http); build: {}",
        options.bits,
        options.samples,
        options.http_samples,
        if cfg!(debug_assertions) {
            "debug (figures meaningless: use --release)"
        } else {
            "release"
        }
    );
    let key = cipher::generate_private_key(options.bits)?;

    let classes = rsa_classes(&key);
    let mut samples = measure(&classes, options.samples, |blob| {
        let _ = std::hint::black_box(cipher::rsa_decrypt(
            &key,
            std::hint::black_box(blob),
            cipher::RsaPaddings::OaepOrPkcs1v15,
        ));
    });
    report("cipher::rsa_decrypt", &classes, &mut samples);

    let classes = key_classes(&key);
    let mut samples = measure(&classes, options.samples, |blob| {
        let _ = std::hint::black_box(cipher::decrypt_key(&key, std::hint::black_box(blob)));
    });
    report("cipher::decrypt_key", &classes, &mut samples);

    if options.http_samples > 0 {
        http(&key, &options).await?;
    }
    Ok(())
}
