//! What the plain-poem baselines share, included by `#[path]` from
//! `tools/src/bin/baseline.rs` (the benchmark's) and `examples/snippets_baseline` (the
//! snippets benchmark's): the `--addr` command line, and request ids as apiview writes
//! them, so that both answer with the headers the toolkit does.

use std::cell::Cell;

use poem::http::{HeaderName, HeaderValue};
use poem::Request;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// `--addr HOST:PORT` (else `default_addr`); `Err` holds what to print (`usage` for
/// `--help`, the fault and `usage` otherwise).
pub fn parse_addr(default_addr: &str, usage: &str) -> Result<String, String> {
    let mut addr = default_addr.to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().ok_or("--addr needs HOST:PORT")?,
            "-h" | "--help" => return Err(usage.to_owned()),
            other => return Err(format!("unknown argument `{other}`\n{usage}")),
        }
    }
    Ok(addr)
}

/// The request's `X-Request-Id` when it is a sane token, else a new random
/// (version 4 UUID, 32 hex digits) id.
pub fn request_id(req: &Request) -> HeaderValue {
    if let Some(id) = req.headers().get(&REQUEST_ID) {
        let text = id.as_bytes();
        if !text.is_empty()
            && text.len() <= 128
            && text
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
        {
            return id.clone();
        }
    }
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&next_random().to_le_bytes());
    bytes[8..].copy_from_slice(&next_random().to_le_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = [0u8; 32];
    for (i, byte) in bytes.iter().enumerate() {
        text[2 * i] = HEX[usize::from(byte >> 4)];
        text[2 * i + 1] = HEX[usize::from(byte & 0x0f)];
    }
    HeaderValue::from_bytes(&text).expect("hex digits are a valid header value")
}

thread_local! {
    static RANDOM: Cell<u64> = Cell::new(std::hash::BuildHasher::hash_one(
        &std::collections::hash_map::RandomState::new(),
        std::thread::current().id(),
    ));
}

/// wyrand, seeded per thread from the OS-seeded keys of `RandomState`: request ids
/// need to be unique, not secret.
fn next_random() -> u64 {
    RANDOM.with(|state| {
        let s = state.get().wrapping_add(0xa076_1d64_78bd_642f);
        state.set(s);
        let t = u128::from(s) * u128::from(s ^ 0xe703_7ed1_a0b4_28db);
        (t as u64) ^ ((t >> 64) as u64)
    })
}
