//! The workload: random commands over a small shared keyspace, so keys collide across types
//! (WRONGTYPE replies), expire while in use, and get rewritten often enough that every encoding
//! conversion and persistence path sees traffic. With `transactions=1` a client sometimes runs
//! a transaction's script instead: WATCH, MULTI, queued commands (pairs of writes that only make
//! sense together), EXEC or DISCARD, with the odd queueing error and misplaced command. With
//! `table_commands=1` a client sometimes draws any keyed read-only or write command of the
//! engine's table instead (see `Op::Table`).

use std::sync::OnceLock;

use verdis_conformance::gen::CommandGen;
use verdis_conformance::rng::Rng;
use verdis_engine::cmd::getkeys::command_keys;
use verdis_engine::cmd::spec::{CmdFlag, CommandSpec, KeySpecFlag};
use verdis_engine::cmd::table::{self, Handler};

use crate::decide::Decider;
use crate::op::Op;
use crate::plan::Plan;

fn key(d: &mut Decider, keys: u64) -> Vec<u8> {
    format!("k{}", d.below(keys)).into_bytes()
}

fn member(d: &mut Decider) -> Vec<u8> {
    format!("m{}", d.below(12)).into_bytes()
}

fn value(d: &mut Decider) -> Vec<u8> {
    match d.below(8) {
        0..=3 => d.below(100).to_string().into_bytes(),
        4..=6 => format!("v{}", d.below(1000)).into_bytes(),
        // Long values: raw encodings, sector-crossing AOF records.
        _ => long_value(d),
    }
}

fn long_value(d: &mut Decider) -> Vec<u8> {
    let len = 50 + d.below(700) as usize;
    let byte = b'a' + d.below(26) as u8;
    vec![byte; len]
}

/// The next requests a client issues, in order: one command, or a transaction's script.
pub fn next_ops(d: &mut Decider, plan: &Plan) -> Vec<Op> {
    // Drawn only when transactions are on, so other plans draw exactly as before.
    if plan.transactions == 1 && d.chance(0.15) {
        return transaction(d, plan);
    }
    vec![next_op(d, plan)]
}

/// The next single command a client issues.
pub fn next_op(d: &mut Decider, plan: &Plan) -> Op {
    if d.chance(plan.admin) {
        return if d.below(2) == 0 { Op::BgSave } else { Op::BgRewriteAof };
    }
    // Drawn only when table commands are on, so other plans draw exactly as before.
    if plan.table_commands == 1 && d.chance(0.25) {
        if let Some(op) = table_op(d, plan) {
            return op;
        }
    }
    data_op(d, plan)
}

/// A command the table declares, as the workload may draw it.
struct TableCommand {
    spec: &'static CommandSpec,
    gen: CommandGen,
    write: bool,
}

/// The table's commands whose whole effect is on the keys they name in database 0: keyed,
/// read-only or writing, never blocking, administrative or pub/sub.
fn table_commands() -> &'static [TableCommand] {
    static COMMANDS: OnceLock<Vec<TableCommand>> = OnceLock::new();
    COMMANDS.get_or_init(|| {
        table::all_rows()
            .filter(|row| !matches!(row.handler, Handler::Container))
            .map(|row| row.spec)
            .filter(|spec| !spec.key_specs.is_empty())
            .filter(|spec| !spec.has(CmdFlag::Blocking) && !spec.has(CmdFlag::Admin) && !spec.has(CmdFlag::Pubsub))
            .filter(|spec| spec.has(CmdFlag::Readonly) || spec.has(CmdFlag::Write) || spec.has(CmdFlag::MayReplicate))
            .map(|spec| TableCommand { spec, gen: CommandGen::from_spec(spec), write: may_write(spec) })
            .collect()
    })
}

/// True when the command may change a key: flagged a write (or as replicating what it changes),
/// or with a key spec that says it may (PFCOUNT is `readonly`, but its key spec is RW: it caches
/// the count in the value).
fn may_write(spec: &CommandSpec) -> bool {
    use KeySpecFlag::{Delete, Insert, Ow, Rm, Rw, Update};
    spec.has(CmdFlag::Write)
        || spec.has(CmdFlag::MayReplicate)
        || spec.key_specs.iter().any(|ks| ks.flags.iter().any(|f| matches!(f, Rw | Ow | Rm | Update | Insert | Delete)))
}

