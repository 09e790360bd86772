use apiview::prelude::*;

#[apiview]
#[header_variable(agent)]
fn whoami(agent: Option<String>) -> Option<String> {
    agent
}

fn main() {}
