//! The stream example (examples/stream) over real HTTP: server-sent events and
//! `multipart/x-mixed-replace` frames, framed as browsers read them and ending after
//! the count asked for; endless streams that stop once their clients leave (its
//! `/live` count falls back to 0); out-of-range parameters answered as packed
//! `BadParameter`s.

mod common;

#[path = "../examples/stream/endpoints.rs"]
mod endpoints;
#[path = "../examples/stream/streams.rs"]
mod streams;

use std::time::Duration;

use common::{TestServer, BAD_PARAMETER};
use serde_json::Value;

/// How long a finite stream may take to end before the test calls it endless. Not a
/// speed check: the streams asked for here last well under a second.
const ENDS_WITHIN: Duration = Duration::from_secs(20);

async fn server() -> TestServer {
    let endpoint = endpoints::endpoint(common::settings(""), streams::LiveStreams::default());
    common::serve_endpoint(endpoint).await
}

async fn get(server: &TestServer, path: &str) -> reqwest::Response {
    let response = server.client.get(server.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
}

/// The whole body of a stream that must end by itself.
async fn body_of_finite(response: reqwest::Response) -> Vec<u8> {
    tokio::time::timeout(ENDS_WITHIN, response.bytes())
        .await
        .expect("the stream did not end after its count")
        .unwrap()
        .to_vec()
}

/// Reads `response` into `buffer` until `buffer` ends with `end`; panics if the body
/// ends first.
async fn read_until(response: &mut reqwest::Response, buffer: &mut Vec<u8>, end: &[u8]) {
    while !buffer.ends_with(end) {
        let chunk = response.chunk().await.unwrap();
        let chunk =
            chunk.unwrap_or_else(|| panic!("the stream ended: {:?}", String::from_utf8_lossy(buffer)));
        buffer.extend_from_slice(&chunk);
    }
}

/// `(id, data)` of each event of a server-sent event stream, checking that each event
/// is exactly an `id:` line and a `data:` line.
fn sse_events(body: &str) -> Vec<(u64, Value)> {
    assert!(
        body.ends_with("\n\n"),
        "the last event is not terminated: {body:?}"
    );
    body.trim_end_matches("\n\n")
        .split("\n\n")
        .map(|event| {
            let lines: Vec<&str> = event.split('\n').collect();
            let [id, data] = lines[..] else {
                panic!("an event is not an id line and a data line: {event:?}");
            };
            let id = id
                .strip_prefix("id: ")
                .unwrap_or_else(|| panic!("no id line: {event:?}"));
            let data = data
                .strip_prefix("data: ")
                .unwrap_or_else(|| panic!("no data line: {event:?}"));
            let id = id
                .parse()
                .unwrap_or_else(|_| panic!("the id is not a number: {event:?}"));
            let data =
                serde_json::from_str(data).unwrap_or_else(|_| panic!("the data is not JSON: {event:?}"));
            (id, data)
        })
        .collect()
}

/// The SVG of each part of a `multipart/x-mixed-replace; boundary=frame` body, checking
/// each delimiter, the part's headers and its `Content-Length`, and the close delimiter
/// at the very end.
fn frames(body: &[u8]) -> Vec<String> {
    let mut rest = body;
    let mut svgs = Vec::new();
    loop {
        if rest == b"--frame--\r\n" {
            return svgs;
        }
        rest = rest
            .strip_prefix(b"--frame\r\n")
            .unwrap_or_else(|| panic!("no delimiter before {:?}", String::from_utf8_lossy(rest)));
        let head_end = rest
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .expect("a part's headers never end");
        let head = std::str::from_utf8(&rest[..head_end]).unwrap();
        let headers: Vec<(&str, &str)> = head
            .split("\r\n")
            .filter_map(|line| line.split_once(": "))
            .collect();
        assert_eq!(headers.len(), 2, "part headers {head:?}");
        assert!(
            headers.contains(&("Content-Type", "image/svg+xml")),
            "part headers {head:?}"
        );
        let length: usize = headers
            .iter()
            .find(|(name, _)| *name == "Content-Length")
            .and_then(|(_, value)| value.parse().ok())
            .unwrap_or_else(|| panic!("no Content-Length in {head:?}"));
        rest = &rest[head_end + 4..];
        assert!(
            rest.len() >= length + 2,
            "a part is shorter than its Content-Length"
        );
        let svg = String::from_utf8(rest[..length].to_vec()).unwrap();
        assert!(
            svg.starts_with("<svg ") && svg.ends_with("</svg>"),
            "Content-Length {length} does not frame one SVG: {svg:?}"
        );
        rest = rest[length..]
            .strip_prefix(b"\r\n")
            .expect("no CRLF between a part and the next delimiter");
        svgs.push(svg);
    }
}

#[tokio::test]
async fn events_are_framed_with_increasing_ids_and_end_after_count() {
    let server = server().await;
    let response = get(&server, "/events?count=4&interval_ms=10").await;
    assert_eq!(header(&response, "content-type"), "text/event-stream");
    assert_eq!(header(&response, "cache-control"), "no-store");
    let body = String::from_utf8(body_of_finite(response).await).unwrap();
    let events = sse_events(&body);
    let ids: Vec<u64> = events.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [1, 2, 3, 4], "{body}");
    for (id, data) in &events {
        assert_eq!(data["n"], *id, "{body}");
        assert!(
            data["at"].as_u64().is_some_and(|at| at > 1_600_000_000_000),
            "{body}"
        );
    }
}

