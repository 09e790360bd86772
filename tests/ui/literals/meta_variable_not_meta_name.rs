use apiview::prelude::*;

#[apiview]
#[meta_variable(agent, "USER_AGENT")]
fn whoami(agent: Option<String>) -> Option<String> {
    agent
}

fn main() {}
