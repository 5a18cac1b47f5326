//! Round trips through the writer and the loader, legacy encodings built by a test-side writer,
//! byte equality with payloads Redis 7.0.15 produced, and corrupt input.

use proptest::prelude::*;

use super::legacy::tests::{make_intset, make_ziplist, make_zipmap};
use super::listpack::Builder;
use super::payload::{dump, restore, PayloadError};
use super::write;
use super::*;
use crate::config::{EngineConfig, MaxmemoryPolicy};
use crate::db::Keyspace;
use crate::rng::Rng;
use crate::types::hash::{HashLimits, HashValue};
use crate::types::list::{End, ListValue};
use crate::types::set::SetValue;
use crate::types::stream::StreamValue;
use crate::types::zset::{ZsetLimits, ZsetValue};
use crate::value::{Object, StrValue, Value};

const NOW_MS: i64 = 1_700_000_000_000;
const OPTS: EntryOptions = EntryOptions { compress: true, lru: LruField::None };

fn s(v: &[u8]) -> Value {
    Value::Str(StrValue::from_bytes(v))
}

fn list(items: &[Vec<u8>]) -> Value {
    let mut l = ListValue::new();
    for i in items {
        l.push(End::Right, i);
    }
    Value::List(Box::new(l))
}

fn set(members: &[Vec<u8>], rng: &mut Rng) -> Value {
    let mut set = SetValue::new_for(&members[0], rng);
    for m in members {
        set.add(m, 512, rng);
    }
    Value::Set(set)
}

fn zset(entries: &[(Vec<u8>, f64)], rng: &mut Rng) -> Value {
    let limits = ZsetLimits { entries_max: 128, value_max: 64 };
    let mut z = ZsetValue::new_for(entries[0].0.len(), limits, rng);
    for (m, sc) in entries {
        z.insert_new(m, *sc, limits, rng);
    }
    Value::Zset(Box::new(z))
}

fn hash(pairs: &[(Vec<u8>, Vec<u8>)], rng: &mut Rng) -> Value {
    let mut h = HashValue::new();
    for (f, v) in pairs {
        h.set(f, v, HashLimits { entries_max: 512, value_len_max: 64 }, rng);
    }
    Value::Hash(h)
}

fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// One value of every type in every encoding, small and large, with awkward contents.
fn sample_values(rng: &mut Rng) -> Vec<(Vec<u8>, Value)> {
    let ints: Vec<Vec<u8>> = (0..600).map(|i: i64| (i * 1_000_003 - 300_000_000).to_string().into_bytes()).collect();
    let words: Vec<Vec<u8>> = (0..700).map(|i| format!("member:{i}").into_bytes()).collect();
    vec![
        (b"str:int".to_vec(), s(b"12345")),
        (b"str:int-big".to_vec(), s(b"-9223372036854775808")),
        (b"str:int-like".to_vec(), s(b"007")),
        (b"str:empty".to_vec(), s(b"")),
        (b"str:embstr".to_vec(), s(b"hello world")),
        (b"str:compressible".to_vec(), s(&[b'x'; 5000])),
        (b"str:noise".to_vec(), s(&bytes(3000, 7))),
        (b"str:binary\x00\xff key".to_vec(), s(b"\x00\x01\x02")),
        (b"list:small".to_vec(), list(&[b"a".to_vec(), b"1".to_vec(), b"-5".to_vec(), b"".to_vec()])),
        (b"list:large".to_vec(), list(&(0..3000).map(|i| bytes(i % 300, i as u8)).collect::<Vec<_>>())),
        (b"list:big-element".to_vec(), list(&[vec![b'z'; 20_000], b"tail".to_vec()])),
        (b"set:intset".to_vec(), set(&ints[..100], rng)),
        (b"set:intset-wide".to_vec(), set(&[b"1".to_vec(), b"-9223372036854775808".to_vec()], rng)),
        (b"set:table-ints".to_vec(), set(&ints, rng)),
        (b"set:table".to_vec(), set(&words[..50], rng)),
        (
            b"zset:listpack".to_vec(),
            zset(
                &[
                    (b"a".to_vec(), 1.5),
                    (b"b".to_vec(), -0.0),
                    (b"c".to_vec(), 1e17),
                    (b"d".to_vec(), 0.1),
                    (b"e".to_vec(), f64::INFINITY),
                    (b"f".to_vec(), f64::NEG_INFINITY),
                    (b"12".to_vec(), 4611686018427387904.0),
                    (b"g".to_vec(), 1e300),
                ],
                rng,
            ),
        ),
        (
            b"zset:skiplist".to_vec(),
            zset(&words.iter().map(|w| (w.clone(), w.len() as f64 * 0.25)).collect::<Vec<_>>(), rng),
        ),
        (b"zset:long-member".to_vec(), zset(&[(vec![b'm'; 100], 3.0)], rng)),
        (b"hash:listpack".to_vec(), hash(&[(b"a".to_vec(), b"1".to_vec()), (b"bbb".to_vec(), b"-5".to_vec())], rng)),
        (b"hash:table".to_vec(), hash(&words.iter().map(|w| (w.clone(), w.repeat(2))).collect::<Vec<_>>(), rng)),
        (b"hash:long-value".to_vec(), hash(&[(b"f".to_vec(), vec![b'v'; 100])], rng)),
        (b"stream:groups".to_vec(), Value::Stream(Box::new(stream_sample(250)))),
        (b"stream:empty".to_vec(), Value::Stream(Box::new(stream_sample(0)))),
    ]
}

