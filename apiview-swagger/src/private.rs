//! What `#[apiview]` generates for the OpenAPI document, reached as
//! `::apiview::__private::swagger::…`. Not public API.
//!
//! The schema of an endpoint's result is chosen at the endpoint's concrete return
//! type by autoref specialization: the macro writes
//! `(&&&Probe::<R>::NEW).result_schema()` with the three traits below in scope, and
//! method lookup takes the first impl whose bounds hold, fewest references first:
//! `Result<T, E>` with `T: JsonSchema` documents `T` ([`ResultOk`]), another
//! `R: JsonSchema` documents `R` ([`Schema`]), and anything else is `{}`
//! ([`NoSchema`]), so an endpoint whose type has no schema compiles as before. No
//! `dyn Any`, nothing at request time: the choice is made by the compiler and the
//! function only runs when the document is built.

use std::marker::PhantomData;

use apiview_core::ResultSchema;
use schemars::JsonSchema;

use crate::models::result_schema;

/// A return type, for the method lookup that picks its schema.
pub struct Probe<R: ?Sized>(PhantomData<fn() -> PhantomData<R>>);

impl<R: ?Sized> Probe<R> {
    /// The probe.
    pub const NEW: Self = Probe(PhantomData);
}

/// `Result<T, E>` with `T: JsonSchema`: `T`'s schema (the error is packed as an
/// error, never as the result).
pub trait ResultOk {
    /// The schema.
    fn result_schema(&self) -> ResultSchema;
}

impl<T: JsonSchema, E> ResultOk for &&Probe<Result<T, E>> {
    fn result_schema(&self) -> ResultSchema {
        result_schema::<T>()
    }
}

/// A type with a schema.
pub trait Schema {
    /// The schema.
    fn result_schema(&self) -> ResultSchema;
}

impl<R: JsonSchema + ?Sized> Schema for &Probe<R> {
    fn result_schema(&self) -> ResultSchema {
        result_schema::<R>()
    }
}

/// What a `#[choices(field, function)]` function returned, for the method lookup
/// that decides whether its values go in the document as an `enum`.
/// Taken out once, by the one `values` call: no `Clone` is asked of the list.
pub struct Choices<I>(std::cell::Cell<Option<I>>);

impl<I> Choices<I> {
    /// The probe of `allowed`.
    pub fn new(allowed: I) -> Self {
        Choices(std::cell::Cell::new(Some(allowed)))
    }
}

/// Values that serialize: the `enum`.
pub trait SerializeChoices {
    /// The values as JSON.
    fn values(&self) -> Option<Vec<serde_json::Value>>;
}

impl<I> SerializeChoices for &Choices<I>
where
    I: IntoIterator,
    I::Item: serde::Serialize,
{
    fn values(&self) -> Option<Vec<serde_json::Value>> {
        self.0
            .take()?
            .into_iter()
            .map(|value| serde_json::to_value(value).ok())
            .collect()
    }
}

/// Values that do not: no `enum`.
pub trait OpaqueChoices {
    /// `None`.
    fn values(&self) -> Option<Vec<serde_json::Value>>;
}

impl<I> OpaqueChoices for Choices<I> {
    fn values(&self) -> Option<Vec<serde_json::Value>> {
        None
    }
}

/// Any other type: `{}`.
pub trait NoSchema {
    /// The schema.
    fn result_schema(&self) -> ResultSchema;
}

impl<R: ?Sized> NoSchema for Probe<R> {
    fn result_schema(&self) -> ResultSchema {
        ResultSchema {
            schema: serde_json::json!({}),
            components: Vec::new(),
        }
    }
}
