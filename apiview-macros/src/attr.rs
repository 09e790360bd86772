//! The one place that rejects an option or a helper given twice (serde_derive's
//! `Attr::set`): every "is given twice" error comes from here.

use std::fmt::Display;

use proc_macro2::Span;
use quote::ToTokens;

use crate::ctxt::Ctxt;

/// A value that may be given once.
pub struct Attr<T> {
    value: Option<T>,
}

impl<T> Default for Attr<T> {
    fn default() -> Self {
        Attr { value: None }
    }
}

impl<T> Attr<T> {
    /// Keeps `value`, or reports `{name} is given twice` at `tokens` when a value is
    /// already there (the first one stays).
    pub fn set(&mut self, cx: &Ctxt, name: impl Display, tokens: impl ToTokens, value: T) {
        if self.value.is_some() {
            cx.error_spanned_by(tokens, format!("{name} is given twice"));
        } else {
            self.value = Some(value);
        }
    }

    /// As [`Attr::set`], for a value whose tokens are gone (a doc comment line).
    pub fn set_at(&mut self, cx: &Ctxt, name: impl Display, span: Span, value: T) {
        if self.value.is_some() {
            cx.error_at(span, format!("{name} is given twice"));
        } else {
            self.value = Some(value);
        }
    }

    pub fn get(&self) -> Option<&T> {
        self.value.as_ref()
    }

    pub fn is_some(&self) -> bool {
        self.value.is_some()
    }

    pub fn into_inner(self) -> Option<T> {
        self.value
    }
}

/// Values each given once per key, in the order they were written.
pub struct Attrs<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for Attrs<K, V> {
    fn default() -> Self {
        Attrs { entries: Vec::new() }
    }
}

impl<K: PartialEq, V> Attrs<K, V> {
    /// Keeps `(key, value)`, or reports `{name} is given twice` at `tokens` when the
    /// key is already there.
    pub fn insert(&mut self, cx: &Ctxt, name: impl Display, tokens: impl ToTokens, key: K, value: V) {
        if self.contains(&key) {
            cx.error_spanned_by(tokens, format!("{name} is given twice"));
        } else {
            self.entries.push((key, value));
        }
    }

    pub fn contains(&self, key: &K) -> bool {
        self.entries.iter().any(|(seen, _)| seen == key)
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.entries.iter().map(|(key, _)| key)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, value)| value)
    }

    pub fn iter(&self) -> impl Iterator<Item = &(K, V)> {
        self.entries.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
