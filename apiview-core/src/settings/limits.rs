//! `[limits]`: what one client may hold of the server.

use serde::{Deserialize, Serialize};

/// `[limits]` settings: what a client may hold of the server. `App::serve` and
/// `listener::Limited` apply the connection limits; the App applies the body limits to
/// every request.
///
/// ```
/// let settings = apiview_core::Settings::from_toml_str("[limits]\nhead_timeout_ms = 5000").unwrap();
/// assert_eq!(settings.limits.head_timeout_ms, 5000);
/// assert_eq!(settings.limits.body_timeout_ms, 30_000);
/// assert!(settings.limits.http2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Milliseconds a request head may take, from its first byte (leading blank lines
    /// count) to its blank line; the first head of a connection counts from the accept.
    pub head_timeout_ms: u64,
    /// Milliseconds a request body may take, from the end of the head.
    pub body_timeout_ms: u64,
    /// Milliseconds a kept-alive connection may stay silent (no byte either way)
    /// between requests.
    pub idle_timeout_ms: u64,
    /// Connections served at once; beyond it, new connections wait in the backlog.
    pub max_connections: u32,
    /// Whether HTTP/2 (cleartext, prior knowledge) is served; `false` closes a
    /// connection that starts with the HTTP/2 preface.
    pub http2: bool,
    /// Streams one HTTP/2 connection may have open at once.
    pub http2_max_concurrent_streams: u32,
    /// Pairs of an urlencoded body, or parts of a multipart one; more is
    /// `BadParameter(_payload)`.
    pub max_form_fields: u64,
    /// How deep arrays and objects of a JSON body may nest (at most 128, serde_json's
    /// own limit); deeper is `BadParameter(_payload)`.
    pub max_json_depth: u64,
    /// Values in one JSON body (objects, arrays and scalars); more is
    /// `BadParameter(_payload)`.
    pub max_json_values: u64,
    /// Bytes of request bodies being parsed or served at once (each charged once it has
    /// arrived), all requests together, the trees parsed from them included; beyond it
    /// a request waits its turn, for `body_timeout_ms` at most.
    pub bodies_in_flight_bytes: u64,
    /// An uploaded file part (DESIGN §12) larger than this is spooled to a temporary
    /// file as it arrives, instead of being held in memory.
    pub upload_memory_bytes: u64,
    /// The largest uploaded file part; larger is `TooLargeRequestError`. The body as a
    /// whole is bounded by `body_limit` (or the endpoint's `#[apiview(body_limit)]`).
    pub max_upload_bytes: u64,
    /// The folder spooled uploads are written to; empty: the system's temporary folder
    /// (`TMPDIR`). Each file is removed when its `Upload` is dropped.
    pub upload_dir: String,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            head_timeout_ms: 10_000,
            body_timeout_ms: 30_000,
            idle_timeout_ms: 60_000,
            max_connections: 10_000,
            http2: true,
            http2_max_concurrent_streams: 100,
            max_form_fields: 1000,
            max_json_depth: 128,
            max_json_values: 100_000,
            bodies_in_flight_bytes: 16 * 1024 * 1024,
            upload_memory_bytes: 1024 * 1024,
            max_upload_bytes: 10 * 1024 * 1024,
            upload_dir: String::new(),
        }
    }
}
