//! verdis-server: the Redis-compatible server.
//!
//! # Layout
//! - `resp`: the RESP2/RESP3 codec — resumable request parsing with Redis's limits and protocol
//!   errors, and reply encoding for either protocol version.
//! - `node`: the sans-IO server (`Node`): clients, command admission and dispatch, node-level
//!   commands, pub/sub, client buffer limits, periodic work. Events in, actions out; no I/O, no
//!   clock, no threads.
//! - `logging`: log levels, shared by the node and the config table.
//! - `config`: the configuration table (redis.conf, command line, CONFIG GET/SET).
//! - `runtime`: the production shell — tokio, TCP, TLS (rustls), the unix socket, the real clock,
//!   signals, logging.
//!
//! # Architecture invariant
//! Everything Redis-semantic lives in `node` and the engine. `runtime` only moves bytes, arms the
//! timer and carries out actions; an `if` about Redis behaviour there is in the wrong module.

#![warn(missing_docs)]

pub mod config;
pub mod logging;
pub mod node;
pub mod resp;
pub mod runtime;

pub use node::{Action, Node, Time};
