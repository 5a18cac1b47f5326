//! Sessions: generated sequences over several connections per server, so that what one client's
//! command does to *another* client is compared too — WATCH races, transactions, pub/sub
//! messages, keyspace notifications and client-tracking invalidations (MONITOR lines, when a
//! session has a monitor, are compared with their timestamp and address masked).
//!
//! # How a session runs
//! Each server gets the same number of connections (each switched to its RESP version). Each step
//! sends one command on one connection and waits for its first output (the server's pass that ran
//! it is then over); then every connection not inside MULTI gets a barrier, `ECHO barrier-<n>`,
//! and everything that connection received before the barrier's reply — its own replies,
//! pushes, messages, monitor lines — is that step's stream for it. The barrier's
//! reply is recognised by its token (or, on a RESP2 subscriber, by the error naming `echo`), so
//! the streams do not depend on how the bytes were split or timed. Streams are compared byte
//! for byte, except MONITOR lines, whose timestamp and client address are masked (they differ by
//! nature). A connection inside MULTI gets no barrier (it would be queued); what it received
//! shows in its stream after EXEC.
//!
//! A mismatch is shrunk by dropping steps while the mismatch stays, and reported with the whole
//! transcript.

use crate::backend::Server;
use crate::compare::escape_clipped;
use crate::error::ConformError;
use crate::gen::Argv;
use crate::resp::{encode_request, Conn, Reply, Value};
use crate::rng::Rng;

/// Connections per session.
pub const CLIENTS: usize = 3;
/// Most steps in one generated session.
pub const STEPS_MAX: usize = 40;
/// Most session runs one shrink may spend.
const SHRINK_RUNS_MAX: usize = 200;
/// Most values read while waiting for one barrier (a runaway stream fails the session).
const VALUES_PER_BARRIER_MAX: usize = 10_000;
/// Keys sessions touch: few, so clients meet on them.
const KEYS: [&str; 3] = ["a", "b", "user:1"];
/// Channels sessions publish on (one matches the pattern below).
const CHANNELS: [&str; 2] = ["news", "chat"];

/// One step: a command sent on one connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Which connection sends it.
    pub client: usize,
    /// The command.
    pub argv: Argv,
}

/// A generated session: each connection's protocol, then the steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// RESP version of each connection.
    pub resp: [u8; CLIENTS],
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// Where two servers' streams first differ.
#[derive(Clone, Debug)]
pub struct Mismatch {
    /// The step after which the streams differ.
    pub step: usize,
    /// The connection whose stream differs.
    pub client: usize,
    /// The oracle's stream (masked as compared).
    pub oracle: Vec<u8>,
    /// The subject's stream (masked as compared).
    pub subject: Vec<u8>,
}

/// A session that found a mismatch, shrunk.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The shrunk session.
    pub session: Session,
    /// Its mismatch.
    pub mismatch: Mismatch,
    /// Steps before shrinking.
    pub original_len: usize,
}

impl Finding {
    /// The shrunk session and where it differs, for a person to read.
    pub fn transcript(&self) -> String {
        let mut out = format!("protocols: {:?}\n", self.session.resp);
        for (i, step) in self.session.steps.iter().enumerate() {
            let words: Vec<String> = step.argv.iter().map(|a| escape_clipped(a)).collect();
            out.push_str(&format!("{i:>3} c{}> {}\n", step.client, words.join(" ")));
        }
        let m = &self.mismatch;
        out.push_str(&format!(
            "after step {}, connection c{} received\n  oracle:  {}\n  subject: {}\n",
            m.step,
            m.client,
            escape_clipped(&m.oracle),
            escape_clipped(&m.subject)
        ));
        out
    }
}

/// Which commands sessions draw from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mix {
    /// Everything: data commands, transactions, pub/sub, notifications, tracking.
    All,
    /// Data commands and transactions only: the only way one client sees another's write is
    /// WATCH (for self-tests that must show a WATCH difference, not a notification one).
    Transactions,
}

