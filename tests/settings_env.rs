//! `APIVIEW_*` environment overrides (DESIGN §7). Environment variables are
//! process-global, so this binary holds a single test that sets and clears them in
//! sequence.

mod common;

use std::io::Write;

use apiview::prelude::*;

#[apiview]
fn ping() -> &'static str {
    "pong"
}

#[apiview]
#[check_aclkey]
fn secure() -> &'static str {
    "ok"
}

const VARS: &[&str] = &[
    "APIVIEW_SETTINGS",
    "APIVIEW_PACKER",
    "APIVIEW_ACLKEY",
    "APIVIEW_BODY_LIMIT",
    "APIVIEW_CACHE__DEFAULT_EXPIRE",
    "APIVIEW_LANGUAGE",
    "APIVIEW_PAKCER",
    "APIVIEW_THROTTLE__TRUSTED_PROXIES",
    "APIVIEW_THROTTLE__DEFAULT_RATE",
    "APIVIEW_LIMITS__UPLOAD_DIR",
];

fn clear() {
    for var in VARS {
        std::env::remove_var(var);
    }
}

fn settings_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file.flush().unwrap();
    file
}

#[tokio::test]
async fn environment_overrides_settings() {
    clear();
    let file = settings_file("packer = 'dmrs'\naclkey = 'from-file'\n[cache]\ndefault_expire = 5\n");

    // No override: the file.
    let settings = Settings::from_file(file.path()).unwrap();
    assert_eq!(
        (settings.packer.as_str(), settings.aclkey.as_str()),
        ("dmrs", "from-file")
    );

    // Overrides win over the file, nested keys with `__`.
    std::env::set_var("APIVIEW_PACKER", "deetr");
    std::env::set_var("APIVIEW_ACLKEY", "from-env");
    std::env::set_var("APIVIEW_BODY_LIMIT", "1234");
    std::env::set_var("APIVIEW_CACHE__DEFAULT_EXPIRE", "60");
    let settings = Settings::from_file(file.path()).unwrap();
    assert_eq!(settings.packer, "deetr");
    assert_eq!(settings.aclkey, "from-env");
    assert_eq!(settings.body_limit, 1234);
    assert_eq!(settings.cache.default_expire, 60);

    // And without any file.
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::from_file(dir.path().join("absent.toml")).unwrap();
    assert_eq!(settings.packer, "deetr");

    // Over HTTP: the environment's packer and key.
    let app = App::from_settings_file(file.path())
        .unwrap()
        .at("/ping", ping)
        .at("/secure", secure);
    let server = common::serve(app).await;
    let answer = common::send(server.client.get(server.url("/ping"))).await;
    assert_eq!(answer.json["data"], "pong", "{}", answer.json);
    assert_eq!(answer.json["errcode"], 0, "{}", answer.json);
    assert_eq!(answer.json["reqid"], answer.request_id());
    let answer = common::send(server.client.get(server.url("/secure?aclkey=from-env"))).await;
    assert_eq!(answer.json["data"], "ok", "{}", answer.json);
    let answer = common::send(server.client.get(server.url("/secure?aclkey=from-file"))).await;
    assert_eq!(answer.json["errcode"], common::APP_AUTH_FAILED, "{}", answer.json);
    drop(server);

    // A bad value from the environment names the key.
    std::env::set_var("APIVIEW_LANGUAGE", "fr");
    let message = Settings::from_file(file.path())
        .expect_err("language fr")
        .to_string();
    assert!(message.to_lowercase().contains("language"), "{message}");
    std::env::remove_var("APIVIEW_LANGUAGE");

    // An unknown key from the environment is an error too, naming it.
    std::env::set_var("APIVIEW_PAKCER", "simple");
    let message = Settings::from_file(file.path())
        .expect_err("unknown key")
        .to_string();
    assert!(message.to_lowercase().contains("pakcer"), "{message}");
    std::env::remove_var("APIVIEW_PAKCER");

    // APIVIEW_SETTINGS names the file Settings::load reads.
    clear();
    std::env::set_var("APIVIEW_SETTINGS", file.path());
    let settings = Settings::load().unwrap();
    assert_eq!(settings.packer, "dmrs");
    assert_eq!(settings.cache.default_expire, 5);
    std::env::set_var("APIVIEW_PACKER", "simple");
    assert_eq!(Settings::load().unwrap().packer, "simple");

    // ... and must exist.
    std::env::set_var("APIVIEW_SETTINGS", dir.path().join("typo.toml"));
    let message = Settings::load().expect_err("a missing named file").to_string();
    assert!(message.contains("typo.toml"), "{message}");
    clear();

    // The keys of issues 14 and 15: a list of addresses, a rate, a folder.
    std::env::set_var("APIVIEW_THROTTLE__TRUSTED_PROXIES", "[10.0.0.0/8, \"::1\"]");
    std::env::set_var("APIVIEW_THROTTLE__DEFAULT_RATE", "100/m");
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("APIVIEW_LIMITS__UPLOAD_DIR", dir.path());
    let empty = settings_file("");
    let settings = Settings::from_file(empty.path()).unwrap();
    assert_eq!(settings.throttle.trusted_proxies, ["10.0.0.0/8", "::1"]);
    assert_eq!(settings.throttle.default_rate, "100/m");
    assert_eq!(settings.limits.upload_dir, dir.path().display().to_string());
    clear();
}
