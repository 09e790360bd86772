//! The checks settings pass when they load: every problem named by its key.

use super::{parse_method, IpBlock, Settings, SettingsError, VersionScheme};

impl Settings {
    pub(super) fn validate(&self, origin: &str) -> Result<(), SettingsError> {
        let fail = |key: &str, problem: String| {
            Err(SettingsError::new(format!(
                "invalid apiview settings: key `{key}` in {origin}: {problem}"
            )))
        };
        for name in &self.default_allow_methods {
            if parse_method(name).is_none() {
                return fail(
                    "default_allow_methods",
                    format!(
                        "`{name}` is not an HTTP method; use get, post, put, delete, patch, head or options"
                    ),
                );
            }
        }
        let pagination = &self.pagination;
        if crate::meta::PageStyle::parse(&pagination.style).is_none() {
            return fail(
                "pagination.style",
                format!(
                    "`{}` is not a style; use page_number, limit_offset or cursor",
                    pagination.style
                ),
            );
        }
        if pagination.page_size == 0 || pagination.max_page_size == 0 {
            return fail(
                "pagination.page_size",
                "page_size and max_page_size must be at least 1".into(),
            );
        }
        self.validate_versioning(&fail)?;
        self.validate_throttle(&fail)?;
        self.validate_auth(&fail)?;
        if self.body_limit == 0 {
            return fail("body_limit", "must be at least 1 byte".into());
        }
        if self.packer.trim().is_empty() {
            return fail(
                "packer",
                "must name a packer: simple, deetr, dmrs, safe or a registered one".into(),
            );
        }
        self.validate_cache(&fail)?;
        if self.safe.client_id_field.is_empty() {
            return fail(
                "safe.client_id_field",
                "must name the request field that carries the client id".into(),
            );
        }
        if self.safe.key_reuse_answers == 0 {
            return fail("safe.key_reuse_answers", "must be at least 1".into());
        }
        if self.cache.memory_max_bytes == 0 {
            return fail(
                "cache.memory_max_bytes",
                "must be at least 1 (a zero would cache nothing); 67108864 is 64 MiB".into(),
            );
        }
        if !(1..=86_400).contains(&self.safe.replay_window_s) {
            return fail(
                "safe.replay_window_s",
                format!("{} is not between 1 and 86400 seconds", self.safe.replay_window_s),
            );
        }
        if self.cache.operation_timeout_ms == 0 {
            return fail("cache.operation_timeout_ms", "must be at least 1".into());
        }
        if poem::http::HeaderName::from_bytes(self.cache.disable_cache_header.as_bytes()).is_err() {
            return fail(
                "cache.disable_cache_header",
                format!(
                    "`{}` is not an HTTP header name (letters, digits and `-`, such as \"Disable-Cache\")",
                    self.cache.disable_cache_header
                ),
            );
        }
        let limits = &self.limits;
        for (key, value) in [
            ("limits.head_timeout_ms", limits.head_timeout_ms),
            ("limits.body_timeout_ms", limits.body_timeout_ms),
            ("limits.idle_timeout_ms", limits.idle_timeout_ms),
            ("limits.max_connections", limits.max_connections.into()),
            (
                "limits.http2_max_concurrent_streams",
                limits.http2_max_concurrent_streams.into(),
            ),
            ("limits.max_form_fields", limits.max_form_fields),
            ("limits.max_json_depth", limits.max_json_depth),
            ("limits.max_json_values", limits.max_json_values),
            ("limits.bodies_in_flight_bytes", limits.bodies_in_flight_bytes),
            ("limits.max_upload_bytes", limits.max_upload_bytes),
        ] {
            if value == 0 {
                return fail(
                    key,
                    "must be at least 1 (a zero would refuse every request)".into(),
                );
            }
        }
        if limits.max_json_depth > 128 {
            return fail(
                "limits.max_json_depth",
                format!(
                    "{} is deeper than serde_json parses (128); use at most 128",
                    limits.max_json_depth
                ),
            );
        }
        if limits.bodies_in_flight_bytes < self.body_limit {
            return fail(
                "limits.bodies_in_flight_bytes",
                format!(
                    "{} is less than body_limit ({}): a body of the limit could never be read; \
                     raise it or lower body_limit",
                    limits.bodies_in_flight_bytes, self.body_limit
                ),
            );
        }
        if !limits.upload_dir.is_empty() && !std::path::Path::new(&limits.upload_dir).is_dir() {
            return fail(
                "limits.upload_dir",
                format!(
                    "`{}` is not a folder; create it, or leave the key out to spool uploads to the \
                     system's temporary folder",
                    limits.upload_dir
                ),
            );
        }
        let cors = &self.cors;
        for origin in &cors.allow_origins {
            if origin == "*" && cors.allow_credentials {
                return fail(
                    "cors.allow_origins",
                    "\"*\" cannot go with cors.allow_credentials = true (browsers refuse it); \
                     list the origins"
                        .into(),
                );
            }
            if poem::http::HeaderValue::from_str(origin).is_err() || origin.is_empty() {
                return fail(
                    "cors.allow_origins",
                    format!("`{origin}` is not an origin; write one as \"https://shop.example\""),
                );
            }
        }
        for name in &cors.allow_methods {
            if parse_method(name).is_none() {
                return fail(
                    "cors.allow_methods",
                    format!(
                        "`{name}` is not an HTTP method; use get, post, put, delete, patch, head or options"
                    ),
                );
            }
        }
        for name in &cors.allow_headers {
            if poem::http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return fail(
                    "cors.allow_headers",
                    format!("`{name}` is not an HTTP header name"),
                );
            }
        }
        if !matches!(self.swagger.openapi_version.as_str(), "3.0" | "3.1") {
            return fail(
                "swagger.openapi_version",
                format!(
                    "`{}` is not supported; use \"3.1\" or \"3.0\"",
                    self.swagger.openapi_version
                ),
            );
        }
        Ok(())
    }

    /// `[cache]`: backend URLs of a known shape, and the several-instance settings
    /// (DESIGN §18) naming Redis backends that exist.
    fn validate_cache(
        &self,
        fail: &dyn Fn(&str, String) -> Result<(), SettingsError>,
    ) -> Result<(), SettingsError> {
        let cache = &self.cache;
        for (name, url) in &cache.backends {
            if url.starts_with("memory://") {
                continue;
            }
            if let Err(problem) = super::RedisTarget::parse(url) {
                return fail(&format!("cache.backends.{name}"), problem);
            }
        }
        let redis: Vec<&String> = cache
            .backends
            .iter()
            .filter(|(_, url)| !url.starts_with("memory://"))
            .map(|(name, _)| name)
            .collect();
        let is_redis = |name: &str| redis.iter().any(|known| *known == name);
        if cache.single_flight_lease_ms < 100 {
            return fail(
                "cache.single_flight_lease_ms",
                "must be at least 100 (the lease is renewed a third of the way through)".into(),
            );
        }
        if !cache.invalidation_channel.is_empty() {
            match cache.invalidation_backend.as_str() {
                "" if redis.len() != 1 => {
                    return fail(
                        "cache.invalidation_backend",
                        format!(
                            "must name the Redis backend that carries `cache.invalidation_channel`: \
                             settings have {} Redis backends",
                            redis.len()
                        ),
                    )
                }
                "" => {}
                name if !is_redis(name) => {
                    return fail(
                        "cache.invalidation_backend",
                        format!("`{name}` is not a Redis backend of `[cache] backends`"),
                    )
                }
                _ => {}
            }
        }
        for (name, seconds) in &cache.near {
            let key = format!("cache.near.{name}");
            if !is_redis(name) {
                return fail(
                    &key,
                    format!("`{name}` is not a Redis backend of `[cache] backends`; a near cache fronts one"),
                );
            }
            if cache.invalidation_channel.is_empty() {
                return fail(
                    &key,
                    "a near cache needs `cache.invalidation_channel`, which tells every instance \
                     to drop what another changed"
                        .into(),
                );
            }
            if *seconds == 0 {
                return fail(&key, "must be at least 1 second".into());
            }
        }
        Ok(())
    }

    /// `[throttle]`: a rate in its grammar, proxies that are addresses or blocks, and,
    /// with a default rate, a backend that `[cache] backends` configures (with none,
    /// the App checks the backend when an endpoint has `#[throttle]`).
    fn validate_throttle(
        &self,
        fail: &dyn Fn(&str, String) -> Result<(), SettingsError>,
    ) -> Result<(), SettingsError> {
        let throttle = &self.throttle;
        if !throttle.default_rate.trim().is_empty() {
            if let Err(err) = apiview_grammar::Rate::parse(&throttle.default_rate) {
                return fail(
                    "throttle.default_rate",
                    format!("{err}; or leave it empty for none"),
                );
            }
            if !self.cache.backends.contains_key(&throttle.backend) {
                return fail("throttle.backend", self.unknown_throttle_backend());
            }
        }
        if throttle.backend.is_empty() {
            return fail(
                "throttle.backend",
                "must name a cache backend of `[cache] backends`, like \"default\"".into(),
            );
        }
        for proxy in &throttle.trusted_proxies {
            if IpBlock::parse(proxy).is_none() {
                return fail(
                    "throttle.trusted_proxies",
                    format!(
                        "`{proxy}` is not an IP address or CIDR block, like \"10.0.0.1\" or \"10.0.0.0/8\""
                    ),
                );
            }
        }
        Ok(())
    }

    /// `[auth.jwt]`: one key (an HS256 secret long enough, or an RS256 public key
    /// file), a private key only beside a public one, a sane leeway. Key files are read
    /// when the App is built.
    fn validate_auth(
        &self,
        fail: &dyn Fn(&str, String) -> Result<(), SettingsError>,
    ) -> Result<(), SettingsError> {
        let Some(jwt) = &self.auth.jwt else {
            return Ok(());
        };
        match (jwt.secret.is_empty(), jwt.public_key.is_empty()) {
            (true, true) => {
                return fail(
                    "auth.jwt.secret",
                    "[auth.jwt] needs a key: `secret` (HS256) or `public_key` (RS256, a PEM file)".into(),
                )
            }
            (false, false) => {
                return fail(
                    "auth.jwt.secret",
                    "give either `secret` (HS256) or `public_key` (RS256), not both: a token is checked \
                     with one algorithm only"
                        .into(),
                )
            }
            _ => {}
        }
        if !jwt.secret.is_empty() && jwt.secret.len() < super::auth::MIN_SECRET_BYTES {
            return fail(
                "auth.jwt.secret",
                format!(
                    "{} bytes is too short for HS256: use at least {} random bytes",
                    jwt.secret.len(),
                    super::auth::MIN_SECRET_BYTES
                ),
            );
        }
        if !jwt.private_key.is_empty() && jwt.public_key.is_empty() {
            return fail(
                "auth.jwt.private_key",
                "signs RS256 tokens, and goes with `public_key`, which checks them".into(),
            );
        }
        if jwt.leeway_s > super::auth::MAX_LEEWAY_S {
            return fail(
                "auth.jwt.leeway_s",
                format!(
                    "{} is more than {} seconds",
                    jwt.leeway_s,
                    super::auth::MAX_LEEWAY_S
                ),
            );
        }
        Ok(())
    }

    /// Why `throttle.backend` is refused: it names no configured backend.
    pub(crate) fn unknown_throttle_backend(&self) -> String {
        let known: Vec<&str> = self.cache.backends.keys().map(String::as_str).collect();
        format!(
            "`{}` is not a backend of `[cache] backends` (configured: {})",
            self.throttle.backend,
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )
    }

    /// `[versioning]`: a known scheme; with one on, versions to allow and a default
    /// among them; every version and the param name in their grammar.
    fn validate_versioning(
        &self,
        fail: &dyn Fn(&str, String) -> Result<(), SettingsError>,
    ) -> Result<(), SettingsError> {
        let versioning = &self.versioning;
        let Some(scheme) = VersionScheme::parse(&versioning.scheme) else {
            return fail(
                "versioning.scheme",
                format!(
                    "`{}` is not a scheme; use none, url_path, header, query or accept",
                    versioning.scheme
                ),
            );
        };
        for (at, version) in versioning.allowed.iter().enumerate() {
            if let Err(err) = apiview_grammar::check_version(version) {
                return fail("versioning.allowed", err.to_string());
            }
            if versioning.allowed[..at].contains(version) {
                return fail("versioning.allowed", format!("`{version}` is listed twice"));
            }
        }
        let param = &versioning.param;
        let identifier = param.len() <= 64
            && param.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && param.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !identifier {
            return fail(
                "versioning.param",
                format!(
                    "`{param}` is not a parameter name: use letters, digits and `_`, starting with a letter, \
                     like \"version\" (it names the path segment, the query parameter or the Accept \
                     media type parameter)"
                ),
            );
        }
        if scheme == VersionScheme::None {
            if !versioning.default.is_empty()
                && !versioning.allowed.is_empty()
                && !versioning.allowed.contains(&versioning.default)
            {
                return fail(
                    "versioning.default",
                    format!(
                        "`{}` is not one of versioning.allowed ({})",
                        versioning.default,
                        versioning.allowed.join(", ")
                    ),
                );
            }
            return Ok(());
        }
        if versioning.allowed.is_empty() {
            return fail(
                "versioning.allowed",
                format!(
                    "scheme `{}` needs the versions requests may name, like allowed = [\"v1\", \"v2\"]",
                    scheme.name()
                ),
            );
        }
        if !versioning.allowed.contains(&versioning.default) {
            let allowed = versioning.allowed.join(", ");
            let problem = if versioning.default.is_empty() {
                format!("is not set; name the version of a request that names none, one of versioning.allowed ({allowed})")
            } else {
                format!(
                    "`{}` is not one of versioning.allowed ({allowed})",
                    versioning.default
                )
            };
            return fail("versioning.default", problem);
        }
        Ok(())
    }
}
