//! Finding a command's keys: from its key specs (Redis's `getKeysUsingKeySpecs`), and where the
//! specs cannot tell, from the command's own key finder (Redis's `getkeys_proc`), as Redis's
//! `getKeysFromCommandWithSpecs` combines them.
//!
//! One mechanism for COMMAND GETKEYS now, and for WATCH, ACL key checks and Cluster slot checks as
//! they arrive: the key specs come from Redis's own command descriptions, so no command lists its
//! key positions by hand. Only the commands whose specs Redis itself marks as not enough (keys
//! found by parsing, as SORT's STORE; flags that depend on the arguments, as SET's GET) or that
//! fall back on a malformed key count (the `numkeys` commands) have a finder here, each the Redis
//! function it mirrors.

use super::args::eq_ci;
use super::spec::{BeginSearch, CommandSpec, FindKeys, KeySpecFlag};
use super::string::c_option;
use crate::num::parse_i64;

/// A key found in an argv: its index and the flags of the spec that found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyRef {
    /// Index in argv (the command name is 0).
    pub pos: usize,
    /// The key spec's access flags.
    pub flags: &'static [KeySpecFlag],
}

/// The key specs cannot locate the keys of this argv (a spec Redis marks as unknown, or arguments
/// that contradict the spec, such as a key count past the end).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the key specs cannot locate the keys")]
pub struct InvalidKeySpec;

/// The keys of `argv` per `spec`'s key specs, in spec order. Specs flagged `not_key` are skipped.
pub fn keys_of(spec: &CommandSpec, argv: &[&[u8]]) -> Result<Vec<KeyRef>, InvalidKeySpec> {
    let argc = argv.len() as i64;
    let mut keys = Vec::new();
    for ks in spec.key_specs {
        if ks.flags.contains(&KeySpecFlag::NotKey) {
            continue;
        }
        let first = match ks.begin_search {
            BeginSearch::Index { pos } => pos as i64,
            BeginSearch::Keyword { keyword, startfrom } => {
                let startfrom = startfrom as i64;
                let (start, end) = if startfrom > 0 { (startfrom, argc - 1) } else { (argc + startfrom, 1) };
                let mut found = None;
                let mut i = start;
                // Walk towards `end` (forwards or backwards) like Redis, within argv.
                while i != end && (1..argc).contains(&i) {
                    if argv[i as usize].eq_ignore_ascii_case(keyword.as_bytes()) {
                        found = Some(i + 1);
                        break;
                    }
                    i += if start <= end { 1 } else { -1 };
                }
                match found {
                    Some(f) => f,
                    None => continue,
                }
            }
            BeginSearch::Unknown => return Err(InvalidKeySpec),
        };
        let (first, last, step) = match ks.find_keys {
            FindKeys::Range { lastkey, keystep, limit } => {
                let (lastkey, limit) = (lastkey as i64, limit as i64);
                let last = if lastkey >= 0 {
                    first + lastkey
                } else if limit == 0 {
                    argc + lastkey
                } else {
                    first + ((argc - first) / limit + lastkey)
                };
                (first, last, keystep as i64)
            }
            FindKeys::Keynum { keynumidx, firstkey, keystep } => {
                let idx = first + keynumidx as i64;
                if keynumidx as i64 >= argc - first {
                    return Err(InvalidKeySpec);
                }
                let numkeys = parse_i64(argv[idx as usize]).filter(|&n| n >= 0).ok_or(InvalidKeySpec)?;
                let first = first + firstkey as i64;
                // Redis adds `(int)numkeys`: a count past 32 bits wraps (4294967297 counts one
                // key, 2^63-1 counts -1 and is invalid), and in 64 bits nothing overflows.
                (first, first + i64::from(numkeys as i32) - 1, keystep as i64)
            }
            FindKeys::Unknown => return Err(InvalidKeySpec),
        };
        if last >= argc || last < first || first >= argc || step <= 0 {
            return Err(InvalidKeySpec);
        }
        let mut i = first;
        while i <= last {
            keys.push(KeyRef { pos: i as usize, flags: ks.flags });
            i += step;
        }
        if ks.flags.contains(&KeySpecFlag::Incomplete) {
            return Err(InvalidKeySpec);
        }
    }
    Ok(keys)
}

