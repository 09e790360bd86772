//! Authentication in the document (DESIGN §14): the `bearer` http scheme beside the
//! aclkey's apiKey scheme, `security` on each operation that checks them (both in one
//! requirement when both are checked, with an alternative without the token when
//! logging in is optional), and LoginRequired, BadUserToken and NoPermissionError
//! among the errors where they can happen, at 401 and 403 in semantic mode.

use super::*;

const LOGIN_REQUIRED: i64 = 1001040009;
const BAD_USER_TOKEN: i64 = 1001040012;
const NO_PERMISSION: i64 = 1001100001;

/// Both an aclkey and a caller.
#[apiview]
#[allow_get]
#[check_aclkey]
#[login_required]
fn keyed_member() {}

/// A caller, if any.
#[apiview]
#[allow_get]
fn anyone(me: Option<Identity>) -> Option<String> {
    me.map(|me| me.id().to_owned())
}

/// An aclkey, and a caller if any.
#[apiview]
#[allow_get]
#[check_aclkey]
fn keyed_anyone(me: Option<Identity>) -> bool {
    me.is_some()
}

fn app(settings: Settings) -> App {
    App::new(settings)
        .authenticator(BearerJwt::hs256("openapi-tests-secret-of-32-bytes!!"))
        .at("/keyed_member", keyed_member)
        .at("/anyone", anyone)
        .at("/keyed_anyone", keyed_anyone)
}

#[test]
fn the_demo_declares_the_bearer_scheme_and_the_operations_that_need_it() {
    for version in ["3.1", "3.0"] {
        let document = demo(&format!("demo-auth-{version}"), |settings| {
            settings.swagger.openapi_version = version.into()
        });
        let schemes = &document["components"]["securitySchemes"];
        assert_eq!(
            (
                &schemes["bearer"]["type"],
                &schemes["bearer"]["scheme"],
                &schemes["bearer"]["bearerFormat"]
            ),
            (&json!("http"), &json!("bearer"), &json!("JWT"))
        );
        assert_eq!(schemes["aclkey"]["type"], "apiKey", "both schemes: {schemes}");
        let paths = &document["paths"];
        assert_eq!(paths["/me"]["get"]["security"], json!([{"bearer": []}]));
        assert_eq!(
            paths["/note_owned_set"]["post"]["security"],
            json!([{"bearer": []}])
        );
        assert_eq!(paths["/secure"]["get"]["security"], json!([{"aclkey": []}]));
        for public in [&paths["/ping"]["get"], &paths["/token"]["post"]] {
            assert!(public.get("security").is_none(), "{public}");
        }
        let me = error_codes(&paths["/me"]["get"], "200");
        assert!(
            me.contains(&LOGIN_REQUIRED) && me.contains(&BAD_USER_TOKEN),
            "{me:?}"
        );
        assert!(!me.contains(&NO_PERMISSION), "{me:?}");
        let owned = error_codes(&paths["/note_owned_set"]["post"], "200");
        assert!(
            owned.is_superset(&[LOGIN_REQUIRED, BAD_USER_TOKEN, NO_PERMISSION].into()),
            "{owned:?}"
        );
        let ping = error_codes(&paths["/ping"]["get"], "200");
        assert!(
            ping.is_disjoint(&[LOGIN_REQUIRED, BAD_USER_TOKEN, NO_PERMISSION].into()),
            "{ping:?}"
        );
    }
}

#[test]
fn aclkey_and_bearer_combine_and_an_optional_login_has_an_alternative() {
    let document = checked("auth-combined", app(demo_settings()).openapi());
    let paths = &document["paths"];
    assert_eq!(
        paths["/keyed_member"]["get"]["security"],
        json!([{"aclkey": [], "bearer": []}])
    );
    assert_eq!(paths["/anyone"]["get"]["security"], json!([{}, {"bearer": []}]));
    assert_eq!(
        paths["/keyed_anyone"]["get"]["security"],
        json!([{"aclkey": []}, {"aclkey": [], "bearer": []}])
    );
    let optional = error_codes(&paths["/anyone"]["get"], "200");
    assert!(
        optional.contains(&BAD_USER_TOKEN) && !optional.contains(&LOGIN_REQUIRED),
        "{optional:?}"
    );
}

#[test]
fn semantic_mode_documents_401_and_403() {
    let document = demo("demo-auth-semantic", |settings| {
        settings.http_status = HttpStatusMode::Semantic
    });
    let owned = &document["paths"]["/note_owned_set"]["post"];
    assert_eq!(error_codes(owned, "401"), [LOGIN_REQUIRED, BAD_USER_TOKEN].into());
    assert_eq!(error_codes(owned, "403"), [NO_PERMISSION].into());
    assert_eq!(owned["responses"]["401"]["description"], "Unauthorized");
}

#[test]
fn without_authenticating_endpoints_there_is_no_bearer_scheme() {
    #[apiview]
    fn plain() {}
    let document = checked(
        "auth-none",
        App::new(demo_settings()).at("/plain", plain).openapi(),
    );
    assert!(
        document["components"].get("securitySchemes").is_none(),
        "{document}"
    );
}
