//! `#[check_aclkey]`: the request's API key must be one of the accepted keys.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::BizError;
use crate::request::ApiRequest;

/// Where the accepted keys come from.
///
/// ```
/// use apiview::__private::AclKeys;
///
/// use apiview::prelude::*;
///
/// // What `#[check_aclkey]` and `#[check_aclkey(aclkeys = ["key-1", "key-2"])]` pass on:
/// let from_settings: AclKeys<[&str; 0]> = AclKeys::Settings;
/// let given = AclKeys::Given(["key-1", "key-2"]);
/// # let _ = (from_settings, given);
///
/// #[apiview]
/// #[check_aclkey]
/// fn settings_key() {}
///
/// #[apiview]
/// #[check_aclkey(aclkeys = ["key-1", "key-2"])]
/// fn given_keys() {}
///
/// let settings = Settings::from_toml_str("aclkey = 's3cret'").unwrap();
/// let app = App::new(settings).at("/a", settings_key).at("/b", given_keys).into_endpoint();
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// # use poem::{Endpoint, Request};
/// # async fn get(app: &impl Endpoint, uri: &str) -> serde_json::Value {
/// #     let response = app.get_response(Request::builder().uri_str(uri).finish()).await;
/// #     response.into_body().into_json().await.unwrap()
/// # }
/// assert_eq!(get(&app, "/a?aclkey=s3cret").await["success"], true);
/// assert_eq!(get(&app, "/b?aclkey=key-2").await["success"], true);
/// // The given keys replace the settings' key.
/// assert_eq!(get(&app, "/b?aclkey=s3cret").await["error"]["code"], 1001040004);
/// # });
/// ```
pub enum AclKeys<I> {
    /// `settings.aclkey` and `settings.aclkeys`.
    Settings,
    /// Keys written in the attribute or returned by a function.
    Given(I),
}

/// What an `aclkey = my_fn` function may return: one key (`String`, `&str`), maybe
/// one (`Option<String>`), or several (`Vec<String>`, arrays, slices).
///
/// ```
/// use apiview::__private::AclKeyList;
///
/// assert_eq!(String::from("k").into_keys(), ["k"]);
/// assert_eq!(None::<String>.into_keys(), Vec::<String>::new());
/// assert_eq!(vec!["a", "b"].into_keys(), ["a", "b"]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned as API keys",
    label = "not a key or a list of keys",
    note = "an `aclkey = my_fn` function returns a `String` or `&str`, an `Option` of one, or a `Vec`, array or slice of them"
)]
pub trait AclKeyList {
    /// The keys, as owned strings.
    fn into_keys(self) -> Vec<String>;
}

impl AclKeyList for String {
    fn into_keys(self) -> Vec<String> {
        vec![self]
    }
}

impl AclKeyList for &str {
    fn into_keys(self) -> Vec<String> {
        vec![self.to_owned()]
    }
}

impl<T: AclKeyList> AclKeyList for Option<T> {
    fn into_keys(self) -> Vec<String> {
        self.map(AclKeyList::into_keys).unwrap_or_default()
    }
}

impl<T: AsRef<str>> AclKeyList for Vec<T> {
    fn into_keys(self) -> Vec<String> {
        self.iter().map(|key| key.as_ref().to_owned()).collect()
    }
}

impl<T: AsRef<str>, const N: usize> AclKeyList for [T; N] {
    fn into_keys(self) -> Vec<String> {
        self.iter().map(|key| key.as_ref().to_owned()).collect()
    }
}

impl<T: AsRef<str>> AclKeyList for &[T] {
    fn into_keys(self) -> Vec<String> {
        self.iter().map(|key| key.as_ref().to_owned()).collect()
    }
}

/// A key prepared for comparison: its SHA-256 digest, so that every comparison
/// takes the same time whatever the lengths.
#[derive(Clone)]
pub(crate) struct AclKeyDigest([u8; 32]);

impl AclKeyDigest {
    /// Digests a configured key; an empty key gives `None` (it never matches).
    pub(crate) fn of(key: &str) -> Option<AclKeyDigest> {
        (!key.is_empty()).then(|| AclKeyDigest(Sha256::digest(key.as_bytes()).into()))
    }
}

/// Checks the API key in request field `field` against `keys`; `configured` holds
/// the digests of settings' `aclkey` and `aclkeys`, for [`AclKeys::Settings`].
///
/// No key in the request → `MissingParameter(field)`; a key that matches none →
/// `AppAuthFailed`. Every accepted key is compared, in constant time, whether or not
/// an earlier one matched.
pub(crate) fn check<I, K>(
    request: &ApiRequest,
    field: &str,
    keys: AclKeys<I>,
    configured: &[AclKeyDigest],
) -> Result<(), BizError>
where
    I: IntoIterator<Item = K>,
    K: AsRef<str>,
{
    // Absent: MissingParameter; present but empty: a wrong key, as django-apiview.
    let given = match request.field(field) {
        Some(value) if value.is_present() => value,
        _ => return Err(BizError::missing_parameter(field)),
    };
    let given = given.as_str().ok_or_else(BizError::app_auth_failed)?;
    let digest = Sha256::digest(given.as_bytes());
    let matched = match keys {
        AclKeys::Settings => any_matches(&digest, configured.iter()),
        AclKeys::Given(keys) => {
            let digests: Vec<AclKeyDigest> = keys
                .into_iter()
                .filter_map(|key| AclKeyDigest::of(key.as_ref()))
                .collect();
            any_matches(&digest, digests.iter())
        }
    };
    if matched {
        Ok(())
    } else {
        Err(BizError::app_auth_failed())
    }
}

fn any_matches<'a>(given: &[u8], accepted: impl Iterator<Item = &'a AclKeyDigest>) -> bool {
    let mut matched = subtle::Choice::from(0);
    for key in accepted {
        matched |= key.0.ct_eq(given);
    }
    matched.into()
}

#[cfg(test)]
mod tests {
    use super::AclKeyDigest;

    #[test]
    fn an_empty_configured_key_never_matches() {
        assert!(AclKeyDigest::of("").is_none());
        assert!(AclKeyDigest::of("k").is_some());
    }
}
