//! Command generators built from the engine's command table — the one source of truth.
//!
//! For every implemented command of the chosen families, the argument tree of its COMMAND DOCS
//! (tokens, oneof, block, optional, multiple, typed leaves) drives which argument shapes are
//! produced; leaves draw valid values mixed with edge values (empty, 0, -1, i64 bounds, huge
//! counts, non-UTF-8 bytes, float forms like `inf`, `1e3`, `-0`, `0x10`). Some commands are then
//! mutated to a wrong arity, and sequences sprinkle in keys of other types (when the table
//! implements a command that makes one) so WRONGTYPE paths run. Keys come from a pool of five,
//! so commands in a sequence act on each other's keys.
//!
//! Where the docs' types say too little, a command's arguments are shaped by what it reads:
//! lex and score bounds for the sorted-set range commands, timeouts that end at once for the
//! blocking commands (fed data first, mostly), SORT only in its deterministic forms, real DUMP
//! payloads for RESTORE.

use verdis_engine::cmd::spec::{CmdFlag, CommandSpec, DocValue};
use verdis_engine::cmd::table::{self, Handler};

use crate::error::ConformError;
use crate::rng::Rng;
use crate::rules::{rule_for, Rule};

/// A command as sent: the name (and subcommand) then the arguments.
pub type Argv = Vec<Vec<u8>>;

/// The keys every generated command draws from (one is not UTF-8).
pub const KEY_POOL: [&[u8]; 5] = [b"k0", b"k1", b"k2", b"k3", b"k\xff"];

/// Longest generated sequence.
pub const SEQUENCE_LEN_MAX: usize = 50;
/// How often (percent) a blocking command is preceded by a push to its first key.
const FED_BLOCKING_PERCENT: u32 = 97;
/// How often (percent) a command that needs a consumer group is preceded by creating it.
const FED_GROUP_PERCENT: u32 = 60;
/// How often (percent) SORT is preceded by a push to its key.
const FED_SORT_PERCENT: u32 = 50;
/// Most repetitions of a `multiple` argument.
const REPEAT_MAX: i64 = 3;

/// Family aliases the command line accepts, mapped to the COMMAND DOCS `group`.
const FAMILY_ALIASES: &[(&str, &str)] = &[
    ("strings", "string"),
    ("keys", "generic"),
    ("lists", "list"),
    ("hashes", "hash"),
    ("sets", "set"),
    ("zsets", "sorted-set"),
    ("sorted-sets", "sorted-set"),
    ("bitmaps", "bitmap"),
    ("streams", "stream"),
    ("transaction", "transactions"),
];

/// The COMMAND DOCS group a family name (or alias) means.
pub fn family_group(name: &str) -> &str {
    FAMILY_ALIASES.iter().find(|(alias, _)| *alias == name).map_or(name, |(_, group)| group)
}

/// The `group` of a command's docs.
pub fn group_of(spec: &CommandSpec) -> &'static str {
    spec.docs
        .iter()
        .find_map(|(k, v)| if let (&"group", DocValue::Bulk(g)) = (k, v) { Some(*g) } else { None })
        .unwrap_or("")
}

/// What kind of value an argument leaf takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Key,
    String,
    Integer,
    Double,
    Pattern,
    UnixTime,
    PureToken,
    OneOf,
    Block,
}

/// One node of a command's argument tree, from COMMAND DOCS.
#[derive(Clone, Debug)]
struct ArgSpec {
    name: &'static str,
    kind: Kind,
    token: Option<&'static str>,
    optional: bool,
    multiple: bool,
    multiple_token: bool,
    children: Vec<ArgSpec>,
}

