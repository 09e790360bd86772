use apiview::prelude::*;

fn can_edit(me: &Identity, id: &u64) -> bool {
    me.id() == id.to_string()
}

#[apiview]
#[permission(can_edit(idd))]
fn edit(id: u64, text: String) -> String {
    format!("{id}: {text}")
}

fn main() {}
