//! `#[throttle]` and `throttle.default_rate` (DESIGN §13): a request's counters,
//! their keys filled from its raw values, counted in a cache backend. Built once per
//! endpoint when the App is bound; an endpoint with no rate has no check at all, and
//! a request to it pays nothing.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use apiview_grammar::Rate;
use poem::http::{HeaderMap, HeaderName};
use serde_json::Value;

use crate::cache::{push_key_part, Admission, Cache, Caches, Limit, ThrottleCounter};
use crate::error::BizError;
use crate::meta::{EndpointMeta, Source, ThrottleValue};
use crate::request::{read_before_body, ApiRequest, RawValue};
use crate::settings::{IpBlock, Settings};

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// `[throttle]`, resolved once per App: shared by every endpoint's [`ThrottleCheck`].
pub(crate) struct Throttling {
    cache: Cache,
    timeout: Duration,
    trusted: Vec<IpBlock>,
    default_rate: Option<Rate>,
    fail_closed: bool,
}

impl Throttling {
    /// `None` when `throttle.backend` names no configured backend (the App refuses
    /// to start then, if anything is throttled).
    pub(crate) fn new(settings: &Settings, caches: &Caches) -> Option<Arc<Throttling>> {
        let throttle = &settings.throttle;
        Some(Arc::new(Throttling {
            cache: caches.get(&throttle.backend)?.clone(),
            timeout: Duration::from_millis(settings.cache.operation_timeout_ms),
            trusted: throttle
                .trusted_proxies
                .iter()
                .filter_map(|proxy| IpBlock::parse(proxy))
                .collect(),
            default_rate: Rate::parse(&throttle.default_rate).ok(),
            fail_closed: throttle.fail_closed,
        }))
    }

    fn is_trusted(&self, address: IpAddr) -> bool {
        self.trusted.iter().any(|block| block.contains(address))
    }

    /// The client's address: the TCP peer's, unless the peer is a trusted proxy;
    /// then the rightmost `X-Forwarded-For` address that is not a trusted proxy (each
    /// proxy appends the address it was called from, so what lies further left was
    /// written by the client and is not believed). An entry that is not an address
    /// ends the walk at the last address believed.
    pub(crate) fn client_ip(&self, request: &poem::Request) -> Option<IpAddr> {
        let peer = request.remote_addr().as_socket_addr()?.ip();
        Some(self.client_of(peer, request.headers()))
    }

    fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.is_trusted(peer) {
            return peer;
        }
        let lines: Vec<&str> = headers
            .get_all(X_FORWARDED_FOR)
            .iter()
            .filter_map(|line| line.to_str().ok())
            .collect();
        let mut client = peer;
        for entry in lines.iter().rev().flat_map(|line| line.rsplit(',')) {
            let Some(address) = forwarded_address(entry) else {
                break;
            };
            client = address;
            if !self.is_trusted(address) {
                break;
            }
        }
        client
    }
}

/// One entry of `X-Forwarded-For`: `1.2.3.4`, `2001:db8::1`, with a port
/// (`1.2.3.4:80`, `[2001:db8::1]:80`) or quoted.
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim().trim_matches('"');
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|addr| addr.ip()))
        .ok()
        .map(|address| address.to_canonical())
}

/// A client address as a key part: an IPv4 address itself, an IPv6 address its /64
/// network, since one host is commonly given a whole /64 to pick addresses from.
fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(address) => address.to_string(),
        IpAddr::V6(address) => {
            let network = u128::from(address) & (u128::MAX << 64);
            format!("{}/64", std::net::Ipv6Addr::from(network))
        }
    }
}

/// One counter of an endpoint: its key's fixed start and template, and its rate.
struct Counter {
    /// `throttle:{scope}:{rate}:`.
    prefix: String,
    literals: &'static [&'static str],
    values: &'static [ThrottleValue],
    limit: Limit,
}

/// The throttle of one endpoint: its counters, checked together.
pub(crate) struct ThrottleCheck {
    throttling: Arc<Throttling>,
    counters: Box<[Counter]>,
    /// Whether every key value is known before the body is read.
    before_body: bool,
}

impl ThrottleCheck {
    /// The check of the endpoint `meta` describes: its `#[throttle]`s, else the
    /// default rate per client address; `None` when it has neither.
    pub(crate) fn new(throttling: Option<&Arc<Throttling>>, meta: &'static EndpointMeta) -> Option<Self> {
        let throttling = throttling?;
        let counter = |scope: &str, rate: Rate, literals, values| Counter {
            prefix: format!("throttle:{scope}:{rate}:"),
            literals,
            values,
            limit: Limit::new(rate.count, Duration::from_secs(rate.period_seconds())),
        };
        let counters: Box<[Counter]> = if meta.throttles.is_empty() {
            let rate = throttling.default_rate?;
            // As `#[throttle]`'s default scope: the function's path.
            let scope = format!("{}::{}", meta.module_path, meta.name);
            Box::new([counter(&scope, rate, &["", ""], &[ThrottleValue::ClientIp])])
        } else {
            meta.throttles
                .iter()
                .filter_map(|spec| {
                    let rate = Rate::parse(spec.rate).ok()?;
                    Some(counter(spec.scope, rate, spec.literals, spec.values))
                })
                .collect()
        };
        let before_body = counters.iter().flat_map(|counter| counter.values).all(|value| {
            !matches!(
                value,
                ThrottleValue::Request(Source::Field { .. } | Source::Payload)
            )
        });
        Some(ThrottleCheck {
            throttling: throttling.clone(),
            counters,
            before_body,
        })
    }

    /// Whether the check reads nothing from the body: it then runs before the body
    /// is read, so that a throttled client costs no body parsing.
    pub(crate) fn before_body(&self) -> bool {
        self.before_body
    }

