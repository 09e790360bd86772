//! The streams behind the endpoints: a ticking clock, framed as server-sent events or
//! as the parts of a `multipart/x-mixed-replace` answer, and the count of the streams
//! being served.
//!
//! Each stream is a plain `futures_util` stream that owns everything it needs (no task
//! is spawned, no timer outlives it): when the client leaves, poem drops the body, the
//! stream with it, and its [`LiveGuard`] takes it off the count.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{stream, Stream, StreamExt};

/// The boundary between the parts of `/screen`'s answer.
pub const BOUNDARY: &str = "frame";

/// How many streams are being served now. Cloned into the App as poem data; each
/// stream holds a [`LiveGuard`] taken from it.
#[derive(Debug, Clone, Default)]
pub struct LiveStreams(Arc<AtomicUsize>);

impl LiveStreams {
    /// The number of streams alive now.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// Counts one more stream until the guard drops.
    pub fn enter(&self) -> LiveGuard {
        self.0.fetch_add(1, Ordering::SeqCst);
        LiveGuard(self.0.clone())
    }
}

/// One stream on the count of [`LiveStreams`]; dropped with its stream.
#[derive(Debug)]
pub struct LiveGuard(Arc<AtomicUsize>);

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One tick of the clock: its number (from 1) and when it struck.
#[derive(Debug, Clone, Copy)]
pub struct Tick {
    /// 1 for the first tick, then one more each interval.
    pub n: u64,
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
}

/// Ticks `n = 1, 2, …`: the first at once, then one every `interval`; `count` of them,
/// or without end when `count` is `None`. The stream holds `guard` until it ends or is
/// dropped.
pub fn ticks(guard: LiveGuard, count: Option<u64>, interval: Duration) -> impl Stream<Item = Tick> + Send {
    stream::unfold((1_u64, guard), move |(n, guard)| async move {
        if count.is_some_and(|count| n > count) {
            return None;
        }
        if n > 1 {
            tokio::time::sleep(interval).await;
        }
        let tick = Tick { n, at_ms: unix_ms() };
        Some((tick, (n.saturating_add(1), guard)))
    })
}

/// A tick as one server-sent event: `id: 3\ndata: {"n":3,"at":1700000000000}\n\n`.
pub fn sse_event(tick: Tick) -> String {
    let data = serde_json::json!({"n": tick.n, "at": tick.at_ms});
    format!("id: {}\ndata: {data}\n\n", tick.n)
}

/// The ticks as server-sent events, ready for `Body::from_bytes_stream`.
pub fn sse(ticks: impl Stream<Item = Tick> + Send) -> impl Stream<Item = std::io::Result<String>> + Send {
    ticks.map(|tick| Ok(sse_event(tick)))
}

/// The ticks as the parts of a `multipart/x-mixed-replace; boundary=frame` body, each
/// an SVG frame (RFC 2046: a part is its delimiter line, its headers, a blank line and
/// its bytes, and the CRLF before the next delimiter belongs to that delimiter). A
/// finite stream ends with the close delimiter `--frame--`.
pub fn multipart_frames(
    ticks: impl Stream<Item = Tick> + Send,
) -> impl Stream<Item = std::io::Result<Vec<u8>>> + Send {
    let parts = ticks.map(|tick| {
        let svg = svg_frame(tick);
        let mut part = format!(
            "--{BOUNDARY}\r\nContent-Type: image/svg+xml\r\nContent-Length: {}\r\n\r\n",
            svg.len()
        )
        .into_bytes();
        part.extend_from_slice(svg.as_bytes());
        part.extend_from_slice(b"\r\n");
        part
    });
    let close = stream::once(async { format!("--{BOUNDARY}--\r\n").into_bytes() });
    parts.chain(close).map(Ok)
}

/// A 320×180 SVG frame: a clock face whose hand sweeps once a minute, the UTC time to
/// the millisecond, and the frame's number.
pub fn svg_frame(tick: Tick) -> String {
    let ms_of_day = tick.at_ms % 86_400_000;
    let (hours, minutes) = (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60);
    let (seconds, millis) = (ms_of_day / 1000 % 60, ms_of_day % 1000);
    let angle = (ms_of_day % 60_000) as f64 * std::f64::consts::TAU / 60_000.0;
    let (hand_x, hand_y) = (90.0 + 60.0 * angle.sin(), 90.0 - 60.0 * angle.cos());
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="320" height="180" viewBox="0 0 320 180"><rect width="320" height="180" fill="#102030"/><circle cx="90" cy="90" r="70" fill="none" stroke="#9cf" stroke-width="4"/><line x1="90" y1="90" x2="{hand_x:.1}" y2="{hand_y:.1}" stroke="#fc6" stroke-width="4" stroke-linecap="round"/><text x="180" y="80" fill="#fff" font-family="monospace" font-size="20">{hours:02}:{minutes:02}:{seconds:02}</text><text x="180" y="105" fill="#9cf" font-family="monospace" font-size="14">.{millis:03} UTC</text><text x="180" y="140" fill="#fc6" font-family="monospace" font-size="16">frame {n}</text></svg>"##,
        n = tick.n
    )
}

fn unix_ms() -> u64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX)
}
