use apiview::prelude::*;

/// No separator at all: the whole doc is summary and description.
/// Second line.
#[apiview]
fn no_separator() {}

/// Tabs, Chinese text and `{{{` inside a YAML string.
///
/// 中文的描述。
///
/// --------
/// @methods: post
/// @parameter: msg {{{
/// 	in: body
/// 	example:
/// 	  msg: "a {{{ b }}} c"
/// }}}
/// @response: 200 OK "正确的响应" {{{
/// }}}
/// @response: 500 ERROR "错误的响应" {{{
///     {"code": 1234, "message": "错误原因。"}
/// }}}
#[apiview]
#[allow_post]
fn tabs_and_chinese(msg: String) -> String {
    msg
}

fn main() {
    let _ = App::new(Settings::default()).at("/a", no_separator).at("/b", tabs_and_chinese);
}
