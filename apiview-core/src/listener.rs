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

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use poem::http::uri::Scheme;
use poem::listener::{Acceptor, Listener};
use poem::web::{LocalAddr, RemoteAddr};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

use crate::settings::Limits;

/// The HTTP/2 connection preface (RFC 9113 §3.4).
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// The HTTP/2 frame header: length (24 bits), type, flags, stream id (RFC 9113 §4.1).
const H2_FRAME_HEADER: usize = 9;
const H2_HEADERS: u8 = 0x1;
const H2_CONTINUATION: u8 = 0x9;
const H2_END_HEADERS: u8 = 0x4;

/// A deadline this far away stands for "never" when `since + timeout` overflows.
const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

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
/// uses it; wrap your own listener when you run poem's server yourself:
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

/// Where a connection stands.
#[derive(Debug)]
enum Phase {
    /// A request head is arriving.
    Head(Head),
    /// A head arrived and the request is being served: not timed here (its body is
    /// timed by the endpoint that reads it).
    Request,
    /// The answer is on its way or sent, and no next request has begun.
    Idle,
    /// An HTTP/2 connection.
    Http2(Frames),
    /// Closed for the reason given; every read fails.
    Closed(&'static str),
}

/// A request head being scanned for its end, without parsing it: the first blank line
/// after a line with content.
#[derive(Debug, Clone, Copy)]
struct Head {
    /// A line with content has been seen: a blank line now ends the head.
    content: bool,
    /// Since the last `\n`, nothing but `\r`.
    line_blank: bool,
    /// How many bytes of the HTTP/2 preface the connection opened with, for its first
    /// head (`None` once they differ, and for later heads).
    preface: Option<usize>,
}

impl Head {
    fn new(preface: bool) -> Self {
        Head {
            content: false,
            line_blank: true,
            preface: preface.then_some(0),
        }
    }

    /// Reads `bytes` on; `true` when they end the head.
    fn ends_in(&mut self, mut bytes: &[u8]) -> bool {
        // Most heads come whole in one read, ended by CRLF CRLF: one vector search
        // finds it. Blank lines before the request line are skipped first.
        static END: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\r\n\r\n"));
        if !self.content && self.line_blank {
            let start = bytes.iter().position(|&byte| byte != b'\r' && byte != b'\n');
            if start.is_some_and(|start| END.find(&bytes[start..]).is_some()) {
                return true;
            }
        }
        while let Some(at) = memchr::memchr(b'\n', bytes) {
            let line = &bytes[..at];
            if self.line_blank && line.iter().all(|&byte| byte == b'\r') {
                if self.content {
                    return true;
                }
            } else {
                self.content = true;
            }
            self.line_blank = true;
            bytes = &bytes[at + 1..];
        }
        if bytes.iter().any(|&byte| byte != b'\r') {
            self.line_blank = false;
        }
        false
    }
}

/// What the frames of an HTTP/2 connection are waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// Nothing half-sent: the connection may be idle.
    Idle,
    /// A frame has begun and not ended.
    Frame,
    /// A header block (HEADERS, then CONTINUATION up to END_HEADERS) has begun and not
    /// ended.
    Block,
}

/// HTTP/2 frames, followed by their 9-byte headers only: payloads are skipped by length.
#[derive(Debug, Clone, Copy)]
struct Frames {
    header: [u8; H2_FRAME_HEADER],
    header_len: usize,
    payload_left: usize,
    block_open: bool,
}

impl Frames {
    fn new() -> Self {
        Frames {
            header: [0; H2_FRAME_HEADER],
            header_len: 0,
            payload_left: 0,
            block_open: false,
        }
    }

