//! Listener wrappers for the server an App runs on.
//!
//! [`HeadTimeout`] closes connections whose request head does not arrive in time: the
//! defence against slow-loris clients that poem's `Server` lacks. Its `idle_timeout`
//! counts any byte as activity, so a client trickling one header byte every few
//! seconds keeps a connection (and its memory) forever; hyper's own header-read
//! timeout needs a timer that poem does not give it.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use poem::http::uri::Scheme;
use poem::listener::{Acceptor, Listener};
use poem::web::{LocalAddr, RemoteAddr};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The HTTP/2 connection preface: a connection that starts with it is HTTP/2, whose
/// frames have no request head to time.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// A deadline this far away stands for "never" when `now + timeout` overflows.
const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Wraps a poem [`Listener`] (or [`Acceptor`]) so that every request head (the
/// request line and headers, up to the blank line) must arrive within a timeout,
/// counted from the connection's accept for its first request and from the first
/// byte of each later one. A connection that is too slow is closed.
///
/// Only heads are timed: a request body, a slow endpoint and the wait for the next
/// request on a kept-alive connection are not. Pair it with poem's
/// `Server::idle_timeout`, which closes connections that stay silent. HTTP/2
/// connections are timed until their preface arrives, then left to HTTP/2's own
/// flow control. Put it outermost (after TLS), so that it sees the plain HTTP bytes.
///
/// ```no_run
/// use std::time::Duration;
///
/// use apiview::listener::HeadTimeout;
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
///     let listener = HeadTimeout::new(TcpListener::bind("127.0.0.1:3000")).timeout(Duration::from_secs(10));
///     poem::Server::new(listener)
///         .idle_timeout(Duration::from_secs(60))
///         .run(app.into_endpoint())
///         .await
/// }
/// ```
#[derive(Debug, Clone)]
pub struct HeadTimeout<T> {
    inner: T,
    timeout: Duration,
}

impl<T> HeadTimeout<T> {
    /// How long a request head may take when [`HeadTimeout::timeout`] is not called.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// Wraps `inner` with [`HeadTimeout::DEFAULT_TIMEOUT`] (10 s).
    ///
    /// ```
    /// use apiview::listener::HeadTimeout;
    /// use poem::listener::TcpListener;
    ///
    /// let listener = HeadTimeout::new(TcpListener::bind("127.0.0.1:0"));
    /// assert_eq!(listener.head_timeout(), HeadTimeout::<()>::DEFAULT_TIMEOUT);
    /// ```
    pub fn new(inner: T) -> Self {
        HeadTimeout {
            inner,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// Sets how long a request head may take.
    ///
    /// # Panics
    ///
    /// On a zero duration, which would close every connection.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use apiview::listener::HeadTimeout;
    /// use poem::listener::TcpListener;
    ///
    /// let listener = HeadTimeout::new(TcpListener::bind("127.0.0.1:0")).timeout(Duration::from_secs(5));
    /// assert_eq!(listener.head_timeout(), Duration::from_secs(5));
    /// ```
    #[must_use]
    pub fn timeout(self, timeout: Duration) -> Self {
        assert!(
            !timeout.is_zero(),
            "HeadTimeout::timeout: a zero timeout would close every connection; \
             give the time a client may take to send a request head (e.g. 10 s)"
        );
        HeadTimeout { timeout, ..self }
    }

    /// How long a request head may take.
    ///
    /// ```
    /// use apiview::listener::HeadTimeout;
    ///
    /// assert_eq!(HeadTimeout::new(()).head_timeout().as_secs(), 10);
    /// ```
    pub fn head_timeout(&self) -> Duration {
        self.timeout
    }
}

impl<L: Listener> Listener for HeadTimeout<L> {
    type Acceptor = HeadTimeout<L::Acceptor>;

    async fn into_acceptor(self) -> io::Result<Self::Acceptor> {
        Ok(HeadTimeout {
            inner: self.inner.into_acceptor().await?,
            timeout: self.timeout,
        })
    }
}

impl<A: Acceptor> Acceptor for HeadTimeout<A> {
    type Io = HeadTimeoutIo<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        let (io, local_addr, remote_addr, scheme) = self.inner.accept().await?;
        let io = HeadTimeoutIo::new(io, self.timeout, remote_addr.clone());
        Ok((io, local_addr, remote_addr, scheme))
    }
}

/// Where a connection stands, as far as the head timeout is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// A head is due before the deadline. `newline`: the last byte that was not a
    /// `\r` was a `\n`, so one more `\n` ends the head. `preface`: how many bytes of
    /// the HTTP/2 preface the connection started with (`None` once it differs).
    Head { newline: bool, preface: Option<usize> },
    /// A head arrived; the request is being served. No deadline.
    Request,
    /// Waiting for the next request on a kept-alive connection. No deadline: its
    /// first byte sets one.
    Idle,
    /// HTTP/2: not timed.
    Http2,
    /// The deadline passed; every read fails.
    Expired,
}

/// The connection of a [`HeadTimeout`] acceptor: `T`'s bytes, unchanged, until a
/// request head is late; then reads fail with [`io::ErrorKind::TimedOut`] and the
/// HTTP layer closes the connection.
///
/// It is what `HeadTimeout<A>::accept` yields; poem's `Server` takes it as any
/// other connection:
///
/// ```no_run
/// use apiview::listener::HeadTimeout;
/// use poem::listener::{Acceptor, Listener, TcpListener};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let mut acceptor = HeadTimeout::new(TcpListener::bind("127.0.0.1:0")).into_acceptor().await.unwrap();
/// let (connection, _local, remote, _scheme) = acceptor.accept().await.unwrap();
/// println!("{remote}: {connection:?}");
/// # });
/// ```
pub struct HeadTimeoutIo<T> {
    inner: T,
    timeout: Duration,
    /// Armed only for a head that does not arrive in one read: most do, and then no
    /// timer is touched at all.
    deadline: Pin<Box<Sleep>>,
    armed: bool,
    /// When the current head began: the accept for the first, `None` for a later one
    /// (its first byte came with the read that found it incomplete).
    head_since: Option<Instant>,
    state: State,
    remote_addr: RemoteAddr,
}

impl<T> std::fmt::Debug for HeadTimeoutIo<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeadTimeoutIo")
            .field("timeout", &self.timeout)
            .field("state", &self.state)
            .field("remote_addr", &self.remote_addr)
            .finish_non_exhaustive()
    }
}

