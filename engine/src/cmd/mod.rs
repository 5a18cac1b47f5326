//! Commands: the table, the execution context, and one module per family.

pub mod args;
pub mod bitmap;
pub mod connection;
pub mod ctx;
pub mod effects;
pub mod geo;
pub mod getkeys;
pub mod hash;
pub mod hyperloglog;
pub mod introspect;
pub mod keys;
pub mod list;
pub mod node;
pub mod pubsub;
#[allow(missing_docs)]
pub mod redis_specs;
pub mod scripting;
pub mod server;
pub mod set;
pub mod spec;
pub mod stream;
pub mod string;
pub mod table;
#[cfg(test)]
pub(crate) mod testing;
pub mod transactions;
pub mod zset;
