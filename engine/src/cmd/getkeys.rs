//! Finding a command's keys from its key specs (Redis's `getKeysUsingKeySpecs`).
//!
//! One mechanism for COMMAND GETKEYS now, and for WATCH, ACL key checks and Cluster slot checks as
//! they arrive: the key specs come from Redis's own command descriptions, so no command lists its
//! key positions by hand.

use super::spec::{BeginSearch, CommandSpec, FindKeys, KeySpecFlag};
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
                (first, first + numkeys - 1, keystep as i64)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::redis_specs as s;

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
}
