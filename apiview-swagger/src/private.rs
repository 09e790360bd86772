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
