//! Throttle counters in a cache backend (DESIGN §13): the contract's types and the
//! generic cell rate algorithm (GCRA) the built-in backends run.
//!
//! GCRA keeps one value per key: the *theoretical arrival time* (TAT), when the
//! counter would be empty again. A rate of N per period lets requests through one
//! `period / N` apart, with bursts of up to N: a request at `now` passes when
//! `max(TAT, now) + period/N - period <= now`, and then moves the TAT on by
//! `period / N`. Admission is exact (no window edges letting 2N through), and a
//! refusal knows when the next request would pass: its `Retry-After`.

use std::time::Duration;

/// A rate to check a counter against: `count` requests per `period`.
///
/// ```
/// use std::time::Duration;
/// use apiview_core::cache::Limit;
///
/// let limit = Limit::new(10, Duration::from_secs(60));
/// assert_eq!(limit.interval_us(), 6_000_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Requests allowed at once, and per period (at least 1).
    pub count: u64,
    /// The period.
    pub period: Duration,
}

impl Limit {
    /// `count` per `period` (a count of 0 is taken as 1).
    pub fn new(count: u64, period: Duration) -> Self {
        Limit {
            count: count.max(1),
            period,
        }
    }

    /// The time between two requests at the steady rate, in microseconds (at least 1).
    pub fn interval_us(&self) -> u64 {
        (u64::try_from(self.period.as_micros()).unwrap_or(u64::MAX) / self.count).max(1)
    }
}

/// One counter of a throttle check: its key and its rate.
///
/// ```
/// use std::time::Duration;
/// use apiview_core::cache::{Limit, ThrottleCounter};
///
/// let counter = ThrottleCounter { key: "throttle:login:5/m:10.0.0.1", limit: Limit::new(5, Duration::from_secs(60)) };
/// assert_eq!(counter.limit.count, 5);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ThrottleCounter<'a> {
    /// The backend key the counter lives under.
    pub key: &'a str,
    /// Its rate.
    pub limit: Limit,
}

/// What a throttle check decided.
///
/// ```
/// use std::time::Duration;
/// use apiview_core::cache::Admission;
///
/// let refused = Admission::Refused { retry_after: Duration::from_secs(12) };
/// assert_eq!(refused.retry_after_seconds(), Some(12));
/// assert_eq!(Admission::Admitted.retry_after_seconds(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Every counter admitted the request, and each counted it.
    Admitted,
    /// At least one counter refused it; none counted it.
    Refused {
        /// When every counter would admit it again.
        retry_after: Duration,
    },
}

impl Admission {
    /// `Retry-After` in whole seconds, rounded up (at least 1), when refused.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            Admission::Admitted => None,
            Admission::Refused { retry_after } => {
                let micros = u64::try_from(retry_after.as_micros()).unwrap_or(u64::MAX);
                Some(micros.div_ceil(1_000_000).max(1))
            }
        }
    }
}

/// One GCRA step for a counter whose stored TAT is `tat` (`None`: empty), at `now`
/// (microseconds on the backend's clock): the new TAT when the request passes, or
/// how long (µs) until it would.
///
/// ```
/// use std::time::Duration;
/// use apiview_core::cache::{gcra, Limit};
///
/// let limit = Limit::new(2, Duration::from_secs(10)); // one every 5 s, bursts of 2
/// let first = gcra(None, 0, limit).unwrap();
/// let second = gcra(Some(first), 0, limit).unwrap();
/// assert_eq!(gcra(Some(second), 0, limit), Err(5_000_000));
/// assert!(gcra(Some(second), 5_000_000, limit).is_ok());
/// ```
pub fn gcra(tat: Option<u64>, now: u64, limit: Limit) -> Result<u64, u64> {
    let interval = limit.interval_us();
    let tolerance = interval.saturating_mul(limit.count);
    let new_tat = tat.unwrap_or(now).max(now).saturating_add(interval);
    let allowed_at = new_tat.saturating_sub(tolerance);
    if allowed_at > now {
        Err(allowed_at - now)
    } else {
        Ok(new_tat)
    }
}

/// GCRA over several counters at once: every one must admit for the request to
/// pass, and then each is moved on; a refusal moves none. `tats` are the stored
/// TATs, in the order of `limits`. `Ok`: the new TATs; `Err`: the longest wait.
pub(crate) fn gcra_all(tats: &[Option<u64>], now: u64, limits: &[Limit]) -> Result<Vec<u64>, Duration> {
    let mut next = Vec::with_capacity(limits.len());
    let mut wait = None::<u64>;
    for (tat, limit) in tats.iter().zip(limits) {
        match gcra(*tat, now, *limit) {
            Ok(tat) => next.push(tat),
            Err(us) => wait = Some(wait.map_or(us, |w| w.max(us))),
        }
    }
    match wait {
        Some(us) => Err(Duration::from_micros(us)),
        None => Ok(next),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_n_then_one_per_interval() {
        let limit = Limit::new(5, Duration::from_secs(60));
        let mut tat = None;
        for _ in 0..5 {
            tat = Some(gcra(tat, 1_000, limit).unwrap());
        }
        assert_eq!(gcra(tat, 1_000, limit), Err(12_000_000));
        assert!(gcra(tat, 1_000 + 12_000_000, limit).is_ok());
    }

    #[test]
    fn a_refusal_by_one_counter_moves_none() {
        let burst = Limit::new(1, Duration::from_secs(1));
        let daily = Limit::new(100, Duration::from_secs(86_400));
        let now = 10_000_000;
        let tats = gcra_all(&[None, None], now, &[burst, daily]).unwrap();
        let refused = gcra_all(&[Some(tats[0]), Some(tats[1])], now, &[burst, daily]);
        assert_eq!(refused, Err(Duration::from_secs(1)));
    }

    #[test]
    fn retry_after_rounds_up() {
        let refused = Admission::Refused {
            retry_after: Duration::from_millis(1),
        };
        assert_eq!(refused.retry_after_seconds(), Some(1));
        let refused = Admission::Refused {
            retry_after: Duration::from_millis(11_001),
        };
        assert_eq!(refused.retry_after_seconds(), Some(12));
    }
}
