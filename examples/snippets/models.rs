//! The rows the snippets service stores and answers, as plain data: no database or
//! HTTP type appears here.

use serde::{Deserialize, Serialize};

/// A registered user, without the password hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Assigned by the database, increasing.
    pub id: i64,
    /// Unique.
    pub username: String,
}

/// A stored code snippet, with its owner's name and its highlighted HTML.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snippet {
    /// Assigned by the database, increasing.
    pub id: i64,
    /// The [`User::id`] of the owner.
    pub owner_id: i64,
    /// The owner's [`User::username`].
    pub owner: String,
    /// May be empty.
    pub title: String,
    /// The source text as submitted.
    pub code: String,
    /// Whether the highlighted page numbers its lines.
    pub linenos: bool,
    /// A token of `highlight::languages()`.
    pub language: String,
    /// A name of `highlight::styles()`.
    pub style: String,
    /// A complete HTML page of the code, made by `highlight::highlight` when the snippet
    /// was created or last updated.
    pub highlighted: String,
    /// When the snippet was created, in milliseconds since the Unix epoch.
    pub created: i64,
}

/// What a client sends to create or replace a snippet: the fields it may choose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSnippet {
    /// May be empty.
    pub title: String,
    /// The source text.
    pub code: String,
    /// Whether the highlighted page numbers its lines.
    pub linenos: bool,
    /// A token of `highlight::languages()`.
    pub language: String,
    /// A name of `highlight::styles()`.
    pub style: String,
}
