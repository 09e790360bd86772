// A misused endpoint registered with `App::at`: only the macro's message, no
// `Handler` trait error after it.
use apiview::prelude::*;

#[apiview]
#[between(c, 0, 100)]
fn echo(msg: String) -> String {
    msg
}

fn main() {
    let _app = App::new(Settings::default()).at("/echo", echo);
}
