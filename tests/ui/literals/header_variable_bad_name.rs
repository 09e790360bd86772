use apiview::prelude::*;

#[apiview]
#[header_variable(agent, "User Agent")]
fn whoami(agent: Option<String>) -> Option<String> {
    agent
}

fn main() {}
