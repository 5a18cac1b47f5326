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
