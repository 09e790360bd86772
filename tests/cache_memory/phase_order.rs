//! The phase order: the cache is read after `check_aclkey` and the validators, so a
//! cached answer never goes to a caller they refuse.

use super::*;

static SECRET_CALLS: AtomicUsize = AtomicUsize::new(0);

/// `#[cache]` written first on purpose: in django-apiview this order would serve
/// cached data to callers without a key.
#[apiview]
#[cache(key = "secret:{id}", expire = 60)]
#[check_aclkey(aclkey = "good-key")]
#[between(id, 0, 100)]
fn secret(id: i64) -> String {
    count(&SECRET_CALLS);
    format!("secret {id}")
}

#[tokio::test]
async fn a_cached_answer_is_never_served_before_aclkey_and_validators() {
    let app = App::new(Settings::default()).at("/secret", secret);
    let cache = app.cache("default").unwrap();
    let server = common::serve(app).await;

    assert_eq!(
        get_with(&server, "/secret?id=1", ("aclkey", "good-key")).await,
        ok(json!("secret 1"))
    );
    assert_eq!(
        code_of(&get_with(&server, "/secret?id=1", ("aclkey", "bad-key")).await),
        common::APP_AUTH_FAILED
    );
    assert_eq!(
        code_of(&get(&server, "/secret?id=1").await),
        common::MISSING_PARAMETER
    );
    assert_eq!(
        get_with(&server, "/secret?id=1", ("aclkey", "good-key")).await,
        ok(json!("secret 1"))
    );
    assert_eq!(calls(&SECRET_CALLS), 1);

    // An entry for parameters the validators refuse is never reached.
    cache.set("secret:500", &"planted", MINUTE).await.unwrap();
    assert_eq!(
        code_of(&get_with(&server, "/secret?id=500", ("aclkey", "good-key")).await),
        common::BAD_PARAMETER
    );
    assert_eq!(calls(&SECRET_CALLS), 1);
}
