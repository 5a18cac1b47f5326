//! Test support for the node: a `Node` at a fixed time, driven by RESP requests from simulated
//! clients, with each request's replies and closes collected, so node tests read as
//! "request in, exact bytes out".

use super::{Action, ClientId, Node, Time};
use crate::config::Config;

/// The time every test starts at.
pub(crate) const START: Time = Time { unix_us: 1_700_000_000_000_000, mono_us: 5_000_000 };

/// A node driven by RESP requests.
pub(crate) struct Harness {
    /// The node under test.
    pub node: Node,
    /// The time inputs carry; tests move it forward by hand.
    pub now: Time,
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
        let mut node = Node::new(Config::default(), 1, START);
        node.handle_start(START);
        while node.poll_action().is_some() {}
        Harness { node, now: START }
    }

    /// Connects a client from `127.0.0.1:<port>` to `127.0.0.1:6379`.
    pub fn connect(&mut self, port: u16) -> ClientId {
        self.node.handle_connect(self.now, format!("127.0.0.1:{port}"), "127.0.0.1:6379".into())
    }

    /// Sends `args` as one RESP request from `id`; returns what `id` got back and the ids of
    /// other clients the request closed.
    pub fn request(&mut self, id: ClientId, args: &[&str]) -> (Outcome, Vec<ClientId>) {
        let mut bytes = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            bytes.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        self.node.handle_input(self.now, id, &bytes);
        let mut out = Outcome { reply: String::new(), closed: false };
        let mut others = Vec::new();
        while let Some(action) = self.node.poll_action() {
            match action {
                Action::Send { client, bytes } if client == id => out.reply.push_str(&String::from_utf8_lossy(&bytes)),
                Action::Close { client } if client == id => out.closed = true,
                Action::Close { client } => others.push(client),
                _ => {}
            }
        }
        (out, others)
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
        while self.node.poll_action().is_some() {}
    }
}
