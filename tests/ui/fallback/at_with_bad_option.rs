// A helper whose arguments are wrong, on a `pub async fn` registered with
// `App::at`: only the macro's message.
use apiview::prelude::*;

#[apiview(packr = "safe")]
#[cache(key = "echo:{msg}", expire = 0)]
pub async fn echo(msg: String) -> String {
    msg
}

fn main() {
    let _app = App::new(Settings::default()).at("/echo", echo).at("/again", echo);
}