fn doc_field<'a>(map: &'a [(&'static str, DocValue)], key: &str) -> Option<&'a DocValue> {
    map.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
}

fn parse_arg(map: &[(&'static str, DocValue)]) -> Option<ArgSpec> {
    let text = |key| match doc_field(map, key) {
        Some(DocValue::Bulk(s)) | Some(DocValue::Simple(s)) => Some(*s),
        _ => None,
    };
    let kind = match text("type")? {
        "key" => Kind::Key,
        "string" => Kind::String,
        "integer" => Kind::Integer,
        "double" => Kind::Double,
        "pattern" => Kind::Pattern,
        "unix-time" => Kind::UnixTime,
        "pure-token" => Kind::PureToken,
        "oneof" => Kind::OneOf,
        "block" => Kind::Block,
        _ => Kind::String,
    };
    let flags: Vec<&str> = match doc_field(map, "flags") {
        Some(DocValue::Set(items)) | Some(DocValue::Array(items)) => items
            .iter()
            .filter_map(|f| match f {
                DocValue::Simple(s) | DocValue::Bulk(s) => Some(*s),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(ArgSpec {
        name: text("name").unwrap_or(""),
        kind,
        token: text("token"),
        optional: flags.contains(&"optional"),
        multiple: flags.contains(&"multiple"),
        multiple_token: flags.contains(&"multiple_token"),
        children: parse_args(doc_field(map, "arguments")),
    })
}

fn parse_args(value: Option<&DocValue>) -> Vec<ArgSpec> {
    match value {
        Some(DocValue::Array(items)) => {
            items.iter().filter_map(|item| if let DocValue::Map(m) = item { parse_arg(m) } else { None }).collect()
        }
        _ => Vec::new(),
    }
}

/// How a sorted-set range command reads its two bounds. COMMAND DOCS types them `string` or
/// `double` (or `string` start/stop whose meaning BYLEX/BYSCORE chooses), so the generator
/// needs the command to produce bounds that get past the argument checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bounds {
    /// `-`, `+`, `[member`, `(member`.
    Lex,
    /// `-inf`, `+inf`, `(1.5`, `2`.
    Score,
    /// Indexes unless a BYLEX or BYSCORE token follows (ZRANGE, ZRANGESTORE).
    ByToken,
}

/// The range commands and where their `min` (then `max`) argument sits in the argv.
const RANGE_BOUNDS: &[(&str, usize, Bounds)] = &[
    ("zrangebylex", 2, Bounds::Lex),
    ("zrevrangebylex", 2, Bounds::Lex),
    ("zlexcount", 2, Bounds::Lex),
    ("zremrangebylex", 2, Bounds::Lex),
    ("zrangebyscore", 2, Bounds::Score),
    ("zrevrangebyscore", 2, Bounds::Score),
    ("zcount", 2, Bounds::Score),
    ("zremrangebyscore", 2, Bounds::Score),
    ("zrange", 2, Bounds::ByToken),
    ("zrangestore", 3, Bounds::ByToken),
];

/// How to generate one implemented command.
#[derive(Clone, Debug)]
pub struct CommandGen {
    /// The table name (`get`, `object|encoding`).
    pub name: &'static str,
    /// The family (docs group).
    pub family: &'static str,
    /// Redis's arity (negative: at least), for arity errors on purpose.
    arity: i32,
    prefix: Argv,
    args: Vec<ArgSpec>,
    /// For range commands: where the bounds are and how they are read.
    bounds: Option<(usize, Bounds)>,
    /// For blocking commands: where their `timeout` argument sits.
    timeout: Option<TimeoutAt>,
}

/// Where a blocking command's `timeout` argument is in its argv.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TimeoutAt {
    /// Right after the name (BLMPOP, BZMPOP).
    First,
    /// Last (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BZPOPMIN, BZPOPMAX).
    Last,
}

/// Timeouts a blocking command may get. The lock-step runner has one client per side, so a
/// blocked command only ends by its timeout: each value here either ends it within
/// milliseconds (with data present it answers at once; on an empty key both sides answer nil
/// after the timeout) or is refused (negative, not a number, out of range). Never `0` or `-0`
/// (block forever) nor a large or hexadecimal number (seconds of blocking).
const BLOCKING_TIMEOUTS: &[&[u8]] =
    &[b"0.01", b"0.001", b"1e-3", b".005", b"-1", b"abc", b"", b"inf", b"nan", b"1e400", b" 1"];
/// Stream IDs the stream commands' ID arguments draw from: explicit, partial, `ms-*`, the
/// range ends, exclusive bounds, `$` and `>`, 0-0 and the largest ID, and a few refused forms.
const STREAM_IDS: &[&[u8]] = &[
    b"1-1",
    b"1-2",
    b"2-1",
    b"2",
    b"3-*",
    b"5-0",
    b"5-*",
    b"9-9",
    b"0-1",
    b"0",
    b"-",
    b"+",
    b"(1-1",
    b"(2-1",
    b"$",
    b">",
    b"0-0",
    b"18446744073709551615-18446744073709551615",
    b"1-x",
    b"(",
];
/// Minimum idle times for XCLAIM and XAUTOCLAIM: everything qualifies, or nothing does.
const STREAM_IDLE_TIMES: &[&[u8]] = &[b"0", b"1000000"];
/// Group names the stream commands use.
const STREAM_GROUPS: &[&[u8]] = &[b"g", b"g2"];
/// Consumer names the stream commands use.
const STREAM_CONSUMERS: &[&[u8]] = &[b"alice", b"bob"];

/// The key and group of a stream command that needs the group to exist (XREADGROUP, XACK,
/// XPENDING, XCLAIM, XAUTOCLAIM, XINFO CONSUMERS, XGROUP's subcommands but CREATE), so
/// `Generator::feed` can create it first: otherwise nearly every one answers NOGROUP.
fn stream_group_of<'a>(name: &str, argv: &'a [Vec<u8>]) -> Option<(&'a [u8], &'a [u8])> {
    let (key_at, group_at) = match name {
        "xack" | "xpending" | "xclaim" | "xautoclaim" => (1, 2),
        "xinfo|consumers" | "xgroup|setid" | "xgroup|createconsumer" | "xgroup|delconsumer" | "xgroup|destroy" => {
            (2, 3)
        }
        "xreadgroup" => {
            let group_at = argv.iter().position(|a| a.eq_ignore_ascii_case(b"GROUP"))? + 1;
            let streams_at = argv.iter().position(|a| a.eq_ignore_ascii_case(b"STREAMS"))? + 1;
            (streams_at, group_at)
        }
        _ => return None,
    };
    Some((argv.get(key_at)?, argv.get(group_at)?))
}

/// Argument names that hold a stream ID (or a trim threshold, an ID or a count).
fn is_stream_id(name: &str) -> bool {
    matches!(name, "id" | "start" | "end" | "last-id" | "max_deleted_entry_id" | "threshold")
}

/// How many of `BLOCKING_TIMEOUTS`, from the start, are accepted.
const BLOCKING_TIMEOUTS_VALID: usize = 4;
/// How often (percent) a blocking command gets an accepted timeout.
const BLOCKING_TIMEOUT_VALID_PERCENT: u32 = 80;

/// A type-making command, used to put keys of other types in a sequence.
const TYPE_SEEDS: &[(&str, &[&[u8]])] = &[
    ("rpush", &[b"a", b"b"]),
    ("sadd", &[b"a", b"b"]),
    ("hset", &[b"f", b"v"]),
    ("zadd", &[b"1", b"a"]),
    ("xadd", &[b"1-*", b"f", b"v"]),
];

/// Generates commands and sequences for a set of families.
#[derive(Clone, Debug)]
pub struct Generator {
    commands: Vec<CommandGen>,
    seeds: Vec<&'static (&'static str, &'static [&'static [u8]])>,
}

impl Generator {
    /// The generator for the implemented commands of `families` (names or aliases; `all` means
    /// every family), skipping containers and commands the rules exclude.
    pub fn from_table(families: &[String]) -> Result<Generator, ConformError> {
        let groups: Vec<&str> = families.iter().map(|f| family_group(f)).collect();
        let all = groups.contains(&"all");
        let mut commands = Vec::new();
        for row in table::all_rows() {
            let spec = row.spec;
            if matches!(row.handler, Handler::Container) || matches!(rule_for(spec), Rule::Excluded(_)) {
                continue;
            }
            let generated = CommandGen::from_spec(spec);
            if spec.has(CmdFlag::Blocking) && generated.timeout.is_none() && !is_stream_read(spec.name) {
                // A blocking form without a `timeout` argument cannot be bounded.
                continue;
            }
            let family = group_of(spec);
            if !all && !groups.contains(&family) {
                continue;
            }
            commands.push(generated);
        }
        if commands.is_empty() {
            return Err(ConformError::Usage(format!(
                "no implemented, non-excluded command in families {families:?} (the table has {} rows)",
                table::all_rows().count()
            )));
        }
        commands.sort_by_key(|c| c.name);
        let seeds = TYPE_SEEDS.iter().filter(|(name, _)| table::lookup(name.as_bytes()).is_some()).collect();
        Ok(Generator { commands, seeds })
    }

    /// The commands this generator exercises.
    pub fn commands(&self) -> &[CommandGen] {
        &self.commands
    }

    /// One sequence of 1..=`SEQUENCE_LEN_MAX` commands.
    pub fn sequence(&self, rng: &mut Rng) -> Vec<Argv> {
        let len = match rng.below(100) {
            0..=49 => rng.range(1, 10),
            50..=84 => rng.range(11, 25),
            _ => rng.range(26, SEQUENCE_LEN_MAX as i64),
        } as usize;
        let mut seq = Vec::with_capacity(len);
        while seq.len() < len {
            if !self.seeds.is_empty() && rng.chance(4) {
                let (name, tail) = **rng.pick(&self.seeds);
                let mut argv = vec![name.to_ascii_uppercase().into_bytes(), rng.pick(&KEY_POOL).to_vec()];
                argv.extend(tail.iter().map(|a| a.to_vec()));
                seq.push(argv);
                continue;
            }
            let cmd = rng.pick(&self.commands);
            let argv = cmd.generate(rng);
            if seq.len() + 1 < len {
                seq.extend(self.feed(cmd, &argv, rng));
            }
            seq.push(argv);
        }
        seq
    }

    /// Sometimes, a push to the key `argv` reads first, made by one of the type seeds:
    /// - before a blocking pop (`FED_BLOCKING_PERCENT`), so it answers at once: on an empty key
    ///   both sides wait out the timeout, and Redis checks timeouts only about every 100 ms (its
    ///   `hz`), which would dominate a campaign's time;
    /// - before SORT (`FED_SORT_PERCENT`), so it has elements to sort (in the generic family
    ///   nothing else makes a list or a set).
    fn feed(&self, cmd: &CommandGen, argv: &[Vec<u8>], rng: &mut Rng) -> Option<Argv> {
        if let Some((key, group)) = stream_group_of(cmd.name, argv) {
            return rng.chance(FED_GROUP_PERCENT).then(|| {
                let words: [&[u8]; 6] = [b"XGROUP", b"CREATE", key, group, b"0", b"MKSTREAM"];
                words.iter().map(|w| w.to_vec()).collect()
            });
        }
        let (key_at, percent, seeds): (usize, u32, &[&str]) = match (cmd.name, cmd.timeout, cmd.family) {
            ("sort" | "sort_ro", ..) => (1, FED_SORT_PERCENT, &["rpush", "sadd"]),
            (_, Some(at), family) => {
                let key_at = if at == TimeoutAt::First { 3 } else { 1 };
                let seeds: &[&str] = match family {
                    "list" => &["rpush"],
                    "sorted-set" => &["zadd"],
                    _ => return None,
                };
                (key_at, FED_BLOCKING_PERCENT, seeds)
            }
            _ => return None,
        };
        if !rng.chance(percent) {
            return None;
        }
        let seed = rng.pick(seeds);
        let (name, tail) = **self.seeds.iter().find(|(name, _)| name == seed)?;
        let mut push = vec![name.to_ascii_uppercase().into_bytes(), argv.get(key_at)?.clone()];
        push.extend(tail.iter().map(|a| a.to_vec()));
        Some(push)
    }
}

impl CommandGen {
    /// The generator for one command's spec.
    pub fn from_spec(spec: &'static CommandSpec) -> CommandGen {
        let args = parse_args(doc_field(spec.docs, "arguments"));
        CommandGen {
            name: spec.name,
            family: group_of(spec),
            arity: spec.arity,
            prefix: spec.name.split('|').map(|w| w.to_ascii_uppercase().into_bytes()).collect(),
            bounds: RANGE_BOUNDS.iter().find(|(name, ..)| *name == spec.name).map(|&(_, at, how)| (at, how)),
            timeout: timeout_at(spec, &args),
            args,
        }
    }

    /// An argument count the arity refuses (one off a fixed arity, one short of a minimum).
    fn wrong_arity_len(&self, rng: &mut Rng) -> usize {
        let arity = self.arity.unsigned_abs() as usize;
        if self.arity > 0 && (arity == 1 || rng.chance(50)) {
            arity + 1
        } else {
            arity.saturating_sub(1).max(1)
        }
    }

    /// One invocation: usually well-formed, sometimes with a wrong arity or a stray value.
    pub fn generate(&self, rng: &mut Rng) -> Argv {
        let mut argv = self.prefix.clone();
        gen_list(&self.args, rng, &mut argv);
        if let Some((at, how)) = self.bounds {
            range_bounds(&mut argv, at, how, rng);
        }
        let fixed = self.prefix.len();
        match rng.below(100) {
            0..=2 if argv.len() > fixed => {
                argv.pop();
            }
            3..=4 => argv.push(b"extra".to_vec()),
            5..=7 => {
                let len = self.wrong_arity_len(rng);
                argv.resize(len, b"extra".to_vec());
            }
            8..=9 if argv.len() > fixed => {
                let i = rng.range(fixed as i64, argv.len() as i64 - 1) as usize;
                argv[i] = rng.pick(STRINGS).to_vec();
            }
            _ => {}
        }
        // After the mutations, which may put any value anywhere.
        if let Some(at) = self.timeout {
            bound_timeout(&mut argv, at, rng);
        }
        if matches!(self.name, "sort" | "sort_ro") {
            sort_deterministically(&mut argv);
        }
        argv
    }
}

/// Where a blocking command's top-level `timeout` argument is, when it has one first or last.
fn timeout_at(spec: &CommandSpec, args: &[ArgSpec]) -> Option<TimeoutAt> {
    if !spec.has(CmdFlag::Blocking) {
        return None;
    }
    match (args.first(), args.last()) {
        (Some(first), _) if first.name == "timeout" => Some(TimeoutAt::First),
        (_, Some(last)) if last.name == "timeout" => Some(TimeoutAt::Last),
        _ => None,
    }
}

/// Puts a timeout from `BLOCKING_TIMEOUTS` where a blocking command reads it, unless one is
/// there already.
fn bound_timeout(argv: &mut Argv, at: TimeoutAt, rng: &mut Rng) {
    let i = match at {
        TimeoutAt::First => 1,
        TimeoutAt::Last => argv.len() - 1,
    };
    if i > 0 && i < argv.len() && !BLOCKING_TIMEOUTS.contains(&argv[i].as_slice()) {
        let (valid, refused) = BLOCKING_TIMEOUTS.split_at(BLOCKING_TIMEOUTS_VALID);
        let pool = if rng.chance(BLOCKING_TIMEOUT_VALID_PERCENT) { valid } else { refused };
        argv[i] = rng.pick(pool).to_vec();
    }
}

/// Keeps SORT to forms whose output Redis fixes: without BY, or BY a pattern with `*` sorted
/// numerically (equal weights are ordered by the elements themselves). BY a pattern without `*`
/// (no sorting: a set comes out in its random hash-table order) is dropped; with BY, ALPHA is
/// dropped (equal weights would be left in the order the sort happened to leave them).
fn sort_deterministically(argv: &mut Argv) {
    let by_at = argv.iter().skip(2).position(|a| a.eq_ignore_ascii_case(b"BY")).map(|i| i + 2);
    let Some(by_at) = by_at else { return };
    if argv.get(by_at + 1).is_some_and(|pattern| pattern.contains(&b'*')) {
        argv.retain(|a| !a.eq_ignore_ascii_case(b"ALPHA"));
    } else {
        argv.drain(by_at..(by_at + 2).min(argv.len()));
    }
}

fn gen_list(args: &[ArgSpec], rng: &mut Rng, out: &mut Argv) {
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        // `numkeys` followed by keys: usually make the count match so the keys are reached.
        if arg.name == "numkeys" && args.get(i + 1).is_some_and(|k| k.kind == Kind::Key && k.multiple) {
            let n = rng.range(1, REPEAT_MAX);
            out.push(if rng.chance(90) { n.to_string().into_bytes() } else { gen_integer(rng) });
            out.extend((0..n).map(|_| rng.pick(&KEY_POOL).to_vec()));
            i += 2;
            continue;
        }
        gen_arg(arg, rng, out);
        i += 1;
    }
}

/// XREAD and XREADGROUP: generated without BLOCK (see `gen_arg`), so they answer at once.
fn is_stream_read(name: &str) -> bool {
    matches!(name, "xread" | "xreadgroup")
}

fn gen_arg(arg: &ArgSpec, rng: &mut Rng, out: &mut Argv) {
    if arg.optional && rng.chance(50) {
        return;
    }
    // XREAD's and XREADGROUP's BLOCK has no timeout argument the campaign could bound: left out.
    if arg.token == Some("BLOCK") {
        return;
    }
    // XADD's `*` takes the ID from each server's clock, which the two sides never share: an
    // explicit or `ms-*` ID from the pool stands in for it.
    if arg.name == "auto_id" {
        out.push(rng.pick(STREAM_IDS).to_vec());
        return;
    }
    let reps = if arg.multiple { rng.range(1, REPEAT_MAX) } else { 1 };
    for rep in 0..reps {
        if let Some(token) = arg.token {
            if rep == 0 || arg.multiple_token {
                // Tokens are case-insensitive in Redis; sometimes prove it.
                out.push(if rng.chance(15) { token.to_ascii_lowercase() } else { token.to_string() }.into_bytes());
            }
        }
        match arg.kind {
            Kind::PureToken => {}
            Kind::OneOf => {
                if !arg.children.is_empty() {
                    let child = rng.pick(&arg.children);
                    gen_arg(&ArgSpec { optional: false, ..child.clone() }, rng, out);
                }
            }
            Kind::Block => gen_list(&arg.children, rng, out),
            Kind::Key => out.push(rng.pick(&KEY_POOL).to_vec()),
            Kind::Pattern => out.push(rng.pick(PATTERNS).to_vec()),
            Kind::Double => out.push(gen_double(rng)),
            Kind::String if arg.name == "serialized-value" && rng.chance(80) => {
                out.push(rng.pick(RESTORE_PAYLOADS).to_vec())
            }
            Kind::String if arg.name == "operation" && rng.chance(90) => out.push(rng.pick(BITOP_OPERATIONS).to_vec()),
            Kind::String if arg.name == "encoding" && rng.chance(85) => out.push(gen_bitfield_type(rng)),
            Kind::String if is_stream_id(arg.name) && rng.chance(90) => out.push(rng.pick(STREAM_IDS).to_vec()),
            Kind::String if matches!(arg.name, "group" | "groupname") && rng.chance(90) => {
                out.push(rng.pick(STREAM_GROUPS).to_vec())
            }
            Kind::String if matches!(arg.name, "consumer" | "consumername") && rng.chance(90) => {
                out.push(rng.pick(STREAM_CONSUMERS).to_vec())
            }
            Kind::String if arg.name == "min-idle-time" && rng.chance(90) => {
                out.push(rng.pick(STREAM_IDLE_TIMES).to_vec())
            }
            Kind::String => out.push(gen_string(rng)),
            // A bit (SETBIT's value, BITPOS's bit) is mostly 0 or 1, else nearly every one is refused.
            Kind::Integer if matches!(arg.name, "bit" | "value") && rng.chance(60) => {
                out.push(rng.pick(&[b"0", b"1"]).to_vec())
            }
            Kind::Integer | Kind::UnixTime => out.push(match time_unit(arg) {
                Some(unit) => gen_time(unit, rng),
                None => gen_integer(rng),
            }),
        }
    }
}

/// Rewrites the bounds at `at` and `at + 1` as the command reads them (most of the time: the
/// generic values still test the refusal of a bad bound).
fn range_bounds(argv: &mut Argv, at: usize, how: Bounds, rng: &mut Rng) {
    let has = |token: &[u8]| argv.iter().skip(at + 2).any(|a| a.eq_ignore_ascii_case(token));
    let how = match how {
        Bounds::ByToken if has(b"BYLEX") => Bounds::Lex,
        Bounds::ByToken if has(b"BYSCORE") => Bounds::Score,
        Bounds::ByToken => return,
        other => other,
    };
    for i in at..(at + 2).min(argv.len()) {
        if rng.chance(85) {
            argv[i] = match how {
                Bounds::Lex => gen_lex_bound(rng),
                _ => gen_score_bound(rng),
            };
        }
    }
}

/// Members sorted-set commands are likely to hold: the type seed's and common generated strings.
const LEX_MEMBERS: &[&[u8]] = &[b"", b"a", b"b", b"bar", b"foo", b"k0", b"z", b"\xff"];

fn gen_lex_bound(rng: &mut Rng) -> Vec<u8> {
    match rng.below(10) {
        0 => b"-".to_vec(),
        1 => b"+".to_vec(),
        n => {
            let mut bound = vec![if n % 2 == 0 { b'[' } else { b'(' }];
            let member: &&[u8] = rng.pick(LEX_MEMBERS);
            bound.extend_from_slice(member);
            bound
        }
    }
}

fn gen_score_bound(rng: &mut Rng) -> Vec<u8> {
    match rng.below(10) {
        0 => b"-inf".to_vec(),
        1 => b"+inf".to_vec(),
        2..=4 => {
            let mut bound = b"(".to_vec();
            bound.extend(gen_double(rng));
            bound
        }
        _ => gen_double(rng),
    }
}

/// What an integer argument that is a time means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TimeUnit {
    RelativeSeconds,
    RelativeMillis,
    AbsoluteSeconds,
    AbsoluteMillis,
}