/// A table command with arguments from its COMMAND DOCS (mostly well-formed, sometimes not) and
/// its keys from this workload's keyspace; `None` when the drawn arguments name no key. Writes
/// only without transactions (see `Plan::table_commands`).
fn table_op(d: &mut Decider, plan: &Plan) -> Option<Op> {
    let eligible: Vec<&TableCommand> = table_commands().iter().filter(|c| !c.write || plan.transactions == 0).collect();
    let command = eligible[d.below(eligible.len() as u64) as usize];
    let mut rng = Rng::new(d.below(u64::MAX));
    let mut args = command.gen.generate(&mut rng);
    let argv: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
    // Arity mutations may leave fewer arguments than a key finder assumes (the node refuses
    // those before looking for keys).
    let positions: Vec<usize> =
        command_keys(command.spec, &argv).iter().map(|k| k.pos).filter(|&pos| pos < args.len()).collect();
    if positions.is_empty() {
        return None;
    }
    let mut keys: Vec<Vec<u8>> = Vec::new();
    for pos in positions {
        args[pos] = key(d, plan.keys);
        if !keys.contains(&args[pos]) {
            keys.push(args[pos].clone());
        }
    }
    Some(Op::Table { args, keys, write: command.write, after: None })
}

/// A transaction's script: the requests in order.
fn transaction(d: &mut Decider, plan: &Plan) -> Vec<Op> {
    let keys = plan.keys;
    // Now and then EXEC or DISCARD with no transaction open (an error each).
    match d.below(40) {
        0 => return vec![Op::Exec { ops: Vec::new() }],
        1 => return vec![Op::Discard],
        _ => {}
    }
    let (a, b) = (key(d, keys), key(d, keys));
    let mut script = Vec::new();
    if d.below(2) == 0 {
        let watched = if d.below(2) == 0 { vec![a.clone()] } else { vec![a.clone(), b.clone()] };
        script.push(Op::Watch { keys: watched });
        // Sometimes the client writes itself before MULTI (its own write fires its WATCH too),
        // or changes its mind.
        match d.below(8) {
            0 => script.push(data_op(d, plan)),
            1 => script.push(Op::Unwatch),
            _ => {}
        }
    }
    script.push(Op::Multi);
    // Writes that only make sense together: a recovery must show both or neither. Their values
    // are often long, so the block crosses AOF sectors (where a torn tail may cut it).
    let mut queued = match d.below(4) {
        0 => {
            let val = if d.below(2) == 0 { long_value(d) } else { value(d) };
            vec![
                Op::Set { key: a, val: val.clone(), px: None, nx: false },
                Op::Set { key: b, val, px: None, nx: false },
            ]
        }
        1 => vec![Op::Incr { key: a }, Op::Incr { key: b }],
        2 => {
            let val = if d.below(2) == 0 { long_value(d) } else { value(d) };
            vec![
                Op::Push { key: a, vals: vec![val.clone()], left: false },
                Op::Push { key: b, vals: vec![val], left: false },
            ]
        }
        _ => (0..1 + d.below(4)).map(|_| data_op(d, plan)).collect(),
    };
    // A queueing error (EXEC then aborts), or a misplaced MULTI or WATCH (errors that do not).
    let misplaced = match d.below(20) {
        0..=1 => Some(Op::Unknown { key: key(d, keys) }),
        2 => Some(Op::Multi),
        3 => Some(Op::Watch { keys: vec![key(d, keys)] }),
        _ => None,
    };
    if let Some(op) = misplaced {
        let at = d.below(queued.len() as u64 + 1) as usize;
        queued.insert(at, op);
    }
    let end = if d.below(8) == 0 { Op::Discard } else { Op::Exec { ops: Vec::new() } };
    script.extend(queued);
    script.push(end);
    script
}

