//! The request body: read within its size and time limits, charged to the budget of
//! bodies in flight, and parsed by its `Content-Type` (JSON, urlencoded or multipart
//! forms).

use std::future::Future;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use poem::http::header::CONTENT_LENGTH;
use serde_json::Value;

use super::json;
use super::multipart::{self, UploadLimits};
use super::query::{decode_form_text, pieces, UNDECODABLE};
use super::upload::Upload;
use crate::error::{reasons, BizError};
use crate::settings::Settings;

/// The parsed body.
#[derive(Debug, Default)]
pub(crate) enum Body {
    /// No body, or a body that is neither form nor JSON.
    #[default]
    None,
    /// A JSON object, as it arrived.
    Object(json::JsonObject),
    /// Any other JSON body, or an object built by decryption; only an object
    /// contributes named fields.
    Json(Value),
    /// Urlencoded or multipart text fields, in order.
    Form(Vec<(String, String)>),
}

/// The budget of `limits.bodies_in_flight_bytes`: bytes of bodies being parsed or
/// served, and of the trees parsed from them, all requests together.
///
/// A body is charged once it has arrived, not while it arrives: a client sending
/// slowly holds no share (`limits.body_timeout_ms` bounds it, `body_limit` its size).
/// A JSON body is counted first, which builds nothing, and charged for itself and the
/// trees it can become, reckoned at two `Value`s per JSON value (the tree, and the
/// parameter deserialized from it); a form for twice its size. A request waits for its
/// share holding none, so that no two requests can wait on each other.
#[derive(Debug)]
pub(crate) struct BodyBudget {
    bytes: Arc<tokio::sync::Semaphore>,
    capacity: usize,
}

/// A request's share of the [`BodyBudget`], given back when the request is done.
pub(crate) type BodyCharge = tokio::sync::OwnedSemaphorePermit;

/// What one JSON value may cost once parsed and deserialized into a parameter.
const VALUE_WEIGHT: usize = 2 * std::mem::size_of::<Value>();

impl BodyBudget {
    pub(crate) fn new(bytes: u64) -> Self {
        let capacity = usize::try_from(u32::try_from(bytes).unwrap_or(u32::MAX)).unwrap_or(usize::MAX);
        BodyBudget {
            bytes: Arc::new(tokio::sync::Semaphore::new(capacity)),
            capacity,
        }
    }

    /// Waits for `bytes` of the budget (all of it at most).
    async fn take(&self, bytes: usize) -> BodyCharge {
        let share = bytes.clamp(1, self.capacity) as u32;
        self.bytes
            .clone()
            .acquire_many_owned(share)
            .await
            .unwrap_or_else(|_| unreachable!("the budget's semaphore is never closed"))
    }
}

/// Bodies larger than this are parsed on the blocking pool, so that a burst of large
/// bodies does not hold the async workers other requests need.
const PARSE_OFF_WORKERS: usize = 256 * 1024;

/// How one request's body is read: the App's limits and budget, and what its
/// endpoint takes.
pub(crate) struct Reading<'a> {
    /// The largest body: `body_limit`, or the endpoint's `#[apiview(body_limit)]`.
    pub(crate) limit: u64,
    pub(crate) timeout: std::time::Duration,
    pub(crate) limits: BodyLimits,
    pub(crate) budget: &'a BodyBudget,
    pub(crate) uploads: &'a UploadLimits,
    /// The names of the endpoint's `Upload` parameters.
    pub(crate) upload_names: &'a [&'static str],
}

/// What a request holds of its body besides the parsed fields: its share of the
/// budget and its uploaded files, kept as long as the request is.
#[derive(Default)]
pub(crate) struct Held {
    pub(crate) charge: Option<BodyCharge>,
    pub(crate) uploads: Vec<(String, Upload)>,
}

