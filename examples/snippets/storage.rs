//! Users and snippets in SQLite or PostgreSQL, through one code path: sqlx's `Any`
//! driver, with the same SQL text for both (`$1` placeholders, which sqlx's SQLite
//! driver binds by number). Only the schema differs, in `migrations/sqlite` and
//! `migrations/postgres`; [`Db::connect`] runs the one the URL's scheme names.
//!
//! Every query is built at run time (`sqlx::query`, never `query!`), so building
//! needs no database.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{AnyConnection, AnyPool, Connection, Row};

use crate::models::{NewSnippet, Snippet, User};

/// The schema, per database. `migrate!` embeds the files at build time, from paths
/// relative to the package's Cargo.toml. An edited migration is rebuilt, but a new file
/// is not noticed (cargo watches the files, not the folders): after adding one,
/// `touch examples/snippets/storage.rs`.
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("examples/snippets/migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("examples/snippets/migrations/postgres");

/// Connections a pool opens at most. SQLite writes one transaction at a time whatever
/// the number; the others read, or wait for the write lock.
const MAX_CONNECTIONS: u32 = 8;

/// How long a call waits for a connection, opening one included, before it fails with
/// `sqlx::Error::PoolTimedOut`: a database that is down makes requests fail in
/// seconds instead of hanging.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// How long one call may take, its statements and transaction included, before it
/// fails: a query already sent when the database hangs (or the network goes silent)
/// would otherwise wait for ever, holding its request and its connection.
const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// `work`, or a `TimedOut` error after `limit`. A call cut short drops its connection
/// mid-statement; the pool tests connections before handing them out again.
async fn timed<T>(
    limit: Duration,
    work: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    match tokio::time::timeout(limit, work).await {
        Ok(done) => done,
        Err(_) => Err(sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("the database did not answer within {limit:?}"),
        ))),
    }
}

/// Run on every new SQLite connection (these settings belong to the connection, not
/// the file). `busy_timeout` makes a writer wait for another's lock instead of
/// failing at once with "database is locked"; sqlx sets it and `foreign_keys` by
/// default, but the snippets service relies on both, so they are said here.
/// `synchronous = NORMAL` is the usual choice with WAL: a commit is not synced to
/// disk at once (a power cut may lose the last ones), the database is never corrupt.
const SQLITE_CONNECTION_PRAGMAS: [&str; 3] = [
    "PRAGMA busy_timeout = 5000",
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = NORMAL",
];

/// The snippet of id `$1`, with its owner's name.
const SNIPPET_BY_ID: &str = "SELECT s.id, s.owner_id, u.username AS owner, s.title, s.code, s.linenos, \
     s.language, s.style, s.highlighted, s.created \
     FROM snippets AS s JOIN users AS u ON u.id = s.owner_id WHERE s.id = $1";

/// The database a [`Db`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `sqlite:` URLs.
    Sqlite,
    /// `postgres:` and `postgresql:` URLs.
    Postgres,
}

impl Kind {
    /// The database `url` names, by its scheme.
    fn of(url: &str) -> Result<Kind, sqlx::Error> {
        if url.starts_with("sqlite:") {
            Ok(Kind::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Kind::Postgres)
        } else {
            // The scheme only: the rest of a URL may hold a password.
            let scheme = url.split(':').next().unwrap_or_default();
            Err(sqlx::Error::Configuration(
                format!("unsupported database URL scheme {scheme:?}: expected sqlite: or postgres:").into(),
            ))
        }
    }
}

/// A pool of connections to the snippets database. Cloning it is cheap and shares the
/// pool.
///
/// Every call takes a connection from the pool for the time of its statements; a
/// connection is tested before it is handed out, so one broken by a database restart
/// is replaced, and calls work again once the database is back.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    kind: Kind,
}

