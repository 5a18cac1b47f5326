//! The operations workloads issue: a typed command the reference model can apply and the client
//! can encode, so neither side parses text.

use std::fmt;

use crate::model::Entry;

/// One command a simulated client sends.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// `SET key val [PX ms] [NX]`.
    Set { key: Vec<u8>, val: Vec<u8>, px: Option<u64>, nx: bool },
    /// `GET key`.
    Get { key: Vec<u8> },
    /// `INCR key`.
    Incr { key: Vec<u8> },
    /// `DEL key...`.
    Del { keys: Vec<Vec<u8>> },
    /// `EXISTS key`.
    Exists { key: Vec<u8> },
    /// `EXPIRE key secs`.
    Expire { key: Vec<u8>, secs: i64 },
    /// `TTL key`.
    Ttl { key: Vec<u8> },
    /// `PERSIST key`.
    Persist { key: Vec<u8> },
    /// `TYPE key`.
    Type { key: Vec<u8> },
    /// `LPUSH`/`RPUSH key val...`.
    Push { key: Vec<u8>, vals: Vec<Vec<u8>>, left: bool },
    /// `LPOP`/`RPOP key`.
    Pop { key: Vec<u8>, left: bool },
    /// `LRANGE key 0 -1`.
    LRange { key: Vec<u8> },
    /// `LLEN key`.
    LLen { key: Vec<u8> },
    /// `HSET key field val`.
    HSet { key: Vec<u8>, field: Vec<u8>, val: Vec<u8> },
    /// `HGET key field`.
    HGet { key: Vec<u8>, field: Vec<u8> },
    /// `HDEL key field`.
    HDel { key: Vec<u8>, field: Vec<u8> },
    /// `HLEN key`.
    HLen { key: Vec<u8> },
    /// `SADD key member`.
    SAdd { key: Vec<u8>, member: Vec<u8> },
    /// `SREM key member`.
    SRem { key: Vec<u8>, member: Vec<u8> },
    /// `SISMEMBER key member`.
    SIsMember { key: Vec<u8>, member: Vec<u8> },
    /// `SCARD key`.
    SCard { key: Vec<u8> },
    /// `ZADD key score member`.
    ZAdd { key: Vec<u8>, score: i64, member: Vec<u8> },
    /// `ZINCRBY key inc member`.
    ZIncrBy { key: Vec<u8>, inc: i64, member: Vec<u8> },
    /// `ZREM key member`.
    ZRem { key: Vec<u8>, member: Vec<u8> },
    /// `ZSCORE key member`.
    ZScore { key: Vec<u8>, member: Vec<u8> },
    /// `ZCARD key`.
    ZCard { key: Vec<u8> },
    /// `GETDEL key`.
    GetDel { key: Vec<u8> },
    /// `SETRANGE key offset val`.
    SetRange { key: Vec<u8>, offset: u64, val: Vec<u8> },
    /// `LMOVE src dst LEFT|RIGHT LEFT|RIGHT`.
    LMove { src: Vec<u8>, dst: Vec<u8>, from_left: bool, to_left: bool },
    /// `ZUNIONSTORE dst numkeys key...` (sum of scores, a set's members scoring 1).
    ZUnionStore { dst: Vec<u8>, keys: Vec<Vec<u8>> },
    /// `ZRANGE key 0 -1`.
    ZRange { key: Vec<u8> },
    /// `BGSAVE` (reply not modelled).
    BgSave,
    /// `BGREWRITEAOF` (reply not modelled).
    BgRewriteAof,
    /// `MULTI`.
    Multi,
    /// `EXEC`, with the commands it committed as one unit (filled in when the model sees it
    /// commit: a client whose connection changed mid-script queues less than it meant to, so
    /// only the server side knows; the request itself is the bare `EXEC`).
    Exec { ops: Vec<Op> },
    /// `DISCARD`.
    Discard,
    /// `WATCH key...`.
    Watch { keys: Vec<Vec<u8>> },
    /// `UNWATCH`.
    Unwatch,
    /// Any read-only or write command of the engine's table, its arguments drawn from Redis's
    /// COMMAND DOCS. The model cannot compute its effect, so it takes it from the node: once the
    /// command ran, `after` holds what the node's keyspace then held at each of `keys` (filled
    /// in when the model sees it run, as `Exec`'s commands are). The checks that remain are the
    /// ones no per-command model is needed for: a read-only command changes no key (beyond an
    /// expired key's lazy removal); no command changes a key it does not name; and whatever a
    /// write left must survive a restart from the AOF or RDB exactly as the node held it.
    Table { args: Vec<Vec<u8>>, keys: Vec<Vec<u8>>, write: bool, after: Option<Vec<(Vec<u8>, Option<Entry>)>> },
    /// `NOSUCHCMD key`: a command the server does not know (inside MULTI, a queueing error that
    /// makes EXEC answer `-EXECABORT`).
    Unknown { key: Vec<u8> },
}

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