/// Commands `Mix::Transactions` leaves out.
const OBSERVERS: [&[u8]; 5] = [b"SUBSCRIBE", b"UNSUBSCRIBE", b"PSUBSCRIBE", b"PUBLISH", b"CLIENT"];

/// Generates session `index` of `seed` with every kind of command.
pub fn generate(seed: u64, index: u64) -> Session {
    generate_mix(seed, index, Mix::All)
}

/// Generates session `index` of `seed` from `mix`.
pub fn generate_mix(seed: u64, index: u64, mix: Mix) -> Session {
    let mut rng = Rng::for_sequence(seed ^ 0x5e55_1011, index);
    let resp = [2, if rng.chance(50) { 3 } else { 2 }, 3];
    let len = 5 + rng.below(STEPS_MAX - 4);
    let mut steps = Vec::with_capacity(len + 1);
    // Half the sessions watch the keyspace through notifications.
    if rng.chance(50) && mix == Mix::All {
        steps.push(Step { client: 0, argv: words(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]) });
    }
    let draw = |rng: &mut Rng| loop {
        let argv = command(rng);
        if mix == Mix::All || !OBSERVERS.contains(&argv[0].as_slice()) {
            return argv;
        }
    };
    while steps.len() < len {
        let client = rng.below(CLIENTS);
        if rng.chance(25) {
            // A WATCH race: the watcher's transaction with other clients' commands in between.
            let key = rng.pick(&KEYS).as_bytes().to_vec();
            steps.push(Step { client, argv: vec![b"WATCH".to_vec(), key] });
            for _ in 0..rng.below(3) {
                let other = (client + 1 + rng.below(CLIENTS - 1)) % CLIENTS;
                steps.push(Step { client: other, argv: draw(&mut rng) });
            }
            steps.push(Step { client, argv: words(&["MULTI"]) });
            for _ in 0..rng.below(3) {
                steps.push(Step { client, argv: draw(&mut rng) });
            }
            steps.push(Step { client, argv: words(&["EXEC"]) });
            continue;
        }
        let argv = draw(&mut rng);
        steps.push(Step { client, argv });
    }
    Session { resp, steps }
}