    /// Reads `bytes` on; `true` when a frame ended among them.
    fn read(&mut self, mut bytes: &[u8]) -> bool {
        let mut ended = false;
        while !bytes.is_empty() {
            if self.payload_left > 0 {
                let skipped = self.payload_left.min(bytes.len());
                self.payload_left -= skipped;
                bytes = &bytes[skipped..];
                ended |= self.payload_left == 0;
                continue;
            }
            let taken = (H2_FRAME_HEADER - self.header_len).min(bytes.len());
            self.header[self.header_len..self.header_len + taken].copy_from_slice(&bytes[..taken]);
            self.header_len += taken;
            bytes = &bytes[taken..];
            if self.header_len == H2_FRAME_HEADER {
                let [l0, l1, l2, kind, flags, ..] = self.header;
                match kind {
                    H2_HEADERS => self.block_open = flags & H2_END_HEADERS == 0,
                    H2_CONTINUATION if flags & H2_END_HEADERS != 0 => self.block_open = false,
                    _ => {}
                }
                self.header_len = 0;
                self.payload_left = usize::from(l0) << 16 | usize::from(l1) << 8 | usize::from(l2);
                ended |= self.payload_left == 0;
            }
        }
        ended
    }

    fn wait(&self) -> Wait {
        if self.block_open {
            Wait::Block
        } else if self.header_len > 0 || self.payload_left > 0 {
            Wait::Frame
        } else {
            Wait::Idle
        }
    }
}

/// The connection of a [`Limited`] acceptor: `T`'s bytes, unchanged, until its time is
/// up; then reads fail with [`io::ErrorKind::TimedOut`] and the HTTP layer closes the
/// connection. It holds one of the listener's `max_connections` places until dropped.
///
/// The deadline costs no timer operation on the common path: a head that arrives in
/// one read is never timed, and the one timer of a connection is moved only when a
/// deadline comes earlier than where it stands, or when it fires early.
///
/// ```no_run
/// use apiview::listener::Limited;
/// use poem::listener::{Acceptor, Listener, TcpListener};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let limits = apiview::Settings::default().limits;
/// let mut acceptor = Limited::new(TcpListener::bind("127.0.0.1:0"), &limits).into_acceptor().await.unwrap();
/// let (connection, _local, remote, _scheme) = acceptor.accept().await.unwrap();
/// println!("{remote}: {connection:?}");
/// # });
/// ```
pub struct LimitedIo<T> {
    inner: T,
    timing: Timing,
    phase: Phase,
    /// When the current wait began; `None`: at the next read that finds nothing.
    since: Option<Instant>,
    timer: Pin<Box<Sleep>>,
    /// Where `timer` stands, once polled.
    timer_at: Option<Instant>,
    remote_addr: RemoteAddr,
    _permit: OwnedSemaphorePermit,
}

impl<T> std::fmt::Debug for LimitedIo<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LimitedIo")
            .field("phase", &self.phase)
            .field("remote_addr", &self.remote_addr)
            .finish_non_exhaustive()
    }
}

impl<T> LimitedIo<T> {
    fn new(inner: T, timing: Timing, remote_addr: RemoteAddr, permit: OwnedSemaphorePermit) -> Self {
        let accepted = Instant::now();
        LimitedIo {
            inner,
            timing,
            phase: Phase::Head(Head::new(true)),
            since: Some(accepted),
            timer: Box::pin(tokio::time::sleep_until(accepted)),
            timer_at: None,
            remote_addr,
            _permit: permit,
        }
    }

    /// Follows the bytes just read. An error closes the connection.
    fn read(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.phase {
            Phase::Idle => {
                self.phase = Phase::Head(Head::new(false));
                self.since = None;
                self.read(bytes)
            }
            Phase::Head(head) => {
                let mut head = *head;
                if let Some(matched) = head.preface {
                    let taken = (H2_PREFACE.len() - matched).min(bytes.len());
                    if bytes[..taken] == H2_PREFACE[matched..matched + taken] {
                        if matched + taken < H2_PREFACE.len() {
                            head.preface = Some(matched + taken);
                            self.phase = Phase::Head(head);
                            return Ok(());
                        }
                        if !self.timing.http2 {
                            return Err(self.close("HTTP/2 is turned off (limits.http2 = false)"));
                        }
                        let mut frames = Frames::new();
                        frames.read(&bytes[taken..]);
                        self.since = None;
                        self.phase = Phase::Http2(frames);
                        return Ok(());
                    }
                    head.preface = None;
                    // The bytes taken for a preface so far are part of the head.
                    if head.ends_in(&H2_PREFACE[..matched]) {
                        self.phase = Phase::Request;
                        return Ok(());
                    }
                }
                self.phase = if head.ends_in(bytes) {
                    Phase::Request
                } else {
                    Phase::Head(head)
                };
                Ok(())
            }
            Phase::Http2(frames) => {
                let before = frames.wait();
                let ended = frames.read(bytes);
                let after = frames.wait();
                // A header block is timed from its first frame; a frame, from where it
                // began or the last frame that ended; idleness, from the last byte.
                if after != before || after != Wait::Block && (ended || after == Wait::Idle) {
                    self.since = None;
                }
                Ok(())
            }
            Phase::Request | Phase::Closed(_) => Ok(()),
        }
    }

