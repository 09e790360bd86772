//! Placeholder until the HTTP endpoints land: a smoke run of the storage layer and the
//! highlighter.
//!
//! ```text
//! cargo run --example snippets -- [DATABASE_URL]          # one pass over every call
//! cargo run --example snippets -- DATABASE_URL --watch    # a call every 500 ms, timed
//! ```
//! Without a URL, a SQLite file in a temporary folder.

mod highlight;
mod models;
mod storage;

use std::time::{Duration, Instant};

use models::NewSnippet;
use storage::Db;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let temp = tempfile::tempdir()?;
    let url = match args.first() {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", temp.path().join("snippets.db").display()),
    };

    let started = Instant::now();
    let languages = highlight::languages().len();
    println!(
        "{languages} languages, {} styles, loaded in {:?}",
        highlight::styles().len(),
        started.elapsed()
    );
    let code = "def f(x):\n    return [i * 2 for i in range(x)]  # twice\n".repeat(170);
    for _ in 0..3 {
        let started = Instant::now();
        let html = highlight::highlight(
            &code,
            highlight::DEFAULT_LANGUAGE,
            highlight::DEFAULT_STYLE,
            true,
            "t",
        );
        println!(
            "highlighted {} bytes into {} in {:?}",
            code.len(),
            html.len(),
            started.elapsed()
        );
    }

    let db = Db::connect(&url).await?;
    println!("connected to {:?}", db.kind());
    if args.iter().any(|arg| arg == "--watch") {
        return watch(&db).await;
    }
    let name = format!("user{}", std::process::id());
    let user = db.create_user(&name, "hash").await?.ok_or("username taken")?;
    assert!(db.create_user(&name, "hash").await?.is_none());
    let (login, _hash) = db.user_login(&name).await?.ok_or("no login")?;
    assert_eq!(db.user(login.id).await?, Some(user.clone()));
    let new = NewSnippet {
        title: "t".into(),
        code: "print(1)\n".into(),
        linenos: false,
        language: highlight::DEFAULT_LANGUAGE.into(),
        style: highlight::DEFAULT_STYLE.into(),
    };
    let page = highlight::highlight(&new.code, &new.language, &new.style, new.linenos, &new.title);
    let snippet = db.create_snippet(user.id, &new, &page).await?;
    assert_eq!(db.snippet(snippet.id).await?.as_ref(), Some(&snippet));
    assert_eq!(db.snippet_owner(snippet.id).await?, Some(user.id));
    assert!(db.update_snippet(snippet.id, &new, &page).await?.is_some());
    let (snippets, count) = db.snippets(Some(user.id), 0, 10).await?;
    let (users, user_count) = db.users(0, 10).await?;
    println!(
        "{count} snippets ({}), {user_count} users ({})",
        snippets.len(),
        users.len()
    );
    println!("{}", serde_json::to_string(&snippets[0])?);
    assert!(db.delete_snippet(snippet.id).await?);
    Ok(())
}

/// Counts users every 500 ms and says how long each call took: stop the database
/// meanwhile to see calls fail, and start it again to see them recover.
async fn watch(db: &Db) -> Result<(), Box<dyn std::error::Error>> {
    loop {
        let started = Instant::now();
        let answer = db.users(0, 1).await;
        let elapsed = started.elapsed();
        match answer {
            Ok((_, count)) => println!("{elapsed:>12.3?} ok: {count} users"),
            Err(error) => println!("{elapsed:>12.3?} error: {error}"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
