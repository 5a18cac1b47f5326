//! Writing commands in the AOF's RESP form: one propagated command (`feedAppendOnlyFile`'s
//! `catAppendOnlyGenericCommand`), the `SELECT` that precedes a change of database, the
//! `#TS:` annotation, and the rewrite of a key as the commands that rebuild it (Redis 7.0's
//! `rewriteAppendOnlyFileRio`, the base file when `aof-use-rdb-preamble` is `no`).

use crate::num::{format_double_17g, format_i64};
use crate::types::stream::{StreamId, StreamValue};
use crate::value::{Object, Value};

/// Most elements one rewrite command carries (AOF_REWRITE_ITEMS_PER_CMD): a big collection
/// becomes several RPUSH/SADD/ZADD/HMSET commands.
pub const AOF_REWRITE_ITEMS_PER_CMD: usize = 64;

/// Appends `SELECT db` as a RESP command.
pub fn write_select(out: &mut Vec<u8>, db: usize) {
    let mut buf = [0u8; 20];
    write_command(out, &[b"SELECT", format_i64(db as i64, &mut buf)]);
}

/// Appends one command (`argv`) in RESP, as `feedAppendOnlyFile` does.
pub fn write_command(out: &mut Vec<u8>, argv: &[&[u8]]) {
    write_header(out, b'*', argv.len());
    for arg in argv {
        write_bulk(out, arg);
    }
}

/// Appends the timestamp annotation `#TS:<unix seconds>\r\n` that `aof-timestamp-enabled`
/// writes before the first command of each new second (and at the start of a rewrite).
pub fn write_timestamp(out: &mut Vec<u8>, unix_secs: i64) {
    out.extend_from_slice(format!("#TS:{unix_secs}\r\n").as_bytes());
}

/// Appends the commands that rebuild one key, as Redis's `rewriteAppendOnlyFileRio` does
/// (collections in batches of `AOF_REWRITE_ITEMS_PER_CMD`, then `PEXPIREAT` for a volatile key).
pub fn write_entry(out: &mut Vec<u8>, key: &[u8], obj: &Object, expire_ms: Option<i64>) {
    match &obj.value {
        Value::Str(s) => {
            write_header(out, b'*', 3);
            write_bulk(out, b"SET");
            write_bulk(out, key);
            s.with_bytes(|bytes| write_bulk(out, bytes));
        }
        Value::List(list) => write_batched(out, b"RPUSH", key, list.len(), 1, list.iter(), |out, item| {
            write_bulk(out, item);
        }),
        Value::Set(set) => write_batched(out, b"SADD", key, set.len(), 1, set.iter(), |out, member| {
            write_bulk(out, &member);
        }),
        Value::Zset(zset) => write_batched(out, b"ZADD", key, zset.len(), 2, zset.iter(), |out, (member, score)| {
            let mut buf = [0u8; 32];
            write_bulk(out, format_double_17g(score, &mut buf));
            write_bulk(out, member);
        }),
        Value::Hash(hash) => write_batched(out, b"HMSET", key, hash.len(), 2, hash.iter(), |out, (field, value)| {
            write_bulk(out, field);
            write_bulk(out, value);
        }),
        Value::Stream(stream) => write_stream(out, key, stream),
    }
    if let Some(when_ms) = expire_ms {
        let mut buf = [0u8; 20];
        write_command(out, &[b"PEXPIREAT", key, format_i64(when_ms, &mut buf)]);
    }
}

