//! The recorded workload of a crash scenario, and reading back what survived.
//!
//! Client `c` performs steps `i = 1, 2, ...`, each three operations, one command each:
//! `RPUSH c<c>:seq i`, `INCR c<c>:ctr`, `SET c<c>:k:<i> i`. So op number `k` (1-based) of a
//! client is fully known, and the state after any number `p` of its ops is exactly: the list
//! holds `1..=ceil(p/3)`, the counter is `(p+1)/3` (absent at 0), keys `1..=p/3` exist. Reading
//! the state back therefore tells, for each client, the exact length `p` of the prefix of its ops
//! that survived, or proves the state is no prefix at all (a gap, a counter ahead of its list, a
//! stray key).

use std::time::Duration;

/// Operations per step (RPUSH, INCR, SET).
pub const OPS_PER_STEP: u64 = 3;

/// One operation a client sent: when, and when (if ever) it was acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpRecord {
    /// Time the command was handed to the socket, since the run started.
    pub sent: Duration,
    /// Time its successful reply arrived; `None` if the connection died or the reply was an error.
    pub acked: Option<Duration>,
}

/// Everything one client sent, in order: `ops[k - 1]` is op number `k`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientHistory {
    /// The ops in the order sent (each sent only after the previous one's reply).
    pub ops: Vec<OpRecord>,
    /// Replies that were not what the op must return (a server bug, independent of crashes).
    pub bad_replies: Vec<String>,
}

impl ClientHistory {
    /// Number of the last acknowledged op (0 if none).
    pub fn last_acked(&self) -> u64 {
        self.ops.iter().rposition(|op| op.acked.is_some()).map_or(0, |i| i as u64 + 1)
    }

    /// Number of steps begun (some op of the step was sent).
    pub fn steps_sent(&self) -> u64 {
        (self.ops.len() as u64).div_ceil(OPS_PER_STEP)
    }
}

/// The command for op number `op` (1-based) of client `client`, and the integer reply it must
/// get (`None`: `+OK`).
pub fn op_command(client: usize, op: u64) -> (redis::Cmd, Option<i64>) {
    let step = (op - 1) / OPS_PER_STEP + 1;
    match (op - 1) % OPS_PER_STEP {
        0 => (redis::cmd("RPUSH").arg(seq_key(client)).arg(step).clone(), Some(step as i64)),
        1 => (redis::cmd("INCR").arg(counter_key(client)).clone(), Some(step as i64)),
        _ => (redis::cmd("SET").arg(step_key(client, step)).arg(step).clone(), None),
    }
}

/// Names the op each workload command is, reading commands in execution order (an AOF): the
/// inverse of `op_command`. INCR carries no step, so it is the op after the client's last RPUSH.
#[derive(Debug, Default)]
pub struct OpNamer {
    /// The step of each client's last RPUSH read.
    steps: std::collections::HashMap<usize, u64>,
}

impl OpNamer {
    /// `(client, op)` for a workload command; `None` for anything else (SELECT), or an INCR
    /// whose RPUSH was not read.
    pub fn op(&mut self, argv: &[&[u8]]) -> Option<(usize, u64)> {
        let text = |i: usize| argv.get(i).and_then(|a| std::str::from_utf8(a).ok());
        let (name, key) = (text(0)?.to_ascii_uppercase(), text(1)?);
        let (client, rest) = key.strip_prefix('c')?.split_once(':')?;
        let client: usize = client.parse().ok()?;
        match (name.as_str(), rest) {
            ("RPUSH", "seq") => {
                let step: u64 = text(2)?.parse().ok()?;
                self.steps.insert(client, step);
                Some((client, (step - 1) * OPS_PER_STEP + 1))
            }
            ("INCR", "ctr") => Some((client, (self.steps.get(&client)? - 1) * OPS_PER_STEP + 2)),
            ("SET", rest) => Some((client, rest.strip_prefix("k:")?.parse::<u64>().ok()? * OPS_PER_STEP)),
            _ => None,
        }
    }
}

fn seq_key(client: usize) -> String {
    format!("c{client}:seq")
}

fn counter_key(client: usize) -> String {
    format!("c{client}:ctr")
}

fn step_key(client: usize, step: u64) -> String {
    format!("c{client}:k:{step}")
}

/// What reading back one client's keys found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientState {
    /// The state after exactly this many of its ops.
    Prefix(u64),
    /// No prefix of its ops gives this state.
    NotAPrefix(String),
}

/// The state after `ops` operations: (list length, counter, keys).
fn state_after(ops: u64) -> (u64, u64, u64) {
    (ops.div_ceil(OPS_PER_STEP), (ops + 1) / OPS_PER_STEP, ops / OPS_PER_STEP)
}

