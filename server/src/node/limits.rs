//! The client buffer limits: `client-output-buffer-limit` on output handed to the shell and not
//! yet written (`Client::unsent`, fed by `Node::handle_sent`), and `client-query-buffer-limit` on
//! input not yet parsed. A client over either is dropped at once, its unwritten output discarded,
//! with Redis's log line: a peer that stops reading, or sends without end, cannot grow the
//! server's memory.
//!
//! A client that must authenticate and never has gets a tight output limit of its own
//! (CVE-2025-21605, which Debian's 7.0.15 carries): replies to a flood of pipelined requests it
//! does not read (wrong AUTHs, NOAUTH refusals) cannot grow the server's memory.
//!
//! Deliberate differences from Redis 7.0:
//! - Redis counts the memory of its reply list (16 KB blocks, not its first static buffer); the
//!   node counts the unsent bytes themselves, so a limit applies a few kilobytes apart.
//! - Redis keeps a completed argument apart from its query buffer; the node's buffer holds the
//!   whole request until it is complete, so a request of many small arguments counts in full, and
//!   the log line's initial bytes are the request's first, where Redis shows the current argument's.

use super::client::ClientType;
use super::{ClientId, LogLevel, Node};

/// Most unsent output a client that must authenticate, and never has, may have: Redis's 1 KiB of
/// reply list (`REPLY_BUFFER_SIZE_UNAUTHENTICATED_CLIENT`) past its 16 KiB static buffer.
const UNAUTHENTICATED_OUTPUT_BYTES_MAX: u64 = 16 * 1024 + 1024;

/// How much of an over-long query buffer the log line shows (Redis's `sdscatrepr(.., 64)`).
const QUERY_BUF_LOGGED_BYTES: usize = 64;

impl Node {
    /// True when the client's unsent output has reached its class's hard limit, or has stayed
    /// at or over the soft limit for longer than the soft seconds (Redis's
    /// `checkClientOutputBufferLimits`, run as output is added).
    pub(super) fn output_limit_reached(&mut self, id: ClientId) -> bool {
        let never_authenticated =
            self.auth_required(id) && self.clients.get(&id).is_some_and(|c| !c.ever_authenticated);
        let limits = &self.config.client_output_buffer_limit;
        let now_s = self.now.unix_ms().div_euclid(1000);
        let Some(client) = self.clients.get_mut(&id) else { return false };
        let limit = match client.client_type() {
            ClientType::Normal | ClientType::Master => limits.normal,
            ClientType::Replica => limits.replica,
            ClientType::Pubsub => limits.pubsub,
        };
        let used = client.unsent.bytes();
        if never_authenticated && used > UNAUTHENTICATED_OUTPUT_BYTES_MAX {
            return true;
        }
        let hard = limit.hard_bytes > 0 && used >= limit.hard_bytes;
        if limit.soft_bytes == 0 || used < limit.soft_bytes {
            client.soft_limit_since_s = None;
            return hard;
        }
        let since = *client.soft_limit_since_s.get_or_insert(now_s);
        hard || now_s - since > i64::from(limit.soft_seconds)
    }

    /// Drops a client over its output limit, with Redis's log line.
    pub(super) fn close_for_output_limit(&mut self, id: ClientId) {
        let mut info = String::new();
        if let Some(client) = self.clients.get(&id) {
            client.write_info_line(&mut info, self.now.unix_ms(), 0);
        }
        self.log(
            LogLevel::Warning,
            format!("Client {info} scheduled to be closed ASAP for overcoming of output buffer limits."),
        );
        self.drop_client(id);
    }

    /// Drops a client whose query buffer passed `client-query-buffer-limit`, logging as Redis
    /// does: its CLIENT LIST line and the first 64 bytes of its buffer, quoted.
    pub(super) fn close_for_query_limit(&mut self, id: ClientId) {
        let Some(client) = self.clients.get(&id) else { return };
        let mut info = String::new();
        client.write_info_line(&mut info, self.now.unix_ms(), 0);
        let head = &client.query_buf[..client.query_buf.len().min(QUERY_BUF_LOGGED_BYTES)];
        let head = verdis_engine::sds::repr(head);
        self.log(
            LogLevel::Warning,
            format!("Closing client that reached max query buffer length: {info} (qbuf initial bytes: {head})"),
        );
        self.drop_client(id);
    }
}

