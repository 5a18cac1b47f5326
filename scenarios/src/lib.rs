//! Declarative scenarios for verdis and the runner that plays them against real processes.
//!
//! # Layout
//! - `process`: a server process (verdis-server or real redis-server) on a directory the caller
//!   keeps across restarts, killed with SIGKILL on demand or on drop; how the verdis binary is
//!   found (built on demand with cargo, or `$VERDIS_SERVER`).
//! - `workload`: the recorded crash workload (per-client RPUSH/INCR/SET sequences) and reading
//!   back which prefix of it survived.
//! - `check`: the crash-recovery checker, pure: history + recovered prefixes -> violations.
//! - `crash`: crash-recovery cases as data (policy, kill point, expectation) and their runner.
//!
//! # Invariant
//! Every checker here is shown to fail: `check`'s unit tests feed it bad histories, and the
//! planted cases of `crash` break a promise on purpose against a real process.

pub mod check;
pub mod crash;
pub mod process;
pub mod workload;
