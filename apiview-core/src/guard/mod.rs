//! The checks of the helper attributes, as plain functions over the request: the
//! API key (`#[check_aclkey]`), the method allow-list, the API version, the throttle,
//! and the validators. The
//! serving layer and the generated code (through `__private`) call them.

pub mod aclkey;
pub(crate) mod methods;
pub(crate) mod throttle;
pub mod validators;
pub(crate) mod version;
