use apiview::prelude::*;

fn allowed_ops() -> Vec<&'static str> {
    vec!["add", "sub"]
}

fn lowest() -> i64 {
    -10
}

fn keys() -> Vec<String> {
    vec!["k1".to_owned(), "k2".to_owned()]
}

#[apiview]
#[requires(a, b, "token")]
#[requires(any(phone, email))]
#[requires(any("nickname", email))]
fn requires(a: i64, b: Option<i64>, phone: Option<String>, email: Option<String>) -> i64 {
    a + b.unwrap_or(0) + phone.map_or(0, |p| p.len() as i64) + email.map_or(0, |e| e.len() as i64)
}

#[apiview]
#[choices(op, ["add", "sub"])]
#[choices(mode, allowed_ops, allow_none = true)]
#[choices(level, [1, 2, 3])]
fn choices(op: String, mode: Option<String>, level: i64) -> String {
    format!("{op} {mode:?} {level}")
}

#[apiview]
#[between(a, 0, 100)]
#[between(b, -5, { 5 * 2 }, include_min = false, include_max = false)]
#[between(c, lowest, 10, allow_none = true)]
#[between(price, 0, 99.5)]
fn between(a: i64, b: i32, c: Option<i64>, price: f64) -> f64 {
    (a + i64::from(b) + c.unwrap_or(0)) as f64 + price
}

#[apiview]
#[string_length_limit(msg, max_length = 4096, min_length = 2)]
#[string_length_limit(name, max_length = 8, too_long_message = "name is too long")]
#[string_length_limit(note, min_length = 1, too_short_message = "write a note")]
fn string_length_limit(msg: String, name: Option<String>, note: String) -> String {
    format!("{msg} {name:?} {note}")
}

#[apiview]
#[check_aclkey]
fn aclkey_from_settings() -> &'static str {
    "ok"
}

#[apiview]
#[check_aclkey(aclkey = "secret", field = "key")]
fn aclkey_literal() -> &'static str {
    "ok"
}

#[apiview]
#[check_aclkey(aclkeys = ["k1", "k2"])]
fn aclkeys_literal() -> &'static str {
    "ok"
}

#[apiview]
#[check_aclkey(aclkey = keys)]
fn aclkey_function() -> &'static str {
    "ok"
}

#[apiview]
#[check_aclkey(aclkeys = keys)]
fn aclkeys_function() -> &'static str {
    "ok"
}

#[apiview]
#[allow_get]
#[allow_post]
#[allow_put]
#[allow_delete]
#[allow_patch]
#[allow_head]
#[allow_options]
fn every_method() -> &'static str {
    "ok"
}

#[apiview]
#[methods(get, post)]
fn methods() -> &'static str {
    "ok"
}

#[apiview]
#[body_alias(user)]
fn body_alias(user: serde_json::Value) -> serde_json::Value {
    user
}

#[apiview]
#[cookie_variable(uid)]
#[cookie_variable(userid, cookie = "uid2", default = "guest")]
#[cookie_variable(visits, default = 0)]
fn cookie_variable(uid: Option<String>, userid: String, visits: i64) -> String {
    format!("{uid:?} {userid} {visits}")
}

#[apiview]
#[meta_variable(agent, "HTTP_USER_AGENT")]
#[meta_variable(addr, "REMOTE_ADDR")]
#[header_variable(trace, "X-Trace-Id")]
fn meta_and_header(agent: Option<String>, addr: Option<String>, trace: Option<String>) -> String {
    format!("{agent:?} {addr:?} {trace:?}")
}

/// Validators and transformers together, written in any order.
#[apiview]
#[check_aclkey]
#[string_length_limit(agent, max_length = 200)]
#[allow_post]
#[header_variable(agent, "User-Agent")]
#[requires(agent)]
fn mixed(agent: String) -> String {
    agent
}

fn main() {
    let _app = App::new(Settings::default())
        .at("/requires", requires)
        .at("/choices", choices)
        .at("/between", between)
        .at("/string_length_limit", string_length_limit)
        .at("/aclkey_from_settings", aclkey_from_settings)
        .at("/aclkey_literal", aclkey_literal)
        .at("/aclkeys_literal", aclkeys_literal)
        .at("/aclkey_function", aclkey_function)
        .at("/aclkeys_function", aclkeys_function)
        .at("/every_method", every_method)
        .at("/methods", methods)
        .at("/body_alias", body_alias)
        .at("/cookie_variable", cookie_variable)
        .at("/meta_and_header", meta_and_header)
        .at("/mixed", mixed);
}

mod cached {
    use apiview::prelude::*;

    #[derive(serde::Serialize)]
    pub struct User {
        pub id: u64,
    }

    #[apiview]
    #[cache(key = "add:{a}:{b}", expire = 60, name = "default", get_from_cache = true, set_to_cache = true)]
    pub fn add(a: i64, b: Option<i64>) -> i64 {
        a + b.unwrap_or(0)
    }

    #[apiview]
    #[cache(key = "user:{id}", batch = true, ignore_errors = false)]
    pub fn users(ids: Vec<u64>) -> Vec<User> {
        ids.into_iter().map(|id| User { id }).collect()
    }

    #[apiview]
    #[cache(key = "static:{{literal}}")]
    pub async fn constant() -> &'static str {
        "same"
    }
}

mod encrypted {
    use apiview::prelude::*;

    #[apiview(packer = "safe")]
    #[rsa_decrypt(password)]
    #[rsa_decrypt(pin, key = "keys/other.pem")]
    pub fn login(user: String, password: String, pin: Option<String>) -> bool {
        user.len() + password.len() + pin.map_or(0, |p| p.len()) > 0
    }

    #[apiview]
    #[decode_encrypted_data]
    #[between(amount, 1, 1000)]
    pub fn transfer(to: String, amount: u64) -> String {
        format!("{amount} to {to}")
    }
}