/// A command on the keyspace (no admin command).
fn data_op(d: &mut Decider, plan: &Plan) -> Op {
    let keys = plan.keys;
    let k = key(d, keys);
    // The wider mix draws past the original 100 slots; the original mix draws exactly as before.
    let mut pick = d.below(if plan.more_commands == 1 { 112 } else { 100 });
    if plan.expiry == 0 && matches!(pick, 12..=15 | 32..=34) {
        pick = 0;
    }
    match pick {
        0..=11 => Op::Set { key: k, val: value(d), px: None, nx: false },
        12..=15 => Op::Set { key: k, val: value(d), px: Some(1 + d.below(3_000)), nx: d.below(3) == 0 },
        16..=24 => Op::Get { key: k },
        25..=31 => Op::Incr { key: k },
        32..=34 => Op::Expire { key: k, secs: 1 + d.below(4) as i64 },
        35..=37 => Op::Ttl { key: k },
        38 => Op::Persist { key: k },
        39..=40 => Op::Del { keys: (0..1 + d.below(2)).map(|_| key(d, keys)).collect() },
        41 => Op::Exists { key: k },
        42 => Op::Type { key: k },
        43..=48 => Op::Push { key: k, vals: (0..1 + d.below(3)).map(|_| value(d)).collect(), left: d.below(2) == 0 },
        49..=52 => Op::Pop { key: k, left: d.below(2) == 0 },
        53..=54 => Op::LRange { key: k },
        55 => Op::LLen { key: k },
        56..=61 => Op::HSet { key: k, field: member(d), val: value(d) },
        62..=63 => Op::HGet { key: k, field: member(d) },
        64..=65 => Op::HDel { key: k, field: member(d) },
        66 => Op::HLen { key: k },
        67..=71 => Op::SAdd { key: k, member: member(d) },
        72..=73 => Op::SRem { key: k, member: member(d) },
        74 => Op::SIsMember { key: k, member: member(d) },
        75 => Op::SCard { key: k },
        76..=81 => Op::ZAdd { key: k, score: d.below(40) as i64 - 20, member: member(d) },
        82..=83 => Op::ZIncrBy { key: k, inc: d.below(10) as i64 - 3, member: member(d) },
        84..=86 => Op::ZRem { key: k, member: member(d) },
        87..=88 => Op::ZScore { key: k, member: member(d) },
        89 => Op::ZCard { key: k },
        90..=99 => Op::ZRange { key: k },
        100..=102 => Op::GetDel { key: k },
        103..=105 => Op::SetRange { key: k, offset: d.below(20), val: value(d) },
        106..=108 => Op::LMove { src: k, dst: key(d, keys), from_left: d.below(2) == 0, to_left: d.below(2) == 0 },
        _ => Op::ZUnionStore { dst: k, keys: (0..1 + d.below(3)).map(|_| key(d, keys)).collect() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drawable(name: &str) -> Option<bool> {
        table_commands().iter().find(|c| c.spec.name == name).map(|c| c.write)
    }

    #[test]
    fn table_commands_are_the_keyed_reads_and_writes_of_the_table() {
        assert!(table_commands().len() > 100, "only {} table commands", table_commands().len());
        assert_eq!(drawable("append"), Some(true));
        assert_eq!(drawable("strlen"), Some(false));
        assert_eq!(drawable("zrangebylex"), Some(false));
        assert_eq!(drawable("pfcount"), Some(true), "its key spec says RW: it caches the count");
        for excluded in ["blpop", "flushall", "publish", "watch", "bgsave", "swapdb"] {
            assert_eq!(drawable(excluded), None, "{excluded} reaches past the keys it names");
        }
    }

    #[test]
    fn table_ops_name_workload_keys_and_writes_wait_for_plans_without_transactions() {
        let mut plan = Plan::calm(crate::plan::Persistence::None);
        plan.keys = 3;
        plan.transactions = 1;
        let mut d = Decider::new(7);
        let ops: Vec<Op> = (0..500).filter_map(|_| table_op(&mut d, &plan)).collect();
        assert!(ops.len() > 400);
        for op in &ops {
            let Op::Table { args, keys, write, after } = op else { panic!("{op}") };
            assert!(!write && after.is_none(), "{op}");
            assert!(keys.iter().all(|k| [&b"k0"[..], b"k1", b"k2"].contains(&k.as_slice())), "{op}");
            assert!(keys.iter().all(|k| args.contains(k)), "{op}");
        }
        plan.transactions = 0;
        assert!((0..500).filter_map(|_| table_op(&mut d, &plan)).any(|op| op.is_write()));
    }
}
