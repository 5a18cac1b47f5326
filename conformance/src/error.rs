//! The one error type of the library: what can go wrong talking to, or starting, a server.

use std::path::PathBuf;

/// Everything the conformance library can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ConformError {
    /// A server binary the run needs is not installed.
    #[error("{name} not found ({looked}); install it with `{install}`")]
    MissingBinary {
        /// The binary's name.
        name: String,
        /// Where it was looked for.
        looked: String,
        /// How to install it.
        install: &'static str,
    },
    /// A server process exited or never answered PING.
    #[error("{label} did not start: {reason}")]
    StartFailed {
        /// Which server.
        label: String,
        /// What happened, with the tail of its log when there is one.
        reason: String,
    },
    /// The server refused the password.
    #[error("{label} refused AUTH: {reply}")]
    AuthRefused {
        /// Which server.
        label: String,
        /// Its error reply.
        reply: String,
    },
    /// A socket or process operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The server sent bytes that are not RESP.
    #[error("protocol error from {peer}: {detail}")]
    Protocol {
        /// Which server.
        peer: String,
        /// What was wrong.
        detail: String,
    },
    /// A target, family or option the user wrote cannot be understood.
    #[error("{0}")]
    Usage(String),
    /// A regression file cannot be read or written.
    #[error("regression file {path}: {detail}")]
    Regression {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
    /// The oracle is not the Redis version the comparison is defined against.
    #[error("the oracle {label} is {version}, not Redis 7.0.x: verdis is compared with Redis 7.0 only (start redis-server 7.0, e.g. Debian's 7.0.15)")]
    OracleVersion {
        /// Which server.
        label: String,
        /// What its INFO said (`redis_version:...`, or why it could not be read).
        version: String,
    },
    /// A server cannot take part in a campaign (e.g. no way to reset its keyspace).
    #[error("{0}")]
    Unsupported(String),
}

impl ConformError {
    /// An `Io` error with context.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> ConformError {
        ConformError::Io { context: context.into(), source }
    }
}