impl<T> HeadTimeoutIo<T> {
    fn new(inner: T, timeout: Duration, remote_addr: RemoteAddr) -> Self {
        let accepted = Instant::now();
        HeadTimeoutIo {
            inner,
            timeout,
            deadline: Box::pin(tokio::time::sleep_until(deadline_after(accepted, timeout))),
            armed: false,
            head_since: Some(accepted),
            state: State::Head {
                newline: false,
                preface: Some(0),
            },
            remote_addr,
        }
    }

    /// Arms the deadline of the current head, once.
    fn arm(&mut self) {
        if !self.armed {
            let since = self.head_since.unwrap_or_else(Instant::now);
            self.deadline.as_mut().reset(deadline_after(since, self.timeout));
            self.armed = true;
        }
    }

    /// Follows the bytes just read: a head starts with the first byte after a
    /// response, and ends at its blank line.
    fn saw(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if self.state == State::Idle {
            self.head_since = None;
            self.state = State::Head {
                newline: false,
                preface: None,
            };
        }
        let State::Head {
            mut newline,
            mut preface,
        } = self.state
        else {
            return;
        };
        for &byte in bytes {
            if let Some(matched) = preface {
                if H2_PREFACE.get(matched) == Some(&byte) {
                    if matched + 1 == H2_PREFACE.len() {
                        self.state = State::Http2;
                        self.armed = false;
                        return;
                    }
                    preface = Some(matched + 1);
                    continue;
                }
                preface = None;
            }
            match byte {
                b'\n' if newline => {
                    self.state = State::Request;
                    self.armed = false;
                    return;
                }
                b'\n' => newline = true,
                b'\r' => {}
                _ => newline = false,
            }
        }
        self.state = State::Head { newline, preface };
    }

    /// Follows the bytes about to be written: a final response (not `1xx`) ends the
    /// request, and the connection waits for the next one.
    fn writing(&mut self, bytes: &[u8]) {
        if matches!(self.state, State::Request | State::Head { .. }) && !bytes.is_empty() {
            let interim = bytes.len() >= 10 && bytes.starts_with(b"HTTP/1.") && bytes[9] == b'1';
            if !interim {
                self.state = State::Idle;
            }
        }
    }

