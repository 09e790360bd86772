//! PostgreSQL stopped (or hung) in the middle of a run: every request that needs the database
//! answers a packed `DatabaseError` within the pool's acquire timeout (3 s), nothing
//! panics, what needs no database is still served, and once the server is back the
//! same App answers again without a restart.
//!
//! PostgreSQL only, on a server of its own (the shared one must stay up). SQLite has
//! no server to stop: its database is a file the process opens itself, and the nearest
//! equivalents (removing the file, taking its permissions away) do not reach
//! connections already open, nor a test run as root.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::Method;

use crate::common::postgres::PostgresServer;
use crate::common::{self, Answer};
use crate::site::*;

/// The pool's acquire timeout, and room for a busy machine.
const DOWN_WITHIN: Duration = Duration::from_secs(8);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_postgres_answers_database_error_then_recovers() {
    let mut postgres = PostgresServer::start().await;
    let site = Site::on(&postgres.url(), "").await;
    // A second App on the same database, answering with semantic statuses.
    let semantic = Site::on(&postgres.url(), "http_status = 'semantic'").await;
    let ann = site.register("ann").await;
    let first = site.create(&ann, &[("title", "before"), ("code", "x = 1")]).await;
    let path = snippet_path(&first);
    // The first page, now in the list cache.
    let cached = site.get("/snippets/").await;
    assert_eq!(ids_of(result(&cached)), [first["id"].as_i64().unwrap()]);

    postgres.stop();
    let started = Instant::now();
    let login_address = site.new_address();
    let requests = [
        common::send(site.anonymous(Method::GET, &path)),
        common::send(site.anonymous(Method::GET, &format!("{path}highlight/"))),
        common::send(site.anonymous(Method::GET, "/users/")),
        common::send(site.anonymous(Method::GET, "/snippets/?page=2")),
        common::send(
            site.as_user(&ann, Method::POST, "/snippets/")
                .form(&[("code", "lost")]),
        ),
        common::send(
            site.as_user(&ann, Method::PATCH, &path)
                .form(&[("title", "lost")]),
        ),
        common::send(site.as_user(&ann, Method::DELETE, &path)),
        common::send(
            site.from(&login_address, Method::POST, "/auth/login")
                .form(&[("username", "ann"), ("password", PASSWORD)]),
        ),
    ];
    let (answers, semantic_answer): (Vec<Answer>, Answer) =
        futures_util::future::join(join_all(requests), semantic.get(&path)).await;
    let elapsed = started.elapsed();
    for answer in &answers {
        assert_eq!(answer.json, common::err(DATABASE_ERROR, "System Error"));
        assert_eq!(answer.status, 200);
    }
    assert_eq!(semantic_answer.json, common::err(DATABASE_ERROR, "System Error"));
    assert_eq!(semantic_answer.status, 500);
    assert!(elapsed < DOWN_WITHIN, "the answers took {elapsed:?}");

    // What needs no database is still served: the cached page, the document.
    let still_cached = site.get("/snippets/").await;
    assert_eq!(result(&still_cached), result(&cached));
    let document = site
        .anonymous(Method::GET, "/apiview/openapi.json")
        .send()
        .await
        .unwrap();
    assert_eq!(document.status(), 200);
    let refused = site.get("/snippets/?page=0").await;
    assert_eq!(
        code(&refused),
        BAD_PARAMETER,
        "validation answers before the database"
    );

    postgres.start_again().await;
    common::eventually("the detail answers again", Duration::from_secs(15), || async {
        site.get(&path).await.json["success"] == true
    })
    .await;
    // The same App reads, writes and logs in again, with the data of before.
    assert_eq!(*result(&site.get(&path).await), first);
    let again = semantic.get(&path).await;
    assert_eq!(
        (again.status, &result(&again)["created"]),
        (200, &first["created"])
    );
    let second = site.create(&ann, &[("title", "after"), ("code", "y = 2")]).await;
    assert!(second["id"].as_i64() > first["id"].as_i64());
    let login = site.try_login(&login_address, "ann", PASSWORD).await;
    assert_eq!(login.json["success"], true);
    let list = site.get("/snippets/").await;
    assert_eq!(result(&list)["count"], 2, "nothing written while it was down");
    let deleted = site.send_form(Some(&ann), Method::DELETE, &path, &[]).await;
    assert_eq!(deleted.json, common::ok(serde_json::Value::Null));
}

/// PostgreSQL hung (every process stopped: connections accepted, nothing answered):
/// the pool's check of a connection before use waits no longer than the acquire
/// timeout, so requests answer `DatabaseError` in seconds and hold nothing open; once
/// it answers again, so does the App.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_postgres_answers_database_error_then_recovers() {
    let postgres = PostgresServer::start().await;
    let site = Site::on(&postgres.url(), "").await;
    let ann = site.register("ann").await;
    let first = site.create(&ann, &[("code", "x = 1")]).await;
    let path = snippet_path(&first);

    postgres.pause();
    let started = Instant::now();
    let requests = [
        common::send(site.anonymous(Method::GET, &path)),
        common::send(site.anonymous(Method::GET, "/users/")),
        common::send(
            site.as_user(&ann, Method::PATCH, &path)
                .form(&[("title", "lost")]),
        ),
    ];
    let answers = join_all(requests).await;
    let elapsed = started.elapsed();
    postgres.resume();
    for answer in &answers {
        assert_eq!(answer.json, common::err(DATABASE_ERROR, "System Error"));
    }
    assert!(elapsed < DOWN_WITHIN, "the answers took {elapsed:?}");

    common::eventually("the detail answers again", Duration::from_secs(15), || async {
        site.get(&path).await.json["success"] == true
    })
    .await;
    assert_eq!(result(&site.get(&path).await)["title"], first["title"]);
}
