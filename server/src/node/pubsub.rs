//! Pub/sub: who listens on which channel, pattern and shard channel, and the delivery of
//! messages to them (Redis's `pubsub.c`).
//!
//! A client's own subscriptions live on the client (`Client::subscriptions`); the server's side,
//! kept here, maps each channel, pattern and shard channel to its subscribers in subscription
//! order. Both change together, in `Node::subscribe` and `Node::unsubscribe`, and the teardown
//! (`Node::forget_client`) and RESET drop a client from every list.
//!
//! # Delivery
//! `Node::publish` writes the message into each receiver's reply buffer — channel subscribers
//! first, in subscription order, then the subscribers of each matching pattern — and marks them
//! pending; the end of the input flushes them. One input's messages to a client therefore keep
//! publish order, and so do successive inputs'. Confirmations and messages are pushes: like
//! Redis's `CLIENT_PUSHING`, they are written even under CLIENT REPLY OFF.
//!
//! Deliberate differences from Redis 7.0:
//! - Redis iterates its hash tables, in an order that depends on a per-process seed: UNSUBSCRIBE
//!   without arguments, PUBSUB CHANNELS, and the patterns matching one message go in byte order
//!   here.
//! - SUBSCRIBE inside MULTI and from scripts (Redis's DENY BLOCKING check) arrives with them.
//! - Shard channels behave as in a standalone Redis: SPUBLISH reaches SSUBSCRIBE's subscribers
//!   only, with no slot checks.
//! - A RESP3 client subscribed to the keyspace events of its own command gets those pushes before
//!   the command's reply. Redis 7.0 orders them as each handler happens to call
//!   `notifyKeyspaceEvent` and `addReply` (LPUSH, ZADD and HSET reply first; SET, SADD, DEL and
//!   lazy expiry push first); 7.2 moves them all after the reply. Matching 7.0 needs each
//!   `Ctx::notify` site to say on which side of its reply it stands.

use std::collections::{BTreeMap, BTreeSet};

use verdis_engine::cmd::effects::{NotifyClass, Touch};
use verdis_engine::cmd::node::NodeCmd;
use verdis_engine::cmd::table::Handler;
use verdis_engine::glob::string_match;
use verdis_engine::{CmdError, Command, Reply};

use super::client::Subscriptions;
use super::{ClientId, Node};
use crate::resp::encode::encode;

/// PUBSUB HELP's lines, as Redis 7.0 prints them (`Reply::help` adds the intro and HELP).
const PUBSUB_HELP: &[&str] = &[
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
];

/// The three kinds of subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// SUBSCRIBE: one channel.
    Channel,
    /// PSUBSCRIBE: every channel matching a glob.
    Pattern,
    /// SSUBSCRIBE: one shard channel.
    Shard,
}

impl Kind {
    /// The confirmation's first element for a subscription.
    fn subscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"subscribe",
            Kind::Pattern => b"psubscribe",
            Kind::Shard => b"ssubscribe",
        }
    }

    /// The confirmation's first element for an unsubscription.
    fn unsubscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"unsubscribe",
            Kind::Pattern => b"punsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }

    /// The client's set of this kind.
    fn of(self, subs: &mut Subscriptions) -> &mut BTreeSet<Vec<u8>> {
        match self {
            Kind::Channel => &mut subs.channels,
            Kind::Pattern => &mut subs.patterns,
            Kind::Shard => &mut subs.shard_channels,
        }
    }

    /// The count a confirmation reports: shard channels count apart from the other two.
    fn count(self, subs: &Subscriptions) -> usize {
        match self {
            Kind::Channel | Kind::Pattern => subs.count(),
            Kind::Shard => subs.shard_channels.len(),
        }
    }
}

/// The server's side of the subscriptions (Redis's `server.pubsub_channels`, `pubsub_patterns`
/// and `pubsubshard_channels`): each name with its subscribers, oldest first. A name with no
/// subscriber left is removed, so the maps' sizes are INFO's counts.
#[derive(Debug, Default)]
pub(super) struct Pubsub {
    channels: BTreeMap<Vec<u8>, Vec<ClientId>>,
    patterns: BTreeMap<Vec<u8>, Vec<ClientId>>,
    shard_channels: BTreeMap<Vec<u8>, Vec<ClientId>>,
}

