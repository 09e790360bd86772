//! A limited connection: its bytes unchanged, its reads failed once the deadline of
//! where it stands has passed.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use poem::web::RemoteAddr;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{Instant, Sleep};

use super::phase::{Frames, Head, Phase, Wait, H2_PREFACE};
use super::Timing;

/// A deadline this far away stands for "never" when `since + timeout` overflows.
const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The connection of a [`Limited`](super::Limited) acceptor: `T`'s bytes, unchanged, until its time is
/// up; then reads fail with [`io::ErrorKind::TimedOut`] and the HTTP layer closes the
/// connection. It holds one of the listener's `max_connections` places until dropped.
///
/// The deadline costs no timer operation on the common path: a head that arrives in
/// one read is never timed, and the one timer of a connection is moved only when a
/// deadline comes earlier than where it stands, or when it fires early.
///
/// ```
/// use apiview::listener::Limited;
/// use poem::listener::{Acceptor, Listener, TcpListener};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let limits = apiview::Settings::default().limits;
/// let mut acceptor = Limited::new(TcpListener::bind("127.0.0.1:0"), &limits).into_acceptor().await.unwrap();
/// # let address = *acceptor.local_addr()[0].as_socket_addr().unwrap();
/// # let client = std::net::TcpStream::connect(address).unwrap();
/// let (connection, _local, remote, _scheme) = acceptor.accept().await.unwrap();
/// assert_eq!(remote.as_socket_addr(), Some(&client.local_addr().unwrap()));
/// # drop(connection);
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
    pub(super) fn new(
        inner: T,
        timing: Timing,
        remote_addr: RemoteAddr,
        permit: OwnedSemaphorePermit,
    ) -> Self {
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
    use std::sync::Arc;

    use tokio::sync::Semaphore;

    use super::*;
    use crate::listener::phase::{H2_CONTINUATION, H2_END_HEADERS, H2_HEADERS};

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