impl Db {
    /// Connects to `url` and brings its schema up to date.
    ///
    /// `sqlite://snippets.db`, `sqlite:snippets.db` or `sqlite:///abs/path.db` open
    /// the file, creating it when missing (unless the URL names its own `mode=`), and
    /// switch it to WAL journaling, so that readers and a writer work at once. An
    /// in-memory database (`sqlite::memory:`) is refused: each pooled connection would
    /// have its own.
    /// `postgres://user:password@host:port/database` connects to PostgreSQL.
    ///
    /// Fails when the scheme is neither, the database can't be reached, or a migration
    /// fails (or was changed after it ran).
    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let kind = Kind::of(url)?;
        let options = AnyPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(true);
        let (pool, migrations) = match kind {
            Kind::Sqlite => {
                let url = create_if_missing(url);
                enable_wal(&url).await?;
                let options = options.after_connect(|conn, _meta| {
                    Box::pin(async move {
                        for pragma in SQLITE_CONNECTION_PRAGMAS {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                        Ok(())
                    })
                });
                (options.connect(&url).await?, &SQLITE_MIGRATIONS)
            }
            Kind::Postgres => (options.connect(url).await?, &POSTGRES_MIGRATIONS),
        };
        migrations.run(&pool).await?;
        Ok(Db { pool, kind })
    }

    /// A pool of `url` that connects on first use and migrates nothing: for a program
    /// that never queries, such as one printing the OpenAPI document. It creates no
    /// SQLite file.
    #[allow(dead_code)] // Not every program that compiles this module needs it.
    pub fn unconnected(url: &str) -> Result<Db, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let kind = Kind::of(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy(url)?;
        Ok(Db { pool, kind })
    }

    /// Which database this is.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Registers a user; `None` when `username` is taken. Two concurrent calls with one
    /// name register it once: the database's unique index decides.
    pub async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<Option<User>, sqlx::Error> {
        timed(QUERY_TIMEOUT, async {
            let row = sqlx::query(
                "INSERT INTO users (username, password_hash, created) VALUES ($1, $2, $3) \
                 ON CONFLICT (username) DO NOTHING RETURNING id, username",
            )
            .bind(username)
            .bind(password_hash)
            .bind(now_millis())
            .fetch_optional(&self.pool)
            .await?;
            row.as_ref().map(user_from_row).transpose()
        })
        .await
    }

    /// The user called `username` and their password hash, to check a login against.
    pub async fn user_login(&self, username: &str) -> Result<Option<(User, String)>, sqlx::Error> {
        timed(QUERY_TIMEOUT, async {
            let row = sqlx::query("SELECT id, username, password_hash FROM users WHERE username = $1")
                .bind(username)
                .fetch_optional(&self.pool)
                .await?;
            match row {
                Some(row) => Ok(Some((user_from_row(&row)?, row.try_get("password_hash")?))),
                None => Ok(None),
            }
        })
        .await
    }