/// A stream of `n` entries over several nodes (same and different fields, integers and
/// strings, a few deleted), with a group whose PEL is spread over two consumers and a third
/// consumer owning nothing.
fn stream_sample(n: u64) -> StreamValue {
    use crate::types::stream::{Consumer, Group, Nack, StreamId, StreamLimits};
    let limits = StreamLimits { node_max_bytes: 4096, node_max_entries: 100 };
    let mut st = StreamValue::new();
    for i in 0..n {
        let id = StreamId::new(1_700_000_000_000 + i / 3, i % 3);
        let value = format!("v{i}");
        let count = i.to_string();
        if i % 7 == 0 {
            st.append(id, &[b"other", value.as_bytes()], limits);
        } else {
            st.append(id, &[b"name", value.as_bytes(), b"n", count.as_bytes()], limits);
        }
    }
    for i in (0..n).step_by(11) {
        let id = StreamId::new(1_700_000_000_000 + i / 3, i % 3);
        assert!(st.delete(id));
        st.max_deleted_entry_id = st.max_deleted_entry_id.max(id);
    }
    st.first_id = st.edge_id(false).unwrap_or_default();
    let mut group = Group::new(st.last_id, st.entries_added as i64);
    for (i, entry) in st.range(StreamId::MIN, StreamId::MAX, false).take(20).enumerate() {
        let consumer = if i % 2 == 0 { b"alice".to_vec() } else { b"bob".to_vec() };
        let nack = Nack { delivery_time_ms: NOW_MS - i as i64, delivery_count: i as u64 + 1, consumer };
        group.consumers.entry(nack.consumer.clone()).or_default().pel.insert(entry.id);
        group.pel.insert(entry.id, nack);
    }
    group.consumers.insert(b"idle".to_vec(), Consumer { seen_time_ms: NOW_MS, pel: Default::default() });
    st.groups.insert(b"g".to_vec(), group);
    st.groups.insert(b"empty".to_vec(), Group::new(StreamId::MIN, -1));
    st
}

fn header() -> Vec<u8> {
    let mut out = Vec::new();
    write_header(
        &mut out,
        &[
            ("redis-ver", AuxValue::Str(b"7.0.15".to_vec())),
            ("redis-bits", AuxValue::Int(64)),
            ("ctime", AuxValue::Int(NOW_MS / 1000)),
            ("used-mem", AuxValue::Int(1_234_567)),
            ("aof-base", AuxValue::Int(0)),
        ],
    );
    out
}

fn finish(mut out: Vec<u8>) -> Vec<u8> {
    let crc = Crc64::default();
    let mut crc = crc;
    crc.update(&out);
    write_footer(&mut out, Some(crc));
    out
}

fn file_of(entries: &[(usize, Vec<u8>, Object, Option<i64>)], opts: &EntryOptions) -> Vec<u8> {
    let mut out = header();
    let mut current = None;
    for (db, key, obj, exp) in entries {
        if current != Some(*db) {
            write_select_db(&mut out, *db, 0, 0);
            current = Some(*db);
        }
        write_entry(&mut out, key, obj, *exp, opts);
    }
    finish(out)
}

fn load_file(file: &[u8], config: &EngineConfig) -> Result<(Keyspace, LoadInfo), RdbError> {
    let mut rng = Rng::new(9);
    let mut ks = Keyspace::new(16, &mut rng);
    let info = load(file, &mut ks, NOW_MS, config, &mut rng);
    if info.is_err() {
        assert_eq!(ks.key_count(), 0, "a failed load leaves no keys");
    }
    info.map(|i| (ks, i))
}

#[test]
fn every_type_and_encoding_round_trips_with_and_without_compression() {
    // Proves write_entry then load gives back equal values in the same encodings, across
    // databases, with expiries, for both rdbcompression settings.
    let mut rng = Rng::new(1);
    let values = sample_values(&mut rng);
    for compress in [true, false] {
        let entries: Vec<_> = values
            .iter()
            .enumerate()
            .map(|(i, (k, v))| {
                (i % 3, k.clone(), Object::new(v.clone(), 0), (i % 4 == 0).then_some(NOW_MS + 1000 * i as i64))
            })
            .collect();
        let file = file_of(&entries, &EntryOptions { compress, lru: LruField::None });
        let (ks, info) = load_file(&file, &EngineConfig::default()).unwrap();
        assert_eq!(info.keys_loaded as usize, values.len());
        assert_eq!(info.consumed, file.len());
        assert_eq!(info.version, 10);
        assert_eq!(info.aux[0], (b"redis-ver".to_vec(), b"7.0.15".to_vec()));
        assert_eq!(info.aux[1], (b"redis-bits".to_vec(), b"64".to_vec()));
        for (db, key, obj, exp) in &entries {
            let got = ks.dbs[*db].get(key).unwrap_or_else(|| panic!("{} loaded", key.escape_ascii()));
            assert_eq!(got.value.encoding(), obj.value.encoding(), "{}", key.escape_ascii());
            let want = match &obj.value {
                // A listpack stores -0 as 0, as Redis's does.
                Value::Zset(_) => obj.value.clone(),
                v => v.clone(),
            };
            assert_eq!(got.value, want, "{}", key.escape_ascii());
            assert_eq!(ks.dbs[*db].expire_at(key), *exp);
        }
    }
}