/// The keys of `argv` for the command `spec` describes, as Redis's `getKeysFromCommandWithSpecs`
/// finds them: the key specs when they locate the keys and their flags do not vary, else the
/// command's own finder. Empty when neither finds a key (COMMAND GETKEYS then answers "Invalid
/// arguments", unless the command may have none).
pub fn command_keys(spec: &CommandSpec, argv: &[&[u8]]) -> Vec<KeyRef> {
    let flags_vary = spec.key_specs.iter().any(|ks| ks.flags.contains(&KeySpecFlag::VariableFlags));
    if !flags_vary {
        if let Ok(keys) = keys_of(spec, argv) {
            return keys;
        }
    }
    finder_of(spec).map_or_else(Vec::new, |find| find(argv))
}

/// A command's own key finder (Redis's `getkeys_proc`).
type KeyFinder = fn(&[&[u8]]) -> Vec<KeyRef>;

/// The key finder of the command `spec` describes, for the implemented commands Redis gives one:
/// every command with movable keys, and those whose key flags vary with the arguments.
fn finder_of(spec: &CommandSpec) -> Option<KeyFinder> {
    let finder: KeyFinder = match spec.name {
        "sort" => sort_keys,
        "sort_ro" => sort_ro_keys,
        "set" => set_keys,
        "bitfield" => bitfield_keys,
        "zunionstore" | "zinterstore" | "zdiffstore" => |argv| numkeys_keys(argv, Some(1), 2),
        "zunion" | "zinter" | "zdiff" | "zintercard" | "sintercard" | "lmpop" | "zmpop" => {
            |argv| numkeys_keys(argv, None, 1)
        }
        "blmpop" | "bzmpop" | "eval" | "eval_ro" | "evalsha" | "evalsha_ro" | "fcall" | "fcall_ro" => {
            |argv| numkeys_keys(argv, None, 2)
        }
        "georadius" | "georadiusbymember" => georadius_keys,
        "xread" | "xreadgroup" => xread_keys,
        _ => return None,
    };
    Some(finder)
}

/// The flags of a key found by the finder of a command whose specs are complete: Redis's leave
/// them 0, since only a failed spec (a malformed key count) leads there.
const FLAGS_NONE: &[KeySpecFlag] = &[];
/// A key only read: SORT's and SORT_RO's sorted key.
const FLAGS_RO_ACCESS: &[KeySpecFlag] = &[KeySpecFlag::Ro, KeySpecFlag::Access];
/// A key overwritten: SORT's STORE destination, SET's key without GET.
const FLAGS_OW_UPDATE: &[KeySpecFlag] = &[KeySpecFlag::Ow, KeySpecFlag::Update];
/// A key read and overwritten: SET's key with GET.
const FLAGS_RW_ACCESS_UPDATE: &[KeySpecFlag] = &[KeySpecFlag::Rw, KeySpecFlag::Access, KeySpecFlag::Update];

/// C's `atoi` (glibc: `strtol` clamped to 64 bits, then cut to an `int`): leading white space, a
/// sign, then digits up to the first other byte; no digits give 0.
fn atoi(arg: &[u8]) -> i32 {
    // C's isspace: ASCII white space and the vertical tab.
    let start = arg.iter().position(|&b| !(b.is_ascii_whitespace() || b == 0x0b)).unwrap_or(arg.len());
    let text = &arg[start..];
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let mut value: i64 = 0;
    for &d in digits.iter().take_while(|d| d.is_ascii_digit()) {
        let digit = i64::from(d - b'0');
        value = value.saturating_mul(10).saturating_add(if negative { -digit } else { digit });
    }
    value as i32
}