#[tokio::test]
async fn screen_frames_are_framed_by_their_length_and_end_after_frames() {
    let server = server().await;
    let response = get(&server, "/screen?frames=3&interval_ms=10").await;
    assert_eq!(
        header(&response, "content-type"),
        "multipart/x-mixed-replace; boundary=frame"
    );
    assert_eq!(header(&response, "cache-control"), "no-store");
    let svgs = frames(&body_of_finite(response).await);
    assert_eq!(svgs.len(), 3);
    for (n, svg) in svgs.iter().enumerate() {
        assert!(
            svg.contains(&format!(">frame {}<", n + 1)),
            "frame {}: {svg}",
            n + 1
        );
    }
}

#[tokio::test]
async fn endless_streams_stop_when_their_clients_leave() {
    let server = server().await;
    assert_eq!(server.get_json("/live").await, common::ok(0.into()));
    // Their own client, so that no pooled connection outlives the test's drop.
    let client = reqwest::Client::new();
    let mut events = client
        .get(server.url("/events?interval_ms=20"))
        .send()
        .await
        .unwrap();
    let mut screen = client
        .get(server.url("/screen?interval_ms=20"))
        .send()
        .await
        .unwrap();
    let mut first_event = Vec::new();
    read_until(&mut events, &mut first_event, b"\n\n").await;
    assert!(first_event.starts_with(b"id: 1\ndata: "), "{first_event:?}");
    let mut first_frame = Vec::new();
    read_until(&mut screen, &mut first_frame, b"</svg>\r\n").await;
    assert_eq!(frames(&[&first_frame[..], b"--frame--\r\n"].concat()).len(), 1);

    assert_eq!(server.get_json("/live").await, common::ok(2.into()));
    drop((events, screen, client));
    common::eventually("/live falls back to 0", Duration::from_secs(5), || async {
        server.get_json("/live").await == common::ok(0.into())
    })
    .await;
}

#[tokio::test]
async fn out_of_range_parameters_answer_bad_parameter() {
    let server = server().await;
    for (path, parameter) in [
        ("/events?interval_ms=0", "interval_ms"),
        ("/events?interval_ms=60001", "interval_ms"),
        ("/events?count=-1", "count"),
        ("/events?count=1000001", "count"),
        ("/screen?interval_ms=9", "interval_ms"),
        ("/screen?frames=-1", "frames"),
    ] {
        let answer = common::send(server.client.get(server.url(path))).await;
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(
            common::code_of(&answer.json),
            BAD_PARAMETER,
            "{path}: {}",
            answer.json
        );
        let message = common::message_of(&answer.json);
        assert!(message.contains(parameter), "{path}: {message}");
    }
    assert_eq!(server.get_json("/live").await, common::ok(0.into()));
}

#[tokio::test]
async fn the_page_shows_the_screen_and_logs_the_events() {
    let server = server().await;
    let response = get(&server, "/").await;
    assert_eq!(header(&response, "content-type"), "text/html; charset=utf-8");
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"<img src="/screen"#), "{page}");
    assert!(page.contains(r#"new EventSource("/events"#), "{page}");
}
