//! GEOADD key [NX|XX] [CH] longitude latitude member [longitude latitude member ...]
//!
//! Redis's `geoaddCommand`: options are taken while they match, the rest must be triples, every
//! pair is checked before anything is written, and the command then runs as
//! `zadd key [options] score member ...` with each score the point's 52-bit geohash. That ZADD
//! is also what Redis propagates (the AOF holds `zadd`, lowercase) and what it notifies (`zadd`).

use crate::cmd::ctx::Ctx;
use crate::cmd::zset::zadd::zadd;
use crate::error::CmdError;
use crate::reply::Reply;
use crate::types::geohash::{align52, encode_wgs84};

use super::{is_opt, parse_lon_lat};

/// GEOADD: adds or moves points; replies as ZADD does.
pub fn geoadd(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let (mut nx, mut xx) = (false, false);
    let mut first = 2;
    while first < argv.len() {
        match argv[first] {
            opt if is_opt(opt, "nx") => nx = true,
            opt if is_opt(opt, "xx") => xx = true,
            opt if is_opt(opt, "ch") => {}
            _ => break,
        }
        first += 1;
    }
    let triples = &argv[first..];
    if !triples.len().is_multiple_of(3) || (nx && xx) {
        return Err(CmdError::Syntax);
    }
    let scores = triples
        .chunks(3)
        .map(|t| {
            let (lon, lat) = parse_lon_lat(t[0], t[1])?;
            // A checked pair is inside the storage square, so it encodes.
            Ok(encode_wgs84(lon, lat).map_or(0, align52).to_string().into_bytes())
        })
        .collect::<Result<Vec<Vec<u8>>, CmdError>>()?;
    let mut zadd_argv: Vec<&[u8]> = vec![b"zadd"];
    zadd_argv.extend_from_slice(&argv[1..first]);
    for (score, triple) in scores.iter().zip(triples.chunks(3)) {
        zadd_argv.push(score);
        zadd_argv.push(triple[2]);
    }
    let dirty_before = ctx.dirty;
    let reply = zadd(ctx, &zadd_argv)?;
    if ctx.dirty > dirty_before {
        ctx.propagate_as(&zadd_argv);
    }
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn geoadd_replies_and_errors() {
        // Proves GEOADD's options, replies and error texts, each asked of Redis 7.0.15.
        TestDb::new().check(&[
            ("GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania", ":2"),
            ("ZSCORE g Palermo", ",3479099956230698"),
            ("GEOADD g CH XX 1 1 Palermo 2 2 new", ":1"),
            ("GEOADD g NX 5 5 Palermo", ":0"),
            ("GEOADD g NX XX 1 1 a", "-ERR syntax error"),
            ("GEOADD g ch ch ch", "-ERR syntax error"),
            ("GEOADD g ch 1 1", "-ERR syntax error"),
            ("GEOADD g 200 1 a", "-ERR invalid longitude,latitude pair 200.000000,1.000000"),
            ("GEOADD g 1 86 a", "-ERR invalid longitude,latitude pair 1.000000,86.000000"),
            ("GEOADD g 1 -inf a", "-ERR invalid longitude,latitude pair 1.000000,-inf"),
            ("GEOADD g x 1 a", "-ERR value is not a valid float"),
            ("GEOADD g 1 1 a 1 86x b", "-ERR value is not a valid float"),
            ("EXISTS g2", ":0"),
            ("GEOADD g 180 85.05112878 edge -180 -85.05112878 low", ":2"),
            ("ZSCORE g edge", ",13510798882111488"),
            ("GEOPOS g edge low", "[[,180, ,85.0511287799999991], [,-179.99999731779098511, ,-85.05112751263942528]]"),
            ("ZSCORE g low", ",0"),
            ("SET s v", "+OK"),
            ("GEOADD s 1 1 a", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
        ]);
    }
}