    /// The user of id `id`.
    pub async fn user(&self, id: i64) -> Result<Option<User>, sqlx::Error> {
        timed(QUERY_TIMEOUT, async {
            let row = sqlx::query("SELECT id, username FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
            row.as_ref().map(user_from_row).transpose()
        })
        .await
    }

    /// At most `limit` users after the first `offset`, in id order, and how many users
    /// there are. Both come from one statement, so they agree.
    pub async fn users(&self, offset: u64, limit: u64) -> Result<(Vec<User>, u64), sqlx::Error> {
        timed(QUERY_TIMEOUT, async {
            // The count is the left side of an outer join, so that a page past the end
            // still answers one row: the count, with NULLs for the user.
            let rows = sqlx::query(
                "SELECT total.n AS total, page.id, page.username \
                 FROM (SELECT COUNT(*) AS n FROM users) AS total \
                 LEFT JOIN (SELECT id, username FROM users ORDER BY id LIMIT $1 OFFSET $2) AS page ON TRUE \
                 ORDER BY page.id",
            )
            .bind(to_i64(limit))
            .bind(to_i64(offset))
            .fetch_all(&self.pool)
            .await?;
            page_of(&rows, user_from_row)
        })
        .await
    }

    /// Stores a snippet of `owner_id` (an existing user: otherwise the foreign key
    /// fails the call) with its `highlighted` page, and answers it as stored.
    pub async fn create_snippet(
        &self,
        owner_id: i64,
        snippet: &NewSnippet,
        highlighted: &str,
    ) -> Result<Snippet, sqlx::Error> {
        timed(QUERY_TIMEOUT, async {
            // One transaction, so that the snippet read back is the one inserted, whatever
            // another connection does meanwhile. It writes first, so SQLite takes the
            // write lock (or waits for it) at once, before reading.
            let mut tx = self.pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO snippets (owner_id, title, code, linenos, language, style, highlighted, created) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(owner_id)
            .bind(&snippet.title)
            .bind(&snippet.code)
            .bind(snippet.linenos)
            .bind(&snippet.language)
            .bind(&snippet.style)
            .bind(highlighted)
            .bind(now_millis())
            .fetch_one(&mut *tx)
            .await?;
            let row = sqlx::query(SNIPPET_BY_ID).bind(id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            snippet_from_row(&row)
        })
        .await
    }

    /// The snippet of id `id`.
    pub async fn snippet(&self, id: i64) -> Result<Option<Snippet>, sqlx::Error> {
        timed(QUERY_TIMEOUT, async {
            let row = sqlx::query(SNIPPET_BY_ID)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
            row.as_ref().map(snippet_from_row).transpose()
        })
        .await
    }

    /// At most `limit` snippets after the first `offset`, in id order, of `owner` or of
    /// everyone, and how many there are. Both come from one statement, so they agree.
    pub async fn snippets(
        &self,
        owner: Option<i64>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Snippet>, u64), sqlx::Error> {
        timed(QUERY_TIMEOUT, async {
            // As in `users`: the count left-joined with the page.
            let rows = sqlx::query(
                "SELECT total.n AS total, page.* \
                 FROM (SELECT COUNT(*) AS n FROM snippets WHERE $1 IS NULL OR owner_id = $1) AS total \
                 LEFT JOIN ( \
                     SELECT s.id, s.owner_id, u.username AS owner, s.title, s.code, s.linenos, \
                         s.language, s.style, s.highlighted, s.created \
                     FROM snippets AS s JOIN users AS u ON u.id = s.owner_id \
                     WHERE $1 IS NULL OR s.owner_id = $1 \
                     ORDER BY s.id LIMIT $2 OFFSET $3 \
                 ) AS page ON TRUE \
                 ORDER BY page.id",
            )
            .bind(owner)
            .bind(to_i64(limit))
            .bind(to_i64(offset))
            .fetch_all(&self.pool)
            .await?;
            page_of(&rows, snippet_from_row)
        })
        .await
    }

    /// The owner's id of the snippet of id `id`, to check a permission cheaply.
    pub async fn snippet_owner(&self, id: i64) -> Result<Option<i64>, sqlx::Error> {
        timed(QUERY_TIMEOUT, async {
            sqlx::query_scalar("SELECT owner_id FROM snippets WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
        })
        .await
    }

    /// Replaces the snippet of id `id` (its owner and creation time stay) and answers it
    /// as stored; `None` when there is no such snippet.
    pub async fn update_snippet(
        &self,
        id: i64,
        snippet: &NewSnippet,
        highlighted: &str,
    ) -> Result<Option<Snippet>, sqlx::Error> {
        self.update(id, snippet, highlighted, None).await
    }

    /// As [`Db::update_snippet`], only if the snippet's fields are still `read`: a
    /// partial update computed from what it read must not overwrite a change made
    /// since (it would lose it). `None` when the snippet is gone or changed: read it
    /// again and retry.
    pub async fn update_snippet_if_unchanged(
        &self,
        id: i64,
        read: &NewSnippet,
        snippet: &NewSnippet,
        highlighted: &str,
    ) -> Result<Option<Snippet>, sqlx::Error> {
        self.update(id, snippet, highlighted, Some(read)).await
    }

    async fn update(
        &self,
        id: i64,
        snippet: &NewSnippet,
        highlighted: &str,
        read: Option<&NewSnippet>,
    ) -> Result<Option<Snippet>, sqlx::Error> {
        timed(QUERY_TIMEOUT, async {
            // Writes first, in one transaction, as `create_snippet`.
            let mut tx = self.pool.begin().await?;
            let sql = match read {
                None => {
                    "UPDATE snippets SET title = $1, code = $2, linenos = $3, language = $4, style = $5, \
                     highlighted = $6 WHERE id = $7"
                }
                Some(_) => {
                    "UPDATE snippets SET title = $1, code = $2, linenos = $3, language = $4, style = $5, \
                     highlighted = $6 WHERE id = $7 \
                     AND title = $8 AND code = $9 AND linenos = $10 AND language = $11 AND style = $12"
                }
            };
            let mut update = sqlx::query(sql)
                .bind(&snippet.title)
                .bind(&snippet.code)
                .bind(snippet.linenos)
                .bind(&snippet.language)
                .bind(&snippet.style)
                .bind(highlighted)
                .bind(id);
            if let Some(read) = read {
                update = update
                    .bind(&read.title)
                    .bind(&read.code)
                    .bind(read.linenos)
                    .bind(&read.language)
                    .bind(&read.style);
            }
            let updated = update.execute(&mut *tx).await?;
            if updated.rows_affected() == 0 {
                return Ok(None);
            }
            let row = sqlx::query(SNIPPET_BY_ID).bind(id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            snippet_from_row(&row).map(Some)
        })
        .await
    }

    /// Deletes the snippet of id `id`; `false` when there was none.
    pub async fn delete_snippet(&self, id: i64) -> Result<bool, sqlx::Error> {
        timed(QUERY_TIMEOUT, async {
            let deleted = sqlx::query("DELETE FROM snippets WHERE id = $1")
                .bind(id)
                .execute(&self.pool)
                .await?;
            Ok(deleted.rows_affected() > 0)
        })
        .await
    }
}

/// `url` with `mode=rwc` (read, write, create) unless it names a mode: sqlx opens
/// only an existing SQLite file by default.
fn create_if_missing(url: &str) -> String {
    match url.split_once('?') {
        Some((_, query)) if query.split('&').any(|pair| pair.starts_with("mode=")) => url.to_owned(),
        Some(_) => format!("{url}&mode=rwc"),
        None => format!("{url}?mode=rwc"),
    }
}

/// Switches the SQLite database at `url` to WAL journaling, once, before the pool opens
/// more connections. The mode is kept in the file; switching needs an exclusive lock,
/// which `busy_timeout` is not sure to wait for (sqlx's own note on `journal_mode`), so
/// it is not done on each new connection while others may be writing.
async fn enable_wal(url: &str) -> Result<(), sqlx::Error> {
    let mut conn = AnyConnection::connect(url).await?;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode = WAL")
        .fetch_one(&mut conn)
        .await?;
    conn.close().await?;
    if mode.eq_ignore_ascii_case("wal") {
        Ok(())
    } else {
        Err(sqlx::Error::Configuration(
            format!("SQLite database {url:?} stays in journal mode {mode:?}, not WAL").into(),
        ))
    }
}

fn user_from_row(row: &AnyRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
    })
}

fn snippet_from_row(row: &AnyRow) -> Result<Snippet, sqlx::Error> {
    Ok(Snippet {
        id: row.try_get("id")?,
        owner_id: row.try_get("owner_id")?,
        owner: row.try_get("owner")?,
        title: row.try_get("title")?,
        code: row.try_get("code")?,
        linenos: bool_column(row, "linenos")?,
        language: row.try_get("language")?,
        style: row.try_get("style")?,
        highlighted: row.try_get("highlighted")?,
        created: row.try_get("created")?,
    })
}

/// A boolean column: PostgreSQL's BOOLEAN, or SQLite's 0 or 1, which the `Any` driver
/// answers as an integer (SQLite has no boolean type).
fn bool_column(row: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    row.try_get::<bool, _>(column)
        .or_else(|_| row.try_get::<i64, _>(column).map(|value| value != 0))
}

/// The items and the count of a page query: the `total` column, which every row
/// carries and at least one row (the count's) always has, and an item of each row
/// with an `id` (a page past the end is the count's row alone, its `id` NULL).
fn page_of<T>(
    rows: &[AnyRow],
    item: fn(&AnyRow) -> Result<T, sqlx::Error>,
) -> Result<(Vec<T>, u64), sqlx::Error> {
    let total: i64 = match rows.first() {
        Some(row) => row.try_get("total")?,
        None => 0,
    };
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        if row.try_get::<Option<i64>, _>("id")?.is_some() {
            items.push(item(row)?);
        }
    }
    Ok((items, u64::try_from(total).unwrap_or(0)))
}

/// An offset or limit as SQL wants it; past `i64::MAX` is as good as `i64::MAX`.
fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn now_millis() -> i64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Instant;

