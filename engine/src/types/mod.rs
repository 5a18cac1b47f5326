//! The collection value types, one module per Redis type.

pub mod list;
