//! DUMP key
//!
//! Redis 7.0's `dumpCommand`: the value in RDB form plus the RDB version and a CRC64
//! (`rdb::payload`). Deliberate difference: the payload is always LZF-compressed where that saves
//! space (Redis's default `rdbcompression yes`); the engine does not see that setting.

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::rdb::payload;
use crate::reply::Reply;

/// DUMP: the serialized value, or nil when the key does not exist.
pub fn dump(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    Ok(match ctx.lookup_read(argv[1]) {
        Some(obj) => Reply::Bulk(payload::dump(&obj.value, true)),
        None => Reply::Null,
    })
}
