//! The data bag of a request: one value looked up by name with the fixed precedence
//! (path, body, query, headers), a whole [`Source`], and everything at once.

use serde_json::{Map, Value};

use super::query::{find_pairs, group_pairs, text_pairs};
use super::{ApiRequest, Body, RawValue, Source, NULL};

impl ApiRequest {
    /// The whole body: the JSON value, or the form as an object; `null` without one.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn show(request: &ApiRequest) -> String {
    ///     request.payload().to_string()
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let app = App::new(Settings::default()).at("/show", show).into_endpoint();
    /// let request = Request::builder().method(poem::http::Method::POST).uri_str("/show")
    ///     .content_type("application/json").body(r#"{"a":1}"#);
    /// let body: serde_json::Value = app.get_response(request).await.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"], r#"{"a":1}"#);
    /// # });
    /// ```
    pub fn payload(&self) -> &Value {
        match &self.0.body {
            Body::None => &NULL,
            Body::Json(value) => value,
            Body::Object(object) => self.0.payload.get_or_init(|| Value::Object(object.to_map())),
            Body::Form(pairs) => self
                .0
                .payload
                .get_or_init(|| Value::Object(group_pairs(text_pairs(pairs)))),
        }
    }

    /// Looks a field up by name: path params, JSON body fields, form fields, query
    /// string, then headers (`user_agent` matches `User-Agent`).
    ///
    /// ```
    /// # use apiview::prelude::*;
    /// #[apiview]
    /// fn lookup(request: &ApiRequest) -> bool {
    ///     request.field("token").is_some()
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let app = App::new(Settings::default()).at("/lookup", lookup).into_endpoint();
    /// let request = Request::builder().uri_str("/lookup?token=abc").finish();
    /// let body: serde_json::Value = app.get_response(request).await.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"], true);
    /// # });
    /// ```
    pub fn field(&self, name: &str) -> Option<RawValue<'_>> {
        self.lookup(name, &name.replace('_', "-"))
    }

    pub(crate) fn lookup<'a>(&'a self, name: &str, header: &str) -> Option<RawValue<'a>> {
        if let Some(value) = self.0.request.raw_path_param(name) {
            return Some(RawValue::Text(value));
        }
        match &self.0.body {
            Body::Object(object) => {
                if let Some(value) = object.get(name) {
                    return Some(value);
                }
            }
            Body::Json(Value::Object(fields)) => {
                if let Some(value) = fields.get(name) {
                    return Some(RawValue::Json(value));
                }
            }
            Body::Form(pairs) => {
                if let Some(value) = find_pairs(text_pairs(pairs), name) {
                    return Some(value);
                }
            }
            Body::Json(_) | Body::None => {}
        }
        if let Some(value) = self.query_value(name) {
            return Some(value);
        }
        self.header(header)
            .or_else(|| if header != name { self.header(name) } else { None })
            .map(RawValue::Text)
    }

    /// Finds a parameter's value at its source.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn show(request: &ApiRequest) -> String {
    ///     format!("{:?}", request.get(&apiview::meta::Source::Header { name: "user-agent" }))
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let app = App::new(Settings::default()).at("/show", show).into_endpoint();
    /// let request = Request::builder().uri_str("/show").header("User-Agent", "curl/8").finish();
    /// let body: serde_json::Value = app.get_response(request).await.into_body().into_json().await.unwrap();
    /// assert_eq!(body["result"], r#"Some(Text("curl/8"))"#);
    /// # });
    /// ```
    pub fn get(&self, source: &Source) -> Option<RawValue<'_>> {
        match *source {
            Source::Field { name, header } => self.lookup(name, header),
            Source::Payload => Some(RawValue::Json(self.payload())),
            Source::Cookie { name, default } => self.cookie(name).or(default).map(RawValue::Text),
            Source::Header { name } => self.header(name).map(RawValue::Text),
            Source::Meta { name } => self.meta(name).map(RawValue::Text),
        }
    }

    /// The merged data bag, django-apiview's `_form`: every header, query key, form
    /// field, JSON body field and path param, later sources overriding earlier ones
    /// in that order. Built on each call; endpoints read single fields instead.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn show(request: &ApiRequest) -> String {
    ///     serde_json::Value::Object(request.data()).to_string()
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use poem::{Endpoint, Request};
    /// let app = App::new(Settings::default()).at("/show", show).into_endpoint();
    /// let request = Request::builder().uri_str("/show?a=1&b=2").header("b", "header").finish();
    /// let body: serde_json::Value = app.get_response(request).await.into_body().into_json().await.unwrap();
    /// let data: serde_json::Value = serde_json::from_str(body["result"].as_str().unwrap()).unwrap();
    /// // The query string overrides the header of the same name.
    /// assert_eq!((&data["a"], &data["b"]), (&serde_json::json!("1"), &serde_json::json!("2")));
    /// # });
    /// ```
    pub fn data(&self) -> Map<String, Value> {
        let mut data = Map::new();
        for (name, value) in self.headers() {
            if let Ok(text) = std::str::from_utf8(value.as_bytes()) {
                data.insert(name.as_str().replace('-', "_"), Value::String(text.to_owned()));
            }
        }
        data.extend(group_pairs(self.query_pairs()));
        match &self.0.body {
            Body::Object(object) => data.extend(object.to_map()),
            Body::Json(Value::Object(fields)) => data.extend(fields.clone()),
            Body::Form(pairs) => data.extend(group_pairs(text_pairs(pairs))),
            Body::Json(_) | Body::None => {}
        }
        if let Ok(params) = self
            .0
            .request
            .path_params::<std::collections::BTreeMap<String, String>>()
        {
            data.extend(
                params
                    .into_iter()
                    .map(|(name, value)| (name, Value::String(value))),
            );
        }
        data
    }
}
