//! Test support for the node: a `Node` at a fixed time, driven by RESP requests from simulated
//! clients, with each request's replies and closes collected, so node tests read as
//! "request in, exact bytes out".

use std::collections::BTreeMap;

use super::{Action, ClientId, DiskError, DiskOk, DiskOp, DiskResult, Node, Time};
use crate::config::Config;

/// A disk in memory that keeps the contract of `node::disk` with no faults: what is written is
/// durable at once. Enough to drive the node's persistence in unit tests; the simulator's
/// disk is the one that breaks things.
#[derive(Default)]
pub(crate) struct MemDisk {
    /// Files (and directories, as empty entries ending in `/`) by path.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Ops carried out, for assertions on order.
    pub log: Vec<String>,
}

impl MemDisk {
    /// Carries out `op`.
    pub fn run(&mut self, op: DiskOp) -> DiskResult {
        self.log.push(format!("{op:?}").chars().take(80).collect());
        match op {
            DiskOp::Read { path } => self.files.get(&path).cloned().map(DiskOk::Data).ok_or_else(DiskError::not_found),
            DiskOp::List { dir } => {
                let prefix = format!("{dir}/");
                let names = self
                    .files
                    .keys()
                    .filter_map(|p| p.strip_prefix(&prefix))
                    .filter(|n| !n.is_empty() && !n.contains('/'))
                    .map(str::to_string)
                    .collect();
                Ok(DiskOk::Names(names))
            }
            DiskOp::MakeDir { path } => {
                self.files.insert(format!("{path}/"), Vec::new());
                Ok(DiskOk::Done)
            }
            DiskOp::Create { path, bytes } => {
                self.files.insert(path, bytes);
                Ok(DiskOk::Done)
            }
            DiskOp::Append { path, bytes } => {
                self.files.entry(path).or_default().extend_from_slice(&bytes);
                Ok(DiskOk::Done)
            }
            DiskOp::Truncate { path, len } => {
                let file = self.files.get_mut(&path).ok_or_else(DiskError::not_found)?;
                file.truncate(len as usize);
                Ok(DiskOk::Done)
            }
            DiskOp::Fsync { .. } => Ok(DiskOk::Done),
            DiskOp::Rename { from, to } => {
                let bytes = self.files.remove(&from).ok_or_else(DiskError::not_found)?;
                self.files.insert(to, bytes);
                Ok(DiskOk::Done)
            }
            DiskOp::Remove { path } => {
                self.files.remove(&path);
                Ok(DiskOk::Done)
            }
        }
    }
}

/// The time every test starts at.
pub(crate) const START: Time =
    Time { unix_us: 1_700_000_000_000_000, mono_us: 5_000_000, stopwatch: super::Stopwatch::FROZEN };

/// A node driven by RESP requests.
pub(crate) struct Harness {
    /// The node under test.
    pub node: Node,
    /// The time inputs carry; tests move it forward by hand.
    pub now: Time,
    /// The node's disk.
    pub disk: MemDisk,
}

/// What one request produced for the client that sent it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Every byte sent to it, as text.
    pub reply: String,
    /// Whether its connection was closed.
    pub closed: bool,
}

impl Harness {
    /// A started node with the default configuration at `START`.
    pub fn new() -> Harness {
        Harness::with_config(Config::default(), MemDisk::default())
    }

    /// A node with `config` started on `disk` (loading what it holds).
    pub fn with_config(config: Config, disk: MemDisk) -> Harness {
        let mut h = Harness { node: Node::new(config, 1, START), now: START, disk };
        h.node.handle_start(START);
        h.pump();
        h
    }

    /// Drains the node's actions, carrying out disk requests at once and reporting every `Send`
    /// written at once (a peer that reads everything); returns the others.
    pub fn pump(&mut self) -> Vec<Action> {
        let mut others = Vec::new();
        while let Some(action) = self.node.poll_action() {
            match action {
                Action::Disk { id, op } => {
                    let result = self.disk.run(op);
                    self.node.handle_disk(self.now, id, result);
                }
                Action::Send { client, bytes } => {
                    self.node.handle_sent(self.now, client, bytes.len());
                    others.push(Action::Send { client, bytes });
                }
                other => others.push(other),
            }
        }
        others
    }

    /// Connects a client from `127.0.0.1:<port>` to `127.0.0.1:6379`.
    pub fn connect(&mut self, port: u16) -> ClientId {
        self.node.handle_connect(self.now, format!("127.0.0.1:{port}"), "127.0.0.1:6379".into())
    }

    /// Sends `args` as one RESP request from `id`; returns what `id` got back and the ids of
    /// other clients the request closed.
    pub fn request(&mut self, id: ClientId, args: &[&str]) -> (Outcome, Vec<ClientId>) {
        self.send(id, args);
        let mut out = Outcome { reply: String::new(), closed: false };
        let mut others = Vec::new();
        for action in self.pump() {
            match action {
                Action::Send { client, bytes } if client == id => out.reply.push_str(&String::from_utf8_lossy(&bytes)),
                Action::Close { client } | Action::Drop { client } if client == id => out.closed = true,
                Action::Close { client } | Action::Drop { client } => others.push(client),
                _ => {}
            }
        }
        (out, others)
    }

    /// Hands `args` to the node as one RESP request from `id`, leaving its actions queued.
    pub fn send(&mut self, id: ClientId, args: &[&str]) {
        let mut bytes = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            bytes.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        self.node.handle_input(self.now, id, &bytes);
    }

    /// Sends `args` from `id`; returns what every client was sent, by client, as text.
    pub fn request_all(&mut self, id: ClientId, args: &[&str]) -> BTreeMap<ClientId, String> {
        self.send(id, args);
        let mut out: BTreeMap<ClientId, String> = BTreeMap::new();
        for action in self.pump() {
            if let Action::Send { client, bytes } = action {
                out.entry(client).or_default().push_str(&String::from_utf8_lossy(&bytes));
            }
        }
        out
    }

    /// The reply `id` gets to `args`.
    pub fn run(&mut self, id: ClientId, args: &[&str]) -> String {
        self.request(id, args).0.reply
    }

    /// Moves time forward by `ms` and fires the timer.
    pub fn advance_ms(&mut self, ms: u64) {
        self.now.unix_us += ms as i64 * 1000;
        self.now.mono_us += ms * 1000;
        self.node.handle_timer(self.now);
        self.pump();
    }
}
