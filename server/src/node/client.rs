//! A connected client: its buffers, its protocol state, its per-connection settings, and the
//! CLIENT LIST line that describes it.

use std::collections::{BTreeSet, VecDeque};
use std::fmt::Write as _;

use super::multi::Queued;
use super::tracking::TrackingOptions;
use crate::resp::decode::RequestParser;

/// A client's id, unique for the node's lifetime (CLIENT ID).
pub type ClientId = u64;

/// The kinds CLIENT LIST TYPE and CLIENT KILL TYPE filter on (Redis's `getClientType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientType {
    /// An ordinary connection.
    Normal,
    /// A replica following this node (`slave` or `replica`).
    Replica,
    /// A subscriber in pub/sub mode.
    Pubsub,
    /// The primary this node replicates from.
    Master,
}

impl ClientType {
    /// The type named `name` (any case), as Redis's `getClientTypeByName` accepts it.
    pub fn from_name(name: &[u8]) -> Option<ClientType> {
        let lower = name.to_ascii_lowercase();
        match lower.as_slice() {
            b"normal" => Some(ClientType::Normal),
            b"slave" | b"replica" => Some(ClientType::Replica),
            b"pubsub" => Some(ClientType::Pubsub),
            b"master" => Some(ClientType::Master),
            _ => None,
        }
    }
}

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
    /// AUTH succeeded, or the default user had no password when the connection was made or
    /// RESET (Redis's `authenticated`); see `node::auth`.
    pub authenticated: bool,
    /// `authenticated` was true at some point: a client that never was has a tight output
    /// limit while it must authenticate (see `node::limits`).
    pub ever_authenticated: bool,
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
    /// CLIENT NO-EVICT ON: the client is exempt from client eviction (flag `e`).
    pub no_evict: bool,
    /// CLIENT REPLY OFF: no reply is sent until CLIENT REPLY ON.
    pub reply_off: bool,
    /// The reply of the command being run is dropped (the one after CLIENT REPLY SKIP, and
    /// CLIENT REPLY SKIP/OFF themselves, which answer nothing).
    pub reply_skip: bool,
    /// CLIENT REPLY SKIP ran: the next command's reply is dropped.
    pub reply_skip_next: bool,
    /// Parked by a blocking command (flag `b`); the node's `blocking` module keeps the details.
    pub blocked: bool,
    /// The open transaction, between MULTI and EXEC/DISCARD (flag `x`).
    pub multi: Option<Queued>,
    /// A watched key changed: the next EXEC fails (flag `d`, Redis's `CLIENT_DIRTY_CAS`).
    pub dirty_cas: bool,
    /// CLIENT TRACKING ON's options (flags `t`, `B`, `R`; `redir`).
    pub tracking: Option<TrackingOptions>,
    /// MONITOR ran (flag `O`).
    pub monitor: bool,
    /// The channels, patterns and shard channels it is subscribed to.
    pub subscriptions: Subscriptions,
    /// The command's reply already went out as push frames (SUBSCRIBE's confirmations, which
    /// Redis writes as it goes, past CLIENT REPLY OFF): nothing more is added for it.
    pub reply_pushed: bool,
    /// Output handed to the shell and not yet reported written (`Node::handle_sent`), as the
    /// sizes of the `Send`s still (partly) pending, oldest first.
    pub unsent: Unsent,
    /// When the unsent output was first seen at or over the soft limit of the client's class
    /// (unix seconds), until it drops below (Redis's `obuf_soft_limit_reached_time`).
    pub soft_limit_since_s: Option<i64>,
}

/// A client's subscriptions (Redis's `pubsub_channels`, `pubsub_patterns` and
/// `pubsubshard_channels` of the client), each in byte order.
#[derive(Debug, Default)]
pub struct Subscriptions {
    /// SUBSCRIBE.
    pub channels: BTreeSet<Vec<u8>>,
    /// PSUBSCRIBE.
    pub patterns: BTreeSet<Vec<u8>>,
    /// SSUBSCRIBE.
    pub shard_channels: BTreeSet<Vec<u8>>,
}

impl Subscriptions {
    /// Channels and patterns: the count SUBSCRIBE and PSUBSCRIBE report.
    pub fn count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// Everything, shard channels included: a client with any is in pub/sub mode (flag `P`).
    pub fn total(&self) -> usize {
        self.count() + self.shard_channels.len()
    }
}

/// Output handed to the shell and not yet written to the socket.
#[derive(Debug, Default)]
pub struct Unsent {
    /// Sizes of the `Send`s not fully written, oldest first; the first may be partly written.
    chunks: VecDeque<usize>,
    /// Their total, less what was written of the first.
    bytes: u64,
}

impl Unsent {
    /// Bytes still to write (Redis's output buffer memory, CLIENT LIST `omem`).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// `Send`s not fully written (CLIENT LIST `oll`).
    pub fn chunks(&self) -> usize {
        self.chunks.len()
    }

