//! The README's test vector is what the code computes, so that a client written
//! from the README alone interoperates.

use apiview::cipher;

fn readme_value(label: &str) -> String {
    let readme = include_str!("../README.md");
    let section = &readme[readme
        .find("### Test vector")
        .expect("the README has a test vector")..];
    section
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .unwrap_or_else(|| panic!("the README's test vector has no `{label}` line"))
        .trim()
        .to_owned()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn the_readme_test_vector_is_what_the_code_computes() {
    let key: [u8; 32] = unhex(&readme_value("key:")).try_into().unwrap();
    let nonce: [u8; 12] = unhex(&readme_value("nonce:")).try_into().unwrap();
    let plaintext = readme_value("plaintext:");
    let sealed = cipher::seal_with_nonce(&key, &nonce, plaintext.as_bytes());
    assert_eq!(sealed, readme_value("encryptedData:"));
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD.decode(&sealed).unwrap();
    assert_eq!(raw, unhex(&readme_value("sealed (hex):")));
    assert_eq!(raw.len(), 12 + plaintext.len() + 16);
    assert_eq!(cipher::open(&key, &sealed).unwrap(), plaintext.as_bytes());
}

/// The README's vector of a request to a safe endpoint (DESIGN §19): the AES-GCM
/// step with the method and path as associated data, and a signature that verifies
/// with the README's client key over `encryptedPassword.encryptedData`.
#[test]
fn the_readme_signed_request_vector_is_what_the_code_computes_and_verifies() {
    use base64::Engine;
    let key: [u8; 32] = unhex(&readme_value("request key:")).try_into().unwrap();
    let nonce: [u8; 12] = unhex(&readme_value("request nonce:")).try_into().unwrap();
    let aad = readme_value("request aad:");
    assert_eq!(aad.as_bytes(), cipher::request_aad("POST", "/echo"));
    let plaintext = readme_value("request plaintext:");
    let data = cipher::seal_with_nonce_and_aad(&key, &nonce, plaintext.as_bytes(), aad.as_bytes());
    assert_eq!(data, readme_value("request encryptedData:"));
    assert_eq!(
        cipher::open_with_aad(&key, &data, aad.as_bytes()).unwrap(),
        plaintext.as_bytes()
    );
    assert!(
        cipher::open(&key, &data).is_err(),
        "opens without its associated data"
    );
    let inside: serde_json::Value = serde_json::from_str(&plaintext).unwrap();
    assert_eq!(
        (inside["clientId"].as_str(), inside["ts"].is_i64()),
        (Some("demo"), true)
    );

    let der = base64::engine::general_purpose::STANDARD
        .decode(readme_value("client public key:"))
        .unwrap();
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect();
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    );
    let client = cipher::public_key_from_pem(&pem).unwrap();
    let password = readme_value("request encryptedPassword:");
    let signature = readme_value("request signature:");
    cipher::verify_request(&client, &password, &data, &signature).unwrap();
    assert!(cipher::verify_request(&client, &password, &data[1..], &signature).is_err());
}
