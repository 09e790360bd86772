//! The demo's upload endpoints (DESIGN §12): what arrived, with a SHA-256 of its
//! bytes, so that a client can check that every byte did.

use std::io::Read;

use apiview::prelude::*;
use apiview::schemars::JsonSchema;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// What the server received of one file.
#[derive(Serialize, JsonSchema)]
#[schemars(crate = "apiview::schemars")]
pub struct Received {
    /// The file's name as the client gave it, reduced to its last component.
    pub filename: Option<String>,
    /// The part's declared `Content-Type`.
    pub content_type: Option<String>,
    /// Its size in bytes.
    pub size: u64,
    /// Whether it was spooled to a temporary file (over `limits.upload_memory_bytes`).
    pub spooled: bool,
    /// The SHA-256 of its bytes, in lower-case hex.
    pub sha256: String,
}

/// Receives one file and says what arrived.
///
/// A file over `limits.upload_memory_bytes` (1 MiB) is spooled to a temporary file,
/// removed once answered; one over `limits.max_upload_bytes` (10 MiB) is refused
/// with `TooLargeRequestError`. The body may be up to 20 MiB.
///
/// --------
/// @response: 200 OK "what arrived" {{{
///     filename: "notes.txt"
///     content_type: "text/plain"
///     size: 5
///     spooled: false
///     sha256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
///     note: "from the README"
/// }}}
#[apiview(tag = "uploads", body_limit = 20_971_520)]
#[allow_post]
#[string_length_limit(note, max_length = 200)]
pub async fn upload(file: Upload, note: Option<String>) -> apiview::Result<Uploaded> {
    Ok(Uploaded {
        received: receive(file).await?,
        note,
    })
}

/// What `/upload` answers: the file, and the note sent with it.
#[derive(Serialize, JsonSchema)]
#[schemars(crate = "apiview::schemars")]
pub struct Uploaded {
    #[serde(flatten)]
    pub received: Received,
    /// The `note` field sent with the file, if any.
    pub note: Option<String>,
}

/// Receives any number of files under the name `files` (none is an empty list).
///
/// --------
/// @response: 200 OK "what arrived, in order" {{{
///     - filename: "a.txt"
///       content_type: "text/plain"
///       size: 5
///       spooled: false
///       sha256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
/// }}}
#[apiview(tag = "uploads", body_limit = 20_971_520)]
#[allow_post]
pub async fn upload_many(files: Vec<Upload>) -> apiview::Result<Vec<Received>> {
    let mut received = Vec::with_capacity(files.len());
    for file in files {
        received.push(receive(file).await?);
    }
    Ok(received)
}

async fn receive(file: Upload) -> apiview::Result<Received> {
    let filename = file.filename().map(str::to_owned);
    let content_type = file.content_type().map(str::to_owned);
    let (size, spooled) = (file.size(), file.is_spooled());
    let sha256 = if spooled {
        // Hashed from the file, on the blocking pool: never the whole file in memory.
        let file = file.into_temp_file().await?;
        tokio::task::spawn_blocking(move || -> std::io::Result<String> {
            let mut hasher = Sha256::new();
            let mut reader = file.reopen()?;
            let mut buffer = vec![0; 64 * 1024];
            loop {
                let read = reader.read(&mut buffer)?;
                if read == 0 {
                    return Ok(hex(&hasher.finalize()));
                }
                hasher.update(&buffer[..read]);
            }
        })
        .await
        .map_err(|_| BizError::sys_error())?
        .map_err(|_| BizError::sys_error())?
    } else {
        hex(&Sha256::digest(file.bytes().await?))
    };
    Ok(Received {
        filename,
        content_type,
        size,
        spooled,
        sha256,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
