//! The private PostgreSQL servers the database tests start (tests/common/postgres.rs):
//! reachable at their URL, stopped without a backend left behind, started again with
//! their data, and shared with a fresh database per test. psql talks to them: no Rust
//! client is among the dev-dependencies yet.

mod common;

use common::postgres::{psql, PostgresServer};

/// Runs `sql` on `url` with psql and returns what it printed (unaligned, no headers).
fn query(url: &str, sql: &str) -> String {
    let output = psql(url).args(["-c", sql]).output().expect("psql runs");
    assert!(
        output.status.success(),
        "psql -c {sql:?} on {url} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("psql prints UTF-8")
        .trim()
        .to_owned()
}

#[tokio::test]
async fn a_stopped_server_refuses_connections_and_starts_again_with_its_data() {
    let mut server = PostgresServer::start().await;
    assert_eq!(
        server.url(),
        format!("postgres://postgres@127.0.0.1:{}/apiview", server.port())
    );
    query(
        &server.url(),
        "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);
         INSERT INTO notes VALUES (1, 'kept');",
    );

    server.stop();
    let refused = psql(&server.url())
        .args(["-c", "SELECT 1"])
        .output()
        .expect("psql runs");
    assert!(!refused.status.success(), "psql reached a stopped server");

    server.start_again().await;
    assert_eq!(
        query(&server.url(), "SELECT body FROM notes WHERE id = 1"),
        "kept"
    );
}

#[tokio::test]
async fn stopping_leaves_no_backend_behind() {
    let mut server = PostgresServer::start().await;
    // A client in the middle of a query holds a backend.
    let mut client = psql(&server.url())
        .args(["-c", "SELECT pg_sleep(60)"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("psql runs");
    let backends = {
        let url = server.url();
        let mut backends = Vec::new();
        common::eventually(
            "the sleeping query's backend",
            std::time::Duration::from_secs(10),
            || {
                backends = query(
                    &url,
                    "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'",
                )
                .lines()
                .map(|pid| pid.parse::<u32>().expect("a pid"))
                .collect();
                std::future::ready(!backends.is_empty())
            },
        )
        .await;
        backends
    };
    let postmaster = server.pid();

    server.stop();
    for pid in backends.iter().chain([&postmaster]) {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "process {pid} outlived stop()"
        );
    }
    assert!(
        !client.wait().expect("psql ends").success(),
        "the query survived the stop"
    );
}

#[tokio::test]
async fn the_shared_server_gives_each_test_its_own_database() {
    let server = PostgresServer::shared().await;
    let first = server.new_database().await;
    let second = PostgresServer::shared().await.new_database().await;
    assert_ne!(first, second);
    query(&first, "CREATE TABLE only_here (id int)");
    assert_eq!(
        query(
            &second,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'"
        ),
        "0"
    );
    assert_eq!(
        query(
            &first,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'"
        ),
        "1"
    );
}