    /// A `Send` of `len` bytes was handed to the shell.
    pub fn handed(&mut self, len: usize) {
        self.chunks.push_back(len);
        self.bytes += len as u64;
    }

    /// The shell wrote `len` more bytes; more than was handed is a shell bug, clamped.
    pub fn written(&mut self, mut len: usize) {
        debug_assert!(len as u64 <= self.bytes, "the shell wrote more than it was handed");
        self.bytes = self.bytes.saturating_sub(len as u64);
        while let Some(first) = self.chunks.front_mut() {
            if len < *first {
                *first -= len;
                break;
            }
            len -= *first;
            self.chunks.pop_front();
        }
    }
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
            authenticated: true,
            ever_authenticated: true,
            resp: 2,
            query_buf: Vec::new(),
            parser: RequestParser::default(),
            reply_buf: Vec::new(),
            close_after_reply: false,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            last_cmd: "NULL",
            no_evict: false,
            reply_off: false,
            reply_skip: false,
            reply_skip_next: false,
            blocked: false,
            multi: None,
            dirty_cas: false,
            tracking: None,
            monitor: false,
            subscriptions: Subscriptions::default(),
            reply_pushed: false,
            unsent: Unsent::default(),
            soft_limit_since_s: None,
        }
    }

    /// The client's kind for TYPE filters and output limits (Redis's `getClientType`): a client
    /// with any subscription is a pub/sub client; every other is normal until replication arrives.
    pub fn client_type(&self) -> ClientType {
        if self.subscriptions.total() > 0 {
            ClientType::Pubsub
        } else {
            ClientType::Normal
        }
    }

    /// True in RESP2's subscribed mode, where only the pub/sub commands, PING, QUIT and RESET may
    /// run (RESP3 has no such mode: pushes cannot be mistaken for replies there).
    pub fn in_resp2_pubsub_mode(&self) -> bool {
        self.resp == 2 && self.subscriptions.total() > 0
    }

    /// True when the reply of the command being run must not be sent (CLIENT REPLY OFF/SKIP).
    pub fn replies_suppressed(&self) -> bool {
        self.reply_off || self.reply_skip
    }

    /// Called once a command is done, replied or not (Redis's `resetClient`): a pending
    /// CLIENT REPLY SKIP now applies to the next command.
    pub fn end_command(&mut self) {
        self.reply_skip = std::mem::take(&mut self.reply_skip_next);
    }

    /// Appends this client's CLIENT LIST line (without the newline), with Redis 7.0's fields in
    /// Redis's order. `argv_bytes` is the size of the arguments of the command it is running (only
    /// the client asking has one). Values the node has no equivalent for are stand-ins:
    /// `fd` is `id + FD_BASE` (the node has no descriptors), buffer and memory fields report the
    /// node's own buffers.
    pub fn write_info_line(&self, out: &mut String, now_ms: i64, argv_bytes: usize) {
        let name = self.name.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
        // Redis's flag letters in its order; `N` when none applies.
        let mut flags = String::new();
        if self.monitor {
            flags.push('O');
        }
        if self.subscriptions.total() > 0 {
            flags.push('P');
        }
        if self.multi.is_some() {
            flags.push('x');
        }
        if self.blocked {
            flags.push('b');
        }
        if let Some(tracking) = &self.tracking {
            flags.push('t');
            if tracking.broken_redirect {
                flags.push('R');
            }
            if tracking.bcast {
                flags.push('B');
            }
        }
        if self.dirty_cas {
            flags.push('d');
        }
        if self.close_after_reply {
            flags.push('c');
        }
        // A unix-socket client: the shell passes its address as the socket's absolute path.
        if self.addr.starts_with('/') {
            flags.push('U');
        }
        if self.no_evict {
            flags.push('e');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        let qbuf = self.query_buf.len();
        let qbuf_free = self.query_buf.capacity() - qbuf;
        let rbs = self.reply_buf.capacity();
        let tot_mem = std::mem::size_of::<Client>()
            + self.query_buf.capacity()
            + rbs
            + self.unsent.bytes() as usize
            + argv_bytes
            + self.name.as_ref().map_or(0, Vec::capacity);
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} \
             multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll={} omem={} \
             tot-mem={} events={} cmd={} user=default redir={} resp={}",
            self.id,
            self.addr,
            self.laddr,
            self.id + FD_BASE,
            name,
            (now_ms - self.created_ms).max(0) / 1000,
            (now_ms - self.last_interaction_ms).max(0) / 1000,
            flags,
            self.db,
            self.subscriptions.channels.len(),
            self.subscriptions.patterns.len(),
            self.subscriptions.shard_channels.len(),
            self.multi.as_ref().map_or(-1, |q| q.len() as i64),
            qbuf,
            qbuf_free,
            argv_bytes,
            self.multi.as_ref().map_or(0, Queued::bytes),
            rbs,
            self.reply_buf.len(),
            // Replies queued and not yet handed to the shell, as Redis's `bufpos`; `events` stays
            // `r` because, as in Redis, pending replies are written before polling again.
            self.reply_buf.len(),
            // Output handed to the shell and not yet written: Redis's reply list and its memory.
            self.unsent.chunks(),
            self.unsent.bytes(),
            tot_mem,
            // Redis watches for writability while output waits in its reply list.
            if self.unsent.bytes() > 0 { "rw" } else { "r" },
            self.last_cmd,
            self.tracking.as_ref().map_or(-1, |t| t.redirect as i64),
            self.resp,
        );
    }
}

