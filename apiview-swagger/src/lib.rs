//! The OpenAPI document of an apiview App and the Swagger UI that shows it.
//!
//! The document is built from what `#[apiview]` recorded at compile time: the doc
//! comment (summary, description, `@parameter` and `@response` blocks, already
//! parsed and checked by the macro), the method allow-list, the parameters and
//! their Rust types, and the validators. What the doc comment leaves out comes from
//! the code, so the document cannot drift from it:
//!
//! - parameters the doc does not describe are inferred from the signature (types)
//!   and the validators (`between` → `minimum`/`maximum`, `choices` → `enum`,
//!   `string_length_limit` → `minLength`/`maxLength`, `requires` and non-`Option`
//!   → required); for GET, HEAD, DELETE and OPTIONS they are query parameters,
//!   for POST, PUT and PATCH the fields of a JSON (or form) request body;
//! - every `@response` example is shown packed by the endpoint's own packer, and
//!   every error its helpers can raise is listed as a packed example with its code;
//! - the success envelope carries the JSON schema of the return type (`schemars`;
//!   a struct deriving `JsonSchema` lands in `components/schemas` by itself,
//!   `Result<T, _>` documents `T`, a type without a schema is `{}`), the error
//!   envelope an `enum` of the codes each status can carry, and `#[check_aclkey]`
//!   is an `apiKey` security scheme with `security` on the operations that check it.
//!
//! With `use apiview::prelude::*`, [`SwaggerExt`] gives `App` its `swagger()`,
//! `openapi()` and `model::<T>()` methods.
//!
//! ```
//! use apiview::prelude::*;
//!
//! /// Add two integers.
//! #[apiview]
//! #[between(a, 0, 100)]
//! fn add(a: i64, b: i64) -> i64 {
//!     a + b
//! }
//!
//! let app = App::new(Settings::default()).at("/add", add).swagger();
//! let document = app.openapi();
//! let a = &document["paths"]["/add"]["get"]["parameters"][0];
//! assert_eq!((a["name"].as_str(), a["in"].as_str()), (Some("a"), Some("query")));
//! assert_eq!(a["schema"]["maximum"], 100);
//! let ok = &document["paths"]["/add"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
//! assert_eq!(ok["allOf"][1]["properties"]["result"]["type"], "integer");
//! ```

#![warn(missing_docs)]

mod convert;
mod document;
mod infer;
mod models;
mod operation;
mod paginate;
#[doc(hidden)]
pub mod private;
mod responses;
mod schema;
mod ui;
mod versions;

use apiview_core::App;
use serde_json::Value;

pub use document::{openapi, openapi_of_version};
pub use models::model_schemas;
pub use schemars;

/// The OpenAPI document, the Swagger UI and models, as methods of [`App`]
/// (in `apiview::prelude`).
pub trait SwaggerExt: Sized {
    /// Serves the document and the Swagger UI under `settings.swagger.mount`
    /// (default `/apiview/`): `openapi.json` and `swagger-ui-meta.json` (the document,
    /// under django-apiview's name too), `swagger-ui-config.json` (the UI's
    /// configuration) and `swagger-ui.html` (the UI, its files served from the binary). The document is built once, when the App becomes an endpoint,
    /// from every endpoint and model registered by then, whatever the call order.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn ping() -> &'static str {
    ///     "pong"
    /// }
    ///
    /// let endpoint = App::new(Settings::default()).swagger().at("/ping", ping).into_endpoint();
    ///
    /// # // A runtime-free executor: this crate's examples have no tokio.
    /// # fn block_on<F: std::future::Future>(future: F) -> F::Output {
    /// #     struct Unpark(std::thread::Thread);
    /// #     impl std::task::Wake for Unpark {
    /// #         fn wake(self: std::sync::Arc<Self>) {
    /// #             self.0.unpark()
    /// #         }
    /// #     }
    /// #     let waker = std::sync::Arc::new(Unpark(std::thread::current())).into();
    /// #     let mut cx = std::task::Context::from_waker(&waker);
    /// #     let mut future = std::pin::pin!(future);
    /// #     loop {
    /// #         if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
    /// #             return output;
    /// #         }
    /// #         std::thread::park();
    /// #     }
    /// # }
    /// # block_on(async {
    /// use poem::{Endpoint, Request};
    /// let request = Request::builder().uri_str("/apiview/openapi.json").finish();
    /// let response = endpoint.get_response(request).await;
    /// let document: serde_json::Value = response.into_body().into_json().await.unwrap();
    /// assert!(document["paths"]["/ping"].is_object());
    /// let request = Request::builder().uri_str("/apiview/swagger-ui.html").finish();
    /// let response = endpoint.get_response(request).await;
    /// assert!(response.into_body().into_string().await.unwrap().contains("swagger-ui"));
    /// # });
    /// ```
    fn swagger(self) -> Self;

