use apiview::prelude::*;

#[apiview]
fn path(req: &mut ApiRequest) -> String {
    req.path().to_owned()
}

fn main() {}
