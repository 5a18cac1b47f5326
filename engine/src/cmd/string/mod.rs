//! The string family: commands on `string` values (Redis's `t_string.c`).
//!
//! | file | commands |
//! |---|---|
//! | `get.rs` | GET, GETDEL, GETSET |
//! | `getex.rs` | GETEX |
//! | `set.rs` | SET, SETNX, SETEX, PSETEX (and the expiry options GETEX shares) |
//! | `mget.rs`, `mset.rs` | MGET; MSET, MSETNX |
//! | `incr.rs`, `incrbyfloat.rs` | INCR, DECR, INCRBY, DECRBY; INCRBYFLOAT |
//! | `append.rs`, `setrange.rs` | APPEND; SETRANGE (in-place edits, which leave the value `raw`) |
//! | `getrange.rs`, `strlen.rs` | GETRANGE, SUBSTR; STRLEN |
//! | `lcs.rs` | LCS |

mod append;
mod get;
mod getex;
mod getrange;
mod incr;
mod incrbyfloat;
mod lcs;
mod mget;
mod mset;
mod set;
mod setrange;
mod strlen;

use super::redis_specs as s;
use super::table::{engine, Command};
use crate::error::CmdError;

/// An option argument as Redis's C-string comparisons (`strcasecmp`, byte tests up to `'\0'`)
/// see it: the bytes before the first NUL, so `NX\0junk` is NX to Redis and to us.
pub(crate) fn c_option(arg: &[u8]) -> &[u8] {
    arg.iter().position(|&b| b == 0).map_or(arg, |end| &arg[..end])
}

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[
    engine(&s::GET, get::get),
    engine(&s::GETDEL, get::getdel),
    engine(&s::GETSET, get::getset),
    engine(&s::GETEX, getex::getex),
    engine(&s::SET, set::set),
    engine(&s::SETNX, set::setnx),
    engine(&s::SETEX, set::setex),
    engine(&s::PSETEX, set::psetex),
    engine(&s::MGET, mget::mget),
    engine(&s::MSET, mset::mset),
    engine(&s::MSETNX, mset::msetnx),
    engine(&s::INCR, incr::incr),
    engine(&s::DECR, incr::decr),
    engine(&s::INCRBY, incr::incrby),
    engine(&s::DECRBY, incr::decrby),
    engine(&s::INCRBYFLOAT, incrbyfloat::incrbyfloat),
    engine(&s::APPEND, append::append),
    engine(&s::SETRANGE, setrange::setrange),
    engine(&s::GETRANGE, getrange::getrange),
    engine(&s::SUBSTR, getrange::getrange),
    engine(&s::STRLEN, strlen::strlen),
    engine(&s::LCS, lcs::lcs),
];

/// The length a string grows to when `extra` bytes land at `at`, or `StringTooLong` past
/// `len_max` (`proto-max-bulk-len`) (Redis's `checkStringLength`, shared by APPEND and SETRANGE; an `at` so
/// large the sum overflows is too long as well).
fn grown_len(len_max: u64, at: u64, extra: usize) -> Result<usize, CmdError> {
    match at.checked_add(extra as u64) {
        Some(end) if end <= len_max => usize::try_from(end).map_err(|_| CmdError::StringTooLong),
        _ => Err(CmdError::StringTooLong),
    }
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn options_end_at_the_first_nul() {
        // Proves SET, GETEX and LCS read an option up to its first NUL, as Redis 7.0.15 does.
        TestDb::new().check(&[
            ("SET k v NX\0junk", "+OK"),
            ("SET k v KEEPTTL\0x", "+OK"),
            ("SET k v \0", "-ERR syntax error"),
            ("GETEX k PERSIST\0x", "\"v\""),
            ("GETEX k EX\0x 10", "\"v\""),
            ("LCS k k LEN\0x", ":1"),
        ]);
    }

    #[test]
    fn keyspace_events_match_redis() {
        // Proves the family raises Redis 7.0's keyspace events, names and order: SET (new first, expire after), the SET variants, GETEX, GETSET, GETDEL, MSET, INCR*, APPEND, SETRANGE, and keymiss for every read of a missing key. The
        // table is the event stream a real redis-server 7.0.15 (notify-keyspace-events EAmn)
        // published for the same lines.
        TestDb::new().check_events(&[
            ("SET k v", "new:k set:k"),
            ("SET k w", "set:k"),
            ("SET k v NX", ""),
            ("SET k v XX", "set:k"),
            ("SET k2 v XX", ""),
            ("SET k v EX 100", "set:k expire:k"),
            ("SET k v KEEPTTL", "set:k"),
            ("SET k v GET", "set:k"),
            ("SET k v PX 100000 NX", ""),
            ("SETNX k v", ""),
            ("SETNX k3 v", "new:k3 set:k3"),
            ("SETEX k 100 v", "set:k expire:k"),
            ("PSETEX k 100000 v", "set:k expire:k"),
            ("SET k v EX 0", ""),
            ("SET k v EX abc", ""),
            ("GET k", ""),
            ("GET nokey", "keymiss:nokey"),
            ("GETEX k EX 100", "expire:k"),
            ("GETEX k PERSIST", "persist:k"),
            ("GETEX k PERSIST", ""),
            ("GETEX k", ""),
            ("GETEX k PXAT 1", "del:k"),
            ("GETEX nokey EX 10", "keymiss:nokey"),
            ("SET k v", "new:k set:k"),
            ("GETEX k EXAT 1900000000", "expire:k"),
            ("GETSET k w", "set:k"),
            ("GETSET nokey2 w", "keymiss:nokey2 new:nokey2 set:nokey2"),
            ("GETDEL nokey2", "del:nokey2"),
            ("GETDEL nokey2", "keymiss:nokey2"),
            ("MGET k nokey k2", "keymiss:nokey keymiss:k2"),
            ("MSET x 1 y 2", "new:x set:x new:y set:y"),
            ("MSETNX x 1 z 3", ""),
            ("MSETNX z 3 w 4", "new:z set:z new:w set:w"),
            ("INCR n", "new:n incrby:n"),
            ("INCRBY n 5", "incrby:n"),
            ("DECR n", "incrby:n"),
            ("DECRBY n 2", "incrby:n"),
            ("INCR k", ""),
            ("INCRBYFLOAT f 1.5", "new:f incrbyfloat:f"),
            ("INCRBYFLOAT f 1", "incrbyfloat:f"),
            ("SET f 2 EX 100", "set:f expire:f"),
            ("INCRBYFLOAT f 1", "incrbyfloat:f"),
            ("APPEND a x", "new:a append:a"),
            ("APPEND a yz", "append:a"),
            ("SETRANGE a 5 q", "setrange:a"),
            ("SETRANGE a 1 \"\"", ""),
            ("SETRANGE nosr 0 \"\"", ""),
            ("SETRANGE nosr 2 x", "new:nosr setrange:nosr"),
            ("GETRANGE a 0 1", ""),
            ("GETRANGE nokey 0 1", "keymiss:nokey"),
            ("SUBSTR nokey 0 1", "keymiss:nokey"),
            ("STRLEN a", ""),
            ("STRLEN nokey", "keymiss:nokey"),
            ("LCS a nokey", "keymiss:nokey"),
            ("LCS a k", ""),
        ]);
    }
}
