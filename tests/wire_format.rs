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
