//! COMMAND GETKEYS and COMMAND GETKEYSANDFLAGS answer as real Redis for every implemented command
//! whose keys the key specs alone cannot give: the commands with movable keys (SORT's STORE, the
//! numkeys commands with well-formed and malformed counts) and those whose key flags vary with
//! the arguments (SET's GET, BITFIELD's writes).
//!
//! The test walks the engine's command table, so a command that gains movable keys without a
//! case here fails it; each case is asked of verdis and of real Redis 7.0 and the replies (keys,
//! flags, or error) must be equal.

mod common;

use common::{Backend, Server};
use redis::{Connection, Value};
use verdis_engine::cmd::spec::{CmdFlag, KeySpecFlag};
use verdis_engine::cmd::table;

/// Argument lists (after the command name, split on spaces; `\0` is a NUL byte) per command: the forms Redis
/// documents, keyword arguments that look like options, and counts that are zero, too large,
/// negative, or not a clean integer (Redis then reads them with `atoi`).
const CASES: &[(&str, &[&str])] = &[
    (
        "sort",
        &[
            "k",
            "k store d",
            "k STORE d1 limit 0 1 store d2",
            "k by w_* get o_* get # alpha desc store d",
            "k get store by store limit store 1",
            "k limit 0 1 store",
            "k store",
            "k alpha",
            // Redis compares options as C strings: a NUL ends them.
            "k STORE\0x d",
            "k limit\0 0 1 store d",
        ],
    ),
    ("sort_ro", &["k", "k by w_* get o_*", "k store d", "k limit 0 1 alpha desc"]),
    ("set", &["k v", "k v get", "k v nx GET", "k v ex 10 get", "k v px 10", "k v getx", "k v get\0x"]),
    (
        "bitfield",
        &[
            "k",
            "k get u8 0",
            "k overflow sat get u8 0 GET i4 #1",
            "k get u8 0 set u8 0 1",
            "k incrby u8 0 1 get u8 0",
            "k foo",
            "k get u8",
            "k overflow",
            "k GET\0x u8 0",
        ],
    ),
    (
        "zunionstore",
        &[
            "d 2 a b",
            "d 2 a b weights 1 2 aggregate max",
            "d 1 a b",
            "d 0 a",
            "d 3 a b",
            "d 2abc a b",
            "d -1 a",
            "d +2 a b",
        ],
    ),
    ("zinterstore", &["d 2 a b", "d 1 a", "d 0 a", "d 5 a b", "d 2x a b", "d x a"]),
    ("zdiffstore", &["d 2 a b", "d 1 a", "d 2 a", "d 0 a", "d 1e1 a b"]),
    ("zunion", &["2 a b", "2 a b withscores", "1 a b", "0 a", "3 a b", "2abc a b", "-2 a b"]),
    ("zinter", &["2 a b", "2 a b weights 1 2", "0 a", "3 a b", "\t2 a b"]),
    ("zdiff", &["2 a b", "1 a withscores", "0 a", "3 a", "1x a"]),
    ("zintercard", &["2 a b", "2 a b limit 3", "1 a", "0 a", "3 a b", "2abc a b"]),
    ("sintercard", &["2 a b", "2 a b limit 3", "1 a", "0 a", "3 a b", "+1 a"]),
    ("lmpop", &["2 a b left", "1 a right count 3", "0 a left", "3 a b left", "2x a b left", "-1 a left"]),
    ("blmpop", &["0 2 a b left", "1.5 1 a right count 2", "0 0 a left", "0 3 a b left", "0 2x a b left"]),
    ("zmpop", &["2 a b min", "1 a max count 2", "0 a min", "3 a b min", "+2 a b min"]),
    ("bzmpop", &["0 2 a b min", "0 1 a max count 3", "0 0 a min", "0 9 a min", "0 2abc a b max"]),
    ("eval", &["s 2 a b x", "s 0 x", "s 0", "s 1 a", "s 3 a b", "s -1 a", "s 2x a b", "s 1"]),
    ("eval_ro", &["s 2 a b x", "s 0 x", "s 1 a", "s 3 a b"]),
    ("evalsha", &["s 2 a b x", "s 0 x", "s 1 a", "s 3 a b"]),
    ("evalsha_ro", &["s 2 a b x", "s 0", "s 1 a", "s 3 a b"]),
    ("fcall", &["f 2 a b x", "f 0 x", "f 0", "f 1 a", "f 3 a b", "f -1 a", "f 2x a b"]),
    ("fcall_ro", &["f 2 a b x", "f 0 x", "f 1 a", "f 3 a b"]),
    (
        "georadius",
        &[
            "g 1 1 1 km",
            "g 1 1 1 km store d",
            "g 1 1 1 km storedist d",
            "g 1 1 1 km store d storedist e",
            "g 1 1 1 km withdist store d",
            "g 1 1 1 km store",
            "g 1 1 1 km STORE d count 3 asc",
        ],
    ),
    (
        "georadiusbymember",
        &["g m 1 km", "g m 1 km store d", "g m 1 km storedist e", "g m 1 km store", "g m 1 km STOREDIST d desc"],
    ),
    (
        "xread",
        &[
            "STREAMS a b 0 0",
            "COUNT 2 BLOCK 10 STREAMS a 0",
            "streams a b c 0 0 0",
            "STREAMS a b 0",
            "STREAMS",
            "FOO STREAMS a 0",
            "COUNT STREAMS a 0",
        ],
    ),
    (
        "xreadgroup",
        &[
            "GROUP g c STREAMS a >",
            "GROUP g c NOACK COUNT 1 STREAMS a b > >",
            "GROUP streams c STREAMS a 0",
            "NOACK STREAMS a",
        ],
    ),
];

