//! The stream example's endpoints: server-sent events, a `multipart/x-mixed-replace`
//! picture, the page that shows both, and the count of streams being served.

use std::time::Duration;

use apiview::prelude::*;
use poem::http::header;
use poem::web::{Data, Html};
use poem::{Body, Endpoint, EndpointExt, Response};

use crate::streams::{self, LiveStreams, BOUNDARY};

/// Ticks as server-sent events: `id: n` and `data: {"n": n, "at": unix_ms}`, the
/// first at once, then one every `interval_ms` (default 1000), `count` of them (`0` or
/// none: until the client leaves).
#[apiview(content_type = "text/event-stream")]
#[allow_get]
#[between(count, 0, 1_000_000, allow_none = true)]
#[between(interval_ms, 10, 60_000, allow_none = true)]
pub fn events(
    #[extract] live_streams: Data<&LiveStreams>,
    count: Option<i64>,
    interval_ms: Option<i64>,
) -> Raw<Response> {
    let ticks = streams::ticks(live_streams.enter(), finite(count), interval(interval_ms, 1000));
    Raw(streaming(
        "text/event-stream",
        Body::from_bytes_stream(streams::sse(ticks)),
    ))
}

/// A clock drawn in SVG, one frame every `interval_ms` (default 200), as
/// `multipart/x-mixed-replace` parts: `<img src="/screen">` shows it moving. `frames`
/// of them (`0` or none: until the client leaves).
#[apiview(content_type = "multipart/x-mixed-replace")]
#[allow_get]
#[between(frames, 0, 1_000_000, allow_none = true)]
#[between(interval_ms, 10, 60_000, allow_none = true)]
pub fn screen(
    #[extract] live_streams: Data<&LiveStreams>,
    frames: Option<i64>,
    interval_ms: Option<i64>,
) -> Raw<Response> {
    let ticks = streams::ticks(live_streams.enter(), finite(frames), interval(interval_ms, 200));
    let content_type = format!("multipart/x-mixed-replace; boundary={BOUNDARY}");
    Raw(streaming(
        &content_type,
        Body::from_bytes_stream(streams::multipart_frames(ticks)),
    ))
}

/// How many `/events` and `/screen` answers are streaming now.
#[apiview]
#[allow_get]
pub fn live(#[extract] live_streams: Data<&LiveStreams>) -> usize {
    live_streams.count()
}

/// The page at `/`: the `/screen` picture, a log of `/events` and the `/live` count.
pub const PAGE: &str = include_str!("index.html");

/// `count` as a bound on a stream: `None` for no end.
fn finite(count: Option<i64>) -> Option<u64> {
    count
        .and_then(|count| u64::try_from(count).ok())
        .filter(|&count| count > 0)
}

/// `interval_ms` as a duration, `default_ms` when absent.
fn interval(interval_ms: Option<i64>, default_ms: u64) -> Duration {
    let ms = interval_ms
        .and_then(|ms| u64::try_from(ms).ok())
        .unwrap_or(default_ms);
    Duration::from_millis(ms)
}

/// A streamed answer that no cache keeps.
fn streaming(content_type: &str, body: Body) -> Response {
    Response::builder()
        .content_type(content_type)
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
}

/// The page showing both streams.
#[apiview]
#[allow_get]
pub fn page() -> Raw<Html<&'static str>> {
    Raw(Html(PAGE))
}

/// Every endpoint at its path. Serve it through [`endpoint`], which gives the
/// endpoints the [`LiveStreams`] they count on.
pub fn app(settings: Settings) -> App {
    App::new(settings)
        .at("/", page)
        .at("/events", events)
        .at("/screen", screen)
        .at("/live", live)
}

/// The App as a poem endpoint, with the [`LiveStreams`] its endpoints count on.
pub fn endpoint(settings: Settings, live_streams: LiveStreams) -> impl Endpoint + 'static {
    app(settings).into_endpoint().data(live_streams)
}
