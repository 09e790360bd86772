//! The doc-comment grammar of `#[apiview]` on arbitrary text, one `#[doc = "..."]`
//! attribute per line: never panics; mistakes become errors collected in the context.
//!
//! A proc-macro crate cannot be linked into a binary, so its parser modules are
//! compiled here as plain modules.

#![no_main]

#[allow(dead_code)]
#[path = "../../apiview-macros/src/attr.rs"]
mod attr;
#[allow(dead_code)]
#[path = "../../apiview-macros/src/ctxt.rs"]
mod ctxt;
#[allow(dead_code)]
#[path = "../../apiview-macros/src/doc.rs"]
mod doc;

use libfuzzer_sys::fuzz_target;
use proc_macro2::Span;
use syn::{parse_quote, Attribute, LitStr};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let attrs: Vec<Attribute> = text
        .split('\n')
        .map(|line| {
            let line = LitStr::new(line, Span::call_site());
            parse_quote!(#[doc = #line])
        })
        .collect();
    let cx = ctxt::Ctxt::default();
    let doc = doc::parse(&cx, &attrs);
    for parameter in &doc.parameters {
        assert!(!parameter.name.is_empty(), "a parameter without a name");
        assert!(doc::LOCATIONS.contains(&parameter.location.as_str()));
        serde_json::from_str::<serde_json::Value>(&parameter.spec_json).expect("the spec is JSON");
    }
    for response in &doc.responses {
        assert!(
            (100..=599).contains(&response.status),
            "status {}",
            response.status
        );
        serde_json::from_str::<serde_json::Value>(&response.example_json).expect("the example is JSON");
    }
    if let Some((methods, _)) = doc.methods.get() {
        assert!(
            !methods.is_empty() || cx.has_errors(),
            "@methods accepted without a method"
        );
    }
    drop(cx.into_compile_errors());
});
