// A signature `#[apiview]` refuses, registered with `App::at` and served as a
// `poem::Endpoint`: only the macro's message.
use apiview::prelude::*;

#[apiview]
fn echo<T>(msg: String) -> String {
    msg
}

fn main() {
    let _app = App::new(Settings::default()).at("/echo", echo);
    let _route = poem::Route::new().at("/echo", echo);
}