/// Time arguments are told apart by their token or name, so generated expiries avoid values
/// small enough to expire between the oracle's and the subject's execution.
fn time_unit(arg: &ArgSpec) -> Option<TimeUnit> {
    // RESTORE's `ttl` is in milliseconds (absolute with ABSTTL, where the pool's small values
    // are long past: the key is not created, on both sides alike).
    let millis = arg.name.contains("milli") || arg.name == "ttl" || matches!(arg.token, Some("PX" | "PXAT"));
    let absolute =
        arg.kind == Kind::UnixTime || arg.name.contains("unix") || matches!(arg.token, Some("EXAT" | "PXAT"));
    let timed =
        absolute || matches!(arg.token, Some("EX" | "PX")) || matches!(arg.name, "seconds" | "milliseconds" | "ttl");
    timed.then_some(match (absolute, millis) {
        (false, false) => TimeUnit::RelativeSeconds,
        (false, true) => TimeUnit::RelativeMillis,
        (true, false) => TimeUnit::AbsoluteSeconds,
        (true, true) => TimeUnit::AbsoluteMillis,
    })
}

fn gen_time(unit: TimeUnit, rng: &mut Rng) -> Vec<u8> {
    // Mostly a valid time, so the command gets past its argument checks.
    if rng.chance(60) {
        let valid: &[&[u8]] = match unit {
            TimeUnit::RelativeSeconds => &[b"100", b"1000", b"86400"],
            TimeUnit::RelativeMillis => &[b"100000", b"2000000"],
            TimeUnit::AbsoluteSeconds => &[b"1", b"4102444800"],
            TimeUnit::AbsoluteMillis => &[b"1", b"4102444800000"],
        };
        return rng.pick(valid).to_vec();
    }
    let values: &[&[u8]] = match unit {
        TimeUnit::RelativeSeconds => &[
            b"100",
            b"1000",
            b"86400",
            b"0",
            b"-1",
            b"9223372036854775",
            b"9223372036854776",
            b"9223372036854775807",
            b"1.5",
            b"abc",
        ],
        TimeUnit::RelativeMillis => {
            &[b"100000", b"2000000", b"0", b"-1", b"9223372036854775807", b"-9223372036854775808", b"1e3"]
        }
        TimeUnit::AbsoluteSeconds => &[b"1", b"4102444800", b"0", b"-1", b"9223372036854775807", b"x"],
        TimeUnit::AbsoluteMillis => &[b"1", b"4102444800000", b"0", b"-1", b"9223372036854775807"],
    };
    rng.pick(values).to_vec()
}