/// The stand-in for CLIENT LIST's `fd`: the node owns no descriptors, so it reports the client id
/// offset past the descriptors a Redis process holds before its first client (stdin/out/err, the
/// log, epoll, the listeners), which keeps the value stable, unique and plausible for tools.
pub const FD_BASE: u64 = 7;

/// True when `name` may be a client name: empty (which clears it), or printable ASCII without
/// spaces, so CLIENT LIST lines can be split on spaces (Redis's `validateClientName`).
pub fn client_name_valid(name: &[u8]) -> bool {
    name.iter().all(|&b| (b'!'..=b'~').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_line_has_redis_fields_in_order() {
        // Proves the CLIENT LIST line lists Redis 7.0's fields in Redis's order.
        let mut c = Client::new(5, "127.0.0.1:5000".into(), "127.0.0.1:6379".into(), 1_000);
        c.name = Some(b"app".to_vec());
        c.last_cmd = "client|list";
        let mut line = String::new();
        c.write_info_line(&mut line, 3_500, 10);
        let keys: Vec<&str> = line.split(' ').map(|f| f.split('=').next().unwrap()).collect();
        assert_eq!(
            keys,
            [
                "id",
                "addr",
                "laddr",
                "fd",
                "name",
                "age",
                "idle",
                "flags",
                "db",
                "sub",
                "psub",
                "ssub",
                "multi",
                "qbuf",
                "qbuf-free",
                "argv-mem",
                "multi-mem",
                "rbs",
                "rbp",
                "obl",
                "oll",
                "omem",
                "tot-mem",
                "events",
                "cmd",
                "user",
                "redir",
                "resp"
            ]
        );
        assert!(line.starts_with("id=5 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=12 name=app age=2 idle=2 flags=N "));
        assert!(line.ends_with(" events=r cmd=client|list user=default redir=-1 resp=2"));
        assert!(line.contains(" argv-mem=10 "));
    }

    #[test]
    fn pending_replies_show_as_obl() {
        // Proves replies not yet handed to the shell are reported as `obl` (Redis's bufpos), with
        // `events` still `r`, as Redis shows pipelined replies.
        let mut c = Client::new(1, "a:1".into(), "b:2".into(), 0);
        c.reply_buf.extend_from_slice(b"+PONG\r\n");
        let mut line = String::new();
        c.write_info_line(&mut line, 0, 0);
        assert!(line.contains(" obl=7 oll=0 omem=0 "), "{line}");
        assert!(line.contains(" events=r "), "{line}");
    }

    #[test]
    fn flags_show_no_evict_and_close() {
        // Proves `flags` reports `e` for NO-EVICT and `c` for a client closing after its reply.
        let mut c = Client::new(1, "a:1".into(), "b:2".into(), 0);
        c.no_evict = true;
        let mut line = String::new();
        c.write_info_line(&mut line, 0, 0);
        assert!(line.contains(" flags=e "));
        c.close_after_reply = true;
        line.clear();
        c.write_info_line(&mut line, 0, 0);
        assert!(line.contains(" flags=ce "));
    }

    #[test]
    fn reply_skip_applies_to_the_next_command_only() {
        // Proves end_command turns a pending SKIP into suppression of exactly one command.
        let mut c = Client::new(1, "a:1".into(), "b:2".into(), 0);
        c.reply_skip = true;
        c.reply_skip_next = true;
        assert!(c.replies_suppressed());
        c.end_command();
        assert!(c.replies_suppressed());
        c.end_command();
        assert!(!c.replies_suppressed());
    }

    #[test]
    fn names_and_types_follow_redis_rules() {
        // Proves client name validation and type names match Redis.
        assert!(client_name_valid(b""));
        assert!(client_name_valid(b"a-b_c~!"));
        assert!(!client_name_valid(b"a b"));
        assert!(!client_name_valid(b"a\nb"));
        assert!(!client_name_valid("é".as_bytes()));
        assert_eq!(ClientType::from_name(b"REPLICA"), Some(ClientType::Replica));
        assert_eq!(ClientType::from_name(b"slave"), Some(ClientType::Replica));
        assert_eq!(ClientType::from_name(b"Normal"), Some(ClientType::Normal));
        assert_eq!(ClientType::from_name(b"foo"), None);
    }
}