/// Reads a request's body within `limits.body_timeout_ms`, then parses it charged to
/// the budget, waiting for its share within `limits.body_timeout_ms` too. A multipart
/// body is parsed as it arrives (its files may be larger than memory should hold),
/// and charged for what it keeps in memory.
pub(crate) async fn read_and_parse(
    request: &poem::Request,
    body: poem::Body,
    reading: Reading<'_>,
) -> Result<(Body, Held), BizError> {
    let Reading {
        limit,
        timeout,
        limits,
        budget,
        ..
    } = reading;
    let declared = declared_length(request);
    if let Some(length) = declared {
        if length > limit {
            return Err(BizError::too_large_request(length, limit));
        }
    }
    let charge = |bytes| within(timeout, budget.take(bytes));
    let kind = BodyKind::of(request.content_type(), limits);
    if kind == BodyKind::Multipart {
        let rules = multipart::MultipartRules {
            limit,
            max_parts: limits.max_form_fields,
            uploads: reading.uploads,
            upload_names: reading.upload_names,
        };
        let content_type = request.content_type().unwrap_or_default();
        // Boxed: its future is large, and would otherwise enlarge every request's.
        let read = within(timeout, Box::pin(multipart::read(content_type, body, rules))).await??;
        // The fields are charged twice, as an urlencoded body's are: the pairs, and the
        // payload tree built from them on demand.
        let charge = charge(2 * read.in_memory).await?;
        let held = Held {
            charge: Some(charge),
            uploads: read.uploads,
        };
        return Ok((Body::Form(read.fields), held));
    }
    let bytes = within(timeout, collect_body(body, limit, declared)).await??;
    let (body, charge) = match kind {
        BodyKind::Json { declared } => match parse_json(bytes.clone(), limits.json, charge).await? {
            Ok(parsed) => parsed,
            Err(json::Refusal::Invalid(_)) if !declared => return Ok((Body::None, Held::default())),
            Err(refusal) => return Err(refused(refusal, &bytes)),
        },
        BodyKind::Form => {
            // The pairs are decoded copies of the body.
            let charge = charge(2 * bytes.len()).await?;
            (
                parse_form(&bytes, limits.max_form_fields).map(Body::Form)?,
                charge,
            )
        }
        BodyKind::Multipart | BodyKind::Ignored => return Ok((Body::None, Held::default())),
    };
    let held = Held {
        charge: Some(charge),
        uploads: Vec::new(),
    };
    Ok((body, held))
}

/// Parses a JSON body with its share of the budget taken before any tree is built: a
/// small body for the most it can become, a larger one for what counting (which
/// builds nothing) finds. The outer error is the server's, the inner the body's.
async fn parse_json<C, F>(
    bytes: Bytes,
    limits: json::JsonLimits,
    charge: C,
) -> Result<Result<(Body, BodyCharge), json::Refusal>, BizError>
where
    C: FnOnce(usize) -> F,
    F: Future<Output = Result<BodyCharge, BizError>>,
{
    if json::is_small(bytes.len(), limits) {
        // At most one value per byte.
        let charge = charge(bytes.len().saturating_mul(1 + VALUE_WEIGHT)).await?;
        return Ok(json::parse_small(bytes).map(|body| (body, charge)));
    }
    let values = match off_workers_if_large(bytes.len(), {
        let bytes = bytes.clone();
        move || json::count(&bytes, limits)
    })
    .await?
    {
        Ok(values) => values,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let charge = charge(bytes.len().saturating_add(values.saturating_mul(VALUE_WEIGHT))).await?;
    let parsed = off_workers_if_large(bytes.len(), move || json::parse_counted(bytes)).await?;
    Ok(parsed.map(|body| (body, charge)))
}

/// `work` within `timeout` (a body's arrival, a wait for the budget): refused as a
/// body that did not arrive in time. Most work is done at its first poll, and then no
/// timer is made at all.
async fn within<T>(timeout: std::time::Duration, work: impl Future<Output = T>) -> Result<T, BizError> {
    let mut work = std::pin::pin!(work);
    if let std::task::Poll::Ready(done) = futures_util::poll!(work.as_mut()) {
        return Ok(done);
    }
    tokio::time::timeout(timeout, work).await.map_err(|_elapsed| {
        tracing::debug!(
            ?timeout,
            "the request body did not arrive (or was not admitted) in time"
        );
        BizError::bad_parameter_for("_payload", reasons::BODY_TIMEOUT)
    })
}

/// Runs `work` on the blocking pool when the body it reads (`len` bytes) is large.
async fn off_workers_if_large<T: Send + 'static>(
    len: usize,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, BizError> {
    if len <= PARSE_OFF_WORKERS {
        return Ok(work());
    }
    tokio::task::spawn_blocking(work).await.map_err(|err| {
        tracing::error!(%err, "parsing a request body on the blocking pool failed");
        BizError::sys_error()
    })
}

fn declared_length(request: &poem::Request) -> Option<u64> {
    request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok())
}

