//! Start-up errors: missing or bad key files, the safe packer without client keys,
//! decryption without a server key, bad `[safe]` settings; each names the key, the
//! file or the endpoint.

use super::*;

#[test]
fn a_missing_or_bad_server_key_file_stops_start_up_naming_key_and_file() {
    let files = KeyFiles::new();
    for file in ["no-such-file.pem", "not-a-key.pem", "alice.pub.pem"] {
        let settings = files.settings("", Some(file), &[("alice", "alice.pub.pem")], "");
        let message = startup_error(App::new(settings).at("/ping", ping));
        assert_names(&message, &["safe.server_private_key", &files.path(file)]);
    }
    // Even an App that does not use the key refuses a bad one.
    let settings = files.settings("", Some("not-a-key.pem"), &[], "");
    let message = startup_error(App::new(settings).at("/plain_ping", plain_ping));
    assert_names(
        &message,
        &["safe.server_private_key", &files.path("not-a-key.pem")],
    );
}

#[test]
fn a_missing_or_bad_client_key_file_stops_start_up_naming_key_and_file() {
    let files = KeyFiles::new();
    for file in ["no-such-file.pub.pem", "not-a-key.pem", "alice.pem"] {
        let settings = files.settings(
            "",
            Some("server.pem"),
            &[("alice", "alice.pub.pem"), ("carol", file)],
            "",
        );
        let message = startup_error(App::new(settings).at("/ping", ping));
        assert_names(&message, &["safe.client_public_keys.carol", &files.path(file)]);
    }
}

#[test]
fn a_settings_file_with_a_missing_key_file_names_key_and_file() {
    let files = KeyFiles::new();
    let settings_path = files.dir.path().join("apiview.toml");
    std::fs::write(
        &settings_path,
        files.toml("", Some("gone.pem"), &[("alice", "alice.pub.pem")], ""),
    )
    .unwrap();
    let app = App::from_settings_file(&settings_path).unwrap();
    let message = startup_error(app.at("/ping", ping));
    assert_names(&message, &["safe.server_private_key", &files.path("gone.pem")]);
}

#[test]
fn the_safe_packer_without_client_keys_stops_start_up() {
    let files = KeyFiles::new();
    // Globally.
    let message = startup_error(
        App::new(files.settings("packer = \"safe\"", Some("server.pem"), &[], ""))
            .at("/plain_ping", plain_ping),
    );
    assert_names(&message, &["packer", "safe", "client_public_keys"]);
    // On an endpoint.
    let message = startup_error(App::new(files.settings("", Some("server.pem"), &[], "")).at("/ping", ping));
    assert_names(&message, &["ping", "safe", "client_public_keys"]);
}

#[test]
fn decryption_without_a_server_key_stops_start_up_naming_the_endpoint() {
    let files = KeyFiles::new();
    let no_server_key = || files.settings("", None, &[("alice", "alice.pub.pem")], "");
    let message = startup_error(App::new(no_server_key()).at("/decode_echo", decode_echo));
    assert_names(&message, &["decode_echo", "safe.server_private_key"]);
    let message = startup_error(App::new(no_server_key()).at("/login", login));
    assert_names(&message, &["login", "safe.server_private_key"]);
    let message = startup_error(App::new(no_server_key()).at("/login_optional", login_optional));
    assert_names(&message, &["login_optional", "safe.server_private_key"]);
    // A safe endpoint without a server key is fine: it just does not decrypt.
    assert!(App::new(no_server_key())
        .at("/ping", ping)
        .try_into_endpoint()
        .is_ok());
}

#[test]
fn rsa_decrypt_with_a_missing_key_file_stops_start_up_naming_endpoint_and_file() {
    let message = startup_error(App::new(Settings::default()).at("/login_missing_key", login_missing_key));
    assert_names(
        &message,
        &["login_missing_key", "target/apiview-test-keys/no-such-key.pem"],
    );
}

#[test]
fn bad_safe_settings_are_refused_naming_the_key() {
    for (toml, key) in [
        ("[safe]\nclient_id_field = \"\"", "safe.client_id_field"),
        ("[safe]\nkey_reuse_answers = 0", "safe.key_reuse_answers"),
        ("[safe]\nserver_key = \"x.pem\"", "server_key"),
        ("[safe]\nkey_reuse_seconds = \"soon\"", "key_reuse_seconds"),
    ] {
        match Settings::from_toml_str(toml) {
            Ok(_) => panic!("settings {toml:?} were accepted"),
            Err(err) => assert_names(&err.to_string(), &[key]),
        }
    }
}
