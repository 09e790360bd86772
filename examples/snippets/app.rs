//! The snippets App: its settings and its routes.

use apiview::prelude::*;
use apiview::settings::{JwtSettings, SwaggerSettings};
use apiview::SwaggerExt;

use crate::routes::{self, Site};
use crate::storage::Db;

/// The example's own defaults over `settings`: versions by the `Accept` header (v1,
/// the default, and v2), the document's title, and a random HS256 secret when
/// `[auth.jwt]` names none (tokens then last until the server restarts). What the
/// settings say themselves is kept.
pub fn settings(mut settings: Settings) -> Settings {
    let versioning = &mut settings.versioning;
    if !versioning.is_on() {
        versioning.scheme = "accept".into();
        versioning.allowed = vec!["v1".into(), "v2".into()];
        versioning.default = "v1".into();
    }
    let swagger = &mut settings.swagger;
    if swagger.title == SwaggerSettings::default().title && swagger.description.is_empty() {
        swagger.title = "snippets".into();
        swagger.description =
            "The Django REST framework tutorial, rebuilt with apiview: register or log in under `auth`, \
             then Authorize with the token to create and edit snippets."
                .into();
    }
    if settings.auth.jwt.is_none() {
        tracing::warn!(
            "no [auth.jwt] secret in the settings: tokens are signed with a random one, valid until restart"
        );
        settings.auth.jwt = Some(JwtSettings {
            secret: format!("{:032x}{:032x}", rand::random::<u128>(), rand::random::<u128>()),
            issuer: "apiview-snippets".into(),
            ..Default::default()
        });
    }
    settings
}

/// Every route of the tutorial on `db`, with the Swagger UI (under `/apiview/`
/// unless `swagger.mount` says otherwise); `list_cache: false` makes the snippet list
/// read the database on every request.
pub fn app(settings: Settings, db: Db, list_cache: bool) -> App {
    let site = Site {
        db,
        swagger: settings.swagger.clone(),
        list_cache,
    };
    App::new(settings)
        .data(site)
        .swagger()
        .at("/auth/register", routes::register)
        .at("/auth/login", routes::login)
        .at("/users/", routes::user_list)
        .at("/users/:id/", routes::user_detail)
        .at("/snippets/", routes::snippet_list)
        .at("/snippets/", routes::snippet_create)
        .at("/snippets/:id/", routes::snippet_detail)
        .at("/snippets/:id/", routes::snippet_update)
        .at("/snippets/:id/", routes::snippet_partial_update)
        .at("/snippets/:id/", routes::snippet_delete)
        .at("/snippets/:id/highlight/", routes::snippet_highlight)
}
