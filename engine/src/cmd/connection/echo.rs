//! ECHO message

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::reply::Reply;

/// ECHO: the message, as a bulk string.
pub fn echo(_ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    Ok(Reply::bulk(argv[1]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::ctx::EngineConfig;
    use crate::db::Keyspace;
    use crate::rng::Rng;

    #[test]
    fn echo_returns_its_argument_unchanged() {
        // Proves ECHO answers the exact bytes it was given, binary and empty included.
        let mut rng = Rng::new(1);
        let mut keyspace = Keyspace::new(1, &mut rng);
        let config = EngineConfig::default();
        let mut ctx = Ctx::new(&mut keyspace, 0, 0, &mut rng, 2, &config, 0);
        for msg in [&b"hello"[..], b"", b"\x00\xff a\r\n"] {
            assert_eq!(echo(&mut ctx, &[b"echo", msg]), Ok(Reply::bulk(msg)));
        }
        assert_eq!(ctx.dirty, 0);
    }
}
