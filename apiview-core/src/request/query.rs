//! Urlencoded text, as query strings and form bodies carry it: split into pairs, read
//! without decoding when nothing needs it, percent-decoded (strictly: text that does
//! not decode to UTF-8 is marked, never patched) when something does.

use serde_json::{Map, Value};

use super::RawValue;

pub(super) fn text_pairs(pairs: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    pairs.iter().map(|(key, value)| (key.as_str(), value.as_str()))
}

pub(super) fn find_pairs<'a>(
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
    name: &str,
) -> Option<RawValue<'a>> {
    gather(pairs.filter(|(key, _)| *key == name).map(|(_, value)| value))
}

/// The values found for one name: none, one, or all of them in order.
pub(super) fn gather<'a>(mut found: impl Iterator<Item = &'a str>) -> Option<RawValue<'a>> {
    let first = found.next()?;
    let gathered = match found.next() {
        None => RawValue::Text(first),
        Some(second) => {
            let mut all = vec![first, second];
            all.extend(found);
            RawValue::Texts(all)
        }
    };
    let undecodable = match &gathered {
        RawValue::Text(text) => *text == UNDECODABLE,
        RawValue::Texts(texts) => texts.contains(&UNDECODABLE),
        _ => false,
    };
    Some(if undecodable {
        RawValue::Undecodable
    } else {
        gathered
    })
}

pub(super) fn group_pairs<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Map<String, Value> {
    let mut grouped = Map::new();
    for (key, value) in pairs {
        let value = Value::String(value.to_owned());
        match grouped.get_mut(key) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                grouped.insert(key.to_owned(), value);
            }
        }
    }
    grouped
}

/// A piece of the query string that has to be percent-decoded before it is compared
/// or returned.
pub(super) struct NeedsDecoding;

/// `name`'s value(s) in the query string, read as [`parse_query`] reads it, found
/// without decoding or allocating when the query has no `%` and no `+`; `Err` when it
/// has (then a key could decode to `name`).
pub(super) fn scan_query<'a>(query: &'a str, name: &str) -> Result<Option<RawValue<'a>>, NeedsDecoding> {
    if needs_decoding(query) {
        return Err(NeedsDecoding);
    }
    // Only the pieces that start with `name` are split: `name=value`, or `name` alone
    // (an empty value).
    let values = pieces(query).filter_map(|(start, end)| match query[start..end].strip_prefix(name)? {
        "" => Some(""),
        rest => rest.strip_prefix('='),
    });
    Ok(gather(values))
}

/// Whether percent-decoding changes `text` (a `%` escape, or `+` for a space).
pub(super) fn needs_decoding(text: &str) -> bool {
    text.bytes().any(|b| b == b'%' || b == b'+')
}

/// A key or value of the query string, or a name in a JSON object body: most need no
/// decoding and stay a range of the text they came in, which spares each an
/// allocation; the others are decoded once.
#[derive(Debug)]
pub(super) enum Piece {
    Range(usize, usize),
    Decoded(String),
}

impl Piece {
    pub(super) fn of(query: &str, start: usize, end: usize) -> Piece {
        let text = &query[start..end];
        if needs_decoding(text) {
            // Undecodable text is kept as a mark that no parameter takes (see `gather`).
            Piece::Decoded(decode_form_text(text).unwrap_or_else(|| UNDECODABLE.to_owned()))
        } else {
            Piece::Range(start, end)
        }
    }

    pub(super) fn text<'a>(&'a self, query: &'a str) -> &'a str {
        match self {
            Piece::Range(start, end) => &query[*start..*end],
            Piece::Decoded(text) => text,
        }
    }

    pub(super) fn bytes<'a>(&'a self, source: &'a [u8]) -> &'a [u8] {
        match self {
            Piece::Range(start, end) => &source[*start..*end],
            Piece::Decoded(text) => text.as_bytes(),
        }
    }
}

