//! An independent implementation: a Python client written from the README's wire
//! format reads a safe answer and sends bodies the server decrypts.

use super::*;

/// The Python to run: `$CRYPTO_TEST_PYTHON` (scripts/test.sh points it at its venv,
/// where `cryptography` is installed), else `python3`.
fn python() -> String {
    std::env::var("CRYPTO_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

fn python_with_cryptography() -> bool {
    std::process::Command::new(python())
        .args(["-c", "import cryptography.hazmat.primitives.ciphers.aead"])
        .output()
        .is_ok_and(|output| output.status.success())
}

const PYTHON_PEER: &str = r#"
import base64, json, os, sys, time
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

client_pem, server_pub_pem, answer_file = sys.argv[1:4]
oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
client = serialization.load_pem_private_key(open(client_pem, "rb").read(), password=None)
answer = json.load(open(answer_file))
key = client.decrypt(base64.b64decode(answer["encryptedPassword"]), oaep)
sealed = base64.b64decode(answer["encryptedData"])
print(AESGCM(key).decrypt(sealed[:12], sealed[12:], None).decode("utf-8"))

server = serialization.load_pem_public_key(open(server_pub_pem, "rb").read())
key, nonce = AESGCM.generate_key(bit_length=256), os.urandom(12)
plaintext = json.dumps({"msg": "from py", "note": "密"}).encode("utf-8")
print(json.dumps({
    "encryptedPassword": base64.b64encode(server.encrypt(key, oaep)).decode(),
    "encryptedData": base64.b64encode(nonce + AESGCM(key).encrypt(nonce, plaintext, None)).decode(),
}))

# A request to a safe endpoint: client id, ts and nonce inside; "POST /safe_echo" as
# associated data; signed with RSA-PSS-SHA256 (MGF1-SHA256, 32-byte salt).
key, nonce = AESGCM.generate_key(bit_length=256), os.urandom(12)
plaintext = json.dumps({
    "clientId": "alice", "ts": int(time.time()), "nonce": os.urandom(16).hex(), "msg": "签名",
}).encode("utf-8")
password = base64.b64encode(server.encrypt(key, oaep)).decode()
data = base64.b64encode(nonce + AESGCM(key).encrypt(nonce, plaintext, b"POST /safe_echo")).decode()
pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
signature = client.sign((password + "." + data).encode("ascii"), pss, hashes.SHA256())
print(json.dumps({
    "encryptedPassword": password, "encryptedData": data, "signature": base64.b64encode(signature).decode(),
}))
"#;

/// The README's wire format, implemented with Python's `cryptography`: it reads a
/// safe answer and writes a body the server decrypts. Under scripts/test.sh
/// (`CRYPTO_TEST_PYTHON` set) it always runs; a bare `cargo test` without the
/// `cryptography` package skips it, saying so.
#[tokio::test]
async fn a_python_client_written_from_the_readme_interoperates() {
    if !python_with_cryptography() {
        assert!(
            std::env::var_os("CRYPTO_TEST_PYTHON").is_none(),
            "CRYPTO_TEST_PYTHON={} has no `cryptography` package",
            python()
        );
        eprintln!(
            "skipped: python3 with the `cryptography` package is not available (scripts/test.sh installs it)"
        );
        return;
    }
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    std::fs::write(
        files.path("server.pub.pem"),
        cipher::public_key_to_pem(&server_public()).unwrap(),
    )
    .unwrap();
    let answer = post_json(&server, "/safe_echo?clientId=alice", &json!({"msg": "你好"})).await;
    std::fs::write(files.path("answer.json"), answer.json.to_string()).unwrap();

    let output = std::process::Command::new(python())
        .arg("-c")
        .arg(PYTHON_PEER)
        .arg(files.path("alice.pem"))
        .arg(files.path("server.pub.pem"))
        .arg(files.path("answer.json"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let mut lines = stdout.lines();
    let envelope: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(envelope, ok(json!({"msg": "你好", "extra": null})));
    let body: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(
        post_json(&server, "/decode_echo", &body).await.json,
        ok(json!({"msg": "from py", "extra": null, "note": "密"}))
    );
    let signed: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let answer = post_json(&server, "/safe_echo?clientId=alice", &signed).await;
    assert_eq!(
        open_answer(&keys().alice, &answer.json),
        ok(json!({"msg": "签名", "extra": null}))
    );
    let answer = post_json(&server, "/safe_echo?clientId=alice", &signed).await;
    assert_eq!(
        open_answer(&keys().alice, &answer.json),
        err(REQID_DUPLICATE, "Reqid duplicate error."),
        "replayed"
    );
}
