//! The API version of a request (DESIGN §16): read where `versioning.scheme` says,
//! checked against `versioning.allowed` and the endpoint's
//! `#[apiview(versions = [..])]`. Built once when the App is built; with the scheme
//! `none` nothing here exists, and a request pays nothing.

use std::borrow::Cow;
use std::sync::Arc;

use poem::http::header::{HeaderName, ACCEPT};
use poem::http::HeaderMap;

use crate::error::{BizError, Words};
use crate::request::{query_text, NotOneText};
use crate::settings::{VersionScheme, VersioningSettings, VERSION_HEADER};

/// `[versioning]`, resolved once per App: shared by every endpoint's [`VersionCheck`].
#[derive(Debug)]
pub(crate) struct Versioning {
    scheme: VersionScheme,
    param: String,
    /// The allowed versions; a request's version is a clone of one of them.
    allowed: Vec<Arc<str>>,
    default: Arc<str>,
    /// Why a version not allowed is refused, naming where it was read.
    not_allowed: Words,
}

impl Versioning {
    /// `None` when the scheme is `none` (checked settings: a scheme has versions and
    /// a default among them).
    pub(crate) fn new(settings: &VersioningSettings) -> Option<Arc<Versioning>> {
        let scheme = settings.version_scheme();
        if scheme == VersionScheme::None {
            return None;
        }
        let allowed: Vec<Arc<str>> = settings.allowed.iter().map(|v| Arc::from(v.as_str())).collect();
        let default = allowed
            .iter()
            .find(|v| ***v == *settings.default)
            .or(allowed.first())?
            .clone();
        let param = settings.param.clone();
        let (en, zh) = match scheme {
            VersionScheme::UrlPath => ("the path".to_owned(), "路径".to_owned()),
            VersionScheme::Query => (
                format!("the query parameter `{param}`"),
                format!("查询参数 {param} "),
            ),
            VersionScheme::Header => (
                format!("the {VERSION_HEADER} header"),
                format!("请求头 {VERSION_HEADER} "),
            ),
            VersionScheme::Accept => (
                format!("the Accept header's `{param}` parameter"),
                format!("Accept 请求头的 {param} 参数"),
            ),
            VersionScheme::None => return None,
        };
        let not_allowed = Words::new(
            format!("{en} names no allowed version ({})", settings.allowed.join(", ")),
            format!("{zh}未指定允许的版本（{}）", settings.allowed.join("、")),
        );
        Some(Arc::new(Versioning {
            scheme,
            param,
            allowed,
            default,
            not_allowed,
        }))
    }

    fn refuse(&self) -> BizError {
        BizError::bad_parameter_for(&self.param, self.not_allowed.clone())
    }

    /// The version `request` names, or the default; an error when it names one not
    /// allowed (or names it twice).
    fn resolve(&self, request: &poem::Request) -> Result<&Arc<str>, BizError> {
        let named: Option<Result<Cow<'_, str>, NotOneText>> = match self.scheme {
            VersionScheme::UrlPath => request
                .raw_path_param(&self.param)
                .map(|text| Ok(Cow::Borrowed(text))),
            VersionScheme::Query => query_text(request.uri().query().unwrap_or(""), &self.param),
            VersionScheme::Header => header_text(request.headers()),
            VersionScheme::Accept => {
                accept_param(request.headers(), &self.param).map(|found| found.map(Cow::Borrowed))
            }
            VersionScheme::None => None,
        };
        match named {
            None => Ok(&self.default),
            Some(Ok(text)) => self
                .allowed
                .iter()
                .find(|version| ***version == *text)
                .ok_or_else(|| self.refuse()),
            Some(Err(NotOneText)) => Err(self.refuse()),
        }
    }
}

/// The version check of one endpoint: the App's [`Versioning`], and the versions the
/// endpoint exists in when `#[apiview(versions = [..])]` lists them.
#[derive(Debug)]
pub(crate) struct VersionCheck {
    versioning: Arc<Versioning>,
    /// Indexes into `versioning.allowed`; `None`: every version.
    exists_in: Option<Vec<usize>>,
}

impl VersionCheck {
    /// The check of an endpoint listing `versions` (each one allowed: the App checks
    /// it before binding).
    pub(crate) fn new(versioning: Arc<Versioning>, versions: Option<&[&str]>) -> Self {
        let exists_in = versions.map(|versions| {
            versioning
                .allowed
                .iter()
                .enumerate()
                .filter(|(_, allowed)| versions.contains(&&***allowed))
                .map(|(at, _)| at)
                .collect()
        });
        VersionCheck {
            versioning,
            exists_in,
        }
    }

    /// The request's version: a clone of the App's text, no allocation.
    pub(crate) fn version_of(&self, request: &poem::Request) -> Result<Arc<str>, BizError> {
        let versioning = &*self.versioning;
        let version = versioning.resolve(request)?;
        if let Some(exists_in) = &self.exists_in {
            if !exists_in
                .iter()
                .any(|at| Arc::ptr_eq(&versioning.allowed[*at], version))
            {
                return Err(self.not_here(version));
            }
        }
        Ok(version.clone())
    }