#[test]
fn compression_shrinks_compressible_values() {
    // Proves rdbcompression is applied to strings, keys and listpack blobs.
    let mut rng = Rng::new(1);
    let values = sample_values(&mut rng);
    let entries: Vec<_> = values.iter().map(|(k, v)| (0, k.clone(), Object::new(v.clone(), 0), None)).collect();
    let on = file_of(&entries, &EntryOptions { compress: true, lru: LruField::None });
    let off = file_of(&entries, &EntryOptions { compress: false, lru: LruField::None });
    assert!(on.len() + 10_000 < off.len(), "{} vs {}", on.len(), off.len());
}

#[test]
fn loading_converts_to_the_configured_encodings() {
    // Proves Redis's load-time conversions: counts above the thresholds become tables or
    // skiplists; a small ZSET_2 becomes a listpack; listpacks keep long values.
    let mut rng = Rng::new(2);
    let values = sample_values(&mut rng);
    let entries: Vec<_> = values.iter().map(|(k, v)| (0, k.clone(), Object::new(v.clone(), 0), None)).collect();
    let file = file_of(&entries, &OPTS);
    let small = EngineConfig {
        hash_max_listpack_entries: 1,
        zset_max_listpack_entries: 1,
        set_max_intset_entries: 1,
        ..EngineConfig::default()
    };
    let (ks, _) = load_file(&file, &small).unwrap();
    let enc = |k: &[u8]| ks.dbs[0].get(k).unwrap().value.encoding();
    assert_eq!(enc(b"hash:listpack"), "hashtable");
    assert_eq!(enc(b"zset:listpack"), "skiplist");
    assert_eq!(enc(b"set:intset"), "hashtable");
    let big =
        EngineConfig { zset_max_listpack_entries: 10_000, zset_max_listpack_value: 100, ..EngineConfig::default() };
    let (ks, _) = load_file(&file, &big).unwrap();
    assert_eq!(ks.dbs[0].get(b"zset:skiplist").unwrap().value.encoding(), "listpack");
    assert_eq!(ks.dbs[0].get(b"zset:long-member").unwrap().value.encoding(), "listpack");
    let mut lp = Builder::new();
    lp.push(b"f");
    lp.push(&[b'v'; 100]);
    let v = load_one(&legacy_file(10, TYPE_HASH_LISTPACK, b"k", &blob(&lp.finish())));
    assert_eq!(v.encoding(), "listpack", "a listpack hash keeps a long value, as Redis 7.0");
}

#[test]
fn expired_keys_are_skipped_or_kept_and_counted() {
    // Proves a key past its time is skipped by `load`, kept by `load_with(Keep)`, and that a
    // key in its expiry millisecond is kept (Redis compares `when < now`).
    let entries = vec![
        (0, b"old".to_vec(), Object::new(s(b"v"), 0), Some(NOW_MS - 1)),
        (0, b"edge".to_vec(), Object::new(s(b"v"), 0), Some(NOW_MS)),
        (0, b"live".to_vec(), Object::new(s(b"v"), 0), Some(NOW_MS + 1)),
    ];
    let file = file_of(&entries, &OPTS);
    let (ks, info) = load_file(&file, &EngineConfig::default()).unwrap();
    assert_eq!((info.keys_loaded, info.expired_skipped), (2, 1));
    assert!(ks.dbs[0].get(b"old").is_none() && ks.dbs[0].get(b"edge").is_some());
    let mut rng = Rng::new(3);
    let mut ks = Keyspace::new(16, &mut rng);
    let info = load_with(&file, &mut ks, NOW_MS, &EngineConfig::default(), &mut rng, ExpiredKeys::Keep).unwrap();
    assert_eq!((info.keys_loaded, info.expired_skipped), (3, 0));
    assert_eq!(ks.dbs[0].expire_at(b"old"), Some(NOW_MS - 1));
}

#[test]
fn lru_and_lfu_fields_round_trip() {
    // Proves IDLE is written against the LRU clock and restores the same idle time, FREQ
    // restores the counter under an LFU policy, and each is ignored under the other policy.
    let lru_clock = ((NOW_MS / 1000) as u32) & 0xff_ffff;
    let obj = Object::new(s(b"v"), lru_clock - 50);
    let file =
        file_of(&[(0, b"k".to_vec(), obj, None)], &EntryOptions { compress: false, lru: LruField::Idle { lru_clock } });
    assert!(file.windows(2).any(|w| w == [OPCODE_IDLE, 50]));
    let (ks, _) = load_file(&file, &EngineConfig::default()).unwrap();
    assert_eq!(ks.dbs[0].get(b"k").unwrap().lru, lru_clock - 50);

    let obj = Object::new(s(b"v"), (123 << 8) | 42);
    let file = file_of(&[(0, b"k".to_vec(), obj, None)], &EntryOptions { compress: false, lru: LruField::Freq });
    assert!(file.windows(2).any(|w| w == [OPCODE_FREQ, 42]));
    let lfu = EngineConfig { maxmemory_policy: MaxmemoryPolicy::AllkeysLfu, ..EngineConfig::default() };
    let (ks, _) = load_file(&file, &lfu).unwrap();
    assert_eq!(ks.dbs[0].get(b"k").unwrap().lru & 0xff, 42);
    let (ks, _) = load_file(&file, &EngineConfig::default()).unwrap();
    assert_eq!(ks.dbs[0].get(b"k").unwrap().lru, lru_clock);
    // An idle time longer than the clock: half-way round the 24-bit circle, as Redis.
    assert_eq!(object_lru(false, 10, NOW_MS, None, Some(20)), 10 + ((1 << 24) - 1) / 2);
}