    /// Counts the request: `TooManyRequests` over a rate; when the backend fails, the
    /// request passes, or with `fail_closed` it is refused with `CacheError`.
    /// `data` is the request with its body, once read.
    pub(crate) async fn check(
        &self,
        request: &poem::Request,
        data: Option<&ApiRequest>,
    ) -> Result<(), BizError> {
        let keys: Vec<String> = self
            .counters
            .iter()
            .map(|counter| self.key(counter, request, data))
            .collect();
        let counters: Vec<ThrottleCounter<'_>> = keys
            .iter()
            .zip(self.counters.iter())
            .map(|(key, counter)| ThrottleCounter {
                key,
                limit: counter.limit,
            })
            .collect();
        let throttling = &*self.throttling;
        match throttling.cache.throttle(&counters, throttling.timeout).await {
            Ok(Admission::Admitted) => Ok(()),
            Ok(refused) => Err(BizError::too_many_requests(
                refused.retry_after_seconds().unwrap_or(1),
            )),
            // Counted and logged by the cache.
            Err(_) if throttling.fail_closed => Err(BizError::cache_error()),
            Err(_) => Ok(()),
        }
    }

    /// A counter's key: its prefix, then the template filled with the request's raw
    /// values, each escaped as a cache key part; a missing value is written `~`, so
    /// that every request without it shares one counter.
    fn key(&self, counter: &Counter, request: &poem::Request, data: Option<&ApiRequest>) -> String {
        let mut key = counter.prefix.clone();
        for (at, literal) in counter.literals.iter().enumerate() {
            key.push_str(literal);
            let Some(value) = counter.values.get(at) else {
                continue;
            };
            let text = match value {
                ThrottleValue::ClientIp => self
                    .throttling
                    .client_ip(request)
                    .map(|ip| Cow::Owned(address_key(ip))),
                ThrottleValue::Request(source) => match data {
                    Some(data) => data.get(source).and_then(|raw| raw_text(&raw)),
                    None => read_before_body(request, source),
                },
            };
            // Text always serializes: nothing fails here.
            let _ = push_key_part(&mut key, &text.as_deref());
        }
        key
    }
}

/// A raw value as key text: a JSON scalar as its text, so that `42` in a JSON body
/// and `42` in the query count as one; a list or object as its JSON text; `null`
/// and undecodable text as missing.
fn raw_text<'a>(raw: &RawValue<'a>) -> Option<Cow<'a, str>> {
    match raw {
        RawValue::Text(text) | RawValue::JsonStr(text) => Some(Cow::Borrowed(text)),
        RawValue::Json(Value::Null) => None,
        RawValue::Json(Value::String(text)) => Some(Cow::Borrowed(text.as_str())),
        RawValue::Json(other) => Some(Cow::Owned(other.to_string())),
        RawValue::Texts(_) => Some(Cow::Owned(raw.to_json().to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttling(trusted: &[&str]) -> Throttling {
        let mut settings = Settings::default();
        settings.throttle.trusted_proxies = trusted.iter().map(|proxy| (*proxy).to_owned()).collect();
        let caches = Caches::from_settings(&settings.cache).unwrap();
        Arc::into_inner(Throttling::new(&settings, &caches).unwrap()).unwrap()
    }

    fn from(peer: &str, forwarded: &[&str]) -> (IpAddr, HeaderMap) {
        let mut headers = HeaderMap::new();
        for line in forwarded {
            headers.append(X_FORWARDED_FOR, line.parse().unwrap());
        }
        let peer: SocketAddr = peer.parse().unwrap();
        (peer.ip(), headers)
    }

    fn client(throttling: &Throttling, (peer, headers): &(IpAddr, HeaderMap)) -> String {
        throttling.client_of(*peer, headers).to_string()
    }

    #[test]
    fn forwarded_for_counts_from_trusted_proxies_only() {
        let none = throttling(&[]);
        assert_eq!(client(&none, &from("10.0.0.1:1", &["6.6.6.6"])), "10.0.0.1");
        let trusted = throttling(&["10.0.0.0/8", "::1"]);
        assert_eq!(client(&trusted, &from("9.9.9.9:1", &["6.6.6.6"])), "9.9.9.9");
        assert_eq!(
            client(&trusted, &from("10.0.0.1:1", &["6.6.6.6, 1.2.3.4"])),
            "1.2.3.4"
        );
        assert_eq!(
            client(&trusted, &from("10.0.0.1:1", &["6.6.6.6, 1.2.3.4, 10.0.0.2"])),
            "1.2.3.4"
        );
        assert_eq!(
            client(&trusted, &from("10.0.0.1:1", &["6.6.6.6", "1.2.3.4:80"])),
            "1.2.3.4"
        );
        assert_eq!(
            client(&trusted, &from("[::1]:1", &["[2001:db8::1]:443"])),
            "2001:db8::1"
        );
        assert_eq!(
            client(&trusted, &from("10.0.0.1:1", &["junk, 10.0.0.3"])),
            "10.0.0.3"
        );
        assert_eq!(client(&trusted, &from("10.0.0.1:1", &[])), "10.0.0.1");
    }

    #[test]
    fn an_ipv6_client_is_its_64_network() {
        assert_eq!(
            address_key("2001:db8:1:2:3:4:5:6".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
        assert_eq!(address_key("192.0.2.1".parse().unwrap()), "192.0.2.1");
    }

    #[test]
    fn json_scalars_key_as_their_text() {
        let number = serde_json::json!(42);
        assert_eq!(raw_text(&RawValue::Json(&number)).as_deref(), Some("42"));
        assert_eq!(raw_text(&RawValue::Text("42")).as_deref(), Some("42"));
        assert_eq!(raw_text(&RawValue::Json(&Value::Null)), None);
    }
}