/// RESTORE payloads, as DUMP gave them on Redis 7.0.15 (so RESTORE reaches its success path):
/// "hello", the integer 42, a list (quicklist of a listpack) [a, 1, b], an intset {1, 2, 3}, a
/// listpack hash {f: v, g: 1}, a listpack zset {a: 1, b: 2.5}, 40 `x` compressed with LZF; then
/// "hello" with a broken checksum.
const RESTORE_PAYLOADS: &[&[u8]] = &[
    b"\x00\x05hello\x0a\x00cr\xdfve4 \x0a",
    b"\x00\xc0*\x0a\x00\x81\xfb\x5c\xfa\x86cOP",
    b"\x12\x01\x02\x0f\x0f\x00\x00\x00\x03\x00\x81a\x02\x01\x01\x81b\x02\xff\x0a\x00\x90C\xa3L\xeb\x8e\x1b\x1c",
    b"\x0b\x0e\x02\x00\x00\x00\x03\x00\x00\x00\x01\x00\x02\x00\x03\x00\x0a\x00\xa5\x02\x5c\xe2mnM\x1b",
    b"\x10\x12\x12\x00\x00\x00\x04\x00\x81f\x02\x81v\x02\x81g\x02\x01\x01\xff\x0a\x00#\xc1\xa5\xe3]\xfa\xe8\x1c",
    b"\x11\x14\x14\x00\x00\x00\x04\x00\x81a\x02\x01\x01\x81b\x02\x832.5\x04\xff\x0a\x00\xd4Ln\xa4\xf6D\xd9\xd7",
    b"\x00\xc3\x09(\x01xx\xe0\x1b\x00\x01xx\x0a\x00z\x1dl\xce\xa5@\x133",
    b"\x00\x05hello\x0a\x00cr\xdfve4 \x0b",
];

