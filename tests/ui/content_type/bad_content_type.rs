use apiview::prelude::*;

/// A packed answer is JSON: `content_type` is for `Raw` answers.
#[apiview(content_type = "text/html")]
fn packed() -> &'static str {
    "hi"
}

/// Not a media type.
#[apiview(content_type = "html")]
fn no_subtype() -> Raw<&'static str> {
    Raw("hi")
}

/// Parameters are the answer's own business.
#[apiview(content_type = "text/html; charset=utf-8")]
fn with_parameters() -> Raw<&'static str> {
    Raw("hi")
}

fn main() {}