/// True when GETKEYS of `name` needs more than the key specs: movable keys, or varying flags.
fn needs_cases(name: &str) -> bool {
    let spec = table::lookup(name.as_bytes()).expect("implemented").spec;
    spec.has(CmdFlag::Movablekeys) || spec.key_specs.iter().any(|ks| ks.flags.contains(&KeySpecFlag::VariableFlags))
}

/// `COMMAND <sub> <name> <args...>`'s reply, or the error it answered.
fn ask(con: &mut Connection, sub: &str, name: &str, args: &str) -> Result<Value, String> {
    let mut cmd = redis::cmd("COMMAND");
    cmd.arg(sub).arg(name);
    // A tab stays inside its argument ("\t2", which atoi reads as 2).
    let args: Vec<&str> = args.split(' ').collect();
    cmd.arg(&args);
    cmd.query(con).map_err(|e| format!("{:?} {:?}", e.code(), e.detail()))
}

#[test]
fn getkeys_of_every_command_with_movable_keys_matches_redis() {
    // Proves the case list covers every implemented command that needs it (so the comparison
    // below reaches all of them) and that verdis answers each case as real Redis does.
    let missing: Vec<&str> = table::all_rows()
        .map(|row| row.spec.name)
        .filter(|name| needs_cases(name) && !CASES.iter().any(|(n, _)| n == name))
        .collect();
    assert!(missing.is_empty(), "commands with movable keys or varying flags and no GETKEYS case: {missing:?}");
    for (name, _) in CASES {
        assert!(needs_cases(name), "{name} has cases but no movable keys or varying flags: drop them");
    }
    let (verdis, redis) = (Server::start(Backend::Verdis), Server::start(Backend::Redis));
    let (mut ours, mut theirs) = (verdis.client(), redis.client());
    let mut mismatches = Vec::new();
    for (name, cases) in CASES {
        for args in *cases {
            for sub in ["GETKEYS", "GETKEYSANDFLAGS"] {
                let (got, want) = (ask(&mut ours, sub, name, args), ask(&mut theirs, sub, name, args));
                if got != want {
                    mismatches.push(format!("COMMAND {sub} {name} {args:?}\n  verdis: {got:?}\n  redis:  {want:?}"));
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "{} replies differ from Redis:\n{}", mismatches.len(), mismatches.join("\n"));
}

#[test]
fn getkeys_of_plain_argument_lists_matches_redis() {
    // Proves the key-spec path on every implemented command: argument lists of 1 to 5 plain
    // words (whatever the command would make of them) get Redis's keys, flags or error.
    let (verdis, redis) = (Server::start(Backend::Verdis), Server::start(Backend::Redis));
    let (mut ours, mut theirs) = (verdis.client(), redis.client());
    let mut mismatches = Vec::new();
    for row in table::all_rows() {
        let name = row.spec.name.replace('|', " ");
        for n in 1..=5 {
            let args = (1..=n).map(|i| format!("k{i}")).collect::<Vec<_>>().join(" ");
            for sub in ["GETKEYS", "GETKEYSANDFLAGS"] {
                let (got, want) = (ask(&mut ours, sub, &name, &args), ask(&mut theirs, sub, &name, &args));
                if got != want {
                    mismatches.push(format!("COMMAND {sub} {name} {args:?}\n  verdis: {got:?}\n  redis:  {want:?}"));
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "{} replies differ from Redis:\n{}", mismatches.len(), mismatches.join("\n"));
}
