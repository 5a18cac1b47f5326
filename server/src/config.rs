//! The configuration table: every option verdis understands, declared once.
//!
//! One row per option drives redis.conf parsing, the command line (`--port 7000`), CONFIG GET
//! (with glob patterns), CONFIG SET (refusing immutable options) and the error texts for bad
//! values. Values are stored typed in `Config`; rows convert to and from Redis's text forms.

use verdis_engine::EngineConfig;

/// The whole server configuration, typed.
#[derive(Clone, Debug)]
pub struct Config {
    /// `port`.
    pub port: u16,
    /// `bind`: addresses to listen on.
    pub bind: Vec<String>,
    /// `databases`.
    pub databases: usize,
    /// `hz`: server cron frequency.
    pub hz: u32,
    /// `maxclients`.
    pub maxclients: u32,
    /// `timeout`: idle client timeout in seconds (0 = never).
    pub timeout_s: u64,
    /// `client-query-buffer-limit`.
    pub client_query_buffer_limit: u64,
    /// Options the engine reads.
    pub engine: EngineConfig,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            port: 6379,
            bind: vec!["* -::*".into()],
            databases: 16,
            hz: 10,
            maxclients: 10000,
            timeout_s: 0,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            engine: EngineConfig::default(),
        }
    }
}