/// Strings: ordinary words, numbers in every form, non-UTF-8 bytes, a key name.
const STRINGS: &[&[u8]] = &[
    b"",
    b"a",
    b"foo",
    b"bar",
    b"0",
    b"1",
    b"-1",
    b"42",
    b"3.14",
    b"1e3",
    b"-0",
    b"inf",
    b" 1",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775808",
    b"\x00\xff\xfe",
    b"\xc3\x28",
    b"hello world",
    b"k0",
];

const INTEGER_EDGES: &[&[u8]] = &[
    b"0",
    b"-1",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775808",
    b"-9223372036854775809",
    b"1000000",
    b"1e3",
    b"abc",
    b"",
    b"1.5",
    b"+1",
    b"01",
    b" 1",
    b"0x10",
    b"-0",
];

const DOUBLE_EDGES: &[&[u8]] = &[
    b"inf", b"-inf", b"+inf", b"1e3", b"-0", b"0x10", b"nan", b"abc", b"", b"1e308", b"1e309", b"-1e309", b"0.1",
    b" 1", b"5e-324", b"1.0e1",
];

/// Glob patterns (KEYS, SCAN MATCH) and SORT's BY/GET patterns (`#`, `key*->field`).
const PATTERNS: &[&[u8]] = &[
    b"*", b"k*", b"k?", b"k[0-2]", b"k[^1]", b"*0", b"[", b"\\", b"", b"k\\*", b"*[", b"?", b"k[1-0]", b"k\xff", b"#",
    b"k*->f", b"*->a",
];