#[test]
fn header_and_aux_bytes_match_redis() {
    // Proves the header encodes aux integers as Redis does (redis-bits 64 as INT8, ctime as
    // INT32) and the footer's CRC covers the EOF opcode.
    let mut out = Vec::new();
    write_header(&mut out, &[("redis-bits", AuxValue::Int(64)), ("ctime", AuxValue::Int(1_700_000_000))]);
    let mut want = b"REDIS0010".to_vec();
    want.extend_from_slice(b"\xfa\x0aredis-bits\xc0\x40\xfa\x05ctime\xc2");
    want.extend_from_slice(&1_700_000_000i32.to_le_bytes());
    assert_eq!(out, want);
    let file = finish(out);
    let tail = &file[file.len() - 9..];
    assert_eq!(tail[0], OPCODE_EOF);
    assert_eq!(u64::from_le_bytes(tail[1..].try_into().unwrap()), Crc64::of(&file[..file.len() - 8]));
    let mut no_crc = file[..file.len() - 9].to_vec();
    write_footer(&mut no_crc, None);
    assert!(no_crc.ends_with(&[OPCODE_EOF, 0, 0, 0, 0, 0, 0, 0, 0]));
    assert!(load_file(&no_crc, &EngineConfig::default()).is_ok(), "checksum 0 means unchecked");
}

#[test]
fn redis_stream_payloads_restore_and_dump_back_byte_for_byte() {
    // Proves DUMP payloads of streams written by Redis 7.0.15 (several nodes at
    // stream-node-max-entries 4, a deleted entry, a group with a PEL and a consumer owning
    // nothing; an empty stream with a group) restore with Redis's nodes kept byte for byte,
    // dump and restore back to the same value, and that Redis's dump file holding them loads
    // with the same values. The empty stream's payload (nothing to compress) dumps back to the
    // same bytes; a compressed one need not: Redis's LZF hash table starts as whatever was on
    // the stack, so a match it finds by chance in a stale slot changes its output.
    let mut rng = Rng::new(4);
    let seeds: [(&str, &[u8]); 2] = [
        ("stream-x", include_bytes!("../../../fuzz/seeds/restore_payload/stream-x")),
        ("stream-e", include_bytes!("../../../fuzz/seeds/restore_payload/stream-e")),
    ];
    let mut restored = Vec::new();
    for (name, payload) in seeds {
        let value = restore(payload, &EngineConfig::default(), &mut rng).unwrap();
        let again = restore(&dump(&value, true), &EngineConfig::default(), &mut rng).unwrap();
        assert_eq!(again, value, "{name}");
        restored.push(value);
    }
    assert_eq!(dump(&restored[1], true), seeds[1].1, "nothing to compress: the same bytes");
    let Value::Stream(x) = &restored[0] else { panic!("not a stream") };
    // Redis's nodes, kept as they are: the listpacks inside are its bytes.
    let nodes: Vec<usize> = x.nodes().map(|(_, lp)| lp.len()).collect();
    assert_eq!(nodes, [139, 104, 80]);
    assert_eq!((x.len(), x.node_count(), x.groups[&b"g"[..]].pel.len()), (9, 3, 3));
    let file = include_bytes!("../../../fuzz/seeds/rdb_load/redis-7.0.15-streams");
    let (ks, _) = load_file(file, &EngineConfig::default()).unwrap();
    assert_eq!(ks.dbs[0].get(b"x").map(|o| &o.value), Some(&restored[0]));
    assert_eq!(ks.dbs[0].get(b"e").map(|o| &o.value), Some(&restored[1]));
}

