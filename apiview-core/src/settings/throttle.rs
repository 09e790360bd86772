//! `[throttle]`: where throttle counters live, the rate of endpoints without their
//! own `#[throttle]`, and which proxies may name the client (DESIGN §13).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// `[throttle]` settings.
///
/// ```
/// let settings = apiview_core::Settings::from_toml_str(
///     "[throttle]\ndefault_rate = '100/m'\ntrusted_proxies = ['10.0.0.0/8', '::1']",
/// )
/// .unwrap();
/// assert_eq!(settings.throttle.backend, "default");
/// assert_eq!(settings.throttle.default_rate, "100/m");
/// assert!(!settings.throttle.fail_closed);
/// let bad = apiview_core::Settings::from_toml_str("[throttle]\ndefault_rate = '100/w'").unwrap_err();
/// assert!(bad.to_string().contains("throttle.default_rate"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottleSettings {
    /// The `[cache] backends` entry the counters live in; a `redis://` one shares
    /// them with every instance on that Redis.
    pub backend: String,
    /// The rate (`N/s|m|h|d`) of every endpoint without its own `#[throttle]`,
    /// counted per endpoint and client address; empty: none.
    pub default_rate: String,
    /// The proxies (IP addresses or CIDR blocks) whose `X-Forwarded-For` names the
    /// client; from any other peer, the header is ignored.
    pub trusted_proxies: Vec<String>,
    /// Whether a throttle check that cannot reach its backend refuses the request
    /// (`CacheError`) rather than letting it through (the default, logged).
    pub fail_closed: bool,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        ThrottleSettings {
            backend: "default".into(),
            default_rate: String::new(),
            trusted_proxies: Vec::new(),
            fail_closed: false,
        }
    }
}

/// An IP address or CIDR block of `trusted_proxies`.
///
/// ```
/// use apiview_core::settings::IpBlock;
///
/// let block = IpBlock::parse("10.0.0.0/8").unwrap();
/// assert!(block.contains("10.1.2.3".parse().unwrap()));
/// assert!(!block.contains("11.0.0.1".parse().unwrap()));
/// assert!(IpBlock::parse("::1").unwrap().contains("::1".parse().unwrap()));
/// assert!(IpBlock::parse("10.0.0.0/33").is_none() && IpBlock::parse("proxy").is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpBlock {
    network: IpAddr,
    prefix: u8,
}

impl IpBlock {
    /// Reads `1.2.3.4`, `10.0.0.0/8`, `::1` or `fd00::/8`.
    pub fn parse(text: &str) -> Option<IpBlock> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.parse().ok()?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(prefix) if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit()) => {
                prefix.parse().ok().filter(|prefix| *prefix <= bits)?
            }
            Some(_) => return None,
        };
        Some(IpBlock { network, prefix })
    }

    /// Whether `address` is in the block (an IPv4-mapped IPv6 address counts as its
    /// IPv4 address).
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}