/// Reads every client's keys and the key count; `Err` only if the server could not be read.
pub fn read_state(con: &mut redis::Connection, histories: &[ClientHistory]) -> redis::RedisResult<Vec<ClientState>> {
    let mut states = Vec::with_capacity(histories.len());
    let mut keys_expected = 0u64;
    for (client, history) in histories.iter().enumerate() {
        let state = read_client(con, client, history.steps_sent())?;
        if let ClientState::Prefix(ops) = state {
            let (list, counter, keys) = state_after(ops);
            keys_expected += u64::from(list > 0) + u64::from(counter > 0) + keys;
        }
        states.push(state);
    }
    let dbsize: u64 = redis::cmd("DBSIZE").query(con)?;
    if states.iter().all(|s| matches!(s, ClientState::Prefix(_))) && dbsize != keys_expected {
        // Keys nobody wrote (or of a client index past the last): not the workload's state.
        states.push(ClientState::NotAPrefix(format!("DBSIZE is {dbsize}, the clients' keys are {keys_expected}")));
    }
    Ok(states)
}

fn read_client(con: &mut redis::Connection, client: usize, steps_sent: u64) -> redis::RedisResult<ClientState> {
    let list: Vec<i64> = redis::cmd("LRANGE").arg(seq_key(client)).arg(0).arg(-1).query(con)?;
    if let Some((at, value)) = list.iter().enumerate().find(|(at, value)| **value != *at as i64 + 1) {
        return Ok(ClientState::NotAPrefix(format!("list {} holds {value} at index {at}", seq_key(client))));
    }
    let counter: Option<i64> = redis::cmd("GET").arg(counter_key(client)).query(con)?;
    // One key past the last step sent: it must not exist either.
    let names: Vec<String> = (1..=steps_sent + 1).map(|step| step_key(client, step)).collect();
    let values: Vec<Option<i64>> =
        if names.is_empty() { Vec::new() } else { redis::cmd("MGET").arg(&names).query(con)? };
    let keys = values.iter().take_while(|v| v.is_some()).count() as u64;
    if let Some(step) = values.iter().skip(keys as usize).position(Option::is_some) {
        return Ok(ClientState::NotAPrefix(format!(
            "{} exists but {} does not",
            step_key(client, keys + 2 + step as u64),
            step_key(client, keys + 1)
        )));
    }
    if let Some((at, value)) = values.iter().flatten().enumerate().find(|(at, v)| **v != *at as i64 + 1) {
        return Ok(ClientState::NotAPrefix(format!("{} holds {value}", step_key(client, at as u64 + 1))));
    }
    let counter = match counter {
        None => 0,
        Some(n) if n > 0 => n as u64,
        Some(n) => return Ok(ClientState::NotAPrefix(format!("{} is {n}", counter_key(client)))),
    };
    let ops = list.len() as u64 + counter + keys;
    if state_after(ops) != (list.len() as u64, counter, keys) {
        return Ok(ClientState::NotAPrefix(format!(
            "list length {}, counter {counter}, {keys} keys: no prefix of RPUSH/INCR/SET steps",
            list.len()
        )));
    }
    Ok(ClientState::Prefix(ops))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_after_counts_each_op_once() {
        // Proves the prefix arithmetic: op 1 pushes, op 2 increments, op 3 sets, then repeats.
        assert_eq!(state_after(0), (0, 0, 0));
        assert_eq!(state_after(1), (1, 0, 0));
        assert_eq!(state_after(2), (1, 1, 0));
        assert_eq!(state_after(3), (1, 1, 1));
        assert_eq!(state_after(4), (2, 1, 1));
        for ops in 0..100 {
            let (list, counter, keys) = state_after(ops);
            assert_eq!(list + counter + keys, ops);
        }
    }

    #[test]
    fn op_namer_inverts_op_command() {
        // Proves every command of two interleaved clients is named back as the op that made it
        // (INCR included, from the RPUSH before it), and that other commands are not ops.
        let mut namer = OpNamer::default();
        for op in 1..=12 {
            for client in [0, 7] {
                let (cmd, _) = op_command(client, op);
                let argv: Vec<&[u8]> = cmd
                    .args_iter()
                    .map(|a| match a {
                        redis::Arg::Simple(bytes) => bytes,
                        redis::Arg::Cursor => unreachable!("no cursor in the workload"),
                    })
                    .collect();
                assert_eq!(namer.op(&argv), Some((client, op)), "client {client} op {op}");
            }
        }
        assert_eq!(namer.op(&[b"SELECT", b"0"]), None);
        assert_eq!(OpNamer::default().op(&[b"INCR", b"c3:ctr"]), None);
    }

    #[test]
    fn op_commands_cycle_through_the_step() {
        // Proves op numbers map to the documented commands and expected replies.
        let (cmd, reply) = op_command(2, 4);
        assert_eq!(cmd.get_packed_command(), redis::cmd("RPUSH").arg("c2:seq").arg(2).get_packed_command());
        assert_eq!(reply, Some(2));
        let (cmd, reply) = op_command(0, 6);
        assert_eq!(cmd.get_packed_command(), redis::cmd("SET").arg("c0:k:2").arg(2).get_packed_command());
        assert_eq!(reply, None);
    }

    #[test]
    fn history_counts_acks_and_steps() {
        // Proves last_acked skips a trailing unacknowledged op and steps round up.
        let op = |acked| OpRecord { sent: Duration::ZERO, acked };
        let h = ClientHistory {
            ops: vec![op(Some(Duration::ZERO)), op(Some(Duration::ZERO)), op(None), op(None)],
            bad_replies: vec![],
        };
        assert_eq!(h.last_acked(), 2);
        assert_eq!(h.steps_sent(), 2);
    }
}