#[cfg(test)]
mod tests {
    use crate::node::testing::Harness;
    use crate::node::{Action, LogLevel};

    #[test]
    fn a_subscriber_that_stops_reading_is_dropped_at_the_hard_limit() {
        // Proves unsent output counts until the shell reports it written (omem), a subscriber
        // reaching the pubsub hard limit is dropped with Redis's log line, and a reader keeping
        // up is never dropped.
        let mut h = Harness::new();
        h.node.config.client_output_buffer_limit.pubsub.hard_bytes = 10_000;
        let (stalled, reader, publisher) = (h.connect(5000), h.connect(5001), h.connect(5002));
        h.run(stalled, &["SUBSCRIBE", "c"]);
        h.run(reader, &["SUBSCRIBE", "c"]);
        let message = "m".repeat(1000);
        let mut dropped = None;
        for i in 0..20 {
            h.send(publisher, &["PUBLISH", "c", &message]);
            let mut logs = Vec::new();
            while let Some(action) = h.node.poll_action() {
                match action {
                    // The stalled peer's socket takes nothing.
                    Action::Send { client, bytes } if client != stalled => {
                        h.node.handle_sent(h.now, client, bytes.len());
                    }
                    Action::Drop { client } => dropped = Some((i, client)),
                    Action::Log { level, message } => logs.push((level, message)),
                    _ => {}
                }
            }
            if let Some((_, client)) = dropped {
                assert_eq!(client, stalled);
                let (level, line) = &logs[0];
                assert_eq!(*level, LogLevel::Warning);
                assert!(line.starts_with(&format!("Client id={stalled} addr=127.0.0.1:5000 ")), "{line}");
                assert!(line.contains(" flags=P ") && line.contains(" omem=10"), "{line}");
                assert!(line.ends_with(" scheduled to be closed ASAP for overcoming of output buffer limits."));
                break;
            }
            let list = h.run(publisher, &["CLIENT", "LIST", "ID", &stalled.to_string()]);
            let expected_omem = (i + 1) * 1033;
            assert!(list.contains(&format!(" omem={expected_omem} ")), "{list}");
        }
        // 1033 bytes per message: the tenth reaches 10,000.
        assert_eq!(dropped, Some((9, stalled)));
        assert_eq!(h.run(publisher, &["PUBLISH", "c", "x"]), ":1\r\n");
        assert_eq!(h.node.client_count(), 2);
    }

    #[test]
    fn the_soft_limit_drops_after_its_seconds() {
        // Proves a client over the soft limit is kept for the soft seconds and dropped on the
        // first output after them, and that falling below the limit restarts the clock.
        let mut h = Harness::new();
        let limits = &mut h.node.config.client_output_buffer_limit.pubsub;
        // A message is 233 bytes on the wire: two unsent ones pass the soft limit.
        (limits.hard_bytes, limits.soft_bytes, limits.soft_seconds) = (0, 300, 2);
        let (sub, publisher) = (h.connect(5000), h.connect(5001));
        h.run(sub, &["SUBSCRIBE", "c"]);
        let publish_stalled = |h: &mut Harness| -> bool {
            h.send(publisher, &["PUBLISH", "c", &"m".repeat(200)]);
            let mut dropped = false;
            while let Some(action) = h.node.poll_action() {
                match action {
                    Action::Send { client, bytes } if client == publisher => {
                        h.node.handle_sent(h.now, client, bytes.len())
                    }
                    Action::Drop { client } => dropped = client == sub,
                    _ => {}
                }
            }
            dropped
        };
        assert!(!publish_stalled(&mut h));
        assert!(!publish_stalled(&mut h));
        h.now.unix_us += 2_000_000;
        assert!(!publish_stalled(&mut h), "2 s over the limit is not more than 2 s");
        // The peer catches up; output checked under the limit stops the clock.
        let unsent = h.node.clients[&sub].unsent.bytes() as usize;
        h.node.handle_sent(h.now, sub, unsent);
        assert!(!publish_stalled(&mut h));
        assert!(!publish_stalled(&mut h));
        h.now.unix_us += 2_000_000;
        assert!(!publish_stalled(&mut h));
        h.now.unix_us += 1_000_000;
        assert!(publish_stalled(&mut h));
    }
}
