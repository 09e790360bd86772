use apiview::prelude::*;

#[apiview]
#[cache(key = "who:{request}")]
fn who(request: &ApiRequest) -> String {
    request.path().to_owned()
}

fn main() {}