impl Pubsub {
    fn map(&mut self, kind: Kind) -> &mut BTreeMap<Vec<u8>, Vec<ClientId>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard_channels,
        }
    }

    /// Adds `id` to `name`'s subscribers (the client's set said it was not there yet).
    fn add(&mut self, kind: Kind, name: &[u8], id: ClientId) {
        let subscribers = self.map(kind).entry(name.to_vec()).or_default();
        debug_assert!(!subscribers.contains(&id), "subscribed twice");
        subscribers.push(id);
    }

    /// Removes `id` from `name`'s subscribers, and `name` once nobody is left.
    fn remove(&mut self, kind: Kind, name: &[u8], id: ClientId) {
        let map = self.map(kind);
        let subscribers = map.get_mut(name).expect("a client's subscription is in the server's map");
        subscribers.retain(|&s| s != id);
        if subscribers.is_empty() {
            map.remove(name);
        }
    }

    /// Drops every subscription in `subs` of client `id` (the teardown, RESET).
    pub(super) fn forget(&mut self, id: ClientId, subs: &Subscriptions) {
        for (kind, names) in
            [(Kind::Channel, &subs.channels), (Kind::Pattern, &subs.patterns), (Kind::Shard, &subs.shard_channels)]
        {
            for name in names {
                self.remove(kind, name, id);
            }
        }
    }

    /// Channels with a subscriber (INFO `pubsub_channels`).
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Distinct patterns with a subscriber (INFO `pubsub_patterns`, PUBSUB NUMPAT).
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// Shard channels with a subscriber (INFO `pubsubshard_channels`).
    pub fn shard_channel_count(&self) -> usize {
        self.shard_channels.len()
    }
}

/// A message frame, encoded once per publish: `*n` in RESP2; RESP3 writes the same bytes with `>`.
fn message_frame(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + parts.iter().map(|p| p.len() + 16).sum::<usize>());
    encode(&Reply::Array(parts.iter().map(|p| Reply::bulk(p)).collect()), 2, &mut out);
    out
}

/// Appends `frame` (RESP2 bytes of a push) for a client speaking `resp`.
fn push_frame(out: &mut Vec<u8>, resp: u8, frame: &[u8]) {
    if resp >= 3 {
        out.push(b'>');
        out.extend_from_slice(&frame[1..]);
    } else {
        out.extend_from_slice(frame);
    }
}

impl Node {
    /// Runs a pub/sub command for client `id`.
    pub(super) fn exec_pubsub(&mut self, cmd: NodeCmd, id: ClientId, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        let names = &argv[1..];
        match cmd {
            NodeCmd::Subscribe => return Ok(self.subscribe(id, Kind::Channel, names)),
            NodeCmd::Psubscribe => return Ok(self.subscribe(id, Kind::Pattern, names)),
            NodeCmd::Ssubscribe => return Ok(self.subscribe(id, Kind::Shard, names)),
            NodeCmd::Unsubscribe => return Ok(self.unsubscribe(id, Kind::Channel, names)),
            NodeCmd::Punsubscribe => return Ok(self.unsubscribe(id, Kind::Pattern, names)),
            NodeCmd::Sunsubscribe => return Ok(self.unsubscribe(id, Kind::Shard, names)),
            NodeCmd::Publish => return Ok(Reply::Int(self.publish(argv[1], argv[2]) as i64)),
            NodeCmd::Spublish => return Ok(Reply::Int(self.spublish(argv[1], argv[2]) as i64)),
            _ => {}
        }
        // PUBSUB <sub> ...: the subcommand's own arguments.
        let args = &argv[2..];
        let channels = |map: &BTreeMap<Vec<u8>, Vec<ClientId>>| -> Result<Reply, CmdError> {
            let pattern = match args {
                [] => None,
                [pattern] => Some(*pattern),
                _ => {
                    let sub = verdis_engine::error::clip128(argv[1]);
                    return Err(CmdError::SubcommandSyntax { sub, container: "PUBSUB".into() });
                }
            };
            let names = map.keys().filter(|c| pattern.is_none_or(|p| string_match(p, c)));
            Ok(Reply::Array(names.map(|c| Reply::bulk(c)).collect()))
        };
        let numsub = |map: &BTreeMap<Vec<u8>, Vec<ClientId>>| {
            let pairs = args.iter().map(|c| (Reply::bulk(c), Reply::Int(map.get(*c).map_or(0, Vec::len) as i64)));
            Reply::Array(pairs.flat_map(|(c, n)| [c, n]).collect())
        };
        match cmd {
            NodeCmd::PubsubChannels => channels(&self.pubsub.channels),
            NodeCmd::PubsubShardchannels => channels(&self.pubsub.shard_channels),
            NodeCmd::PubsubNumsub => Ok(numsub(&self.pubsub.channels)),
            NodeCmd::PubsubShardnumsub => Ok(numsub(&self.pubsub.shard_channels)),
            NodeCmd::PubsubNumpat => Ok(Reply::Int(self.pubsub.pattern_count() as i64)),
            NodeCmd::PubsubHelp => Ok(Reply::help(argv[0], PUBSUB_HELP)),
            // exec_node's exhaustive match decides what comes here.
            other => unreachable!("exec_node routes {other:?} elsewhere"),
        }
    }

