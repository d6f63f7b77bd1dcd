//! What the integration tests share: fixtures built in code.

pub mod synthetic;
