//! Command generators built from the engine's command table — the one source of truth.
//!
//! For every implemented command of the chosen families, the argument tree of its COMMAND DOCS
//! (tokens, oneof, block, optional, multiple, typed leaves) drives which argument shapes are
//! produced; leaves draw valid values mixed with edge values (empty, 0, -1, i64 bounds, huge
//! counts, non-UTF-8 bytes, float forms like `inf`, `1e3`, `-0`, `0x10`). Some commands are then
//! mutated to a wrong arity, and sequences sprinkle in keys of other types (when the table
//! implements a command that makes one) so WRONGTYPE paths run. Keys come from a pool of five,
//! so commands in a sequence act on each other's keys.

use verdis_engine::cmd::spec::{CommandSpec, DocValue};
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
}

/// A type-making command, used to put keys of other types in a sequence.
const TYPE_SEEDS: &[(&str, &[&[u8]])] =
    &[("rpush", &[b"a", b"b"]), ("sadd", &[b"a", b"b"]), ("hset", &[b"f", b"v"]), ("zadd", &[b"1", b"a"])];

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
            let family = group_of(spec);
            if !all && !groups.contains(&family) {
                continue;
            }
            commands.push(CommandGen::from_spec(spec));
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
            seq.push(cmd.generate(rng));
        }
        seq
    }
}

impl CommandGen {
    /// The generator for one command's spec.
    pub fn from_spec(spec: &'static CommandSpec) -> CommandGen {
        CommandGen {
            name: spec.name,
            family: group_of(spec),
            arity: spec.arity,
            prefix: spec.name.split('|').map(|w| w.to_ascii_uppercase().into_bytes()).collect(),
            args: parse_args(doc_field(spec.docs, "arguments")),
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
        argv
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

fn gen_arg(arg: &ArgSpec, rng: &mut Rng, out: &mut Argv) {
    if arg.optional && rng.chance(50) {
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
            Kind::String => out.push(gen_string(rng)),
            Kind::Integer | Kind::UnixTime => out.push(match time_unit(arg) {
                Some(unit) => gen_time(unit, rng),
                None => gen_integer(rng),
            }),
        }
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
    let millis = arg.name.contains("milli") || matches!(arg.token, Some("PX" | "PXAT"));
    let absolute =
        arg.kind == Kind::UnixTime || arg.name.contains("unix") || matches!(arg.token, Some("EXAT" | "PXAT"));
    let timed =
        absolute || matches!(arg.token, Some("EX" | "PX")) || arg.name == "seconds" || arg.name == "milliseconds";
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

const PATTERNS: &[&[u8]] =
    &[b"*", b"k*", b"k?", b"k[0-2]", b"k[^1]", b"*0", b"[", b"\\", b"", b"k\\*", b"*[", b"?", b"k[1-0]", b"k\xff"];

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