    /// `BadParameter(version)` saying which versions the endpoint exists in.
    fn not_here(&self, version: &str) -> BizError {
        let versioning = &*self.versioning;
        let listed: Vec<&str> = self
            .exists_in
            .iter()
            .flatten()
            .map(|at| &*versioning.allowed[*at])
            .collect();
        let reason = Words::new(
            format!(
                "this endpoint exists in {} only, not in {version}",
                listed.join(", ")
            ),
            format!("本接口仅存在于版本 {}，不存在于 {version}", listed.join("、")),
        );
        BizError::bad_parameter_for(&versioning.param, reason)
    }
}

/// `Accept-Version`, parsed once rather than per lookup.
const ACCEPT_VERSION: HeaderName = HeaderName::from_static("accept-version");

/// The `Accept-Version` header's text, trimmed; given twice or not visible ASCII: an
/// error.
fn header_text(headers: &HeaderMap) -> Option<Result<Cow<'_, str>, NotOneText>> {
    let mut values = headers.get_all(ACCEPT_VERSION).iter();
    let first = values.next()?;
    if values.next().is_some() {
        return Some(Err(NotOneText));
    }
    Some(
        first
            .to_str()
            .map(|text| Cow::Borrowed(text.trim()))
            .map_err(|_| NotOneText),
    )
}

/// The `param` parameter of the `Accept` header's media types (`application/json;
/// version=v2`): the first media range that has one decides. Its name is matched
/// without regard to case, its value may be quoted.
fn accept_param<'a>(headers: &'a HeaderMap, param: &str) -> Option<Result<&'a str, NotOneText>> {
    for value in headers.get_all(ACCEPT) {
        let Ok(text) = value.to_str() else {
            continue;
        };
        for range in text.split(',') {
            for parameter in range.split(';').skip(1) {
                let Some((name, value)) = parameter.split_once('=') else {
                    continue;
                };
                if name.trim().eq_ignore_ascii_case(param) {
                    let value = value.trim();
                    let value = value
                        .strip_prefix('"')
                        .and_then(|v| v.strip_suffix('"'))
                        .unwrap_or(value);
                    return Some(Ok(value));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versioning(scheme: &str) -> Arc<Versioning> {
        let settings = VersioningSettings {
            scheme: scheme.into(),
            allowed: vec!["v1".into(), "v2".into(), "v3".into()],
            default: "v1".into(),
            param: "version".into(),
        };
        Versioning::new(&settings).unwrap()
    }

    fn resolve(check: &VersionCheck, request: poem::Request) -> Result<String, String> {
        check
            .version_of(&request)
            .map(|v| v.to_string())
            .map_err(|err| err.message())
    }

    #[test]
    fn no_scheme_builds_nothing() {
        assert!(Versioning::new(&VersioningSettings::default()).is_none());
        assert_eq!(ACCEPT_VERSION.as_str(), VERSION_HEADER.to_ascii_lowercase());
    }

    #[test]
    fn each_scheme_reads_its_place() {
        let query = VersionCheck::new(versioning("query"), None);
        let get = |uri: &str| poem::Request::builder().uri_str(uri).finish();
        assert_eq!(resolve(&query, get("/x?version=v2")), Ok("v2".into()));
        assert_eq!(resolve(&query, get("/x?a=%41&version=v3")), Ok("v3".into()));
        assert_eq!(resolve(&query, get("/x")), Ok("v1".into()));
        let refused = resolve(&query, get("/x?version=v9")).unwrap_err();
        assert_eq!(
            refused,
            "Bad parameter: version. the query parameter `version` names no allowed version (v1, v2, v3)."
        );
        assert!(resolve(&query, get("/x?version=v1&version=v2")).is_err());
        assert!(resolve(&query, get("/x?version=")).is_err());

        let header = VersionCheck::new(versioning("header"), None);
        let with = |name: &str, value: &str| {
            poem::Request::builder()
                .uri_str("/x")
                .header(name, value)
                .finish()
        };
        assert_eq!(resolve(&header, with("accept-version", " v3 ")), Ok("v3".into()));
        assert_eq!(resolve(&header, get("/x?version=v2")), Ok("v1".into()));

        let accept = VersionCheck::new(versioning("accept"), None);
        assert_eq!(
            resolve(&accept, with("accept", "application/json; Version=\"v2\"")),
            Ok("v2".into())
        );
        assert_eq!(
            resolve(
                &accept,
                with("accept", "text/html, application/json;q=0.9;version=v3")
            ),
            Ok("v3".into())
        );
        assert_eq!(
            resolve(&accept, with("accept", "application/json")),
            Ok("v1".into())
        );
        assert!(resolve(&accept, with("accept", "application/json; version=2")).is_err());
    }

    #[test]
    fn an_endpoint_exists_in_its_versions_only() {
        let only = VersionCheck::new(versioning("query"), Some(&["v2", "v3"]));
        let get = |uri: &str| poem::Request::builder().uri_str(uri).finish();
        assert_eq!(resolve(&only, get("/x?version=v3")), Ok("v3".into()));
        assert_eq!(
            resolve(&only, get("/x")).unwrap_err(),
            "Bad parameter: version. this endpoint exists in v2, v3 only, not in v1."
        );
        let err = only.version_of(&get("/x?version=v1")).unwrap_err();
        assert_eq!(
            err.message_in(crate::error::Language::ZhHans),
            "参数值有误：version。本接口仅存在于版本 v2、v3，不存在于 v1。"
        );
    }
}