    /// The OpenAPI document of the App's endpoints and models (3.1.0, or 3.0.3 with
    /// `swagger.openapi_version = "3.0"`).
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// let settings = Settings::from_toml_str("[swagger]\nopenapi_version = '3.0'\ntitle = 'Shop'").unwrap();
    /// let document = App::new(settings).openapi();
    /// assert_eq!((document["openapi"].as_str(), document["info"]["title"].as_str()), (Some("3.0.3"), Some("Shop")));
    /// ```
    fn openapi(&self) -> Value;

    /// The OpenAPI document of one API version (DESIGN §16; `openapi.json?version=v2`
    /// serves it): the endpoints that exist in it, each telling how to ask for it.
    /// `None` when `[versioning]` is off or does not allow `version`. [`SwaggerExt::openapi`]
    /// is `versioning.default`'s.
    ///
    /// ```
    /// use apiview::prelude::*;
    ///
    /// #[apiview]
    /// fn greeting() {}
    ///
    /// #[apiview(versions = ["v2"])]
    /// fn farewell() {}
    ///
    /// let settings = Settings::from_toml_str(
    ///     "[versioning]\nscheme = 'header'\nallowed = ['v1', 'v2']\ndefault = 'v1'",
    /// )
    /// .unwrap();
    /// let app = App::new(settings).at("/greeting", greeting).at("/farewell", farewell);
    /// let v2 = app.openapi_for_version("v2").unwrap();
    /// assert!(v2["paths"]["/farewell"].is_object());
    /// let header = &v2["paths"]["/greeting"]["get"]["parameters"][0];
    /// assert_eq!((header["name"].as_str(), header["in"].as_str()), (Some("Accept-Version"), Some("header")));
    /// assert_eq!(header["schema"]["enum"], serde_json::json!(["v2"]));
    /// assert!(app.openapi()["paths"].get("/farewell").is_none()); // v1, the default
    /// assert!(app.openapi_for_version("v3").is_none());
    /// ```
    fn openapi_for_version(&self, version: &str) -> Option<Value>;

    /// Adds the JSON schema of `T` (and of the types it uses) to the document's
    /// `components/schemas` (django-apiview's `DJANGO_APIVIEW_SWAGGER_EXPORT_MODELS`),
    /// for `schema: {$ref: Name}` in doc comments and for parameters of type `T`.
    ///
    /// ```
    /// use apiview::prelude::*;
    /// use apiview::schemars::{self, JsonSchema};
    ///
    /// #[derive(JsonSchema)]
    /// struct Note {
    ///     name: String,
    ///     text: String,
    /// }
    ///
    /// let document = App::new(Settings::default()).model::<Note>().openapi();
    /// assert_eq!(document["components"]["schemas"]["Note"]["required"], serde_json::json!(["name", "text"]));
    /// ```
    fn model<T: schemars::JsonSchema + ?Sized>(self) -> Self;
}

impl SwaggerExt for App {
    fn swagger(self) -> Self {
        self.with_routes(ui::routes)
    }

    fn openapi(&self) -> Value {
        document::openapi(self.endpoints(), self.packers(), self.settings(), self.schemas())
    }

    fn openapi_for_version(&self, version: &str) -> Option<Value> {
        openapi_of_version(
            self.endpoints(),
            self.packers(),
            self.settings(),
            self.schemas(),
            version,
        )
    }

    fn model<T: schemars::JsonSchema + ?Sized>(self) -> Self {
        model_schemas::<T>()
            .into_iter()
            .fold(self, |app, (name, schema)| app.schema(name, schema))
    }
}