impl Op {
    /// The request's arguments.
    pub fn args(&self) -> Vec<Vec<u8>> {
        let k = |key: &Vec<u8>| key.clone();
        match self {
            Op::Set { key, val, px, nx } => {
                let mut a = vec![b("SET"), k(key), val.clone()];
                if let Some(ms) = px {
                    a.push(b("PX"));
                    a.push(ms.to_string().into_bytes());
                }
                if *nx {
                    a.push(b("NX"));
                }
                a
            }
            Op::Get { key } => vec![b("GET"), k(key)],
            Op::Incr { key } => vec![b("INCR"), k(key)],
            Op::Del { keys } => std::iter::once(b("DEL")).chain(keys.iter().cloned()).collect(),
            Op::Exists { key } => vec![b("EXISTS"), k(key)],
            Op::Expire { key, secs } => vec![b("EXPIRE"), k(key), secs.to_string().into_bytes()],
            Op::Ttl { key } => vec![b("TTL"), k(key)],
            Op::Persist { key } => vec![b("PERSIST"), k(key)],
            Op::Type { key } => vec![b("TYPE"), k(key)],
            Op::Push { key, vals, left } => {
                let name = if *left { "LPUSH" } else { "RPUSH" };
                [b(name), k(key)].into_iter().chain(vals.iter().cloned()).collect()
            }
            Op::Pop { key, left } => vec![b(if *left { "LPOP" } else { "RPOP" }), k(key)],
            Op::LRange { key } => vec![b("LRANGE"), k(key), b("0"), b("-1")],
            Op::LLen { key } => vec![b("LLEN"), k(key)],
            Op::HSet { key, field, val } => vec![b("HSET"), k(key), field.clone(), val.clone()],
            Op::HGet { key, field } => vec![b("HGET"), k(key), field.clone()],
            Op::HDel { key, field } => vec![b("HDEL"), k(key), field.clone()],
            Op::HLen { key } => vec![b("HLEN"), k(key)],
            Op::SAdd { key, member } => vec![b("SADD"), k(key), member.clone()],
            Op::SRem { key, member } => vec![b("SREM"), k(key), member.clone()],
            Op::SIsMember { key, member } => vec![b("SISMEMBER"), k(key), member.clone()],
            Op::SCard { key } => vec![b("SCARD"), k(key)],
            Op::ZAdd { key, score, member } => vec![b("ZADD"), k(key), score.to_string().into_bytes(), member.clone()],
            Op::ZIncrBy { key, inc, member } => {
                vec![b("ZINCRBY"), k(key), inc.to_string().into_bytes(), member.clone()]
            }
            Op::ZRem { key, member } => vec![b("ZREM"), k(key), member.clone()],
            Op::ZScore { key, member } => vec![b("ZSCORE"), k(key), member.clone()],
            Op::ZCard { key } => vec![b("ZCARD"), k(key)],
            Op::ZRange { key } => vec![b("ZRANGE"), k(key), b("0"), b("-1")],
            Op::GetDel { key } => vec![b("GETDEL"), k(key)],
            Op::SetRange { key, offset, val } => {
                vec![b("SETRANGE"), k(key), offset.to_string().into_bytes(), val.clone()]
            }
            Op::LMove { src, dst, from_left, to_left } => {
                let end = |left: bool| b(if left { "LEFT" } else { "RIGHT" });
                vec![b("LMOVE"), k(src), k(dst), end(*from_left), end(*to_left)]
            }
            Op::ZUnionStore { dst, keys } => [b("ZUNIONSTORE"), k(dst), keys.len().to_string().into_bytes()]
                .into_iter()
                .chain(keys.iter().cloned())
                .collect(),
            Op::BgSave => vec![b("BGSAVE")],
            Op::BgRewriteAof => vec![b("BGREWRITEAOF")],
            Op::Multi => vec![b("MULTI")],
            Op::Exec { .. } => vec![b("EXEC")],
            Op::Discard => vec![b("DISCARD")],
            Op::Watch { keys } => std::iter::once(b("WATCH")).chain(keys.iter().cloned()).collect(),
            Op::Unwatch => vec![b("UNWATCH")],
            Op::Unknown { key } => vec![b("NOSUCHCMD"), k(key)],
            Op::Table { args, .. } => args.clone(),
        }
    }

