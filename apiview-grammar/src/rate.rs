//! Throttle rates (DESIGN §13): `"10/m"`, what `#[throttle(rate = "..")]` and
//! settings' `throttle.default_rate` write.

use std::fmt;

/// The unit of a [`Rate`]: a second, minute, hour or day.
///
/// ```
/// use apiview_grammar::RateUnit;
///
/// assert_eq!(RateUnit::Minute.seconds(), 60);
/// assert_eq!(RateUnit::Day.letter(), 'd');
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RateUnit {
    /// `s`.
    Second,
    /// `m`.
    Minute,
    /// `h`.
    Hour,
    /// `d`.
    Day,
}

impl RateUnit {
    /// The unit's length in seconds.
    pub fn seconds(self) -> u64 {
        match self {
            RateUnit::Second => 1,
            RateUnit::Minute => 60,
            RateUnit::Hour => 3_600,
            RateUnit::Day => 86_400,
        }
    }

    /// The letter a rate writes it with.
    pub fn letter(self) -> char {
        match self {
            RateUnit::Second => 's',
            RateUnit::Minute => 'm',
            RateUnit::Hour => 'h',
            RateUnit::Day => 'd',
        }
    }

    /// The unit in words, for documents and messages (`minute`).
    pub fn word(self) -> &'static str {
        match self {
            RateUnit::Second => "second",
            RateUnit::Minute => "minute",
            RateUnit::Hour => "hour",
            RateUnit::Day => "day",
        }
    }
}

/// The most requests one rate may allow per unit: beyond it, the time between two
/// requests (the unit over the count) falls under a microsecond.
pub const MAX_RATE_COUNT: u64 = 1_000_000;

/// A throttle rate: `count` requests per `unit`, `"10/m"`.
///
/// ```
/// use apiview_grammar::{Rate, RateUnit};
///
/// let rate = Rate::parse("10/m").unwrap();
/// assert_eq!((rate.count, rate.unit), (10, RateUnit::Minute));
/// assert_eq!(rate.to_string(), "10/m");
/// assert_eq!(Rate::parse(" 5 / s ").unwrap().to_string(), "5/s");
/// assert!(Rate::parse("0/m").is_err() && Rate::parse("10/w").is_err() && Rate::parse("ten/m").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    /// Requests allowed per unit, at least 1.
    pub count: u64,
    /// The unit.
    pub unit: RateUnit,
}

/// Why a text is not a rate. Its `Display` is the message users see.
///
/// ```
/// use apiview_grammar::Rate;
///
/// assert_eq!(
///     Rate::parse("10 per minute").unwrap_err().to_string(),
///     "`10 per minute` is not a rate: write N/s, N/m, N/h or N/d with N at least 1, like \"10/m\""
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateError {
    text: String,
    problem: &'static str,
}

impl fmt::Display for RateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a rate: {}", self.text, self.problem)
    }
}

impl std::error::Error for RateError {}

impl Rate {
    /// Reads `N/s`, `N/m`, `N/h` or `N/d` (spaces around the parts allowed), with
    /// `1 <= N <= 1_000_000`.
    pub fn parse(text: &str) -> Result<Rate, RateError> {
        let fail = |problem| RateError {
            text: text.to_owned(),
            problem,
        };
        let usage = "write N/s, N/m, N/h or N/d with N at least 1, like \"10/m\"";
        let (count, unit) = text.split_once('/').ok_or_else(|| fail(usage))?;
        let count = count.trim();
        if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail(usage));
        }
        let count: u64 = count
            .parse()
            .map_err(|_| fail("the count is larger than 1000000"))?;
        if count == 0 {
            return Err(fail(
                "a rate of 0 would refuse every request; write N/s, N/m, N/h or N/d with N at least 1",
            ));
        }
        if count > MAX_RATE_COUNT {
            return Err(fail("the count is larger than 1000000"));
        }
        let unit = match unit.trim() {
            "s" => RateUnit::Second,
            "m" => RateUnit::Minute,
            "h" => RateUnit::Hour,
            "d" => RateUnit::Day,
            _ => return Err(fail(usage)),
        };
        Ok(Rate { count, unit })
    }

    /// The period the count is allowed in, in seconds.
    ///
    /// ```
    /// assert_eq!(apiview_grammar::Rate::parse("100/d").unwrap().period_seconds(), 86_400);
    /// ```
    pub fn period_seconds(&self) -> u64 {
        self.unit.seconds()
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.count, self.unit.letter())
    }
}

/// Checks a throttle scope's text: 1 to 64 ASCII letters, digits, `.`, `_` or `-`,
/// so that a counter's name cannot run into the key after it.
///
/// ```
/// use apiview_grammar::check_scope;
///
/// assert!(check_scope("login").is_ok() && check_scope("v2.search-all").is_ok());
/// assert_eq!(
///     check_scope("a:b").unwrap_err(),
///     "`a:b` is not a scope: use 1 to 64 letters, digits, `.`, `_` and `-`, like \"login\""
/// );
/// ```
pub fn check_scope(text: &str) -> Result<(), String> {
    let good = !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if good {
        Ok(())
    } else {
        Err(format!(
            "`{text}` is not a scope: use 1 to 64 letters, digits, `.`, `_` and `-`, like \"login\""
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_and_refuse() {
        for (text, count, unit) in [
            ("1/s", 1, RateUnit::Second),
            ("1000000/d", 1_000_000, RateUnit::Day),
            ("3/h", 3, RateUnit::Hour),
        ] {
            let rate = Rate::parse(text).unwrap();
            assert_eq!((rate.count, rate.unit), (count, unit), "{text}");
        }
        for text in [
            "",
            "/m",
            "10",
            "10/",
            "-1/m",
            "+1/m",
            "1.5/m",
            "1000001/s",
            "99999999999999999999/s",
            "10/min",
        ] {
            assert!(Rate::parse(text).is_err(), "{text}");
        }
        assert!(Rate::parse("0/s")
            .unwrap_err()
            .to_string()
            .contains("refuse every request"));
    }
}
