//! Runtime side of the helper attributes. Generated code calls these; they are
//! public so that hand-written code can apply the same checks.

pub mod auth;
pub mod methods;
pub mod validators;