async fn collect_body(body: poem::Body, limit: u64, declared: Option<u64>) -> Result<Bytes, BizError> {
    let mut stream = body.into_bytes_stream();
    // A body that arrives in one chunk (most do) is kept as it is, not copied.
    let mut first = Bytes::new();
    let mut rest = BytesMut::new();
    let mut size: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|err| {
            tracing::debug!(%err, "reading the request body failed");
            BizError::bad_parameter_for("_payload", reasons::BODY_UNREADABLE)
        })?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(BizError::too_large_request(size, limit));
        }
        if size == chunk.len() as u64 {
            first = chunk;
        } else {
            if rest.is_empty() {
                // Sized once by the declared length, so that no growth copies it again.
                let expected = declared.map_or(0, |length| length.min(limit) as usize);
                rest.reserve(expected.max(size as usize));
                rest.extend_from_slice(&first);
                first = Bytes::new();
            }
            rest.extend_from_slice(&chunk);
        }
    }
    Ok(if rest.is_empty() { first } else { rest.freeze() })
}

/// What a body may hold once read: `[limits]` and `parse_untyped_bodies`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimits {
    pub(crate) json: json::JsonLimits,
    pub(crate) max_form_fields: usize,
    pub(crate) parse_untyped: bool,
}

impl BodyLimits {
    pub(crate) fn of(settings: &Settings) -> Self {
        let limits = &settings.limits;
        let size = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
        BodyLimits {
            json: json::JsonLimits {
                max_depth: size(limits.max_json_depth),
                max_values: size(limits.max_json_values),
            },
            max_form_fields: size(limits.max_form_fields),
            parse_untyped: settings.parse_untyped_bodies,
        }
    }
}

/// How a body is read, by its `Content-Type`, as django-apiview does: JSON when
/// declared JSON (an error if it does not parse), urlencoded and multipart forms, and
/// any other body as JSON when it happens to parse — but `text/plain`, which a
/// browser sends cross-site without asking, only when `parse_untyped_bodies` says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    /// JSON; `declared`: by its `Content-Type`, so that invalid JSON is an error.
    Json {
        declared: bool,
    },
    Form,
    Multipart,
    Ignored,
}

impl BodyKind {
    fn of(content_type: Option<&str>, limits: BodyLimits) -> BodyKind {
        let essence = content_type
            .map(|value| value.split(';').next().unwrap_or("").trim())
            .unwrap_or_default();
        let is = |media_type: &str| essence.eq_ignore_ascii_case(media_type);
        let json_suffix = essence
            .len()
            .checked_sub(5)
            .and_then(|at| essence.get(at..))
            .is_some_and(|suffix| suffix.eq_ignore_ascii_case("+json"));
        if is("application/json") || json_suffix {
            BodyKind::Json { declared: true }
        } else if is("application/x-www-form-urlencoded") {
            BodyKind::Form
        } else if is("multipart/form-data") {
            BodyKind::Multipart
        } else if is("text/plain") && !limits.parse_untyped {
            BodyKind::Ignored
        } else {
            BodyKind::Json { declared: false }
        }
    }
}

fn refused(refusal: json::Refusal, bytes: &[u8]) -> BizError {
    match refusal {
        json::Refusal::Invalid(err) => {
            tracing::debug!(%err, "the JSON body does not parse");
            BizError::parse_json_error(bytes)
        }
        json::Refusal::TooDeep => BizError::bad_parameter_for("_payload", reasons::JSON_TOO_DEEP),
        json::Refusal::TooMany => BizError::bad_parameter_for("_payload", reasons::JSON_TOO_MANY_VALUES),
    }
}

/// An urlencoded body's pairs, at most `max_fields` of them. A key or value whose
/// percent-decoding is not UTF-8 is marked, not patched with U+FFFD: a parameter
/// reading it is refused.
fn parse_form(bytes: &[u8], max_fields: usize) -> Result<Vec<(String, String)>, BizError> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(BizError::bad_parameter_for("_payload", reasons::FORM_NOT_UTF8));
    };
    let mut pairs = Vec::new();
    for (start, end) in pieces(text) {
        if pairs.len() == max_fields {
            return Err(BizError::bad_parameter_for(
                "_payload",
                reasons::TOO_MANY_FORM_FIELDS,
            ));
        }
        let piece = &text[start..end];
        let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
        // Undecodable text is kept as a mark that no parameter takes (see `gather`).
        let decoded = |text| decode_form_text(text).unwrap_or_else(|| UNDECODABLE.to_owned());
        pairs.push((decoded(key), decoded(value)));
    }
    Ok(pairs)
}
