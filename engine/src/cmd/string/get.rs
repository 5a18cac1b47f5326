//! GET key

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::reply::Reply;

/// GET: the string at `key`, or null.
pub fn get(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    match ctx.read_str(argv[1])? {
        None => Ok(Reply::Null),
        Some(s) => Ok(Reply::Bulk(s.to_bytes())),
    }
}