    /// Follows the bytes about to be written: a final answer (not `1xx`) ends an
    /// HTTP/1 request; any write is activity for an idle connection.
    fn wrote(&mut self, bytes: &[u8]) {
        match &self.phase {
            Phase::Request | Phase::Head(_) => {
                let interim = bytes.len() >= 10 && bytes.starts_with(b"HTTP/1.") && bytes[9] == b'1';
                if !interim {
                    self.phase = Phase::Idle;
                    self.since = None;
                }
            }
            Phase::Idle => self.since = None,
            Phase::Http2(frames) if frames.wait() == Wait::Idle => self.since = None,
            Phase::Http2(_) | Phase::Closed(_) => {}
        }
    }

    /// The deadline of the current wait, if it has one; a wait without a start begins
    /// `now`.
    fn deadline(&mut self, now: Instant) -> Option<Instant> {
        let timeout = match &self.phase {
            Phase::Head(_) => self.timing.head,
            Phase::Idle => self.timing.idle,
            Phase::Http2(frames) if frames.wait() == Wait::Idle => self.timing.idle,
            Phase::Http2(_) => self.timing.head,
            Phase::Request | Phase::Closed(_) => return None,
        };
        let since = *self.since.get_or_insert(now);
        Some(since.checked_add(timeout).unwrap_or(since + FAR_FUTURE))
    }

    /// Called when a read found nothing: whether the current wait is over its time.
    /// Otherwise the timer will wake the reader when it may be.
    fn overdue(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(mut deadline) = self.deadline(Instant::now()) else {
            return false;
        };
        loop {
            if self.timer_at.is_none_or(|at| at > deadline) {
                self.timer.as_mut().reset(deadline);
                self.timer_at = Some(deadline);
            }
            if self.timer.as_mut().poll(cx).is_pending() {
                return false;
            }
            // The timer stood at an earlier deadline than the current wait's.
            let now = Instant::now();
            match self.deadline(now) {
                Some(current) if current > now => {
                    deadline = current;
                    self.timer_at = None;
                }
                Some(_) => return true,
                None => return false,
            }
        }
    }

    fn close(&mut self, reason: &'static str) -> io::Error {
        if !matches!(self.phase, Phase::Closed(_)) {
            tracing::debug!(remote_addr = %self.remote_addr, reason, "closing a connection");
            self.phase = Phase::Closed(reason);
        }
        io::Error::new(io::ErrorKind::TimedOut, reason)
    }

