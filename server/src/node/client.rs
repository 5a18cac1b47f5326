//! A connected client: its buffers, its protocol state, its per-connection settings.

use crate::resp::decode::RequestParser;

/// A client's id, unique for the node's lifetime (CLIENT ID).
pub type ClientId = u64;

/// One connection's state inside the node.
#[derive(Debug)]
pub struct Client {
    /// CLIENT ID.
    pub id: ClientId,
    /// Peer address as `ip:port` (CLIENT LIST `addr`).
    pub addr: String,
    /// Local address as `ip:port` (CLIENT LIST `laddr`).
    pub laddr: String,
    /// CLIENT SETNAME.
    pub name: Option<Vec<u8>>,
    /// Selected database.
    pub db: usize,
    /// Protocol version (2 or 3), set by HELLO.
    pub resp: u8,
    /// Bytes received and not yet parsed.
    pub query_buf: Vec<u8>,
    /// The request parser's progress through `query_buf`.
    pub parser: RequestParser,
    /// Reply bytes not yet handed to the shell.
    pub reply_buf: Vec<u8>,
    /// Close once the pending replies are sent (QUIT, protocol errors).
    pub close_after_reply: bool,
    /// Creation time (unix ms), for CLIENT LIST `age`.
    pub created_ms: i64,
    /// Last command or input time (unix ms), for `idle` and the `timeout` option.
    pub last_interaction_ms: i64,
    /// Name of the last command run (CLIENT LIST `cmd`).
    pub last_cmd: &'static str,
}

impl Client {
    /// A fresh client connected at `now_ms`.
    pub fn new(id: ClientId, addr: String, laddr: String, now_ms: i64) -> Client {
        Client {
            id,
            addr,
            laddr,
            name: None,
            db: 0,
            resp: 2,
            query_buf: Vec::new(),
            parser: RequestParser::default(),
            reply_buf: Vec::new(),
            close_after_reply: false,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            last_cmd: "NULL",
        }
    }
}