#[test]
fn dump_payloads_match_redis_byte_for_byte() {
    // Proves DUMP output equals what Redis 7.0.15 gave for the same values (strings with LZF,
    // listpack hash and zset with integer, text and -0 scores, intset, quicklist).
    let mut rng = Rng::new(4);
    let cases: Vec<(Value, &[u8])> = vec![
        (
            s(&[b'a'; 30]),
            b"\x00\xc3\x09\x1e\x01aa\xe0\x11\x00\x01aa\x0a\x00Es|\xbb+d{\xbb",
        ),
        (
            hash(&[(b"a".to_vec(), b"1".to_vec()), (b"bbb".to_vec(), b"-5".to_vec())], &mut rng),
            b"\x10\x14\x14\x00\x00\x00\x04\x00\x81a\x02\x01\x01\x83bbb\x04\xdf\xfb\x02\xff\x0a\x00\x99\x15\x01B\xfe\x02\xf2\x89",
        ),
        (
            zset(
                &[
                    (b"a".to_vec(), 1.5),
                    (b"b".to_vec(), 2.0),
                    (b"c".to_vec(), -0.0),
                    (b"d".to_vec(), 1e17),
                    (b"e".to_vec(), 9007199254740992.0),
                ],
                &mut rng,
            ),
            b"\x1133\x00\x00\x00\x0a\x00\x81c\x02\x00\x01\x81a\x02\x831.5\x04\x81b\x02\x02\x01\x81e\x02\xf4\x00\x00\x00\x00\x00\x00 \x00\x09\x81d\x02\xf4\x00\x00\x8a]xEc\x01\x09\xff\x0a\x00>\x87\xc2\x97,\xd9j\xba",
        ),
        (
            set(&[b"1".to_vec(), b"2".to_vec(), b"3".to_vec(), b"-70000".to_vec()], &mut rng),
            b"\x0b\x18\x04\x00\x00\x00\x04\x00\x00\x00\x90\xee\xfe\xff\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x0a\x00\xa8\xb6<b,\xbf,\x9c",
        ),
        (
            list(&[b"a".to_vec(), b"1".to_vec(), b"2".to_vec()]),
            b"\x12\x01\x02\x0e\x0e\x00\x00\x00\x03\x00\x81a\x02\x01\x01\x02\x01\xff\x0a\x00\xb0\xe3\xd3\xd1\xe5\xdag\xec",
        ),
    ];
    for (value, redis) in cases {
        assert_eq!(dump(&value, true), redis, "{value:?}");
        let back = restore(redis, &EngineConfig::default(), &mut rng).unwrap();
        assert_eq!(back, value);
    }
}

#[test]
fn restore_refuses_bad_footers_and_bad_data() {
    // Proves the version and checksum checks and that a malformed or empty value is bad data.
    let mut rng = Rng::new(5);
    let cfg = EngineConfig::default();
    let good = dump(&s(b"hello"), true);
    assert!(restore(&good, &cfg, &mut rng).is_ok());
    assert_eq!(restore(&good[..9], &cfg, &mut rng), Err(PayloadError::VersionOrChecksum));
    let mut bad = good.clone();
    bad[1] ^= 1;
    assert_eq!(restore(&bad, &cfg, &mut rng), Err(PayloadError::VersionOrChecksum));
    let mut newer = good[..good.len() - 10].to_vec();
    newer.extend_from_slice(&11u16.to_le_bytes());
    let crc = Crc64::of(&newer);
    newer.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(restore(&newer, &cfg, &mut rng), Err(PayloadError::VersionOrChecksum));
    let with_footer = |body: &[u8]| {
        let mut p = body.to_vec();
        p.extend_from_slice(&10u16.to_le_bytes());
        let crc = Crc64::of(&p);
        p.extend_from_slice(&crc.to_le_bytes());
        p
    };
    for body in [&b"\x02\x00"[..], b"\x08", b"\x0f\x00", b"\x04\x01\x01a"] {
        assert!(matches!(restore(&with_footer(body), &cfg, &mut rng), Err(PayloadError::BadData(_))), "{body:?}");
    }
}

#[test]
fn fuzz_finds_stay_fixed() {
    // Proves inputs the fuzz targets once crashed on now decode (or fail) and re-dump cleanly.
    let cfg = EngineConfig::default();
    let mut rng = Rng::new(10);
    let crashes: [&[u8]; 1] = [
        // restore_payload: a string whose LZF compression fills the output with a literal run.
        b"\x05\x02\x0e31e\x0eAN\x00`\x10\x0e\x0e\x0e3-e\x00\x0e\x00\x00\xfc\xcd\x00\x00\x00[\x02\x02",
    ];
    for body in crashes {
        let mut framed = body.to_vec();
        framed.extend_from_slice(&10u16.to_le_bytes());
        let crc = Crc64::of(&framed);
        framed.extend_from_slice(&crc.to_le_bytes());
        if let Ok(value) = restore(&framed, &cfg, &mut rng) {
            assert_eq!(restore(&dump(&value, true), &cfg, &mut rng), Ok(value));
        }
    }
}

/// A file with one key of RDB type `ty` whose value body is `body`, at `version`.
fn legacy_file(version: u32, ty: u8, key: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = format!("REDIS{version:04}").into_bytes();
    out.push(OPCODE_SELECTDB);
    out.push(0);
    out.push(ty);
    write::string(&mut out, key, false);
    out.extend_from_slice(body);
    out.push(OPCODE_EOF);
    if version >= 5 {
        let crc = Crc64::of(&out);
        out.extend_from_slice(&crc.to_le_bytes());
    }
    out
}

fn blob(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    write::string(&mut out, b, false);
    out
}

fn strings(items: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    write::len(&mut out, items.len() as u64);
    for i in items {
        write::string(&mut out, i, false);
    }
    out
}

