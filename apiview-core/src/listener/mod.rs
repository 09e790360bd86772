//! A listener wrapper that bounds what one client can hold of the server (DESIGN §11).
//!
//! [`Limited`] times every request head from its first byte to its blank line, closes
//! kept-alive connections that stay silent, times HTTP/2 frames and header blocks,
//! refuses HTTP/2 when the settings say so, and serves at most `max_connections`
//! connections at once. Time is up means the connection is closed at once: its reads
//! fail, and the HTTP layer drops it; nothing waits on the client for a graceful end.
//!
//! Request bodies are timed by the App itself (`limits.body_timeout_ms`), whatever the
//! listener, because only the endpoint knows when it has read the whole body.

mod connection;
mod phase;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use poem::http::uri::Scheme;
use poem::listener::{Acceptor, Listener};
use poem::web::{LocalAddr, RemoteAddr};
use tokio::sync::Semaphore;

pub use self::connection::LimitedIo;
use crate::settings::Limits;

/// Wraps a poem [`Listener`] (or [`Acceptor`]) with the connection limits of
/// `[limits]` (DESIGN §11):
///
/// - `head_timeout_ms`: a request head must arrive whole (request line, headers and
///   the blank line) within it, counted from the accept for a connection's first
///   request and from its first byte for a later one. Blank lines before a request
///   line count as part of the head, they do not end it.
/// - `idle_timeout_ms`: a connection between requests (its answer written, no next
///   request begun) is closed after this long without a byte either way.
/// - `max_connections`: beyond it, the listener stops accepting; new connections wait
///   in the kernel's backlog until one closes.
/// - `http2`: `false` closes a connection that opens with the HTTP/2 preface. With it
///   on, every HTTP/2 frame and every header block must arrive whole within
///   `head_timeout_ms`, and a connection without a byte either way for
///   `idle_timeout_ms` is closed. Give poem's server `http2_max_concurrent_streams`
///   yourself (`App::serve` does).
///
/// Put it outermost (after TLS), so that it sees the plain HTTP bytes. `App::serve`
/// uses it; wrap your own listener when you run poem's server yourself (not run as a
/// test: it serves until stopped):
///
/// ```no_run
/// use apiview::listener::Limited;
/// use apiview::prelude::*;
/// use poem::listener::TcpListener;
///
/// #[apiview]
/// fn ping() -> &'static str {
///     "pong"
/// }
///
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let app = App::new(Settings::default()).at("/ping", ping);
///     let limits = app.settings().limits.clone();
///     poem::Server::new(Limited::new(TcpListener::bind("127.0.0.1:3000"), &limits))
///         .http2_max_concurrent_streams(limits.http2_max_concurrent_streams)
///         .run(app.into_endpoint())
///         .await
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Limited<T> {
    inner: T,
    timing: Timing,
    connections: Arc<Semaphore>,
}

/// What a connection's reads are timed by; copied into each connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Timing {
    head: Duration,
    idle: Duration,
    http2: bool,
}

impl<T> Limited<T> {
    /// Wraps `inner` with the connection limits of `limits`.
    ///
    /// ```
    /// use apiview::listener::Limited;
    /// use apiview::Settings;
    /// use poem::listener::TcpListener;
    ///
    /// let settings = Settings::from_toml_str("[limits]\nmax_connections = 2").unwrap();
    /// let listener = Limited::new(TcpListener::bind("127.0.0.1:0"), &settings.limits);
    /// assert_eq!(listener.available_connections(), 2);
    /// ```
    pub fn new(inner: T, limits: &Limits) -> Self {
        let max_connections = usize::try_from(limits.max_connections)
            .unwrap_or(usize::MAX)
            .clamp(1, Semaphore::MAX_PERMITS);
        Limited {
            inner,
            timing: Timing {
                head: Duration::from_millis(limits.head_timeout_ms.max(1)),
                idle: Duration::from_millis(limits.idle_timeout_ms.max(1)),
                http2: limits.http2,
            },
            connections: Arc::new(Semaphore::new(max_connections)),
        }
    }

    /// How many more connections may be accepted now.
    ///
    /// ```
    /// use apiview::listener::Limited;
    ///
    /// let limited = Limited::new((), &apiview::Settings::default().limits);
    /// assert_eq!(limited.available_connections(), 10_000);
    /// ```
    pub fn available_connections(&self) -> usize {
        self.connections.available_permits()
    }
}

impl<L: Listener> Listener for Limited<L> {
    type Acceptor = Limited<L::Acceptor>;

    async fn into_acceptor(self) -> io::Result<Self::Acceptor> {
        Ok(Limited {
            inner: self.inner.into_acceptor().await?,
            timing: self.timing,
            connections: self.connections,
        })
    }
}

impl<A: Acceptor> Acceptor for Limited<A> {
    type Io = LimitedIo<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        // Taken before the accept: at the limit, connections wait in the backlog.
        let permit = self
            .connections
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| io::Error::other("the connection limit was closed"))?;
        let (io, local_addr, remote_addr, scheme) = self.inner.accept().await?;
        let io = LimitedIo::new(io, self.timing, remote_addr.clone(), permit);
        Ok((io, local_addr, remote_addr, scheme))
    }
}