    /// The keys the request reads or writes.
    pub fn keys(&self) -> Vec<&[u8]> {
        match self {
            Op::Del { keys } => keys.iter().map(Vec::as_slice).collect(),
            Op::LMove { src, dst, .. } => vec![src.as_slice(), dst.as_slice()],
            Op::ZUnionStore { dst, keys } => std::iter::once(dst).chain(keys).map(Vec::as_slice).collect(),
            Op::Exec { ops } => ops.iter().flat_map(Op::keys).collect(),
            Op::Watch { keys } | Op::Table { keys, .. } => keys.iter().map(Vec::as_slice).collect(),
            Op::BgSave | Op::BgRewriteAof | Op::Multi | Op::Discard | Op::Unwatch => Vec::new(),
            Op::Set { key, .. }
            | Op::Get { key }
            | Op::Incr { key }
            | Op::Exists { key }
            | Op::Expire { key, .. }
            | Op::Ttl { key }
            | Op::Persist { key }
            | Op::Type { key }
            | Op::Push { key, .. }
            | Op::Pop { key, .. }
            | Op::LRange { key }
            | Op::LLen { key }
            | Op::HSet { key, .. }
            | Op::HGet { key, .. }
            | Op::HDel { key, .. }
            | Op::HLen { key }
            | Op::SAdd { key, .. }
            | Op::SRem { key, .. }
            | Op::SIsMember { key, .. }
            | Op::SCard { key }
            | Op::ZAdd { key, .. }
            | Op::ZIncrBy { key, .. }
            | Op::ZRem { key, .. }
            | Op::ZScore { key, .. }
            | Op::ZCard { key }
            | Op::ZRange { key }
            | Op::GetDel { key }
            | Op::SetRange { key, .. }
            | Op::Unknown { key } => vec![key.as_slice()],
        }
    }

    /// True for commands that can change the keyspace (what durability promises are about).
    /// Reads count as writes only through lazy expiry, which changes nothing logically. An EXEC
    /// writes when a command it commits does; the other transaction commands change no key.
    pub fn is_write(&self) -> bool {
        match self {
            Op::Exec { ops } => return ops.iter().any(Op::is_write),
            Op::Table { write, .. } => return *write,
            _ => {}
        }
        !matches!(
            self,
            Op::Get { .. }
                | Op::Exists { .. }
                | Op::Ttl { .. }
                | Op::Type { .. }
                | Op::LRange { .. }
                | Op::LLen { .. }
                | Op::HGet { .. }
                | Op::HLen { .. }
                | Op::SIsMember { .. }
                | Op::SCard { .. }
                | Op::ZScore { .. }
                | Op::ZCard { .. }
                | Op::ZRange { .. }
                | Op::BgSave
                | Op::BgRewriteAof
                | Op::Multi
                | Op::Discard
                | Op::Watch { .. }
                | Op::Unwatch
                | Op::Unknown { .. }
        )
    }
}

impl Op {
    /// True for commands a loading node serves (Redis's `loading` flag, and an unknown command,
    /// refused before the loading check; a table command, which may be one flagged `loading` or
    /// get an arity or syntax error first): their replies do not show that loading is over.
    pub fn served_while_loading(&self) -> bool {
        matches!(
            self,
            Op::Multi
                | Op::Exec { .. }
                | Op::Discard
                | Op::Watch { .. }
                | Op::Unwatch
                | Op::Unknown { .. }
                | Op::Table { .. }
        )
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args().iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(&String::from_utf8_lossy(a))?;
        }
        // An EXEC shows what it commits, for failure messages.
        if let Op::Exec { ops } = self {
            let queued: Vec<String> = ops.iter().map(Op::to_string).collect();
            write!(f, " [{}]", queued.join("; "))?;
        }
        Ok(())
    }
}