/// Writes the commands that rebuild a stream (Redis 7.0's `rewriteStreamObject`): one XADD
/// per entry (an empty stream as `XADD key MAXLEN 0 0-1 x y`), XSETID with the counters, then
/// per group XGROUP CREATE ... ENTRIESREAD, and per consumer either its pending entries as
/// XCLAIM ... FORCE or, when it owns none, XGROUP CREATECONSUMER.
fn write_stream(out: &mut Vec<u8>, key: &[u8], stream: &StreamValue) {
    let mut buf = [0u8; 20];
    if stream.is_empty() {
        write_command(out, &[b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"]);
    } else {
        for entry in stream.range(StreamId::MIN, StreamId::MAX, false) {
            write_header(out, b'*', 3 + entry.fields.len() * 2);
            write_bulk(out, b"XADD");
            write_bulk(out, key);
            write_bulk(out, &entry.id.to_bytes());
            for (field, value) in entry.fields {
                field.with_bytes(|f| write_bulk(out, f));
                value.with_bytes(|v| write_bulk(out, v));
            }
        }
    }
    let added = format_i64(stream.entries_added as i64, &mut buf).to_vec();
    write_command(
        out,
        &[
            b"XSETID",
            key,
            &stream.last_id.to_bytes(),
            b"ENTRIESADDED",
            &added,
            b"MAXDELETEDID",
            &stream.max_deleted_entry_id.to_bytes(),
        ],
    );
    for (name, group) in &stream.groups {
        let read = format_i64(group.entries_read, &mut buf).to_vec();
        write_command(out, &[b"XGROUP", b"CREATE", key, name, &group.last_id.to_bytes(), b"ENTRIESREAD", &read]);
        for (cname, consumer) in &group.consumers {
            if consumer.pel.is_empty() {
                write_command(out, &[b"XGROUP", b"CREATECONSUMER", key, name, cname]);
                continue;
            }
            for id in &consumer.pel {
                let nack = &group.pel[id];
                let time = format_i64(nack.delivery_time_ms, &mut buf).to_vec();
                let count = format_i64(nack.delivery_count as i64, &mut buf).to_vec();
                write_command(
                    out,
                    &[
                        b"XCLAIM",
                        key,
                        name,
                        cname,
                        b"0",
                        &id.to_bytes(),
                        b"TIME",
                        &time,
                        b"RETRYCOUNT",
                        &count,
                        b"JUSTID",
                        b"FORCE",
                    ],
                );
            }
        }
    }
}

/// Writes `items` (`len` of them) as `<command> key item...` commands of at most
/// `AOF_REWRITE_ITEMS_PER_CMD` items each, every item taking `args_per_item` arguments.
fn write_batched<T>(
    out: &mut Vec<u8>,
    command: &[u8],
    key: &[u8],
    len: usize,
    args_per_item: usize,
    items: impl Iterator<Item = T>,
    mut write_item: impl FnMut(&mut Vec<u8>, T),
) {
    let mut left = len;
    for (i, item) in items.enumerate() {
        if i % AOF_REWRITE_ITEMS_PER_CMD == 0 {
            // The count comes from the collection's length, as Redis's does; the iterator must
            // agree with it or the file would not parse.
            assert!(left > 0, "collection yielded more items than its length");
            write_header(out, b'*', 2 + left.min(AOF_REWRITE_ITEMS_PER_CMD) * args_per_item);
            write_bulk(out, command);
            write_bulk(out, key);
        }
        write_item(out, item);
        left -= 1;
    }
    assert_eq!(left, 0, "collection yielded fewer items than its length");
}

/// Appends `<prefix><n>\r\n`.
fn write_header(out: &mut Vec<u8>, prefix: u8, n: usize) {
    let mut buf = [0u8; 20];
    out.push(prefix);
    out.extend_from_slice(format_i64(n as i64, &mut buf));
    out.extend_from_slice(b"\r\n");
}

/// Appends `$<len>\r\n<bytes>\r\n`.
fn write_bulk(out: &mut Vec<u8>, bytes: &[u8]) {
    write_header(out, b'$', bytes.len());
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aof::CommandReader;
    use crate::rng::Rng;
    use crate::types::hash::{HashLimits, HashValue};
    use crate::types::list::{End, ListValue};
    use crate::types::set::SetValue;
    use crate::types::zset::{ZsetLimits, ZsetValue};
    use crate::value::StrValue;

    fn object(value: Value) -> Object {
        Object::new(value, 0)
    }

    /// The commands `bytes` holds, as strings.
    fn commands(bytes: &[u8]) -> Vec<Vec<String>> {
        let mut reader = CommandReader::new(bytes);
        let mut out = Vec::new();
        while let Some(argv) = reader.next_command() {
            out.push(argv.unwrap().iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect());
        }
        assert_eq!(reader.offset(), bytes.len());
        out
    }

    #[test]
    fn select_command_and_timestamp_bytes() {
        // Proves the exact bytes of feedAppendOnlyFile's SELECT, a command and `#TS:`.
        let mut out = Vec::new();
        write_select(&mut out, 12);
        write_command(&mut out, &[b"SET", b"k", b""]);
        write_timestamp(&mut out, 1_700_000_000);
        assert_eq!(
            out,
            b"*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n#TS:1700000000\r\n"
        );
    }

    #[test]
    fn string_with_expire_is_set_then_pexpireat() {
        // Proves a volatile string is rewritten as SET then PEXPIREAT, bytes as Redis 7.0.15
        // wrote them for `SET k v` + `PEXPIREAT k 99999999999999`.
        let mut out = Vec::new();
        write_entry(&mut out, b"k", &object(Value::Str(StrValue::from_bytes(b"v"))), Some(99_999_999_999_999));
        assert_eq!(
            out,
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nk\r\n$14\r\n99999999999999\r\n"
        );
        out.clear();
        write_entry(&mut out, b"n", &object(Value::Str(StrValue::from_bytes(b"-12"))), None);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nn\r\n$3\r\n-12\r\n");
    }

    #[test]
    fn collections_are_batched_by_64() {
        // Proves the batching: 130 elements make commands of 64, 64 and 2, each with the
        // right count, for every collection type, and scores print as %.17g.
        let mut rng = Rng::new(1);
        let mut list = ListValue::new();
        let mut set = SetValue::new_for(b"m0", &mut rng);
        let zset_limits = ZsetLimits { entries_max: 128, value_max: 64 };
        let mut zset = ZsetValue::new_for(2, zset_limits, &mut rng);
        let hash_limits = HashLimits { entries_max: 512, value_len_max: 64 };
        let mut hash = HashValue::new();
        for i in 0..130 {
            let item = format!("m{i}");
            list.push(End::Right, item.as_bytes());
            set.add(item.as_bytes(), 512, &mut rng);
            zset.insert_new(item.as_bytes(), f64::from(i) + 0.1, zset_limits, &mut rng);
            hash.set(item.as_bytes(), b"v", hash_limits, &mut rng);
        }
        let cases = [
            (Value::List(Box::new(list)), "RPUSH", 1),
            (Value::Set(set), "SADD", 1),
            (Value::Zset(Box::new(zset)), "ZADD", 2),
            (Value::Hash(hash), "HMSET", 2),
        ];
        for (value, name, args_per_item) in cases {
            let mut out = Vec::new();
            write_entry(&mut out, b"key", &object(value), Some(5));
            let written = commands(&out);
            let sizes: Vec<usize> = written.iter().map(Vec::len).collect();
            assert_eq!(sizes, [2 + 64 * args_per_item, 2 + 64 * args_per_item, 2 + 2 * args_per_item, 3], "{name}");
            for command in &written[..3] {
                assert_eq!(command[..2], [name.to_string(), "key".to_string()]);
            }
            assert_eq!(written[3], ["PEXPIREAT", "key", "5"]);
            if name == "ZADD" {
                assert_eq!(written[0][2..4], ["0.10000000000000001".to_string(), "m0".to_string()]);
            }
        }
    }
}
