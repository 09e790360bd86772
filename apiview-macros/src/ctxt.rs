//! Collects every error of one expansion, so a user with three mistakes sees three
//! messages at once. Like serde_derive's `Ctxt`, it panics if dropped before its
//! errors were taken: an error collected and then forgotten would be a silent
//! success.

use std::cell::RefCell;
use std::fmt::Display;

use quote::ToTokens;

pub struct Ctxt {
    /// `None` once the errors were taken.
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Default for Ctxt {
    fn default() -> Self {
        Ctxt {
            errors: RefCell::new(Some(Vec::new())),
        }
    }
}

impl Ctxt {
    pub fn error_spanned_by(&self, tokens: impl ToTokens, message: impl Display) {
        self.syn_error(syn::Error::new_spanned(tokens, message));
    }

    pub fn error_at(&self, span: proc_macro2::Span, message: impl Display) {
        self.syn_error(syn::Error::new(span, message));
    }

    pub fn syn_error(&self, error: syn::Error) {
        self.errors
            .borrow_mut()
            .as_mut()
            .expect("errors are collected until they are taken")
            .push(error);
    }

    /// For the doc_parser fuzz target, which compiles this file as a plain module.
    #[allow(dead_code)]
    pub fn has_errors(&self) -> bool {
        self.errors
            .borrow()
            .as_ref()
            .is_some_and(|errors| !errors.is_empty())
    }

    /// Takes the errors: `Err` with their `compile_error!`s when there are any.
    pub fn check(self) -> Result<(), proc_macro2::TokenStream> {
        let errors = self.errors.borrow_mut().take().unwrap_or_default();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.into_iter().map(|e| e.to_compile_error()).collect())
        }
    }

    /// Takes the errors as `compile_error!`s (none when there are none); for the
    /// doc_parser fuzz target.
    #[allow(dead_code)]
    pub fn into_compile_errors(self) -> proc_macro2::TokenStream {
        self.check().err().unwrap_or_default()
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if !std::thread::panicking() && self.errors.get_mut().is_some() {
            panic!("apiview-macros: the collected errors were never checked");
        }
    }
}
