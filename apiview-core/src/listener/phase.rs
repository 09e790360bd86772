//! Where a connection stands, read from its bytes as they pass: a request head
//! arriving (until its blank line), a request being served, idle between requests, or
//! HTTP/2 frames and header blocks. The deadlines of [`LimitedIo`](super::LimitedIo)
//! follow it.

/// The HTTP/2 connection preface (RFC 9113 §3.4).
pub(super) const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// The HTTP/2 frame header: length (24 bits), type, flags, stream id (RFC 9113 §4.1).
pub(super) const H2_FRAME_HEADER: usize = 9;
pub(super) const H2_HEADERS: u8 = 0x1;
pub(super) const H2_CONTINUATION: u8 = 0x9;
pub(super) const H2_END_HEADERS: u8 = 0x4;

/// Where a connection stands.
#[derive(Debug)]
pub(super) enum Phase {
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
pub(super) struct Head {
    /// A line with content has been seen: a blank line now ends the head.
    content: bool,
    /// Since the last `\n`, nothing but `\r`.
    line_blank: bool,
    /// How many bytes of the HTTP/2 preface the connection opened with, for its first
    /// head (`None` once they differ, and for later heads).
    pub(super) preface: Option<usize>,
}

impl Head {
    pub(super) fn new(preface: bool) -> Self {
        Head {
            content: false,
            line_blank: true,
            preface: preface.then_some(0),
        }
    }

    /// Reads `bytes` on; `true` when they end the head.
    pub(super) fn ends_in(&mut self, mut bytes: &[u8]) -> bool {
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
pub(super) enum Wait {
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
pub(super) struct Frames {
    header: [u8; H2_FRAME_HEADER],
    header_len: usize,
    payload_left: usize,
    block_open: bool,
}

impl Frames {
    pub(super) fn new() -> Self {
        Frames {
            header: [0; H2_FRAME_HEADER],
            header_len: 0,
            payload_left: 0,
            block_open: false,
        }
    }

    /// Reads `bytes` on; `true` when a frame ended among them.
    pub(super) fn read(&mut self, mut bytes: &[u8]) -> bool {
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

    pub(super) fn wait(&self) -> Wait {
        if self.block_open {
            Wait::Block
        } else if self.header_len > 0 || self.payload_left > 0 {
            Wait::Frame
        } else {
            Wait::Idle
        }
    }
}
