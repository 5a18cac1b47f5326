//! Lua scripting (EVAL and friends).

pub mod libs;
