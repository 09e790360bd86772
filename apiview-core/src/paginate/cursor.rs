//! The cursor of `style = "cursor"`: the endpoint's position, signed, so that a
//! client can hand it back but not forge or alter it.
//!
//! Wire format: base64url (no padding) of `position || tag`, where `tag` is
//! HMAC-SHA256 over a domain label, the endpoint's path and the position, keyed by
//! `[pagination] cursor_secret` or a random key drawn when the App is built. The
//! path is signed so that a cursor of one endpoint is refused by another.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::BizError;

type HmacSha256 = Hmac<Sha256>;

const TAG_LEN: usize = 32;
const DOMAIN: &[u8] = b"apiview-cursor-v1\0";

/// The longest position `Page::cursor` may carry, in bytes.
pub const MAX_POSITION_BYTES: usize = 256;

/// The longest cursor a request may send: the encoding of the longest position.
/// Anything longer is refused before it is decoded.
pub(crate) const MAX_CURSOR_CHARS: usize = (MAX_POSITION_BYTES + TAG_LEN).div_ceil(3) * 4;

/// The key cursors are signed with: the HMAC already keyed (and the domain label
/// fed), so a request's cursor costs a clone of that state, not the key schedule.
#[derive(Clone)]
pub struct CursorKey(HmacSha256);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

impl CursorKey {
    /// `secret` if it is set, else 32 random bytes (cursors then live as long as
    /// the App).
    ///
    /// ```
    /// use apiview_core::paginate::CursorKey;
    ///
    /// let key = CursorKey::new("a long shared secret");
    /// let cursor = key.sign("/notes", "42");
    /// assert_eq!(key.verify("/notes", &cursor).unwrap(), "42");
    /// // Another App's random key refuses it.
    /// assert!(CursorKey::new("").verify("/notes", &cursor).is_err());
    /// ```
    pub fn new(secret: &str) -> CursorKey {
        let random;
        let key = if secret.is_empty() {
            random = rand::random::<[u8; 32]>();
            &random[..]
        } else {
            secret.as_bytes()
        };
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
        mac.update(DOMAIN);
        CursorKey(mac)
    }

    fn mac(&self, path: &str, position: &[u8]) -> HmacSha256 {
        let mut mac = self.0.clone();
        mac.update(path.as_bytes());
        mac.update(b"\0");
        mac.update(position);
        mac
    }

    /// The cursor for `position` on the endpoint at `path`. A position over
    /// [`MAX_POSITION_BYTES`] is the endpoint's bug; `Page::cursor` checks it.
    ///
    /// ```
    /// use apiview_core::paginate::CursorKey;
    ///
    /// let key = CursorKey::new("s3cret");
    /// let cursor = key.sign("/notes", "id:17");
    /// assert!(!cursor.contains("id:17"));
    /// assert!(cursor.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    /// ```
    pub fn sign(&self, path: &str, position: &str) -> String {
        let tag = self.mac(path, position.as_bytes()).finalize().into_bytes();
        let mut bytes = Vec::with_capacity(position.len() + TAG_LEN);
        bytes.extend_from_slice(position.as_bytes());
        bytes.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The position a cursor carries, if this key signed it for `path`; anything
    /// else (altered, truncated, too long, not base64url, another endpoint's) is
    /// `BadParameter(cursor)`. The tag is compared in constant time.
    ///
    /// ```
    /// use apiview_core::paginate::CursorKey;
    ///
    /// let key = CursorKey::new("s3cret");
    /// let cursor = key.sign("/notes", "17");
    /// assert_eq!(key.verify("/notes", &cursor).unwrap(), "17");
    /// assert_eq!(key.verify("/users", &cursor).unwrap_err().code(), 1001060002);
    /// assert!(key.verify("/notes", &cursor[1..]).is_err());
    /// assert!(key.verify("/notes", "!!").is_err());
    /// ```
    pub fn verify(&self, path: &str, cursor: &str) -> Result<String, BizError> {
        let bad = || BizError::bad_parameter("cursor");
        if cursor.len() > MAX_CURSOR_CHARS {
            return Err(bad());
        }
        let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
        if bytes.len() < TAG_LEN {
            return Err(bad());
        }
        let (position, tag) = bytes.split_at(bytes.len() - TAG_LEN);
        self.mac(path, position).verify_slice(tag).map_err(|_| bad())?;
        String::from_utf8(position.to_vec()).map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_altered_byte_is_refused() {
        let key = CursorKey::new("k");
        let cursor = key.sign("/p", "12345");
        let mut bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap();
        for at in 0..bytes.len() {
            bytes[at] ^= 1;
            let altered = URL_SAFE_NO_PAD.encode(&bytes);
            assert!(key.verify("/p", &altered).is_err(), "byte {at}");
            bytes[at] ^= 1;
        }
        assert_eq!(key.verify("/p", &cursor).unwrap(), "12345");
    }

    #[test]
    fn the_longest_position_fits_and_longer_cursors_are_refused_unread() {
        let key = CursorKey::new("k");
        let position = "x".repeat(MAX_POSITION_BYTES);
        let cursor = key.sign("/p", &position);
        assert!(cursor.len() <= MAX_CURSOR_CHARS);
        assert_eq!(key.verify("/p", &cursor).unwrap(), position);
        assert!(key.verify("/p", &"A".repeat(100_000)).is_err());
        assert!(key.verify("/p", "").is_err());
    }
}
