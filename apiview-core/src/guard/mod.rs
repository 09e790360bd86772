//! The checks of the helper attributes, as plain functions over the request: the
//! API key (`#[check_aclkey]`), the method allow-list, the API version, and the validators. The
//! serving layer and the generated code (through `__private`) call them.

pub mod aclkey;
pub(crate) mod methods;
pub mod validators;
pub(crate) mod version;
