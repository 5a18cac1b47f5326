//! verdis-toolkit: what the tool binaries (`verdis-conform`, `verdis-chaos`) and the CI scripts
//! share about showing a run to people and to CI systems.
//!
//! # Layout
//! - `progress`: progress of a long run on stderr — a bar on a terminal, plain lines in CI logs.
//! - `junit`: JUnit XML reports, the format CI systems show failures from natively.
//! - `bin/verdis-progress`: the progress bar for shell scripts (`ci/bench`), fed on stdin.

#![warn(missing_docs)]

pub mod junit;
pub mod progress;

pub use junit::{Case, Suite};
pub use progress::Progress;
