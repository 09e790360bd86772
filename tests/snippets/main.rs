//! The snippets example (examples/snippets) over real HTTP, on SQLite and on PostgreSQL:
//! accounts, snippets and their uploads, validation, owner-only writes, pages walked to
//! the end, the two API versions, the list cache against deletes, concurrent writes,
//! throttling, semantic statuses, and a PostgreSQL server stopped mid-run.
//!
//! The example's modules are compiled into this binary (they name each other
//! `crate::routes`, `crate::storage`, ..), and each test builds the example's own App
//! with `app::app(app::settings(..), db)` on a fresh database: a SQLite file in a
//! temporary folder, or a new database on the binary's shared PostgreSQL server
//! (tests/common/postgres.rs). Every scenario is one `async fn(Backend)`, run once per
//! database by [`on_both_databases!`] as `<topic>::sqlite::<scenario>` and
//! `<topic>::postgres::<scenario>`.
//!
//! The example's unit tests (storage.rs, highlight.rs, passwords.rs) come along with its
//! modules and run here too.

#[path = "../common/mod.rs"]
mod common;

#[path = "../../examples/snippets/app.rs"]
mod app;
#[path = "../../examples/snippets/cpu.rs"]
mod cpu;
#[path = "../../examples/snippets/highlight.rs"]
mod highlight;
#[path = "../../examples/snippets/models.rs"]
mod models;
#[path = "../../examples/snippets/passwords.rs"]
mod passwords;
#[path = "../../examples/snippets/routes.rs"]
mod routes;
#[path = "../../examples/snippets/storage.rs"]
mod storage;

/// One `#[tokio::test]` per scenario and database: `sqlite::<scenario>` and
/// `postgres::<scenario>`, each calling `<scenario>(Backend::..)` of the module it is
/// written in.
macro_rules! on_both_databases {
    ($($scenario:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario($crate::site::Backend::Sqlite).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario($crate::site::Backend::Postgres).await;
                }
            )+
        }
    };
}

mod site;

mod accounts;
mod cache;
mod concurrency;
mod outage;
mod pages;
mod semantic;
mod snippets;
mod throttle;
mod versions;