    fn expired(&mut self) -> io::Error {
        if self.state != State::Expired {
            tracing::debug!(
                remote_addr = %self.remote_addr,
                timeout = ?self.timeout,
                "closing a connection whose request head did not arrive in time"
            );
            self.state = State::Expired;
        }
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!("the request head did not arrive within {:?}", self.timeout),
        )
    }
}

fn deadline_after(since: Instant, timeout: Duration) -> Instant {
    since.checked_add(timeout).unwrap_or(since + FAR_FUTURE)
}

impl<T: AsyncRead + Unpin> AsyncRead for HeadTimeoutIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match this.state {
            State::Expired => return Poll::Ready(Err(this.expired())),
            // Polled first so that the timer wakes a reader waiting for bytes.
            State::Head { .. } if this.armed && this.deadline.as_mut().poll(cx).is_ready() => {
                return Poll::Ready(Err(this.expired()));
            }
            _ => {}
        }
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        match result {
            Poll::Ready(Ok(())) => {
                this.saw(&buf.filled()[before..]);
                if matches!(this.state, State::Head { .. }) {
                    // An incomplete head: from now on it is timed. A trickling client
                    // keeps the reader busy, so the clock is checked as well.
                    this.arm();
                    if Instant::now() >= this.deadline.deadline() {
                        return Poll::Ready(Err(this.expired()));
                    }
                }
            }
            Poll::Pending if matches!(this.state, State::Head { .. }) && !this.armed => {
                // A connection that has sent nothing yet: wake it when its time is up.
                this.arm();
                if this.deadline.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(this.expired()));
                }
            }
            _ => {}
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for HeadTimeoutIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = result {
            this.writing(&buf[..written]);
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(written)) = result {
            if written > 0 {
                let first = bufs
                    .iter()
                    .find(|buf| !buf.is_empty())
                    .map_or(&[][..], |buf| &buf[..]);
                this.writing(&first[..first.len().min(written)]);
            }
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io() -> HeadTimeoutIo<()> {
        let addr: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
        HeadTimeoutIo::new((), Duration::from_secs(10), RemoteAddr(addr.into()))
    }

    #[tokio::test]
    async fn a_head_ends_at_the_blank_line_in_any_split() {
        let head = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        for split in 0..head.len() {
            let mut io = io();
            io.saw(&head[..split]);
            assert!(matches!(io.state, State::Head { .. }), "split at {split}");
            io.saw(&head[split..]);
            assert_eq!(io.state, State::Request, "split at {split}");
        }
        let mut io = io();
        io.saw(b"GET / HTTP/1.1\nHost: x\n\n");
        assert_eq!(io.state, State::Request, "bare LF line ends");
    }

    #[tokio::test]
    async fn a_final_response_makes_the_connection_idle_and_a_new_byte_arms_the_deadline() {
        let mut io = io();
        io.saw(b"POST / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n");
        io.writing(b"HTTP/1.1 100 Continue\r\n\r\n");
        assert_eq!(io.state, State::Request, "an interim response");
        io.writing(b"HTTP/1.1 200 OK\r\n");
        assert_eq!(io.state, State::Idle);
        io.writing(b"more of the body");
        assert_eq!(io.state, State::Idle);
        let before = io.deadline.deadline();
        tokio::time::sleep(Duration::from_millis(5)).await;
        io.saw(b"G");
        assert!(matches!(io.state, State::Head { preface: None, .. }));
        assert!(!io.armed, "a head is timed only once a read leaves it incomplete");
        io.arm();
        assert!(
            io.deadline.deadline() > before,
            "the deadline is counted from the new head"
        );
    }

    #[tokio::test]
    async fn http2_is_timed_until_its_preface_only() {
        let mut io = io();
        io.saw(&H2_PREFACE[..20]);
        assert!(matches!(io.state, State::Head { .. }));
        io.saw(&H2_PREFACE[20..]);
        assert_eq!(io.state, State::Http2);
        io.saw(b"\n\n");
        io.writing(b"frames");
        assert_eq!(io.state, State::Http2);
    }
}