    fn time_is_up(&mut self) -> io::Error {
        let reason = match &self.phase {
            Phase::Head(_) => "the request head did not arrive within limits.head_timeout_ms",
            Phase::Http2(frames) if frames.wait() != Wait::Idle => {
                "an HTTP/2 frame or header block did not arrive within limits.head_timeout_ms"
            }
            Phase::Closed(reason) => reason,
            _ => "the connection was idle for limits.idle_timeout_ms",
        };
        self.close(reason)
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for LimitedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Phase::Closed(reason) = this.phase {
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, reason)));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => Poll::Ready(this.read(&buf.filled()[before..])),
            Poll::Pending if this.overdue(cx) => Poll::Ready(Err(this.time_is_up())),
            other => other,
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for LimitedIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = result {
            if written > 0 {
                this.wrote(&buf[..written]);
            }
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
                this.wrote(&first[..first.len().min(written)]);
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

    fn io() -> LimitedIo<()> {
        let addr: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
        let permit = Arc::new(Semaphore::new(1)).try_acquire_owned().unwrap();
        let timing = Timing {
            head: Duration::from_secs(10),
            idle: Duration::from_secs(60),
            http2: true,
        };
        LimitedIo::new((), timing, RemoteAddr(addr.into()), permit)
    }

    fn is_head(io: &LimitedIo<()>) -> bool {
        matches!(io.phase, Phase::Head(_))
    }

    #[tokio::test]
    async fn a_head_ends_at_the_blank_line_in_any_split() {
        let head = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        for split in 0..head.len() {
            let mut io = io();
            io.read(&head[..split]).unwrap();
            assert!(is_head(&io), "split at {split}");
            io.read(&head[split..]).unwrap();
            assert!(matches!(io.phase, Phase::Request), "split at {split}");
        }
        let mut io = io();
        io.read(b"GET / HTTP/1.1\nHost: x\n\n").unwrap();
        assert!(matches!(io.phase, Phase::Request), "bare LF line ends");
    }

    #[tokio::test]
    async fn leading_blank_lines_do_not_end_a_head() {
        for leading in [&b"\r\n\r\n"[..], b"\n\n", b"\r\n", b"\r\r\n\n"] {
            let mut io = io();
            io.read(leading).unwrap();
            assert!(is_head(&io), "{leading:?} alone ends nothing");
            io.read(b"GET /ping HTTP/1.1\r\nHost: x\r\n").unwrap();
            assert!(is_head(&io), "{leading:?} then a head without its blank line");
            io.read(b"\r\n").unwrap();
            assert!(matches!(io.phase, Phase::Request), "{leading:?}");
        }
    }

    #[tokio::test]
    async fn a_final_answer_makes_the_connection_idle_and_a_new_byte_starts_a_head() {
        let mut io = io();
        io.read(b"POST / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n")
            .unwrap();
        io.wrote(b"HTTP/1.1 100 Continue\r\n\r\n");
        assert!(matches!(io.phase, Phase::Request), "an interim answer");
        io.wrote(b"HTTP/1.1 200 OK\r\n");
        assert!(matches!(io.phase, Phase::Idle));
        io.read(b"\r\n").unwrap();
        assert!(is_head(&io), "a blank line begins the next head");
        assert!(io.since.is_none(), "timed from the read that finds it incomplete");
    }

    #[tokio::test]
    async fn http2_begins_after_its_preface_and_follows_frames() {
        let mut io = io();
        io.read(&H2_PREFACE[..20]).unwrap();
        assert!(is_head(&io), "the preface's blank lines do not end a head");
        io.read(&H2_PREFACE[20..]).unwrap();
        let Phase::Http2(frames) = &io.phase else {
            panic!("{:?}", io.phase)
        };
        assert_eq!(frames.wait(), Wait::Idle);
        // HEADERS without END_HEADERS, 3 bytes of payload, in two reads.
        io.read(&[0, 0, 3, H2_HEADERS, 0, 0, 0, 0, 1, 0xaa]).unwrap();
        let Phase::Http2(frames) = &io.phase else {
            unreachable!()
        };
        assert_eq!(frames.wait(), Wait::Block);
        io.read(&[0xbb, 0xcc]).unwrap();
        let Phase::Http2(frames) = &io.phase else {
            unreachable!()
        };
        assert_eq!(frames.wait(), Wait::Block, "the block is open until END_HEADERS");
        io.read(&[0, 0, 1, H2_CONTINUATION, H2_END_HEADERS, 0, 0, 0, 1])
            .unwrap();
        let Phase::Http2(frames) = &io.phase else {
            unreachable!()
        };
        assert_eq!(frames.wait(), Wait::Frame, "its payload byte is due");
        io.read(&[0xdd]).unwrap();
        let Phase::Http2(frames) = &io.phase else {
            unreachable!()
        };
        assert_eq!(frames.wait(), Wait::Idle);
    }

    #[tokio::test]
    async fn a_preface_that_turns_out_not_to_be_one_is_scanned_as_a_head() {
        let mut io = io();
        io.read(b"PRI * HTTP/2.0\r\n").unwrap();
        assert!(is_head(&io));
        io.read(b"X\r\n\r\n").unwrap();
        assert!(matches!(io.phase, Phase::Request));
    }

    #[tokio::test]
    async fn http2_can_be_turned_off() {
        let mut io = io();
        io.timing.http2 = false;
        let err = io.read(H2_PREFACE).unwrap_err();
        assert!(err.to_string().contains("limits.http2"), "{err}");
        assert!(matches!(io.phase, Phase::Closed(_)));
    }
}
