//! verdis-chaos: the deterministic simulator. The real `verdis_server::Node` runs in a
//! single-threaded virtual world (clock, network, disk, processes) driven by one seeded PRNG, under
//! fault plans drawn per seed, with its replies, keyspace and recovered state checked against a
//! simple reference model.
//!
//! # Layout
//! - `decide`: the seeded decision source (with a tape the shrinker edits).
//! - `plan`: fault plans (swarm testing): drawn per seed, printed, parsed back.
//! - `op`, `workload`: the commands clients issue.
//! - `model`: the reference model of those commands; `session`: its per-connection part
//!   (transactions and watched keys).
//! - `resp`: client-side RESP (requests through the server's encoder, reply framing).
//! - `disk`: the virtual disk (page cache, durable image, crash, faults).
//! - `world`: the world itself: event loop, network, server process, clients, checks.
//! - `history`: what clients saw, for checkers.
//! - `trace`, `coverage`: run fingerprints and probes.
//! - `campaign`, `shrink`: many seeds; minimising a failing run.
//!
//! # Architecture invariant
//! Every decision comes from the world's `Decider`; the world iterates only ordered containers
//! (`BTreeMap`, `Vec`, `VecDeque`). The same seed and settings give the same trace hash.

pub mod campaign;
pub mod coverage;
pub mod decide;
pub mod disk;
pub mod history;
pub mod model;
pub mod op;
pub mod plan;
pub mod resp;
pub mod session;
pub mod shrink;
pub mod trace;
pub mod workload;
pub mod world;