    /// SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE: one confirmation per name, with the count after it.
    fn subscribe(&mut self, id: ClientId, kind: Kind, names: &[&[u8]]) -> Reply {
        let client = self.clients.get_mut(&id).expect("the client running a command is connected");
        for &name in names {
            if kind.of(&mut client.subscriptions).insert(name.to_vec()) {
                self.pubsub.add(kind, name, id);
            }
            let count = kind.count(&client.subscriptions) as i64;
            let frame = [Reply::bulk(kind.subscribe_word()), Reply::bulk(name), Reply::Int(count)];
            encode(&Reply::Push(frame.into()), client.resp, &mut client.reply_buf);
        }
        client.reply_pushed = true;
        self.pending_output.insert(id);
        Reply::Ok
    }

    /// UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE: the names given, or every one of the kind; one
    /// confirmation each, and one with a null name when there was nothing to leave.
    fn unsubscribe(&mut self, id: ClientId, kind: Kind, names: &[&[u8]]) -> Reply {
        let client = self.clients.get_mut(&id).expect("the client running a command is connected");
        let all: Vec<Vec<u8>>;
        let names: Vec<&[u8]> = if names.is_empty() {
            all = kind.of(&mut client.subscriptions).iter().cloned().collect();
            all.iter().map(Vec::as_slice).collect()
        } else {
            names.to_vec()
        };
        for &name in &names {
            if kind.of(&mut client.subscriptions).remove(name) {
                self.pubsub.remove(kind, name, id);
            }
            let count = kind.count(&client.subscriptions) as i64;
            let frame = [Reply::bulk(kind.unsubscribe_word()), Reply::bulk(name), Reply::Int(count)];
            encode(&Reply::Push(frame.into()), client.resp, &mut client.reply_buf);
        }
        if names.is_empty() {
            let count = kind.count(&client.subscriptions) as i64;
            let frame = [Reply::bulk(kind.unsubscribe_word()), Reply::Null, Reply::Int(count)];
            encode(&Reply::Push(frame.into()), client.resp, &mut client.reply_buf);
        }
        client.reply_pushed = true;
        self.pending_output.insert(id);
        Reply::Ok
    }

    /// Drops every subscription of the client (RESET), without confirmations.
    pub(super) fn unsubscribe_all(&mut self, id: ClientId) {
        if let Some(client) = self.clients.get_mut(&id) {
            let subs = std::mem::take(&mut client.subscriptions);
            self.pubsub.forget(id, &subs);
        }
    }

    /// Delivers `message` on `channel` to its subscribers and to those of every matching
    /// pattern; returns how many deliveries were made (PUBLISH's reply). The messages go out
    /// when the current input ends.
    pub fn publish(&mut self, channel: &[u8], message: &[u8]) -> usize {
        let mut receivers = 0;
        if let Some(subscribers) = self.pubsub.channels.get(channel) {
            let frame = message_frame(&[b"message", channel, message]);
            for id in subscribers {
                let client = self.clients.get_mut(id).expect("subscribers are connected");
                push_frame(&mut client.reply_buf, client.resp, &frame);
                self.pending_output.insert(*id);
                receivers += 1;
            }
        }
        for (pattern, subscribers) in &self.pubsub.patterns {
            if !string_match(pattern, channel) {
                continue;
            }
            let frame = message_frame(&[b"pmessage", pattern, channel, message]);
            for id in subscribers {
                let client = self.clients.get_mut(id).expect("subscribers are connected");
                push_frame(&mut client.reply_buf, client.resp, &frame);
                self.pending_output.insert(*id);
                receivers += 1;
            }
        }
        receivers
    }