/// BITOP's operations (the docs call the argument a plain string), in both cases.
const BITOP_OPERATIONS: &[&[u8]] = &[b"AND", b"OR", b"XOR", b"NOT", b"and", b"xor"];

/// A BITFIELD type: a valid width of either sign, the edges (i64, u63) and the refused ones.
fn gen_bitfield_type(rng: &mut Rng) -> Vec<u8> {
    match rng.below(10) {
        0 => rng.pick(&[&b"u64"[..], b"i65", b"i0", b"U8", b"u"]).to_vec(),
        1 => rng.pick(&[&b"i64"[..], b"u63", b"i1", b"u1"]).to_vec(),
        _ => format!("{}{}", if rng.chance(50) { 'i' } else { 'u' }, rng.range(1, 63)).into_bytes(),
    }
}

fn gen_integer(rng: &mut Rng) -> Vec<u8> {
    if rng.chance(70) {
        rng.range(-5, 20).to_string().into_bytes()
    } else {
        rng.pick(INTEGER_EDGES).to_vec()
    }
}

fn gen_double(rng: &mut Rng) -> Vec<u8> {
    if rng.chance(60) {
        let n = rng.range(-40, 40);
        if rng.chance(50) { n.to_string() } else { format!("{}", n as f64 / 4.0) }.into_bytes()
    } else {
        rng.pick(DOUBLE_EDGES).to_vec()
    }
}