    use super::*;

    /// A database for one test, and what to clean up after it.
    struct TestDb {
        db: Db,
        /// The SQLite file's folder, removed when dropped.
        _folder: Option<tempfile::TempDir>,
        /// The PostgreSQL schema the test's tables live in, and the URL to drop it with.
        schema: Option<(String, String)>,
    }

    impl TestDb {
        async fn finish(self) {
            self.db.pool.close().await;
            if let Some((schema, url)) = self.schema {
                let mut conn = AnyConnection::connect(&url).await.expect("connect to PostgreSQL");
                sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                    .execute(&mut conn)
                    .await
                    .expect("drop");
            }
        }
    }

    /// A fresh SQLite database, and a fresh PostgreSQL schema when
    /// `SNIPPETS_TEST_POSTGRES_URL` names a server.
    async fn databases() -> Vec<TestDb> {
        static SCHEMAS: AtomicU32 = AtomicU32::new(0);
        let folder = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", folder.path().join("snippets.db").display());
        let mut databases = vec![TestDb {
            db: Db::connect(&url).await.expect("SQLite"),
            _folder: Some(folder),
            schema: None,
        }];
        if let Ok(url) = std::env::var("SNIPPETS_TEST_POSTGRES_URL") {
            sqlx::any::install_default_drivers();
            let schema = format!(
                "snippets_test_{}_{}",
                std::process::id(),
                SCHEMAS.fetch_add(1, Ordering::Relaxed)
            );
            let mut conn = AnyConnection::connect(&url).await.expect("connect to PostgreSQL");
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&mut conn)
                .await
                .expect("schema");
            let separator = if url.contains('?') { '&' } else { '?' };
            let scoped = format!("{url}{separator}options[search_path]={schema}");
            databases.push(TestDb {
                db: Db::connect(&scoped).await.expect("PostgreSQL"),
                _folder: None,
                schema: Some((schema, url)),
            });
        }
        databases
    }

    fn new_snippet(title: &str, linenos: bool) -> NewSnippet {
        NewSnippet {
            title: title.to_owned(),
            code: "print('hi')\n".to_owned(),
            linenos,
            language: "python".to_owned(),
            style: "InspiredGitHub".to_owned(),
        }
    }

    /// Printing the document must not leave a database behind: an unconnected pool
    /// creates no SQLite file.
    #[tokio::test]
    async fn an_unconnected_pool_creates_no_file() {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("never.db");
        let db = Db::unconnected(&format!("sqlite://{}", file.display())).unwrap();
        assert_eq!(db.kind(), Kind::Sqlite);
        assert!(!file.exists());
        assert!(Db::unconnected("mysql://x").is_err());
    }

    /// A call that never ends (a query sent to a database that then hung) fails after
    /// the limit, as a timeout, instead of waiting for ever.
    #[tokio::test]
    async fn a_call_that_never_ends_times_out() {
        let started = Instant::now();
        let limit = Duration::from_millis(200);
        let err = timed(limit, std::future::pending::<Result<(), sqlx::Error>>())
            .await
            .unwrap_err();
        assert!(started.elapsed() >= limit);
        match err {
            sqlx::Error::Io(io) => assert_eq!(io.kind(), std::io::ErrorKind::TimedOut, "{io}"),
            other => panic!("not a timeout: {other}"),
        }
        // One that ends in time is its own answer.
        assert_eq!(timed(limit, async { Ok::<_, sqlx::Error>(7) }).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn sqlite_connections_use_wal_a_busy_timeout_and_foreign_keys() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("new.db");
        // No `//`: the short form creates the file too.
        let db = Db::connect(&format!("sqlite:{}", path.display())).await.unwrap();
        assert_eq!(db.kind(), Kind::Sqlite);
        assert!(path.exists());
        let mut conn = db.pool.acquire().await.unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!((mode.as_str(), busy, keys), ("wal", 5000, 1));
    }

    #[test]
    fn sqlite_urls_create_the_file_unless_they_name_a_mode() {
        assert_eq!(create_if_missing("sqlite://a.db"), "sqlite://a.db?mode=rwc");
        assert_eq!(
            create_if_missing("sqlite:a.db?cache=shared"),
            "sqlite:a.db?cache=shared&mode=rwc"
        );
        assert_eq!(create_if_missing("sqlite:a.db?mode=ro"), "sqlite:a.db?mode=ro");
    }

    #[tokio::test]
    async fn an_in_memory_sqlite_database_is_refused() {
        let error = Db::connect("sqlite::memory:").await.unwrap_err();
        assert!(error.to_string().contains("not WAL"), "{error}");
    }

    #[tokio::test]
    async fn other_schemes_are_refused() {
        let error = Db::connect("mysql://root:secret@localhost/snippets")
            .await
            .unwrap_err();
        assert!(matches!(error, sqlx::Error::Configuration(_)), "{error}");
        assert!(!error.to_string().contains("secret"), "{error}");
    }

    #[tokio::test]
    async fn an_unreachable_server_fails_within_the_acquire_timeout() {
        // Nothing listens on port 1: every connection attempt is refused, and the pool
        // retries until its acquire timeout.
        let started = Instant::now();
        let error = Db::connect("postgres://snippets@127.0.0.1:1/snippets")
            .await
            .unwrap_err();
        let elapsed = started.elapsed();
        assert!(
            elapsed < ACQUIRE_TIMEOUT + Duration::from_secs(2),
            "{elapsed:?}: {error}"
        );
    }

    #[tokio::test]
    async fn usernames_are_unique() {
        for test in databases().await {
            let db = &test.db;
            let alice = db.create_user("alice", "hash1").await.unwrap().unwrap();
            assert_eq!(alice.username, "alice");
            assert_eq!(db.create_user("alice", "hash2").await.unwrap(), None);
            let (user, hash) = db.user_login("alice").await.unwrap().unwrap();
            assert_eq!((user, hash.as_str()), (alice.clone(), "hash1"));
            assert_eq!(db.user_login("bob").await.unwrap(), None);
            assert_eq!(db.user(alice.id).await.unwrap(), Some(alice.clone()));
            assert_eq!(db.user(alice.id + 1000).await.unwrap(), None);
            test.finish().await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_of_concurrent_registrations_of_a_name_wins() {
        for test in databases().await {
            let calls = (0..16).map(|i| {
                let db = test.db.clone();
                tokio::spawn(async move { db.create_user("carol", &format!("hash{i}")).await })
            });
            let mut created = 0;
            for call in calls {
                created += usize::from(call.await.unwrap().unwrap().is_some());
            }
            assert_eq!(created, 1, "{:?}", test.db.kind());
            test.finish().await;
        }
    }

    #[tokio::test]
    async fn users_come_in_pages_with_their_count() {
        for test in databases().await {
            let db = &test.db;
            assert_eq!(db.users(0, 10).await.unwrap(), (vec![], 0));
            let mut ids = Vec::new();
            for name in ["u1", "u2", "u3", "u4", "u5"] {
                ids.push(db.create_user(name, "h").await.unwrap().unwrap().id);
            }
            let (page, count) = db.users(1, 2).await.unwrap();
            assert_eq!(count, 5);
            assert_eq!(page.iter().map(|u| u.id).collect::<Vec<_>>(), ids[1..3]);
            assert_eq!(page[0].username, "u2");
            let (page, count) = db.users(4, 2).await.unwrap();
            assert_eq!((page.len(), count), (1, 5));
            assert_eq!(db.users(10, 2).await.unwrap(), (vec![], 5));
            assert_eq!(db.users(0, 0).await.unwrap(), (vec![], 5));
            test.finish().await;
        }
    }

    #[tokio::test]
    async fn a_snippet_is_created_read_updated_and_deleted() {
        for test in databases().await {
            let db = &test.db;
            let owner = db.create_user("dave", "h").await.unwrap().unwrap();
            let before = now_millis();
            let created = db
                .create_snippet(owner.id, &new_snippet("first", true), "<html>1</html>")
                .await
                .unwrap();
            assert_eq!(created.owner_id, owner.id);
            assert_eq!(created.owner, "dave");
            assert_eq!(created.title, "first");
            assert_eq!(created.code, "print('hi')\n");
            assert!(created.linenos);
            assert_eq!(
                (created.language.as_str(), created.style.as_str()),
                ("python", "InspiredGitHub")
            );
            assert_eq!(created.highlighted, "<html>1</html>");
            assert!(created.created >= before && created.created <= now_millis());
            assert_eq!(db.snippet(created.id).await.unwrap(), Some(created.clone()));
            assert_eq!(db.snippet_owner(created.id).await.unwrap(), Some(owner.id));

            let updated = db
                .update_snippet(created.id, &new_snippet("second", false), "<html>2</html>")
                .await
                .unwrap();
            let updated = updated.unwrap();
            assert_eq!((updated.id, updated.created), (created.id, created.created));
            assert_eq!((updated.title.as_str(), updated.linenos), ("second", false));
            assert_eq!(updated.highlighted, "<html>2</html>");
            assert_eq!(db.snippet(created.id).await.unwrap(), Some(updated));

            assert!(db.delete_snippet(created.id).await.unwrap());
            assert!(!db.delete_snippet(created.id).await.unwrap());
            assert_eq!(db.snippet(created.id).await.unwrap(), None);
            assert_eq!(db.snippet_owner(created.id).await.unwrap(), None);
            assert_eq!(
                db.update_snippet(created.id, &new_snippet("x", true), "")
                    .await
                    .unwrap(),
                None
            );
            test.finish().await;
        }
    }

    #[tokio::test]
    async fn a_snippet_needs_an_existing_owner() {
        for test in databases().await {
            let error = test
                .db
                .create_snippet(12345, &new_snippet("orphan", false), "")
                .await
                .unwrap_err();
            assert!(
                matches!(&error, sqlx::Error::Database(e) if e.is_foreign_key_violation()),
                "{error}"
            );
            assert_eq!(test.db.snippets(None, 0, 10).await.unwrap(), (vec![], 0));
            test.finish().await;
        }
    }

    #[tokio::test]
    async fn snippets_come_in_pages_of_everyone_or_of_one_owner() {
        for test in databases().await {
            let db = &test.db;
            let erin = db.create_user("erin", "h").await.unwrap().unwrap();
            let fred = db.create_user("fred", "h").await.unwrap().unwrap();
            let mut ids = Vec::new();
            for i in 0..6 {
                let owner = if i % 2 == 0 { &erin } else { &fred };
                let snippet = new_snippet(&format!("s{i}"), i % 3 == 0);
                ids.push(db.create_snippet(owner.id, &snippet, "").await.unwrap().id);
            }
            let (page, count) = db.snippets(None, 2, 3).await.unwrap();
            assert_eq!(count, 6);
            assert_eq!(page.iter().map(|s| s.id).collect::<Vec<_>>(), ids[2..5]);
            assert_eq!(
                page.iter().map(|s| s.linenos).collect::<Vec<_>>(),
                [false, true, false]
            );
            assert_eq!(page[1].owner, "fred");

            let (page, count) = db.snippets(Some(erin.id), 0, 10).await.unwrap();
            assert_eq!(count, 3);
            assert_eq!(
                page.iter().map(|s| s.id).collect::<Vec<_>>(),
                [ids[0], ids[2], ids[4]]
            );
            assert!(page.iter().all(|s| s.owner == "erin"));
            assert_eq!(db.snippets(Some(fred.id), 3, 10).await.unwrap(), (vec![], 3));
            assert_eq!(
                db.snippets(Some(fred.id + 100), 0, 10).await.unwrap(),
                (vec![], 0)
            );
            test.finish().await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_creations_make_as_many_distinct_snippets() {
        const CALLS: usize = 64;
        for test in databases().await {
            let owner = test.db.create_user("gina", "h").await.unwrap().unwrap();
            let calls = (0..CALLS).map(|i| {
                let db = test.db.clone();
                let snippet = new_snippet(&format!("s{i}"), false);
                tokio::spawn(async move { db.create_snippet(owner.id, &snippet, "").await })
            });
            let mut ids = BTreeSet::new();
            for call in calls {
                let snippet = call.await.unwrap().unwrap();
                assert!(ids.insert(snippet.id), "id {} twice", snippet.id);
            }
            assert_eq!(ids.len(), CALLS);
            let (page, count) = test.db.snippets(Some(owner.id), 0, 1000).await.unwrap();
            assert_eq!(count, CALLS as u64);
            assert_eq!(page.iter().map(|s| s.id).collect::<BTreeSet<_>>(), ids);
            test.finish().await;
        }
    }
}