    /// SPUBLISH: delivers `message` to the subscribers of shard channel `channel`.
    fn spublish(&mut self, channel: &[u8], message: &[u8]) -> usize {
        let Some(subscribers) = self.pubsub.shard_channels.get(channel) else { return 0 };
        let frame = message_frame(&[b"smessage", channel, message]);
        for id in subscribers {
            let client = self.clients.get_mut(id).expect("subscribers are connected");
            push_frame(&mut client.reply_buf, client.resp, &frame);
            self.pending_output.insert(*id);
        }
        subscribers.len()
    }

    /// Publishes a touch's keyspace event if `notify-keyspace-events` asks for its class (Redis's
    /// `notifyKeyspaceEvent`): on `__keyspace@<db>__:<key>` with the event as message (K), then
    /// on `__keyevent@<db>__:<event>` with the key as message (E).
    pub(super) fn notify_keyspace_event(&mut self, touch: &Touch) {
        let Some((class, event)) = touch.event else { return };
        let flags = self.config.notify_keyspace_events;
        if !flags.intersects(class) {
            return;
        }
        if flags.contains(NotifyClass::KEYSPACE) {
            let mut channel = format!("__keyspace@{}__:", touch.db).into_bytes();
            channel.extend_from_slice(&touch.key);
            self.publish(&channel, event.as_bytes());
        }
        if flags.contains(NotifyClass::KEYEVENT) {
            let channel = format!("__keyevent@{}__:{event}", touch.db);
            self.publish(channel.as_bytes(), &touch.key);
        }
    }

    /// PING's reply: in RESP2's subscribed mode Redis answers with a two-element array, since a
    /// status reply could not be told from a message there.
    pub(super) fn ping(&self, id: ClientId, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        let subscribed = self.clients.get(&id).is_some_and(|c| c.in_resp2_pubsub_mode());
        match argv {
            [_] if subscribed => Ok(Reply::Array(vec![Reply::bulk(b"pong"), Reply::bulk(b"")])),
            [_, message] if subscribed => Ok(Reply::Array(vec![Reply::bulk(b"pong"), Reply::bulk(message)])),
            [_] => Ok(Reply::simple("PONG")),
            [_, message] => Ok(Reply::bulk(message)),
            _ => Err(CmdError::WrongArity("ping".into())),
        }
    }