fn words(words: &[&str]) -> Argv {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

/// One random command of the kinds sessions exercise.
fn command(rng: &mut Rng) -> Argv {
    let key = *rng.pick(&KEYS);
    let other = *rng.pick(&KEYS);
    let channel = *rng.pick(&CHANNELS);
    let value = format!("v{}", rng.below(4));
    let n = rng.below(4).to_string();
    let argv: Vec<&str> = match rng.below(32) {
        0 => vec!["SET", key, &value],
        1 => vec!["GET", key],
        2 => vec!["INCR", key],
        3 => vec!["DEL", key],
        4 => vec!["HSET", key, "f", &value],
        5 => vec!["HDEL", key, "f"],
        6 => vec!["SADD", key, &value],
        7 => vec!["SREM", key, &value],
        8 => vec!["LPUSH", key, &value],
        9 => vec!["RPOP", key],
        10 => vec!["ZADD", key, &n, &value],
        11 => vec!["RENAME", key, other],
        12 => vec!["EXPIRE", key, "1000"],
        13 => vec!["PERSIST", key],
        14 => vec!["MGET", key, other],
        15 => vec!["MULTI"],
        16 => vec!["EXEC"],
        17 => vec!["DISCARD"],
        18 => vec!["WATCH", key],
        19 => vec!["UNWATCH"],
        20 => vec!["NOSUCHCOMMAND", key],
        21 => vec!["SET", key],
        22 => vec!["SUBSCRIBE", channel],
        23 => vec!["UNSUBSCRIBE"],
        24 => vec!["PSUBSCRIBE", "n*"],
        25 => vec!["PUBLISH", channel, &value],
        26 => vec!["PSUBSCRIBE", "__key*__:*"],
        27 => vec!["CLIENT", "TRACKING", "ON"],
        28 => vec!["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:"],
        29 => vec!["CLIENT", "TRACKING", "OFF"],
        30 => vec!["FLUSHALL"],
        _ => vec!["MOVE", key, "1"],
    };
    argv.iter().map(|w| w.as_bytes().to_vec()).collect()
}

/// One server's connections while a session runs.
struct Clients {
    conns: Vec<Conn>,
    /// Whether each connection is inside MULTI, as its own replies say.
    in_multi: [bool; CLIENTS],
    barriers: u64,
}

impl Clients {
    fn open(server: &Server, session: &Session) -> Result<Clients, ConformError> {
        let mut admin = server.connect()?;
        for words in [&["FLUSHALL"][..], &["CONFIG", "SET", "notify-keyspace-events", ""]] {
            admin.call_str(words)?;
        }
        let mut conns = Vec::with_capacity(CLIENTS);
        for &resp in &session.resp {
            let mut conn = server.connect()?;
            if resp == 3 {
                conn.call_str(&["HELLO", "3"])?;
            }
            conns.push(conn);
        }
        Ok(Clients { conns, in_multi: [false; CLIENTS], barriers: 0 })
    }

    /// Sends `step` and collects every connection's stream up to its barrier.
    fn step(&mut self, step: &Step) -> Result<Vec<Vec<u8>>, ConformError> {
        let mut req = Vec::new();
        encode_request(&step.argv, &mut req);
        let own = step.client;
        self.conns[own].write_raw(&req)?;
        let name = step.argv[0].to_ascii_uppercase();
        // The command's first output is read before any barrier goes out: a server writes all
        // of an event-loop pass's output together (the reply, the pushes and messages it caused,
        // BCAST invalidations), so by then the pass that ran the command is over, and a barrier
        // cannot be read in the same pass and overtake what the command caused.
        let first = self.conns[own].read_reply()?;
        self.track_multi(own, &name, &first);
        let mut streams = vec![Vec::new(); CLIENTS];
        streams[own].extend_from_slice(&first.raw);
        let mut tokens = vec![None; CLIENTS];
        for (c, slot) in tokens.iter_mut().enumerate() {
            // A connection inside MULTI gets no barrier: it would be queued.
            if self.in_multi[c] {
                continue;
            }
            self.barriers += 1;
            let token = format!("barrier-{}", self.barriers);
            self.send_barrier(c, &token)?;
            *slot = Some(token);
        }
        for (c, token) in tokens.iter().enumerate() {
            let Some(token) = token else { continue };
            for _ in 0..VALUES_PER_BARRIER_MAX {
                let reply = self.conns[c].read_reply()?;
                if is_barrier(&reply, token) {
                    break;
                }
                streams[c].extend_from_slice(&reply.raw);
            }
        }
        Ok(streams.iter().map(|s| mask_monitor(s)).collect())
    }

    fn send_barrier(&mut self, c: usize, token: &str) -> Result<(), ConformError> {
        let mut req = Vec::new();
        encode_request(&[b"ECHO".to_vec(), token.as_bytes().to_vec()], &mut req);
        self.conns[c].write_raw(&req)
    }

    /// Follows MULTI/EXEC/DISCARD/RESET by their replies.
    fn track_multi(&mut self, c: usize, name: &[u8], reply: &Reply) {
        match name {
            b"MULTI" if reply.value == Value::Simple(b"OK".to_vec()) => self.in_multi[c] = true,
            b"EXEC" | b"DISCARD" | b"RESET" => self.in_multi[c] = false,
            _ => {}
        }
    }
}

/// True when `reply` answers the barrier `token`: its echo, or the error a RESP2 subscriber
/// gets for ECHO.
fn is_barrier(reply: &Reply, token: &str) -> bool {
    match &reply.value {
        Value::Bulk(b) => b == token.as_bytes(),
        Value::Error(e) => e.starts_with(b"ERR Can't execute 'echo'"),
        _ => false,
    }
}

/// Masks the timestamp and client address of MONITOR lines (`+<sec>.<usec> [<db> <addr>] ...`).
fn mask_monitor(stream: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(stream);
    if !text.contains("] \"") {
        return stream.to_vec();
    }
    let mut out = String::new();
    for line in text.split_inclusive("\r\n") {
        let is_monitor = line.starts_with('+') && line[1..].split(' ').next().is_some_and(|t| t.contains('.'));
        match (is_monitor, line.find(" ["), line.find("] ")) {
            (true, Some(open), Some(close)) if open < close => {
                let db = line[open + 2..close].split(' ').next().unwrap_or("");
                out.push_str(&format!("+<time> [{db} <addr>]{}", &line[close + 1..]));
            }
            _ => out.push_str(line),
        }
    }
    out.into_bytes()
}

/// Runs `session` on both servers; the first mismatch, if any.
pub fn run(oracle: &Server, subject: &Server, session: &Session) -> Result<Option<Mismatch>, ConformError> {
    let mut a = Clients::open(oracle, session)?;
    let mut b = Clients::open(subject, session)?;
    for (i, step) in session.steps.iter().enumerate() {
        let (sa, sb) = (a.step(step)?, b.step(step)?);
        if let Some(client) = (0..CLIENTS).find(|&c| sa[c] != sb[c]) {
            return Ok(Some(Mismatch { step: i, client, oracle: sa[client].clone(), subject: sb[client].clone() }));
        }
    }
    Ok(None)
}

/// Shrinks a mismatching session by dropping steps (one at a time, from the end) while it still
/// mismatches.
pub fn shrink(
    oracle: &Server,
    subject: &Server,
    session: Session,
    mismatch: Mismatch,
) -> Result<Finding, ConformError> {
    let original_len = session.steps.len();
    let mut best = session;
    best.steps.truncate(mismatch.step + 1);
    let mut found = mismatch;
    let mut runs = 0;
    let mut i = best.steps.len();
    while i > 0 && runs < SHRINK_RUNS_MAX {
        i -= 1;
        let mut candidate = best.clone();
        candidate.steps.remove(i);
        runs += 1;
        if let Some(m) = run(oracle, subject, &candidate)? {
            candidate.steps.truncate(m.step + 1);
            best = candidate;
            found = m;
            i = i.min(best.steps.len());
        }
    }
    Ok(Finding { session: best, mismatch: found, original_len })
}

/// Runs sessions `0..count` of `seed` drawn from `mix`; the shrunk findings.
pub fn campaign(
    oracle: &Server,
    subject: &Server,
    seed: u64,
    count: u64,
    mix: Mix,
) -> Result<Vec<Finding>, ConformError> {
    let mut findings = Vec::new();
    for index in 0..count {
        let session = generate_mix(seed, index, mix);
        if let Some(mismatch) = run(oracle, subject, &session)? {
            findings.push(shrink(oracle, subject, session, mismatch)?);
        }
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitor_lines_are_masked_and_other_bytes_kept() {
        // Proves only a MONITOR line's timestamp and address are masked; the database, the
        // arguments and any other reply stay as received.
        let stream = b"+OK\r\n+1796676274.396373 [3 127.0.0.1:59978] \"SET\" \"k\"\r\n:1\r\n";
        assert_eq!(
            String::from_utf8(mask_monitor(stream)).unwrap(),
            "+OK\r\n+<time> [3 <addr>] \"SET\" \"k\"\r\n:1\r\n"
        );
        assert_eq!(mask_monitor(b"$2\r\nab\r\n"), b"$2\r\nab\r\n");
    }

    #[test]
    fn sessions_are_reproducible_from_their_seed() {
        // Proves generation draws only from (seed, index).
        assert_eq!(generate(7, 3), generate(7, 3));
        assert_ne!(generate(7, 3), generate(7, 4));
    }
}
