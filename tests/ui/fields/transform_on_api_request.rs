use apiview::prelude::*;

#[apiview]
#[body_alias(req)]
fn path(req: ApiRequest) -> String {
    req.path().to_owned()
}

fn main() {}