fn load_one(file: &[u8]) -> Value {
    let (ks, _) = load_file(file, &EngineConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    ks.dbs[0].get(b"k").expect("key k").value.clone()
}

fn list_items(v: &Value) -> Vec<Vec<u8>> {
    match v {
        Value::List(l) => l.iter().map(<[u8]>::to_vec).collect(),
        other => panic!("not a list: {other:?}"),
    }
}

fn hash_pairs(v: &Value) -> Vec<(Vec<u8>, Vec<u8>)> {
    match v {
        Value::Hash(h) => {
            let mut p: Vec<_> = h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
            p.sort();
            p
        }
        other => panic!("not a hash: {other:?}"),
    }
}

fn zset_entries(v: &Value) -> Vec<(Vec<u8>, f64)> {
    match v {
        Value::Zset(z) => z.to_vec(),
        other => panic!("not a zset: {other:?}"),
    }
}

#[test]
fn every_legacy_encoding_loads() {
    // Proves the pre-7.0 types load into the right values and encodings, at the versions that
    // wrote them (RDB 3 has no checksum before 5).
    let items: Vec<&[u8]> = vec![b"a", b"12", b"-700000", b"", b"xyz"];
    let want: Vec<Vec<u8>> = items.iter().map(|i| i.to_vec()).collect();
    assert_eq!(list_items(&load_one(&legacy_file(3, TYPE_LIST, b"k", &strings(&items)))), want);
    assert_eq!(list_items(&load_one(&legacy_file(6, TYPE_LIST_ZIPLIST, b"k", &blob(&make_ziplist(&items))))), want);
    let mut ql = Vec::new();
    write::len(&mut ql, 2);
    write::string(&mut ql, &make_ziplist(&items[..2]), false);
    write::string(&mut ql, &make_ziplist(&items[2..]), true);
    assert_eq!(list_items(&load_one(&legacy_file(9, TYPE_LIST_QUICKLIST, b"k", &ql))), want);

    let v = load_one(&legacy_file(6, TYPE_SET, b"k", &strings(&[b"3", b"1", b"2"])));
    assert_eq!(
        (v.encoding(), v.clone()),
        ("intset", set(&[b"1".to_vec(), b"2".to_vec(), b"3".to_vec()], &mut Rng::new(1)))
    );
    let v = load_one(&legacy_file(6, TYPE_SET_INTSET, b"k", &blob(&make_intset(8, &[-5, 9]))));
    assert_eq!(v.encoding(), "intset");
    assert!(matches!(&v, Value::Set(s) if s.contains(b"-5") && s.contains(b"9") && s.len() == 2));

    let mut z1 = Vec::new();
    write::len(&mut z1, 3);
    for (m, score) in [(&b"a"[..], &b"\x031.5"[..]), (b"b", b"\xfe"), (b"c", b"\xff")] {
        write::string(&mut z1, m, false);
        z1.extend_from_slice(score);
    }
    let v = load_one(&legacy_file(6, TYPE_ZSET, b"k", &z1));
    assert_eq!(v.encoding(), "listpack");
    assert_eq!(
        zset_entries(&v),
        [(b"c".to_vec(), f64::NEG_INFINITY), (b"a".to_vec(), 1.5), (b"b".to_vec(), f64::INFINITY)]
    );
    let zl = make_ziplist(&[b"m1", b"2.5", b"m2", b"-3"]);
    let v = load_one(&legacy_file(7, TYPE_ZSET_ZIPLIST, b"k", &blob(&zl)));
    assert_eq!(zset_entries(&v), [(b"m2".to_vec(), -3.0), (b"m1".to_vec(), 2.5)]);

    let pairs = vec![(b"f1".to_vec(), b"v1".to_vec()), (b"f2".to_vec(), b"22".to_vec())];
    let mut h4 = Vec::new();
    write::len(&mut h4, 2);
    for (f, val) in &pairs {
        write::string(&mut h4, f, false);
        write::string(&mut h4, val, false);
    }
    let v = load_one(&legacy_file(6, TYPE_HASH, b"k", &h4));
    assert_eq!((v.encoding(), hash_pairs(&v)), ("listpack", pairs.clone()));
    let zm = make_zipmap(&[(b"f1", b"v1"), (b"f2", b"22")], 2);
    let v = load_one(&legacy_file(2, TYPE_HASH_ZIPMAP, b"k", &blob(&zm)));
    assert_eq!((v.encoding(), hash_pairs(&v)), ("listpack", pairs.clone()));
    let zl = make_ziplist(&[b"f1", b"v1", b"f2", b"22"]);
    let v = load_one(&legacy_file(7, TYPE_HASH_ZIPLIST, b"k", &blob(&zl)));
    assert_eq!((v.encoding(), hash_pairs(&v)), ("listpack", pairs));
}

#[test]
fn seconds_expiry_and_old_versions_load() {
    // Proves RDB_OPCODE_EXPIRETIME (seconds) and a version-1 file without checksum.
    let mut out = b"REDIS0001".to_vec();
    out.push(OPCODE_EXPIRETIME);
    out.extend_from_slice(&((NOW_MS / 1000 + 60) as i32).to_le_bytes());
    out.push(TYPE_STRING);
    write::string(&mut out, b"k", false);
    write::string(&mut out, b"v", false);
    out.push(OPCODE_EOF);
    let (ks, info) = load_file(&out, &EngineConfig::default()).unwrap();
    assert_eq!(info.consumed, out.len());
    assert_eq!(ks.dbs[0].expire_at(b"k"), Some(NOW_MS + 60_000));
}

#[test]
fn bad_files_are_refused_with_their_offset() {
    // Proves each refusal: signature, version, database number, duplicate key, checksum,
    // unsupported types and opcodes, duplicate members, and empty keys skipped.
    let cfg = EngineConfig::default();
    let err = |f: &[u8]| load_file(f, &cfg).err().expect("the file is refused");
    assert!(err(b"RADIS0010").what.contains("signature"));
    assert!(err(b"REDIS0011\xff").what.contains("version"));
    let mut f = b"REDIS0010\xfe\x10".to_vec();
    f.push(OPCODE_EOF);
    assert!(err(&f).what.contains("out of range"));
    let one = (0, b"k".to_vec(), Object::new(s(b"v"), 0), None);
    let dup = file_of(&[one.clone(), one.clone()], &OPTS);
    let e = err(&dup);
    assert!(e.what.contains("Duplicate key 'k' in DB 0"), "{e}");
    let mut bad_crc = file_of(&[one], &OPTS);
    let n = bad_crc.len();
    bad_crc[n - 1] ^= 1;
    let e = err(&bad_crc);
    assert!(e.what.contains("CRC") && e.offset == (n - 8) as u64, "{e}");
    for (ty, name) in [(TYPE_MODULE_2, "module"), (8, "unknown")] {
        let e = err(&legacy_file(10, ty, b"k", b"\x00"));
        assert!(e.what.contains(name) && e.offset == 14, "{e}");
    }
    // A stream of no nodes whose length field is the file's end marker.
    let e = err(&legacy_file(10, TYPE_STREAM_LISTPACKS_2, b"k", b"\x00"));
    assert!(e.what.contains("stream length") && e.offset == 15, "{e}");
    for op in [OPCODE_MODULE_AUX, OPCODE_FUNCTION] {
        let e = err(&[&b"REDIS0010"[..], &[op, 0, 0]].concat());
        assert!(e.offset == 9, "{e}");
    }
    assert!(err(&legacy_file(10, TYPE_SET, b"k", &strings(&[b"1", b"1"]))).what.contains("Duplicate set"));
    assert!(err(&legacy_file(
        10,
        TYPE_ZSET_2,
        b"k",
        b"\x02\x01a\x00\x00\x00\x00\x00\x00\x00\x00\x01a\x00\x00\x00\x00\x00\x00\x00\x00"
    ))
    .what
    .contains("Duplicate zset"));
    let mut lp = Builder::new();
    for i in [&b"f"[..], b"1", b"f", b"2"] {
        lp.push(i);
    }
    assert!(err(&legacy_file(10, TYPE_HASH_LISTPACK, b"k", &blob(&lp.finish()))).what.contains("duplicate"));
    let (ks, info) = load_file(&legacy_file(10, TYPE_LIST, b"k", b"\x00"), &cfg).unwrap();
    assert_eq!((ks.key_count(), info.empty_skipped), (0, 1));
}

#[test]
fn every_truncation_and_many_corruptions_fail_cleanly() {
    // Proves no prefix of a valid file loads (each is an error, not a panic, and leaves no
    // keys), and that flipping bytes never panics.
    let mut rng = Rng::new(6);
    let small = |v: &Value| match v {
        Value::Str(s) => s.len() < 100,
        Value::List(l) => l.len() < 10,
        Value::Set(s) => s.len() < 200,
        Value::Zset(z) => z.len() < 10,
        Value::Hash(h) => h.len() < 10,
        Value::Stream(st) => st.len() < 10,
    };
    let values: Vec<_> = sample_values(&mut rng).into_iter().filter(|(_, v)| small(v)).collect();
    assert!(values.len() > 12);
    let entries: Vec<_> =
        values.iter().map(|(k, v)| (0, k.clone(), Object::new(v.clone(), 0), Some(NOW_MS + 5))).collect();
    let file = file_of(&entries, &OPTS);
    let cfg = EngineConfig::default();
    for cut in 0..file.len() {
        assert!(load_file(&file[..cut], &cfg).is_err(), "prefix of {cut} bytes loaded");
    }
    // Corrupt without the checksum's help: zero it so each flipped byte reaches the decoders.
    let n = file.len();
    let mut unchecked = file.clone();
    unchecked[n - 8..].fill(0);
    for i in 0..n - 9 {
        for flip in [0x01u8, 0xff] {
            let mut f = unchecked.clone();
            f[i] ^= flip;
            let _ = load_file(&f, &cfg);
        }
    }
}

#[test]
fn huge_declared_lengths_cost_nothing() {
    // Proves lengths are checked against the bytes present before anything is allocated.
    let cfg = EngineConfig::default();
    for body in [
        &b"\x81\xff\xff\xff\xff\xff\xff\xff\xff"[..],
        b"\x80\xff\xff\xff\xff",
        b"\xc3\x02\x81\x00\xff\xff\xff\xff\xff\xff\xff\x00a",
    ] {
        for ty in [TYPE_STRING, TYPE_LIST, TYPE_SET, TYPE_ZSET_2, TYPE_HASH, TYPE_LIST_QUICKLIST_2] {
            assert!(load_file(&legacy_file(10, ty, b"k", body), &cfg).is_err());
        }
    }
}

/// A value of any type, small or past its compact encoding's limits, from generated contents.
fn any_value() -> impl Strategy<Value = Value> {
    use proptest::collection::{btree_map, vec};
    let bytes = || vec(any::<u8>(), 0..24);
    // Integers as text reach the int encodings (strings, intsets, listpack integers).
    let element = || prop_oneof![bytes(), any::<i64>().prop_map(|n| n.to_string().into_bytes())];
    // -0 is left out: a listpack stores it as 0, as Redis's does.
    let score = prop_oneof![-1e9..1e9f64, (-1000i64..1000).prop_map(|n| n as f64)].prop_map(|s| s + 0.0);
    prop_oneof![
        element().prop_map(|v| s(&v)),
        vec(element(), 1..200).prop_map(|items| list(&items)),
        (vec(element(), 1..600), any::<u64>()).prop_map(|(members, seed)| set(&members, &mut Rng::new(seed))),
        (btree_map(element(), score, 1..200), any::<u64>())
            .prop_map(|(entries, seed)| zset(&entries.into_iter().collect::<Vec<_>>(), &mut Rng::new(seed))),
        (btree_map(element(), vec(any::<u8>(), 0..80), 1..600), any::<u64>())
            .prop_map(|(pairs, seed)| hash(&pairs.into_iter().collect::<Vec<_>>(), &mut Rng::new(seed))),
    ]
}

proptest! {
    // Few cases: `ci/test` runs this in a debug build. Failures shrink, and proptest saves them
    // under engine/proptest-regressions/ to replay first: commit that file.
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn a_random_keyspace_round_trips_through_an_rdb_file(
        keyspace in proptest::collection::btree_map(
            (0usize..3, proptest::collection::vec(any::<u8>(), 0..16)),
            (any_value(), proptest::option::of(1i64..1_000_000_000)),
            0..12,
        ),
        compress in any::<bool>(),
    ) {
        // Proves a random keyspace (every type, several databases, binary keys, expiries), written
        // to an RDB file and loaded back, is itself: the same keys, values, encodings and TTLs.
        let entries: Vec<_> = keyspace
            .iter()
            .map(|((db, key), (value, ttl))| (*db, key.clone(), Object::new(value.clone(), 0), ttl.map(|t| NOW_MS + t)))
            .collect();
        let file = file_of(&entries, &EntryOptions { compress, lru: LruField::None });
        let (ks, info) = load_file(&file, &EngineConfig::default()).unwrap();
        prop_assert_eq!(info.keys_loaded as usize, entries.len());
        prop_assert_eq!(ks.key_count(), entries.len());
        for (db, key, obj, expire) in &entries {
            let got = ks.dbs[*db].get(key);
            prop_assert!(got.is_some(), "{} missing", key.escape_ascii());
            let got = got.unwrap();
            prop_assert_eq!(got.value.encoding(), obj.value.encoding());
            prop_assert_eq!(&got.value, &obj.value);
            prop_assert_eq!(ks.dbs[*db].expire_at(key), *expire);
        }
    }
}

#[test]
fn function_records_load_as_their_code() {
    // Proves RDB_OPCODE_FUNCTION2 records (compressed or not) between the aux fields and the
    // keys come back as the libraries' code in file order, the keys load as usual, and the
    // checksum covers them.
    let cfg = EngineConfig::default();
    let long = b"#!lua name=lib\nredis.register_function('f', function() return 'aaaaaaaaaaaaaaaaaaaaaaaaaaaa' end)";
    let mut file = Vec::new();
    write_header(&mut file, &[("redis-ver", AuxValue::Str(b"7.0.15".to_vec()))]);
    write_function(&mut file, long, true);
    write_function(&mut file, b"#!lua name=b\nx", false);
    write_select_db(&mut file, 0, 1, 0);
    write_entry(&mut file, b"k", &Object::new(Value::Str(StrValue::from_bytes(b"v")), 0), None, &OPTS);
    let file = finish(file);
    let (keyspace, info) = load_file(&file, &cfg).expect("the file loads");
    assert_eq!(info.functions, vec![long.to_vec(), b"#!lua name=b\nx".to_vec()]);
    assert_eq!(keyspace.key_count(), 1);
    let mut bad = file.clone();
    bad[40] ^= 1;
    assert!(load_file(&bad, &cfg).is_err());
}

#[test]
fn function_payloads_round_trip_and_refuse_other_records() {
    // Proves FUNCTION DUMP's payload restores to the same code list (empty included), and that
    // a bad footer, a key's payload and a pre-GA record are each refused with Redis's text.
    use super::payload::{dump_functions, restore_functions, FunctionsPayloadError};
    let codes: [&[u8]; 2] =
        [b"#!lua name=a\nredis.register_function('f', function() return 1 end)", b"#!lua name=b\ny"];
    for compress in [false, true] {
        let payload = dump_functions(codes.iter().copied(), compress);
        assert_eq!(restore_functions(&payload).expect("restores"), codes.map(<[u8]>::to_vec).to_vec());
    }
    assert_eq!(restore_functions(&dump_functions([], true)).expect("empty"), Vec::<Vec<u8>>::new());
    let mut corrupt = dump_functions(codes.iter().copied(), true);
    corrupt[3] ^= 1;
    assert_eq!(restore_functions(&corrupt), Err(FunctionsPayloadError::VersionOrChecksum));
    let key = dump(&Value::Str(StrValue::from_bytes(b"v")), false);
    let e = restore_functions(&key).unwrap_err();
    assert_eq!(
        (e.clone(), e.to_string()),
        (FunctionsPayloadError::NotAFunction, "ERR given type is not a function".into())
    );
    let pre_ga = {
        // A pre-GA record, then the version and checksum.
        let mut out = vec![OPCODE_FUNCTION];
        out.extend_from_slice(&(RDB_VERSION as u16).to_le_bytes());
        let crc = Crc64::of(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    };
    assert_eq!(restore_functions(&pre_ga), Err(FunctionsPayloadError::PreGa));
}
