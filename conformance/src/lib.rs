//! verdis-conformance: differential testing of verdis (or any RESP server) against real Redis.
//!
//! The same generated command sequences run on an **oracle** (real Redis) and a **subject**;
//! every reply is compared, then the whole keyspace; a mismatch is shrunk to its fewest commands,
//! printed as a transcript and saved as a regression file that `cargo test` replays forever.
//!
//! # Layout
//! - `backend`: the servers — a process on a free loopback port, a container, verdis linked in,
//!   or an address — each ready once it answers PING and stopped on drop.
//! - `resp`: a minimal blocking RESP2/RESP3 client keeping each reply's exact bytes and its parse.
//! - `gen`: generators built from the engine's command table and Redis's COMMAND DOCS trees.
//! - `rules`: the one table of normalisation rules (unordered, contracts, tolerances, exclusions).
//! - `compare`: comparing two replies under a rule.
//! - `campaign`: running sequences in lock step, the keyspace check, shrinking, statistics.
//! - `regression`: the regression file format.
//! - `session`: sequences over several connections per server (transactions, WATCH races,
//!   pub/sub, notifications, tracking), every byte each connection receives compared.
//! - `report`: Markdown and JSON reports.
//! - `coverage`: which Redis commands the subject implements and the generators exercise.
//! - `proxy`: a fault-injecting proxy that proves the harness can fail.
//! - `rng`: the seeded PRNG every generated choice draws from.
//!
//! # Invariant
//! A run is reproducible from its seed: generation draws only from `rng`, and sequence `i` of
//! seed `s` is generated from `(s, i)` alone.

#![warn(missing_docs)]

pub mod backend;
pub mod campaign;
pub mod compare;
pub mod coverage;
pub mod error;
pub mod gen;
pub mod proxy;
pub mod regression;
pub mod report;
pub mod resp;
pub mod rng;
pub mod rules;
pub mod session;

pub use backend::{Server, Target};
pub use campaign::{Campaign, Settings};
pub use error::ConformError;
pub use gen::Generator;
pub use regression::Regression;
