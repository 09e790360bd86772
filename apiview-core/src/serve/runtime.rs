//! What an App shares with every request it serves, built once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use poem::http::Method;
use rsa::RsaPrivateKey;

use crate::auth::{BearerJwt, DynAuthenticate};
use crate::cache::Caches;
use crate::error::Language;
use crate::guard::aclkey::AclKeyDigest;
use crate::guard::throttle::Throttling;
use crate::guard::version::Versioning;
use crate::paginate::CursorKey;
use crate::request::{BodyBudget, BodyLimits, UploadLimits};
use crate::settings::Settings;

/// Settings and what is derived from them, built once per App.
pub(crate) struct Runtime {
    pub(crate) settings: Settings,
    pub(crate) caches: Arc<Caches>,
    pub(crate) server_key: Option<Arc<RsaPrivateKey>>,
    pub(crate) rsa_keys: HashMap<String, Arc<RsaPrivateKey>>,
    pub(crate) aclkeys: Vec<AclKeyDigest>,
    pub(crate) default_methods: Vec<Method>,
    pub(crate) body_timeout: Duration,
    pub(crate) body_limits: BodyLimits,
    pub(crate) body_budget: BodyBudget,
    pub(crate) upload_limits: UploadLimits,
    /// Signs `#[paginate(style = "cursor")]` cursors: drawn once per App.
    pub(crate) cursor_key: CursorKey,
    /// `[versioning]`, resolved once; `None` with the scheme `none`.
    pub(crate) versioning: Option<Arc<Versioning>>,
    /// `[throttle]`, resolved once; `None` when its backend is not configured.
    pub(crate) throttling: Option<Arc<Throttling>>,
    /// How requests become identities (DESIGN §14): `App::authenticator`, else
    /// `[auth.jwt]`'s `BearerJwt`; run only for endpoints that authenticate.
    pub(crate) authenticator: Option<Arc<dyn DynAuthenticate>>,
    /// What `BearerJwt` parameters get: the App's `BearerJwt`.
    pub(crate) jwt: Option<BearerJwt>,
}

impl Runtime {
    pub(crate) fn new(
        settings: Settings,
        caches: Arc<Caches>,
        server_key: Option<Arc<RsaPrivateKey>>,
        rsa_keys: HashMap<String, Arc<RsaPrivateKey>>,
    ) -> Self {
        let aclkeys = std::iter::once(&settings.aclkey)
            .chain(&settings.aclkeys)
            .filter_map(|key| AclKeyDigest::of(key))
            .collect();
        let default_methods = settings.default_methods();
        let body_timeout = Duration::from_millis(settings.limits.body_timeout_ms);
        let body_limits = BodyLimits::of(&settings);
        let body_budget = BodyBudget::new(settings.limits.bodies_in_flight_bytes);
        let upload_limits = UploadLimits::of(&settings);
        let cursor_key = CursorKey::new(&settings.pagination.cursor_secret);
        let versioning = Versioning::new(&settings.versioning);
        let throttling = Throttling::new(&settings, &caches);
        Runtime {
            throttling,
            versioning,
            body_timeout,
            body_limits,
            body_budget,
            upload_limits,
            cursor_key,
            settings,
            caches,
            server_key,
            rsa_keys,
            aclkeys,
            default_methods,
            authenticator: None,
            jwt: None,
        }
    }

    /// With the App's authenticator and `BearerJwt` (DESIGN §14).
    pub(crate) fn with_auth(
        mut self,
        authenticator: Option<Arc<dyn DynAuthenticate>>,
        jwt: Option<BearerJwt>,
    ) -> Self {
        self.authenticator = authenticator;
        self.jwt = jwt;
        self
    }

    pub(crate) fn language(&self) -> Language {
        self.settings.language
    }
}