/// Stands for query or form text whose percent-decoding is not UTF-8, among decoded
/// texts: a lone surrogate, which no `&str` holds, cannot be spelled; U+FFFF, a
/// noncharacter no client sends, can.
pub(super) const UNDECODABLE: &str = "\u{FFFF}";

/// `application/x-www-form-urlencoded` pairs, as `form_urlencoded::parse` reads them:
/// `&`-separated, empty pieces skipped, split at the first `=`, `+` for a space.
pub(super) fn parse_query(query: &str) -> Vec<(Piece, Piece)> {
    pieces(query)
        .map(|(start, end)| match query[start..end].find('=') {
            Some(eq) => (
                Piece::of(query, start, start + eq),
                Piece::of(query, start + eq + 1, end),
            ),
            None => (Piece::of(query, start, end), Piece::Range(end, end)),
        })
        .collect()
}

/// The `(start, end)` of each `&`-separated piece of the query, empty ones skipped.
pub(super) fn pieces(query: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let bytes = query.as_bytes();
    let mut start = 0;
    std::iter::from_fn(move || {
        while start < bytes.len() {
            let piece_start = start;
            let end = bytes[start..]
                .iter()
                .position(|&b| b == b'&')
                .map_or(bytes.len(), |at| start + at);
            start = end + 1;
            if end > piece_start {
                return Some((piece_start, end));
            }
        }
        None
    })
}

/// `+` as a space, then percent-decoding; `None` when the bytes are not UTF-8.
pub(super) fn decode_form_text(text: &str) -> Option<String> {
    if !needs_decoding(text) {
        return Some(text.to_owned());
    }
    let spaced = text.replace('+', " ");
    let decoded = percent_encoding::percent_decode_str(&spaced).decode_utf8().ok()?;
    Some(decoded.into_owned())
}

#[cfg(test)]
mod tests {
    use super::{find_pairs, parse_query, scan_query, UNDECODABLE};

    const QUERIES: [&str; 16] = [
        "a=1&b=2",
        "a=b=c",
        "&&a=1&&",
        "=x&y",
        "a",
        "a+b=c%20d+e",
        "%zz=%4",
        "%C3%A9=%E2%82%AC",
        "a=%FF%FE",
        "a=1&a=2&a=",
        "",
        "&",
        "é=ü",
        "b=%41&a=1",
        "a=1&%61=2",
        "a=1&b=2&a=3",
    ];

    #[test]
    fn scanning_the_query_finds_what_the_decoded_pairs_find() {
        let mut scanned = 0;
        for query in QUERIES {
            let pieces = parse_query(query);
            let pairs = || {
                pieces
                    .iter()
                    .map(|(key, value)| (key.text(query), value.text(query)))
            };
            for name in ["a", "b", "y", "", "é", "a b", "%61"] {
                let expected = find_pairs(pairs(), name).map(|value| value.to_json());
                if let Ok(found) = scan_query(query, name) {
                    scanned += 1;
                    assert_eq!(
                        found.map(|value| value.to_json()),
                        expected,
                        "{name:?} in {query:?}"
                    );
                }
            }
        }
        // Most queries need no decoding: the scan answers them itself.
        assert!(scanned >= 70, "only {scanned} lookups answered by the scan");
    }

    /// As `form_urlencoded` reads them, but for text that does not decode to UTF-8,
    /// which is marked instead of patched with U+FFFD.
    #[test]
    fn query_pieces_read_as_form_urlencoded_reads_them() {
        for query in QUERIES {
            let strict = |text: std::borrow::Cow<'_, str>| {
                if text.contains('\u{FFFD}') {
                    UNDECODABLE.to_owned()
                } else {
                    text.into_owned()
                }
            };
            let expected: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
                .map(|(key, value)| (strict(key), strict(value)))
                .collect();
            let parsed: Vec<(String, String)> = parse_query(query)
                .iter()
                .map(|(key, value)| (key.text(query).to_owned(), value.text(query).to_owned()))
                .collect();
            assert_eq!(parsed, expected, "query {query:?}");
        }
    }
}
