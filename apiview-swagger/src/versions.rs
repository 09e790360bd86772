//! One document per API version (DESIGN §16): which endpoints a version's document
//! lists, and how it tells a client to ask for that version.

use apiview_core::settings::{VersionScheme, VERSION_HEADER};
use apiview_core::{EndpointMeta, Settings};
use serde_json::{json, Value};

/// The version a document describes, and how a request names it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DocVersion<'a> {
    pub scheme: VersionScheme,
    /// `versioning.param`: the path segment, query parameter or `Accept` parameter.
    pub param: &'a str,
    pub version: &'a str,
}

impl<'a> DocVersion<'a> {
    /// The document of `version` (`None`: `versioning.default`); `None` when
    /// versioning is off, or `version` is not allowed.
    pub fn of(settings: &'a Settings, version: Option<&str>) -> Option<DocVersion<'a>> {
        let versioning = &settings.versioning;
        let scheme = versioning.version_scheme();
        if scheme == VersionScheme::None {
            return None;
        }
        let wanted = version.unwrap_or(&versioning.default);
        let version = versioning.allowed.iter().find(|allowed| *allowed == wanted)?;
        Some(DocVersion {
            scheme,
            param: &versioning.param,
            version,
        })
    }

    /// Whether the endpoint exists in this version (no `versions`: in every one).
    pub fn includes(&self, meta: &EndpointMeta) -> bool {
        meta.versions
            .is_none_or(|versions| versions.contains(&self.version))
    }

    /// The endpoint's path in this version: with `url_path`, the `:version` segment
    /// written out (`/:version/things` → `/v2/things`).
    pub fn path(&self, path: &str) -> String {
        if self.scheme != VersionScheme::UrlPath {
            return path.to_owned();
        }
        path.split('/')
            .map(|segment| {
                let name = segment
                    .strip_prefix(':')
                    .map(|name| name.split('<').next().unwrap_or(name));
                if name == Some(self.param) {
                    self.version
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The parameter each operation gets: the query parameter or the
    /// `Accept-Version` header, with this version as its only value. `url_path`
    /// writes the version into the path, and an `Accept` media type parameter is no
    /// OpenAPI parameter (the document's description says it).
    pub fn parameter(&self) -> Option<Value> {
        let (name, location) = match self.scheme {
            VersionScheme::Query => (self.param, "query"),
            VersionScheme::Header => (VERSION_HEADER, "header"),
            _ => return None,
        };
        Some(json!({
            "name": name,
            "in": location,
            "required": false,
            "description": format!(
                "The API version. This document describes `{}`, the version a request without it gets too.",
                self.version
            ),
            "schema": {"type": "string", "enum": [self.version], "default": self.version},
        }))
    }

    /// Whether the endpoint's field `name` is the version itself: with `url_path`,
    /// a function parameter named like the path segment reads it from the path this
    /// document has written out.
    pub fn is_version_field(&self, name: &str) -> bool {
        self.scheme == VersionScheme::UrlPath && name == self.param
    }

    /// The sentence `info.description` gets: which version this is, and how to ask
    /// for it.
    pub fn note(&self) -> String {
        let version = self.version;
        let how = match self.scheme {
            VersionScheme::UrlPath => format!("in the path, as the paths below show (`/{version}/…`)"),
            VersionScheme::Query => format!("with the query parameter `{}={version}`", self.param),
            VersionScheme::Header => format!("with the header `{VERSION_HEADER}: {version}`"),
            VersionScheme::Accept => format!(
                "with the `{}` parameter of the Accept header: `Accept: application/json; {}={version}`",
                self.param, self.param
            ),
            VersionScheme::None => String::new(),
        };
        format!("API version `{version}`: ask for it {how}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(scheme: &str) -> Settings {
        Settings::from_toml_str(&format!(
            "[versioning]\nscheme = '{scheme}'\nallowed = ['v1', 'v2']\ndefault = 'v1'"
        ))
        .unwrap()
    }

    #[test]
    fn a_version_is_one_of_the_allowed() {
        let settings = settings("query");
        assert_eq!(DocVersion::of(&settings, None).unwrap().version, "v1");
        assert_eq!(DocVersion::of(&settings, Some("v2")).unwrap().version, "v2");
        assert!(DocVersion::of(&settings, Some("v3")).is_none());
        assert!(DocVersion::of(&Settings::default(), None).is_none());
    }

    #[test]
    fn url_path_writes_the_version_out() {
        let settings = settings("url_path");
        let v2 = DocVersion::of(&settings, Some("v2")).unwrap();
        assert_eq!(v2.path("/:version/things/:id"), "/v2/things/:id");
        assert_eq!(v2.path("/api/:version<v\\d+>/x"), "/api/v2/x");
        assert!(v2.parameter().is_none());
        let settings = self::settings("header");
        let header = DocVersion::of(&settings, Some("v2")).unwrap();
        assert_eq!(header.path("/:version/x"), "/:version/x");
        assert_eq!(header.parameter().unwrap()["name"], "Accept-Version");
    }
}