/// Redis's `genericGetKeys` (step 1): the `numkeys` keys after the count at `count_at`, then the
/// destination at `store_at`. The count is read with `atoi`, so this finds keys the keynum spec
/// refuses (`2abc`, ` 2`, `+2`); none when it is below 1 or more than the arguments left.
fn numkeys_keys(argv: &[&[u8]], store_at: Option<usize>, count_at: usize) -> Vec<KeyRef> {
    let Some(count) = argv.get(count_at) else { return Vec::new() };
    let (num, first) = (i64::from(atoi(count)), count_at + 1);
    if num < 1 || num > argv.len() as i64 - first as i64 {
        return Vec::new();
    }
    let keys = (first..first + num as usize).chain(store_at);
    keys.map(|pos| KeyRef { pos, flags: FLAGS_NONE }).collect()
}

/// Redis's `georadiusGetKeys`: the source key, and the key after the last STORE or STOREDIST
/// from argument 5 on. Reached only if the key specs fail, which they cannot for these commands.
fn georadius_keys(argv: &[&[u8]]) -> Vec<KeyRef> {
    let mut keys = vec![KeyRef { pos: 1, flags: FLAGS_NONE }];
    let mut store = None;
    let mut i = 5;
    while i < argv.len() {
        let option = c_option(argv[i]);
        if (eq_ci(option, "store") || eq_ci(option, "storedist")) && i + 1 < argv.len() {
            store = Some(i + 1);
            i += 1;
        }
        i += 1;
    }
    keys.extend(store.map(|pos| KeyRef { pos, flags: FLAGS_NONE }));
    keys
}

/// Redis's `xreadGetKeys`: the first half of the arguments after STREAMS, found by skipping
/// BLOCK, COUNT and GROUP with their arguments and NOACK; none when anything else comes first
/// or the keys and IDs do not pair up.
fn xread_keys(argv: &[&[u8]]) -> Vec<KeyRef> {
    let mut i = 1;
    let mut streams_at = None;
    while i < argv.len() {
        let option = c_option(argv[i]);
        if eq_ci(option, "block") || eq_ci(option, "count") {
            i += 1;
        } else if eq_ci(option, "group") {
            i += 2;
        } else if eq_ci(option, "streams") {
            streams_at = Some(i);
            break;
        } else if !eq_ci(option, "noack") {
            break;
        }
        i += 1;
    }
    let Some(at) = streams_at else { return Vec::new() };
    let num = argv.len() - at - 1;
    if num == 0 || !num.is_multiple_of(2) {
        return Vec::new();
    }
    (at + 1..at + 1 + num / 2).map(|pos| KeyRef { pos, flags: FLAGS_NONE }).collect()
}

/// Redis's `sortGetKeys`: the sorted key, and the key after the last STORE. Options taking
/// arguments (LIMIT, GET, BY) skip them, so a STORE inside them is not one.
fn sort_keys(argv: &[&[u8]]) -> Vec<KeyRef> {
    let mut keys = vec![KeyRef { pos: 1, flags: FLAGS_RO_ACCESS }];
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        // Redis compares with strcasecmp, which stops at a NUL byte.
        let option = c_option(argv[i]);
        if eq_ci(option, "limit") {
            i += 2;
        } else if eq_ci(option, "get") || eq_ci(option, "by") {
            i += 1;
        } else if eq_ci(option, "store") && i + 1 < argv.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    keys.extend(store.map(|pos| KeyRef { pos, flags: FLAGS_OW_UPDATE }));
    keys
}

/// Redis's `sortROGetKeys`: only the sorted key (BY and GET patterns name keys no spec can tell).
fn sort_ro_keys(_argv: &[&[u8]]) -> Vec<KeyRef> {
    vec![KeyRef { pos: 1, flags: FLAGS_RO_ACCESS }]
}

/// Redis's `setGetKeys`: the key, overwritten, or read too when GET asks for the old value.
fn set_keys(argv: &[&[u8]]) -> Vec<KeyRef> {
    let get = argv.iter().skip(3).any(|arg| eq_ci(c_option(arg), "get"));
    vec![KeyRef { pos: 1, flags: if get { FLAGS_RW_ACCESS_UPDATE } else { FLAGS_OW_UPDATE } }]
}