fn gen_string(rng: &mut Rng) -> Vec<u8> {
    match rng.below(100) {
        0..=59 => rng.pick(STRINGS).to_vec(),
        60..=84 => {
            let len = rng.range(1, 8) as usize;
            (0..len).map(|_| b'a' + rng.below(26) as u8).collect()
        }
        85..=94 => gen_integer(rng),
        _ => vec![b'x'; rng.range(40, 1200) as usize],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use verdis_engine::cmd::redis_specs as s;

    #[test]
    fn set_arguments_follow_its_docs_tree() {
        // Proves SET's docs tree yields its tokens and that generated commands mostly have a
        // valid shape (key, value, then only SET's options).
        let set = CommandGen::from_spec(&s::SET);
        let mut rng = Rng::new(1);
        let tokens = [&b"NX"[..], b"XX", b"GET", b"EX", b"PX", b"EXAT", b"PXAT", b"KEEPTTL"];
        let (mut with_option, mut well_formed) = (0, 0);
        for _ in 0..500 {
            let argv = set.generate(&mut rng);
            assert_eq!(argv[0], b"SET");
            if argv.len() >= 3 && KEY_POOL.contains(&&argv[1][..]) {
                well_formed += 1;
            }
            if argv.iter().skip(3).any(|a| tokens.contains(&&a.to_ascii_uppercase()[..])) {
                with_option += 1;
            }
        }
        assert!(well_formed > 400, "{well_formed}");
        assert!(with_option > 100, "{with_option}");
    }

    #[test]
    fn arity_mutations_produce_counts_the_arity_refuses() {
        // Proves the deliberate arity errors really violate Redis's arity for fixed and
        // minimum arities.
        let mut rng = Rng::new(4);
        for spec in [&s::GET, &s::SET, &s::PING] {
            let g = CommandGen::from_spec(spec);
            for _ in 0..50 {
                assert!(!spec.arity_ok(g.wrong_arity_len(&mut rng)) || spec.arity == -1, "{}", spec.name);
            }
        }
    }

    #[test]
    fn expiry_arguments_use_the_time_pools() {
        // Proves EX/PX values come from the time pools (no tiny expiries that race).
        let px = ArgSpec {
            name: "milliseconds",
            kind: Kind::Integer,
            token: Some("PX"),
            optional: false,
            multiple: false,
            multiple_token: false,
            children: vec![],
        };
        assert_eq!(time_unit(&px), Some(TimeUnit::RelativeMillis));
        let mut rng = Rng::new(9);
        for _ in 0..100 {
            let v = gen_time(TimeUnit::RelativeMillis, &mut rng);
            let n: i64 = std::str::from_utf8(&v).unwrap().parse().unwrap_or(0);
            assert!(!(1..100_000).contains(&n), "{n}");
        }
    }

    #[test]
    fn families_select_by_docs_group_and_aliases() {
        // Proves `strings` means the docs group `string` and an empty selection is an error.
        assert_eq!(family_group("strings"), "string");
        assert_eq!(family_group("keys"), "generic");
        let g = Generator::from_table(&["strings".into()]).unwrap();
        assert!(g.commands().iter().all(|c| c.family == "string"));
        assert!(g.commands().iter().any(|c| c.name == "get"));
        assert!(Generator::from_table(&["nosuchfamily".into()]).is_err());
    }

    #[test]
    fn bitmap_arguments_mostly_take_values_the_command_accepts() {
        // Proves BITOP and SETBIT mostly get a real operation and a 0/1 bit, and a good share of
        // BITFIELDs (many have no operation, or only OVERFLOW) a valid type: without the pools
        // each was refused nearly every time.
        let g = Generator::from_table(&["bitmap".into()]).unwrap();
        let mut rng = Rng::new(3);
        let (mut counts, mut good) = (std::collections::HashMap::new(), std::collections::HashMap::new());
        for _ in 0..3000 {
            for argv in g.sequence(&mut rng) {
                let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
                let ok = match name.as_str() {
                    "bitop" => argv.len() > 1 && BITOP_OPERATIONS.contains(&&argv[1][..]),
                    "setbit" => argv.len() == 4 && matches!(&argv[3][..], b"0" | b"1"),
                    "bitfield" => {
                        argv.iter().any(|a| a.len() > 1 && (a[0] == b'i' || a[0] == b'u') && a[1].is_ascii_digit())
                    }
                    _ => continue,
                };
                *counts.entry(name.clone()).or_insert(0) += 1;
                *good.entry(name).or_insert(0) += u32::from(ok);
            }
        }
        for (name, share_min) in [("bitop", 2), ("setbit", 2), ("bitfield", 3)] {
            let (n, ok) = (counts[name], good[name]);
            assert!(ok * share_min > n, "{name}: {ok} of {n} usable");
        }
    }

    #[test]
    fn range_commands_get_bounds_their_mode_accepts() {
        // Proves lex commands (and ZRANGE ... BYLEX) mostly get `-`, `+`, `[x` or `(x` bounds and
        // score commands (and BYSCORE) numeric or `(`-prefixed bounds, so they reach past the
        // argument checks, while ZRANGE by index keeps integer arguments.
        let lex_ok = |b: &[u8]| b == b"-" || b == b"+" || b.starts_with(b"[") || b.starts_with(b"(");
        let mut rng = Rng::new(3);
        for spec in [&s::ZRANGEBYLEX, &s::ZLEXCOUNT, &s::ZREMRANGEBYLEX, &s::ZRANGE] {
            let g = CommandGen::from_spec(spec);
            let (mut lex, mut valid) = (0, 0);
            for _ in 0..400 {
                let argv = g.generate(&mut rng);
                let bylex = spec.name != "zrange" || argv.iter().any(|a| a.eq_ignore_ascii_case(b"BYLEX"));
                if argv.len() < 4 || !bylex {
                    continue;
                }
                lex += 1;
                valid += usize::from(lex_ok(&argv[2]) && lex_ok(&argv[3]));
            }
            assert!(lex > 50 && valid * 10 > lex * 6, "{}: {valid} of {lex}", spec.name);
        }
        let g = CommandGen::from_spec(&s::ZCOUNT);
        let scores = (0..200).filter(|_| g.generate(&mut rng).get(2).is_some_and(|b| b.starts_with(b"("))).count();
        assert!(scores > 20, "{scores}");
    }

    #[test]
    fn blocking_commands_only_ever_get_timeouts_that_end_at_once() {
        // Proves no generated blocking command can block for long, whatever the mutations did:
        // its timeout argument is always one of the bounded values.
        let mut rng = Rng::new(8);
        for spec in [&s::BLPOP, &s::BLMOVE, &s::BLMPOP, &s::BZPOPMIN, &s::BZMPOP, &s::BRPOPLPUSH] {
            let g = CommandGen::from_spec(spec);
            assert!(g.timeout.is_some(), "{}", spec.name);
            for _ in 0..300 {
                let argv = g.generate(&mut rng);
                let at = if g.timeout == Some(TimeoutAt::First) { 1 } else { argv.len() - 1 };
                assert!(at == 0 || BLOCKING_TIMEOUTS.contains(&argv[at].as_slice()), "{argv:?}");
            }
        }
    }

    #[test]
    fn blocking_commands_mostly_follow_a_push_to_their_key() {
        // Proves most generated blocking pops find data (a push to the key they pop first right
        // before them), so they answer at once instead of waiting out a timeout.
        let g = Generator::from_table(&["lists".into(), "zsets".into()]).unwrap();
        let (mut blocking, mut fed) = (0, 0);
        for i in 0..400 {
            let seq = g.sequence(&mut Rng::for_sequence(12, i));
            for (j, argv) in seq.iter().enumerate().skip(1) {
                let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
                let key_at = match name.as_str() {
                    "blpop" | "brpop" | "blmove" | "brpoplpush" | "bzpopmin" | "bzpopmax" => 1,
                    "blmpop" | "bzmpop" => 3,
                    _ => continue,
                };
                blocking += 1;
                let before = &seq[j - 1];
                let pushes = before[0] == b"RPUSH" || before[0] == b"ZADD";
                fed += usize::from(pushes && argv.get(key_at) == before.get(1));
            }
        }
        assert!(blocking > 100 && fed * 10 > blocking * 8, "{fed} of {blocking}");
    }

    #[test]
    fn restore_payloads_are_valid_dumps_of_the_values_they_name() {
        // Proves the RESTORE pool holds real payloads (checksums right, the last one broken on
        // purpose) and that RESTORE's ttl draws from the millisecond time pool.
        let config = verdis_engine::EngineConfig::default();
        let decoded: Vec<bool> = RESTORE_PAYLOADS
            .iter()
            .map(|p| verdis_engine::rdb::payload::restore(p, &config, &mut verdis_engine::Rng::new(0)).is_ok())
            .collect();
        assert_eq!(decoded, [true, true, true, true, true, true, true, false]);
        let restore = CommandGen::from_spec(&s::RESTORE);
        let ttl = restore.args.iter().find(|a| a.name == "ttl").unwrap();
        assert_eq!(time_unit(ttl), Some(TimeUnit::RelativeMillis));
    }

    #[test]
    fn sort_is_generated_only_in_forms_with_one_possible_output() {
        // Proves SORT never keeps a BY without `*` nor BY together with ALPHA, yet still uses BY
        // patterns and GET.
        let mut rng = Rng::new(2);
        let g = CommandGen::from_spec(&s::SORT);
        let (mut by, mut get) = (0, 0);
        for _ in 0..500 {
            let argv = g.generate(&mut rng);
            let alpha = argv.iter().any(|a| a.eq_ignore_ascii_case(b"ALPHA"));
            for (i, a) in argv.iter().enumerate().skip(2) {
                if a.eq_ignore_ascii_case(b"BY") {
                    by += 1;
                    assert!(!alpha && argv.get(i + 1).is_some_and(|p| p.contains(&b'*')), "{argv:?}");
                }
                get += usize::from(a.eq_ignore_ascii_case(b"GET"));
            }
        }
        assert!(by > 30 && get > 30, "BY {by}, GET {get}");
    }

    #[test]
    fn sequences_stay_within_bounds_and_repeat_by_seed() {
        // Proves sequence lengths respect the bound and a seed regenerates the same sequence.
        let g = Generator::from_table(&["all".into()]).unwrap();
        for i in 0..200 {
            let a = g.sequence(&mut Rng::for_sequence(5, i));
            assert!((1..=SEQUENCE_LEN_MAX).contains(&a.len()));
            assert_eq!(a, g.sequence(&mut Rng::for_sequence(5, i)));
        }
    }
}
