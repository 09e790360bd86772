use apiview::prelude::*;

#[apiview]
#[string_length_limit(req, max_length = 10)]
fn path(req: &ApiRequest) -> String {
    req.path().to_owned()
}

fn main() {}