/// Redis's `bitfieldGetKeys`: the key, read only while every operation is a complete GET or
/// OVERFLOW; a write, or anything it cannot read (a syntax error), makes it written.
fn bitfield_keys(argv: &[&[u8]]) -> Vec<KeyRef> {
    let mut read_only = true;
    let mut i = 2;
    while i < argv.len() {
        let remaining = argv.len() - i - 1;
        let op = c_option(argv[i]);
        if eq_ci(op, "get") && remaining >= 2 {
            i += 3;
        } else if eq_ci(op, "overflow") && remaining >= 1 {
            i += 2;
        } else {
            read_only = false;
            break;
        }
    }
    vec![KeyRef { pos: 1, flags: if read_only { FLAGS_RO_ACCESS } else { FLAGS_RW_ACCESS_UPDATE } }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::redis_specs as s;
    use crate::cmd::spec::CmdFlag;
    use crate::cmd::table;

    fn positions(spec: &CommandSpec, argv: &[&str]) -> Result<Vec<usize>, InvalidKeySpec> {
        let argv: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
        keys_of(spec, &argv).map(|k| k.into_iter().map(|k| k.pos).collect())
    }

    #[test]
    fn ranges_keynums_and_keywords_locate_keys() {
        assert_eq!(positions(&s::GET, &["get", "k"]), Ok(vec![1]));
        assert_eq!(positions(&s::MSET, &["mset", "a", "1", "b", "2"]), Ok(vec![1, 3]));
        assert_eq!(positions(&s::DEL, &["del", "a", "b", "c"]), Ok(vec![1, 2, 3]));
        assert_eq!(positions(&s::LMPOP, &["lmpop", "2", "a", "b", "left"]), Ok(vec![2, 3]));
        assert_eq!(positions(&s::XREAD, &["xread", "count", "1", "streams", "a", "b", "0", "0"]), Ok(vec![4, 5]));
    }

    #[test]
    fn contradictory_arguments_are_invalid() {
        assert_eq!(positions(&s::LMPOP, &["lmpop", "5", "a", "left"]), Err(InvalidKeySpec));
        assert_eq!(positions(&s::LMPOP, &["lmpop", "x", "a", "left"]), Err(InvalidKeySpec));
    }

    /// Redis 7.0.15 answers COMMAND GETKEYS with the key count cut to 32 bits: ZUNION 4294967297
    /// k0 gives k0, ZUNION 9223372036854775807 k0 "Invalid arguments" (a count of -1). The
    /// simulator's table commands found the second one overflowing here.
    #[test]
    fn key_counts_wrap_at_32_bits_as_redis_adds_them() {
        assert_eq!(positions(&s::ZUNION, &["zunion", "4294967297", "k0"]), Ok(vec![2]));
        assert_eq!(positions(&s::ZUNION, &["zunion", "9223372036854775807", "k0"]), Err(InvalidKeySpec));
        assert_eq!(positions(&s::ZUNIONSTORE, &["zunionstore", "d", "4294967297", "k0"]), Ok(vec![1, 3]));
    }

    /// A key and its flag names.
    type Found = (String, Vec<&'static str>);

    /// The keys `command_keys` finds in `line` (split on spaces), with their flag names.
    fn found(line: &str) -> Vec<Found> {
        let argv: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        let spec = table::lookup(argv[0]).expect("implemented").spec;
        let keys = command_keys(spec, &argv);
        keys.iter()
            .map(|k| (line.split(' ').nth(k.pos).unwrap().to_owned(), k.flags.iter().map(|f| f.name()).collect()))
            .collect()
    }

    #[test]
    fn every_command_with_movable_keys_or_varying_flags_has_a_finder() {
        // Proves the finder table covers exactly the implemented commands Redis gives a
        // getkeys_proc that COMMAND GETKEYS can reach: movable keys, or key flags that vary.
        for row in table::all_rows() {
            let spec = row.spec;
            let varying = spec.key_specs.iter().any(|ks| ks.flags.contains(&KeySpecFlag::VariableFlags));
            let needs = spec.has(CmdFlag::Movablekeys) || varying;
            assert_eq!(finder_of(spec).is_some(), needs, "{}", spec.name);
        }
    }

    #[test]
    fn finders_answer_as_redis() {
        // Proves the finders on what real Redis 7.0.15 answered to COMMAND GETKEYSANDFLAGS: SORT's
        // STORE (the last one, not one inside GET/BY/LIMIT), SORT_RO's one key, SET's flags with
        // and without GET, and the numkeys commands' fallback when the count is malformed (read
        // with atoi: keys first, destination last, no flags) or out of range (no keys), and
        // BITFIELD's key, read only while every operation is a complete GET or OVERFLOW.
        let k = |key: &str, flags: &[&'static str]| (key.to_owned(), flags.to_vec());
        let (ro, ow, rw) = (["RO", "access"], ["OW", "update"], ["RW", "access", "update"]);
        let cases: Vec<(&str, Vec<Found>)> = vec![
            ("sort k store d", vec![k("k", &ro), k("d", &ow)]),
            ("sort k STORE d1 limit 0 1 store d2", vec![k("k", &ro), k("d2", &ow)]),
            ("sort k get store by store limit store 1", vec![k("k", &ro)]),
            ("sort k store", vec![k("k", &ro)]),
            ("sort_ro k by x get y", vec![k("k", &ro)]),
            ("set k v", vec![k("k", &ow)]),
            ("set k v get", vec![k("k", &["RW", "access", "update"])]),
            ("zunionstore d 2abc a b", vec![k("a", &[]), k("b", &[]), k("d", &[])]),
            ("zunionstore d 2 a b", vec![k("d", &["OW", "update"]), k("a", &ro), k("b", &ro)]),
            ("zunionstore d 0 a", vec![]),
            ("zunionstore d 3 a b", vec![]),
            ("lmpop +2 a b left", vec![k("a", &[]), k("b", &[])]),
            ("blmpop 0 2x a b left", vec![k("a", &[]), k("b", &[])]),
            ("eval s 2x a b", vec![k("a", &[]), k("b", &[])]),
            ("evalsha_ro s 2 a b x", vec![k("a", &ro), k("b", &ro)]),
            ("fcall f 2x a b", vec![k("a", &[]), k("b", &[])]),
            ("fcall_ro f 2 a b x", vec![k("a", &ro), k("b", &ro)]),
            ("fcall f 2 a b x", vec![k("a", &rw), k("b", &rw)]),
            ("bitfield k get u8 0", vec![k("k", &ro)]),
            ("bitfield k", vec![k("k", &ro)]),
            ("bitfield k overflow sat get u8 0", vec![k("k", &ro)]),
            ("bitfield k get u8 0 set u8 0 1", vec![k("k", &rw)]),
            ("bitfield k GET u8 0 incrby u8 0 1", vec![k("k", &rw)]),
            ("bitfield k foo", vec![k("k", &rw)]),
            ("bitfield k get u8", vec![k("k", &rw)]),
            ("bitfield k overflow", vec![k("k", &rw)]),
            ("bitfield k get u8 0 get", vec![k("k", &rw)]),
            ("georadius g 1 1 1 km store d storedist e", vec![k("g", &ro), k("d", &ow), k("e", &ow)]),
            ("georadiusbymember g m 1 km store d", vec![k("g", &ro), k("d", &ow)]),
            ("georadius g 1 1 1 km store", vec![k("g", &ro)]),
        ];
        // The GEORADIUS finder, which the complete specs never leave a job for.
        let argv: Vec<&[u8]> = "georadius g 1 1 1 km store d storedist e".split(' ').map(str::as_bytes).collect();
        let positions: Vec<usize> = georadius_keys(&argv).iter().map(|k| k.pos).collect();
        assert_eq!(positions, [1, 9]);
        for (line, want) in cases {
            assert_eq!(found(line), want, "{line}");
        }
    }

    #[test]
    fn atoi_reads_as_glibc() {
        // Proves the C atoi semantics the numkeys fallback depends on.
        for (text, want) in [
            ("2", 2),
            (" \t2x", 2),
            ("+7", 7),
            ("\x0b\x0c 4", 4),
            ("-3", -3),
            ("x2", 0),
            ("", 0),
            ("99999999999", 99_999_999_999u64 as i32),
            ("99999999999999999999", -1),
        ] {
            assert_eq!(atoi(text.as_bytes()), want, "{text:?}");
        }
    }
}