    /// The refusal of `cmd` for client `id` in RESP2's subscribed mode, where only the
    /// (un)subscribe commands, PING, QUIT and RESET may run (Redis's `processCommand` check).
    pub(super) fn pubsub_mode_refusal(&self, id: ClientId, cmd: &Command) -> Option<CmdError> {
        if !self.clients.get(&id).is_some_and(|c| c.in_resp2_pubsub_mode()) {
            return None;
        }
        let allowed = matches!(
            cmd.handler,
            Handler::Node(
                NodeCmd::Ping
                    | NodeCmd::Subscribe
                    | NodeCmd::Ssubscribe
                    | NodeCmd::Unsubscribe
                    | NodeCmd::Sunsubscribe
                    | NodeCmd::Psubscribe
                    | NodeCmd::Punsubscribe
                    | NodeCmd::Quit
                    | NodeCmd::Reset
            )
        );
        (!allowed).then(|| {
            CmdError::Message(
                format!(
                    "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are \
                     allowed in this context",
                    cmd.spec.name
                )
                .into(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::node::testing::Harness;
    use crate::node::Action;

    /// A message frame as RESP2 bytes (`*`); RESP3 starts with `>` instead.
    fn frame(parts: &[&str]) -> String {
        let mut out = format!("*{}\r\n", parts.len());
        for p in parts {
            if let Some(n) = p.strip_prefix(':') {
                out.push_str(&format!(":{n}\r\n"));
            } else {
                out.push_str(&format!("${}\r\n{p}\r\n", p.len()));
            }
        }
        out
    }

    /// `frame` for RESP3.
    fn push(parts: &[&str]) -> String {
        format!(">{}", &frame(parts)[1..])
    }

    #[test]
    fn resp2_subscribed_mode_matches_redis() {
        // Proves the RESP2 confirmations, counts (shard channels apart), the null-name
        // confirmation, PING's array form while subscribed, the refusal text naming the full
        // command name, and that the mode ends only when every kind is left (bytes from
        // redis-server 7.0.15).
        let mut h = Harness::new();
        let id = h.connect(5000);
        let refusal = |name: &str| {
            format!(
                "-ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
            )
        };
        let rows: Vec<(&[&str], String)> = vec![
            (&["UNSUBSCRIBE"], "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n".into()),
            (&["SUBSCRIBE", "a", "b"], frame(&["subscribe", "a", ":1"]) + &frame(&["subscribe", "b", ":2"])),
            (&["SUBSCRIBE", "a"], frame(&["subscribe", "a", ":2"])),
            (&["PING"], "*2\r\n$4\r\npong\r\n$0\r\n\r\n".into()),
            (&["PING", "x"], "*2\r\n$4\r\npong\r\n$1\r\nx\r\n".into()),
            (&["GET", "k"], refusal("get")),
            (&["CLIENT", "LIST"], refusal("client|list")),
            (&["SSUBSCRIBE", "s1"], frame(&["ssubscribe", "s1", ":1"])),
            (&["PSUBSCRIBE", "p*"], frame(&["psubscribe", "p*", ":3"])),
            (&["UNSUBSCRIBE"], frame(&["unsubscribe", "a", ":2"]) + &frame(&["unsubscribe", "b", ":1"])),
            (&["PUNSUBSCRIBE", "zz"], frame(&["punsubscribe", "zz", ":1"])),
            (&["PUNSUBSCRIBE"], frame(&["punsubscribe", "p*", ":0"])),
            (&["PING"], "*2\r\n$4\r\npong\r\n$0\r\n\r\n".into()),
            (&["SUNSUBSCRIBE"], frame(&["sunsubscribe", "s1", ":0"])),
            (&["PING"], "+PONG\r\n".into()),
            (&["SUNSUBSCRIBE"], "*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n".into()),
            (&["SUBSCRIBE"], "-ERR wrong number of arguments for 'subscribe' command\r\n".into()),
        ];
        for (args, expected) in rows {
            assert_eq!(h.run(id, args), expected, "{args:?}");
        }
    }

    #[test]
    fn messages_reach_channel_then_pattern_subscribers_in_publish_order() {
        // Proves PUBLISH's count and frames in RESP2 and RESP3 (message, pmessage, smessage),
        // SPUBLISH reaching shard subscribers only, that RESP3 subscribers may run any command,
        // and that messages keep publish order.
        let mut h = Harness::new();
        let (sub2, sub3, publisher) = (h.connect(5000), h.connect(5001), h.connect(5002));
        h.run(sub2, &["SUBSCRIBE", "news"]);
        assert!(h.run(sub3, &["HELLO", "3"]).starts_with("%7\r\n"));
        assert_eq!(h.run(sub3, &["PSUBSCRIBE", "n*"]), push(&["psubscribe", "n*", ":1"]));
        assert_eq!(h.run(sub3, &["SSUBSCRIBE", "news"]), push(&["ssubscribe", "news", ":1"]));
        let out = h.request_all(publisher, &["PUBLISH", "news", "hi"]);
        assert_eq!(out[&publisher], ":2\r\n");
        assert_eq!(out[&sub2], frame(&["message", "news", "hi"]));
        assert_eq!(out[&sub3], push(&["pmessage", "n*", "news", "hi"]));
        let out = h.request_all(publisher, &["SPUBLISH", "news", "s"]);
        assert_eq!(out[&publisher], ":1\r\n");
        assert_eq!(out[&sub3], push(&["smessage", "news", "s"]));
        assert!(!out.contains_key(&sub2));
        assert_eq!(h.run(publisher, &["PUBLISH", "other", "x"]), ":0\r\n");
        // RESP3 has no subscribed mode.
        assert_eq!(h.run(sub3, &["GET", "k"]), "_\r\n");
        // A pipeline of publishes arrives in order.
        let mut pipeline = Vec::new();
        for i in 0..5 {
            pipeline.extend_from_slice(format!("*3\r\n$7\r\nPUBLISH\r\n$4\r\nnews\r\n$1\r\n{i}\r\n").as_bytes());
        }
        h.node.handle_input(h.now, publisher, &pipeline);
        let sent: String = h
            .pump()
            .into_iter()
            .filter_map(|a| match a {
                Action::Send { client, bytes } if client == sub2 => Some(String::from_utf8(bytes).unwrap()),
                _ => None,
            })
            .collect();
        let expected: String = (0..5).map(|i| frame(&["message", "news", &i.to_string()])).collect();
        assert_eq!(sent, expected);
    }

    #[test]
    fn pubsub_introspection_matches_redis() {
        // Proves PUBSUB CHANNELS (with a glob), NUMSUB, NUMPAT (distinct patterns),
        // SHARDCHANNELS, SHARDNUMSUB, HELP and their errors, and INFO's three counts.
        let mut h = Harness::new();
        let (a, b, c) = (h.connect(5000), h.connect(5001), h.connect(5002));
        h.run(a, &["SUBSCRIBE", "a", "ab"]);
        h.run(a, &["PSUBSCRIBE", "x*"]);
        h.run(b, &["PSUBSCRIBE", "x*", "y"]);
        h.run(b, &["SSUBSCRIBE", "s"]);
        let rows: &[(&[&str], &str)] = &[
            (&["PUBSUB", "CHANNELS"], "*2\r\n$1\r\na\r\n$2\r\nab\r\n"),
            (&["PUBSUB", "CHANNELS", "a?"], "*1\r\n$2\r\nab\r\n"),
            (&["PUBSUB", "CHANNELS", "x*"], "*0\r\n"),
            (&["PUBSUB", "NUMSUB", "a", "zz"], "*4\r\n$1\r\na\r\n:1\r\n$2\r\nzz\r\n:0\r\n"),
            (&["PUBSUB", "NUMSUB"], "*0\r\n"),
            (&["PUBSUB", "NUMPAT"], ":2\r\n"),
            (&["PUBSUB", "SHARDCHANNELS"], "*1\r\n$1\r\ns\r\n"),
            (&["PUBSUB", "SHARDNUMSUB", "s"], "*2\r\n$1\r\ns\r\n:1\r\n"),
            (&["PUBSUB", "FOO"], "-ERR unknown subcommand 'FOO'. Try PUBSUB HELP.\r\n"),
            (&["PUBSUB"], "-ERR wrong number of arguments for 'pubsub' command\r\n"),
            (&["PUBSUB", "NUMPAT", "x"], "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n"),
            (
                &["PUBSUB", "CHANNELS", "a", "b"],
                "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n",
            ),
            (&["PUBLISH", "a"], "-ERR wrong number of arguments for 'publish' command\r\n"),
        ];
        for (args, expected) in rows {
            assert_eq!(h.run(c, args), *expected, "{args:?}");
        }
        let help = h.run(c, &["PUBSUB", "HELP"]);
        assert!(help.starts_with("*14\r\n+PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"));
        let info = h.run(c, &["INFO", "stats"]);
        assert!(info.contains("\r\npubsub_channels:2\r\npubsub_patterns:2\r\npubsubshard_channels:1\r\n"), "{info}");
    }

    #[test]
    fn reset_and_disconnect_drop_every_subscription() {
        // Proves RESET leaves every channel, pattern and shard channel silently (+RESET alone)
        // and ends subscribed mode, and that a disconnected subscriber receives nothing more and
        // is gone from every count.
        let mut h = Harness::new();
        let (a, b, c) = (h.connect(5000), h.connect(5001), h.connect(5002));
        for id in [a, b] {
            h.run(id, &["SUBSCRIBE", "ch"]);
            h.run(id, &["PSUBSCRIBE", "c*"]);
            h.run(id, &["SSUBSCRIBE", "ch"]);
        }
        assert_eq!(h.run(a, &["RESET"]), "+RESET\r\n");
        assert_eq!(h.run(a, &["PING"]), "+PONG\r\n");
        h.node.handle_disconnect(h.now, b);
        h.pump();
        let out = h.request_all(c, &["PUBLISH", "ch", "m"]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[&c], ":0\r\n");
        assert_eq!(h.run(c, &["SPUBLISH", "ch", "m"]), ":0\r\n");
        assert!(h
            .run(c, &["INFO"])
            .contains("\r\npubsub_channels:0\r\npubsub_patterns:0\r\npubsubshard_channels:0\r\n"));
    }

    #[test]
    fn client_list_and_kill_see_subscribers() {
        // Proves CLIENT LIST's flag `P` and sub/psub/ssub counts (as Redis prints them for a
        // subscriber), TYPE pubsub selecting subscribers for LIST and KILL, and that the kill
        // tears the subscriptions down.
        let mut h = Harness::new();
        let (sub, other) = (h.connect(5000), h.connect(5001));
        h.run(sub, &["HELLO", "3"]);
        h.run(sub, &["SUBSCRIBE", "a"]);
        h.run(sub, &["PSUBSCRIBE", "a*", "?"]);
        h.run(sub, &["SSUBSCRIBE", "a"]);
        let list = h.run(other, &["CLIENT", "LIST", "TYPE", "pubsub"]);
        assert!(list.contains(&format!("id={sub} ")), "{list}");
        assert!(!list.contains(&format!("id={other} ")), "{list}");
        assert!(list.contains(" flags=P db=0 sub=1 psub=2 ssub=1 multi=-1 "), "{list}");
        assert!(list.contains(" oll=0 omem=0 "), "{list}");
        assert_eq!(h.run(other, &["CLIENT", "LIST", "TYPE", "normal"]).matches("id=").count(), 1);
        let (out, killed) = h.request(other, &["CLIENT", "KILL", "TYPE", "pubsub"]);
        assert_eq!(out.reply, ":1\r\n");
        assert_eq!(killed, vec![sub]);
        assert_eq!(h.run(other, &["PUBSUB", "NUMSUB", "a"]), "*2\r\n$1\r\na\r\n:0\r\n");
    }

    #[test]
    fn subscribe_confirmations_pass_client_reply_off() {
        // Proves confirmations and messages are pushes that CLIENT REPLY OFF does not silence,
        // while ordinary replies stay silenced (Redis's CLIENT_PUSHING).
        let mut h = Harness::new();
        let (a, b) = (h.connect(5000), h.connect(5001));
        h.run(a, &["HELLO", "3"]);
        assert_eq!(h.run(a, &["CLIENT", "REPLY", "OFF"]), "");
        assert_eq!(h.run(a, &["SUBSCRIBE", "c"]), push(&["subscribe", "c", ":1"]));
        assert_eq!(h.run(a, &["PING"]), "");
        assert_eq!(h.request_all(b, &["PUBLISH", "c", "m"])[&a], push(&["message", "c", "m"]));
    }

    /// Messages `id` was sent by the pending actions, as text.
    fn sent_to(actions: &[Action], id: u64) -> String {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Send { client, bytes } if *client == id => Some(String::from_utf8_lossy(bytes).into_owned()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn keyspace_events_follow_notify_keyspace_events() {
        // Proves each event goes to `__keyspace@<db>__:<key>` (message: the event) before
        // `__keyevent@<db>__:<event>` (message: the key), only for enabled classes, in the
        // caller's database, for lazy and active expiry too.
        let mut h = Harness::new();
        h.node.config.databases = 16;
        let (sub, w) = (h.connect(5000), h.connect(5001));
        h.run(sub, &["PSUBSCRIBE", "__key*__:*"]);
        let pm = |channel: &str, message: &str| frame(&["pmessage", "__key*__:*", channel, message]);
        // Off by default.
        assert_eq!(h.request_all(w, &["LPUSH", "l", "a"]).get(&sub), None);
        h.run(w, &["CONFIG", "SET", "notify-keyspace-events", "KElx"]);
        let out = h.request_all(w, &["RPUSH", "l", "b"]);
        assert_eq!(out[&sub], pm("__keyspace@0__:l", "rpush") + &pm("__keyevent@0__:rpush", "l"));
        // A class left out (z) publishes nothing.
        assert_eq!(h.request_all(w, &["ZADD", "z", "1", "m"]).get(&sub), None);
        h.run(w, &["CONFIG", "SET", "notify-keyspace-events", "Ez"]);
        h.run(w, &["SELECT", "3"]);
        assert_eq!(h.request_all(w, &["ZADD", "z", "1", "m"])[&sub], pm("__keyevent@3__:zadd", "z"));
        // Lazy expiry: the read that finds the key expired raises `expired`.
        h.run(w, &["CONFIG", "SET", "notify-keyspace-events", "Kx"]);
        h.run(w, &["PEXPIRE", "z", "10"]);
        h.now.unix_us += 20_000;
        assert_eq!(h.request_all(w, &["ZCARD", "z"])[&sub], pm("__keyspace@3__:z", "expired"));
        // Active expiry: the cron's cycle raises it with no command running.
        h.run(w, &["RPUSH", "gone", "x"]);
        h.run(w, &["PEXPIRE", "gone", "10"]);
        h.now.unix_us += 2_000_000;
        h.now.mono_us += 2_000_000;
        h.node.handle_timer(h.now);
        let actions = h.pump();
        assert_eq!(sent_to(&actions, sub), pm("__keyspace@3__:gone", "expired"));
    }
}
