use apiview::prelude::*;

#[apiview]
#[header_variable(agent, "User-Agent")]
fn whoami(user_agent: Option<String>) -> Option<String> {
    user_agent
}

fn main() {}
