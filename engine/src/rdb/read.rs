//! Loading: the opcode loop of `rdbLoadRioWithLoadingCtx` and the value decoding of
//! `rdbLoadObject`, converting each value to the encoding Redis 7.0 would give it under the
//! configured thresholds.
//!
//! Every read is bounds-checked against the bytes that remain, and no buffer is sized from a
//! declared length before the bytes backing it are known to exist, so a hostile length costs
//! nothing. Nothing here panics on input: every problem is an `RdbError` with the offset.

use std::borrow::Cow;

use super::legacy;
use super::listpack::{self, Item};
use super::lzf;
use super::{Crc64, LoadInfo, RdbError};
use super::{
    ENC_INT16, ENC_INT32, ENC_INT8, ENC_LZF, LEN_32BIT, LEN_64BIT, OPCODE_AUX, OPCODE_EOF, OPCODE_EXPIRETIME,
    OPCODE_EXPIRETIME_MS, OPCODE_FREQ, OPCODE_FUNCTION, OPCODE_FUNCTION2, OPCODE_IDLE, OPCODE_MODULE_AUX,
    OPCODE_RESIZEDB, OPCODE_SELECTDB, QUICKLIST_NODE_PACKED, QUICKLIST_NODE_PLAIN, RDB_VERSION, TYPE_HASH,
    TYPE_HASH_LISTPACK, TYPE_HASH_ZIPLIST, TYPE_HASH_ZIPMAP, TYPE_LIST, TYPE_LIST_QUICKLIST, TYPE_LIST_QUICKLIST_2,
    TYPE_LIST_ZIPLIST, TYPE_MODULE, TYPE_MODULE_2, TYPE_SET, TYPE_SET_INTSET, TYPE_STREAM_LISTPACKS,
    TYPE_STREAM_LISTPACKS_2, TYPE_STRING, TYPE_ZSET, TYPE_ZSET_2, TYPE_ZSET_LISTPACK, TYPE_ZSET_ZIPLIST,
};
use crate::compact::CompactBytes;
use crate::config::EngineConfig;
use crate::db::Keyspace;
use crate::dict::Dict;
use crate::rng::Rng;
use crate::types::hash::{HashLimits, HashValue};
use crate::types::list::{End, ListValue};
use crate::types::listpack::Listpack;
use crate::types::set::{Intset, SetValue};
use crate::types::stream::{Consumer, Group, Nack, StreamId, StreamValue};
use crate::types::zset::{ZsetLimits, ZsetValue};
use crate::value::{Object, StrValue, Value};

/// Redis's LRU clock wraps at 24 bits.
const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// Redis's LFU minutes wrap at 16 bits.
const LFU_MINUTES_MAX: i64 = 65_535;
/// The LFU counter of a new object (`LFU_INIT_VAL`).
const LFU_INIT_VAL: u32 = 5;
/// Redis caps the intset-or-table decision for sets at this many entries.
const SET_INTSET_DECISION_MAX: usize = 1 << 30;

/// Whether keys whose time has passed are dropped while loading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpiredKeys {
    /// Drop them and count them (a primary loading its dump file).
    Skip,
    /// Keep them (an AOF's RDB preamble, a replica's full sync: what follows expects them).
    Keep,
}

/// A cursor over the bytes being loaded. `base` is added to offsets in errors.
pub(super) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// A length field, or the marker of a specially encoded string.
enum Len {
    Plain(u64),
    Encoded(u8),
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    /// Offset of the next byte.
    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    /// How many of `n` declared elements could still follow (each takes at least one byte): a
    /// size to reserve that a lying length cannot inflate.
    pub(super) fn room_for(&self, n: u64) -> usize {
        usize::try_from(n).unwrap_or(usize::MAX).min(self.buf.len() - self.pos)
    }

    pub(super) fn error(&self, at: usize, what: impl Into<String>) -> RdbError {
        RdbError { offset: at as u64, what: what.into() }
    }

    fn take(&mut self, n: u64, what: &str) -> Result<&'a [u8], RdbError> {
        let remaining = self.buf.len() - self.pos;
        match usize::try_from(n) {
            Ok(n) if n <= remaining => {
                let bytes = &self.buf[self.pos..self.pos + n];
                self.pos += n;
                Ok(bytes)
            }
            _ => Err(self.error(self.pos, format!("unexpected end of data reading {what} ({n} bytes declared)"))),
        }
    }

    pub(super) fn u8(&mut self, what: &str) -> Result<u8, RdbError> {
        Ok(self.take(1, what)?[0])
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], RdbError> {
        Ok(self.take(N as u64, what)?.try_into().expect("N bytes"))
    }

    fn len_or_encoding(&mut self, what: &str) -> Result<Len, RdbError> {
        let first = self.u8(what)?;
        Ok(match first >> 6 {
            0 => Len::Plain(u64::from(first & 0x3f)),
            1 => Len::Plain((u64::from(first & 0x3f) << 8) | u64::from(self.u8(what)?)),
            2 => match first {
                LEN_32BIT => Len::Plain(u64::from(u32::from_be_bytes(self.array(what)?))),
                LEN_64BIT => Len::Plain(u64::from_be_bytes(self.array(what)?)),
                _ => return Err(self.error(self.pos - 1, format!("unknown length encoding {first:#04x} in {what}"))),
            },
            _ => Len::Encoded(first & 0x3f),
        })
    }

    pub(super) fn len(&mut self, what: &str) -> Result<u64, RdbError> {
        let at = self.pos;
        match self.len_or_encoding(what)? {
            Len::Plain(n) => Ok(n),
            Len::Encoded(_) => Err(self.error(at, format!("expected a length for {what}, found a string encoding"))),
        }
    }

    /// A string in any of its encodings (`rdbGenericLoadStringObject`).
    pub(super) fn string(&mut self, what: &str) -> Result<Cow<'a, [u8]>, RdbError> {
        let at = self.pos;
        match self.len_or_encoding(what)? {
            Len::Plain(n) => Ok(Cow::Borrowed(self.take(n, what)?)),
            Len::Encoded(ENC_INT8) => Ok(decimal(i64::from(self.u8(what)? as i8))),
            Len::Encoded(ENC_INT16) => Ok(decimal(i64::from(i16::from_le_bytes(self.array(what)?)))),
            Len::Encoded(ENC_INT32) => Ok(decimal(i64::from(i32::from_le_bytes(self.array(what)?)))),
            Len::Encoded(ENC_LZF) => {
                let clen = self.len(what)?;
                let len = self.len(what)?;
                let packed = self.take(clen, what)?;
                let len =
                    usize::try_from(len).map_err(|_| self.error(at, format!("LZF length too large in {what}")))?;
                lzf::decompress(packed, len)
                    .map(Cow::Owned)
                    .map_err(|e| self.error(at, format!("invalid LZF compressed string in {what}: {e}")))
            }
            Len::Encoded(enc) => Err(self.error(at, format!("unknown string encoding {enc} in {what}"))),
        }
    }

    /// A score saved as 8 little-endian bytes (`rdbLoadBinaryDoubleValue`).
    fn binary_double(&mut self, what: &str) -> Result<f64, RdbError> {
        Ok(f64::from_le_bytes(self.array(what)?))
    }

    /// A score saved as text with a one-byte length, 253-255 meaning NaN, +inf, -inf
    /// (`rdbLoadDoubleValue`, RDB_TYPE_ZSET).
    fn text_double(&mut self, what: &str) -> Result<f64, RdbError> {
        let at = self.pos;
        match self.u8(what)? {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => {
                let text = self.take(u64::from(n), what)?;
                parse_double(text).ok_or_else(|| self.error(at, format!("invalid score text in {what}")))
            }
        }
    }
}

fn decimal<'a>(n: i64) -> Cow<'a, [u8]> {
    Cow::Owned(n.to_string().into_bytes())
}

/// C's `strtod` on `text` up to any NUL, as Redis reads a score stored as text; None when no
/// number starts it.
fn parse_double(text: &[u8]) -> Option<f64> {
    let text = text.split(|&b| b == 0).next().unwrap_or_default();
    let (value, consumed, _) = crate::num::strtod(text);
    (consumed > 0).then_some(value)
}

/// What value decoding needs besides the bytes.
pub(super) struct ValueCtx<'c> {
    pub(super) config: &'c EngineConfig,
    pub(super) rng: &'c mut Rng,
}

/// Reads a value of RDB type `ty` (`rdbLoadObject`). `Ok(None)` is an empty collection, which
/// Redis skips when loading a file and refuses in RESTORE.
pub(super) fn value(r: &mut Reader, ty: u8, cx: &mut ValueCtx) -> Result<Option<Value>, RdbError> {
    let at = r.pos();
    let cfg = cx.config;
    let value = match ty {
        TYPE_STRING => Value::Str(StrValue::from_bytes(&r.string("string value")?)),
        TYPE_LIST => {
            let mut list = ListValue::new();
            for _ in 0..r.len("list length")? {
                list.push(End::Right, &r.string("list element")?);
            }
            Value::List(Box::new(list))
        }
        TYPE_SET => {
            let n = r.len("set size")?;
            let intset_max = cfg.set_max_intset_entries.min(SET_INTSET_DECISION_MAX);
            let mut set = if n > intset_max as u64 {
                let mut table = Dict::new(cx.rng);
                table.reserve(r.room_for(n));
                SetValue::Table(Box::new(table))
            } else {
                SetValue::Intset(Intset::default())
            };
            for _ in 0..n {
                let at = r.pos();
                let member = r.string("set member")?;
                if !set.add(&member, cfg.set_max_intset_entries, cx.rng) {
                    return Err(r.error(at, "Duplicate set members detected"));
                }
            }
            Value::Set(set)
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let n = r.len("zset size")?;
            let mut entries = Vec::with_capacity(r.room_for(n));
            let mut seen: Dict<()> = Dict::new(cx.rng);
            seen.reserve(r.room_for(n));
            for _ in 0..n {
                let at = r.pos();
                let member = r.string("zset member")?.into_owned();
                let score =
                    if ty == TYPE_ZSET_2 { r.binary_double("zset score")? } else { r.text_double("zset score")? };
                if score.is_nan() {
                    return Err(r.error(at, "Zset with NAN score detected"));
                }
                if seen.insert(&member, ()).is_some() {
                    return Err(r.error(at, "Duplicate zset fields detected"));
                }
                entries.push((member, score));
            }
            zset_from(entries, zset_limits(cfg), cx.rng)
        }
        TYPE_HASH => {
            let n = r.len("hash size")?;
            let mut pairs = Vec::new();
            let mut table: Dict<CompactBytes> = Dict::new(cx.rng);
            table.reserve(r.room_for(n));
            for _ in 0..n {
                let at = r.pos();
                let field = r.string("hash field")?;
                let value = r.string("hash value")?;
                if table.insert(&field, CompactBytes::from(&value[..])).is_some() {
                    return Err(r.error(at, "Duplicate hash fields detected"));
                }
                // Past the entry limit the table is the answer; stop keeping the pairs.
                if n <= cfg.hash_max_listpack_entries as u64 {
                    pairs.push((field, value));
                }
            }
            let long = pairs.iter().any(|(f, v)| f.len().max(v.len()) > cfg.hash_max_listpack_value);
            if n > cfg.hash_max_listpack_entries as u64 || long {
                Value::Hash(HashValue::Table(Box::new(table)))
            } else {
                Value::Hash(listpack_hash(pairs.iter().map(|(f, v)| (&f[..], &v[..]))))
            }
        }
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
            let mut list = ListValue::new();
            for _ in 0..r.len("quicklist node count")? {
                let at = r.pos();
                let container =
                    if ty == TYPE_LIST_QUICKLIST_2 { r.len("quicklist container")? } else { QUICKLIST_NODE_PACKED };
                if container != QUICKLIST_NODE_PACKED && container != QUICKLIST_NODE_PLAIN {
                    return Err(r.error(at, format!("Quicklist integrity check failed: container {container}")));
                }
                let data = r.string("quicklist node")?;
                if data.is_empty() {
                    return Err(r.error(at, "empty quicklist node"));
                }
                if container == QUICKLIST_NODE_PLAIN {
                    list.push(End::Right, &data);
                    continue;
                }
                let items = if ty == TYPE_LIST_QUICKLIST_2 { listpack::decode(&data) } else { legacy::ziplist(&data) };
                let items = items.map_err(|e| blob_error(r, at, "quicklist node", e))?;
                for item in items {
                    item.with_bytes(|b| list.push(End::Right, b));
                }
            }
            Value::List(Box::new(list))
        }
        TYPE_HASH_ZIPMAP => {
            let blob = r.string("zipmap")?;
            let pairs = legacy::zipmap(&blob).map_err(|e| blob_error(r, at, "zipmap", e))?;
            let mut hash = HashValue::new();
            for (field, value) in pairs {
                if !hash.set(field, value, hash_limits(cfg), cx.rng) {
                    return Err(r.error(at, "Hash zipmap with dup elements"));
                }
            }
            Value::Hash(hash)
        }
        TYPE_LIST_ZIPLIST => {
            let blob = r.string("list ziplist")?;
            let items = legacy::ziplist(&blob).map_err(|e| blob_error(r, at, "list ziplist", e))?;
            let mut list = ListValue::new();
            for item in items {
                item.with_bytes(|b| list.push(End::Right, b));
            }
            Value::List(Box::new(list))
        }
        TYPE_SET_INTSET => {
            let blob = r.string("intset")?;
            let members = legacy::intset(&blob).map_err(|e| blob_error(r, at, "intset", e))?;
            if members.is_empty() {
                return Err(r.error(at, "Intset integrity check failed: empty intset"));
            }
            let mut set = SetValue::Intset(Intset::default());
            for m in members {
                let mut buf = [0u8; 20];
                set.add(crate::num::format_i64(m, &mut buf), cfg.set_max_intset_entries, cx.rng);
            }
            Value::Set(set)
        }
        TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => {
            let blob = r.string("zset listpack")?;
            let items = if ty == TYPE_ZSET_LISTPACK { listpack::decode(&blob) } else { legacy::ziplist(&blob) };
            let items = items.map_err(|e| blob_error(r, at, "zset listpack", e))?;
            let pairs = pairs(r, at, &items, cx.rng)?;
            let mut entries = Vec::with_capacity(pairs.len());
            for (member, score) in pairs {
                let score = match score {
                    Item::Int(n) => n as f64,
                    Item::Str(text) => parse_double(text).unwrap_or(0.0),
                };
                if score.is_nan() {
                    return Err(r.error(at, "Zset with NAN score detected"));
                }
                entries.push((member.to_vec(), score));
            }
            // Redis keeps a listpack whatever its members' lengths; only the count converts it.
            let limits = ZsetLimits { value_max: usize::MAX, ..zset_limits(cfg) };
            zset_from(entries, limits, cx.rng)
        }
        TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => {
            let blob = r.string("hash listpack")?;
            let items = if ty == TYPE_HASH_LISTPACK { listpack::decode(&blob) } else { legacy::ziplist(&blob) };
            let items = items.map_err(|e| blob_error(r, at, "hash listpack", e))?;
            let pairs = pairs(r, at, &items, cx.rng)?;
            // Redis keeps a listpack whatever its values' lengths; only the count converts it.
            let hash = if pairs.len() > cfg.hash_max_listpack_entries {
                let mut table: Dict<CompactBytes> = Dict::new(cx.rng);
                for (field, value) in &pairs {
                    field.with_bytes(|f| value.with_bytes(|v| table.insert_new(f, CompactBytes::from(v))));
                }
                HashValue::Table(Box::new(table))
            } else {
                let owned: Vec<(Vec<u8>, Vec<u8>)> = pairs.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
                listpack_hash(owned.iter().map(|(f, v)| (&f[..], &v[..])))
            };
            Value::Hash(hash)
        }
        TYPE_MODULE | TYPE_MODULE_2 => {
            return Err(r.error(at, format!("module values (RDB type {ty}) are not supported")))
        }
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 => {
            return stream(r, ty == TYPE_STREAM_LISTPACKS_2).map(|s| Some(Value::Stream(Box::new(s))))
        }
        _ => return Err(r.error(at, format!("unknown value type {ty}"))),
    };
    Ok((!value.is_empty_collection()).then_some(value))
}

/// A stream (`rdbLoadObject`'s stream branch): nodes, counters (7.0's `_2` form adds the first
/// ID, the largest deleted ID and the added count; the older form derives them as Redis does),
/// then groups, each PEL entry resolved to the consumer that lists it. Every node is checked
/// deeply (`stream::validate_node`) and a PEL entry no consumer owns is refused.
fn stream(r: &mut Reader, v2: bool) -> Result<StreamValue, RdbError> {
    let mut s = StreamValue::new();
    let nodes = r.len("stream node count")?;
    for _ in 0..nodes {
        let at = r.pos();
        let key = r.string("stream node key")?;
        let key: [u8; 16] =
            key[..].try_into().map_err(|_| r.error(at, "Stream node key entry is not the size of a stream ID"))?;
        let at = r.pos();
        let lp = r.string("stream listpack")?.into_owned();
        s.load_node(StreamId::from_key_bytes(&key), lp)
            .map_err(|why| r.error(at, format!("Stream listpack integrity check failed: {why}")))?;
    }
    let at = r.pos();
    let length = r.len("stream length")?;
    if length != s.counted_len() {
        return Err(r.error(at, "stream length differs from its nodes' entries"));
    }
    let id =
        |r: &mut Reader, what: &str| -> Result<StreamId, RdbError> { Ok(StreamId::new(r.len(what)?, r.len(what)?)) };
    s.last_id = id(r, "stream last ID")?;
    if v2 {
        s.first_id = id(r, "stream first ID")?;
        s.max_deleted_entry_id = id(r, "stream max deleted ID")?;
        s.entries_added = r.len("stream entries added")?;
    } else {
        s.entries_added = s.len();
        s.first_id = s.edge_id(false).unwrap_or(StreamId::MAX);
    }
    let groups = r.len("stream group count")?;
    for _ in 0..groups {
        let at = r.pos();
        let name = r.string("stream group name")?.into_owned();
        let last_id = id(r, "stream group last ID")?;
        let entries_read = if v2 { r.len("stream group entries read")? as i64 } else { s.estimate_distance(last_id) };
        let mut group = Group::new(last_id, entries_read);
        for _ in 0..r.len("stream PEL size")? {
            let at = r.pos();
            let raw: [u8; 16] = r.array("stream PEL ID")?;
            let delivery_time_ms = i64::from_le_bytes(r.array("stream PEL delivery time")?);
            let delivery_count = r.len("stream PEL delivery count")?;
            let nack = Nack { delivery_time_ms, delivery_count, consumer: Vec::new() };
            if group.pel.insert(StreamId::from_key_bytes(&raw), nack).is_some() {
                return Err(r.error(at, "Duplicated global PEL entry loading stream consumer group"));
            }
        }
        for _ in 0..r.len("stream consumer count")? {
            let at = r.pos();
            let cname = r.string("stream consumer name")?.into_owned();
            let seen_time_ms = i64::from_le_bytes(r.array("stream consumer seen time")?);
            let mut consumer = Consumer { seen_time_ms, pel: Default::default() };
            for _ in 0..r.len("stream consumer PEL size")? {
                let at = r.pos();
                let pending = StreamId::from_key_bytes(&r.array("stream consumer PEL ID")?);
                let nack = group
                    .pel
                    .get_mut(&pending)
                    .ok_or_else(|| r.error(at, "Consumer entry not found in group global PEL"))?;
                if !consumer.pel.insert(pending) || !nack.consumer.is_empty() {
                    return Err(r.error(at, "Duplicated consumer PEL entry loading a stream consumer group"));
                }
                nack.consumer = cname.clone();
            }
            if group.consumers.insert(cname, consumer).is_some() {
                return Err(r.error(at, "Duplicate stream consumer detected."));
            }
        }
        let owned: usize = group.consumers.values().map(|c| c.pel.len()).sum();
        if owned != group.pel.len() {
            return Err(r.error(at, "Stream CG PEL entry without consumer"));
        }
        if s.groups.insert(name, group).is_some() {
            return Err(r.error(at, "Duplicated consumer group name"));
        }
    }
    Ok(s)
}

/// Pairs up field/value (or member/score) items, refusing an odd count or a repeated first
/// element (`lpPairsValidateIntegrityAndDups`).
fn pairs<'a>(r: &Reader, at: usize, items: &[Item<'a>], rng: &mut Rng) -> Result<Vec<(Item<'a>, Item<'a>)>, RdbError> {
    if !items.len().is_multiple_of(2) {
        return Err(r.error(at, "listpack of pairs holds an odd number of elements"));
    }
    let mut seen: Dict<()> = Dict::new(rng);
    let mut out = Vec::with_capacity(items.len() / 2);
    for pair in items.chunks_exact(2) {
        if pair[0].with_bytes(|b| seen.insert(b, ())).is_some() {
            return Err(r.error(at, "listpack of pairs holds a duplicate field"));
        }
        out.push((pair[0], pair[1]));
    }
    Ok(out)
}

fn blob_error(r: &Reader, at: usize, what: &str, (offset, why): legacy::BlobError) -> RdbError {
    r.error(at, format!("{what} integrity check failed: {why} (byte {offset} of the blob)"))
}

/// A listpack hash of distinct fields, in the given order.
fn listpack_hash<'p>(pairs: impl Iterator<Item = (&'p [u8], &'p [u8])>) -> HashValue {
    let mut lp = Listpack::new();
    for (field, value) in pairs {
        lp.push(field);
        lp.push(value);
    }
    HashValue::Listpack(lp)
}

fn zset_limits(cfg: &EngineConfig) -> ZsetLimits {
    ZsetLimits { entries_max: cfg.zset_max_listpack_entries, value_max: cfg.zset_max_listpack_value }
}

fn hash_limits(cfg: &EngineConfig) -> HashLimits {
    HashLimits { entries_max: cfg.hash_max_listpack_entries, value_len_max: cfg.hash_max_listpack_value }
}

fn zset_from(entries: Vec<(Vec<u8>, f64)>, limits: ZsetLimits, rng: &mut Rng) -> Value {
    Value::Zset(Box::new(ZsetValue::from_entries(entries, limits, rng)))
}

/// `Object::lru` for a value loaded now (Redis's `createObject` then `objectSetLRUOrLFU`): under
/// an LFU policy the saved frequency (or a new object's), otherwise the access time implied by
/// the saved idle seconds (or now). `lru_clock` is Redis's LRU clock, `now_ms` gives the LFU
/// minutes.
pub fn object_lru(lfu: bool, lru_clock: u32, now_ms: i64, freq: Option<u8>, idle_s: Option<u64>) -> u32 {
    if lfu {
        let minutes = ((now_ms / 1000 / 60) & LFU_MINUTES_MAX) as u32;
        return (minutes << 8) | freq.map_or(LFU_INIT_VAL, u32::from);
    }
    match idle_s {
        None => lru_clock,
        Some(idle) => {
            let abs = i64::from(lru_clock) - i64::try_from(idle).unwrap_or(i64::MAX);
            if abs < 0 {
                (lru_clock + LRU_CLOCK_MAX / 2) % LRU_CLOCK_MAX
            } else {
                abs as u32
            }
        }
    }
}

/// Loads a whole RDB file, as `load`, choosing what happens to keys whose time has passed.
pub fn load_with(
    bytes: &[u8],
    keyspace: &mut Keyspace,
    now_ms: i64,
    config: &EngineConfig,
    rng: &mut Rng,
    expired: ExpiredKeys,
) -> Result<LoadInfo, RdbError> {
    assert_eq!(keyspace.key_count(), 0, "rdb::load into a keyspace that holds keys");
    let result = load_into(bytes, keyspace, now_ms, config, rng, expired);
    if result.is_err() {
        for db in &mut keyspace.dbs {
            db.clear();
        }
    }
    result
}

fn load_into(
    bytes: &[u8],
    keyspace: &mut Keyspace,
    now_ms: i64,
    config: &EngineConfig,
    rng: &mut Rng,
    expired: ExpiredKeys,
) -> Result<LoadInfo, RdbError> {
    let mut r = Reader::new(bytes);
    let magic = r.take(9, "the RDB header")?;
    if &magic[..5] != b"REDIS" {
        return Err(r.error(0, "wrong signature: not an RDB file"));
    }
    let version = std::str::from_utf8(&magic[5..]).ok().and_then(|v| v.parse::<u32>().ok()).unwrap_or(0);
    if !(1..=RDB_VERSION).contains(&version) {
        return Err(r.error(5, format!("can't handle RDB format version {}", magic[5..].escape_ascii())));
    }
    let mut info = LoadInfo { version, ..LoadInfo::default() };
    let lru_clock = ((now_ms / 1000) as u32) & LRU_CLOCK_MAX;
    let lfu = config.maxmemory_policy.is_lfu();
    let mut db = 0usize;
    let (mut expire_ms, mut freq, mut idle_s) = (None, None, None);
    loop {
        let at = r.pos();
        let ty = r.u8("an opcode or value type")?;
        match ty {
            OPCODE_EXPIRETIME => {
                expire_ms = Some(i64::from(i32::from_le_bytes(r.array("an expire time")?)) * 1000);
                continue;
            }
            OPCODE_EXPIRETIME_MS => {
                expire_ms = Some(i64::from_le_bytes(r.array("an expire time")?));
                continue;
            }
            OPCODE_FREQ => {
                freq = Some(r.u8("an LFU frequency")?);
                continue;
            }
            OPCODE_IDLE => {
                idle_s = Some(r.len("an LRU idle time")?);
                continue;
            }
            OPCODE_EOF => break,
            OPCODE_SELECTDB => {
                let n = r.len("a database number")?;
                db = usize::try_from(n).ok().filter(|&n| n < keyspace.dbs.len()).ok_or_else(|| {
                    r.error(at, format!("database {n} out of range: this server has {} databases", keyspace.dbs.len()))
                })?;
                continue;
            }
            OPCODE_RESIZEDB => {
                let size = r.len("a RESIZEDB size")?;
                let expires = r.len("a RESIZEDB size")?;
                // A hint only: capped by what the rest of the file could hold (a key takes at
                // least two bytes), so a lying header cannot make us allocate.
                let room = (bytes.len() - r.pos()) as u64 / 2;
                let fit = |n: u64| usize::try_from(n.min(room)).unwrap_or(0);
                keyspace.dbs[db].reserve(fit(size), fit(expires));
                continue;
            }
            OPCODE_AUX => {
                let key = r.string("an aux field name")?.into_owned();
                let value = r.string("an aux field value")?.into_owned();
                info.aux.push((key, value));
                continue;
            }
            OPCODE_MODULE_AUX => return Err(r.error(at, "module aux data is not supported")),
            OPCODE_FUNCTION2 => {
                info.functions.push(r.string("a function library's code")?.into_owned());
                continue;
            }
            OPCODE_FUNCTION => {
                return Err(r.error(at, "pre-release function records (RDB_OPCODE_FUNCTION) are not supported"))
            }
            _ => {}
        }
        let key = r.string("a key")?;
        let mut cx = ValueCtx { config, rng };
        let value = value(&mut r, ty, &mut cx)?;
        let (when, key_freq, key_idle) = (expire_ms.take(), freq.take(), idle_s.take());
        let Some(value) = value else {
            info.empty_skipped += 1;
            continue;
        };
        if expired == ExpiredKeys::Skip && when.is_some_and(|w| w < now_ms) {
            info.expired_skipped += 1;
            continue;
        }
        let lru = object_lru(lfu, lru_clock, now_ms, key_freq, key_idle);
        if !keyspace.dbs[db].add_loaded(&key, Object::new(value, lru), when) {
            return Err(r.error(at, format!("Duplicate key '{}' in DB {db}", key.escape_ascii())));
        }
        info.keys_loaded += 1;
    }
    if version >= 5 {
        let expected = Crc64::of(&bytes[..r.pos()]);
        let at = r.pos();
        let stored = u64::from_le_bytes(r.array("the checksum")?);
        if stored != 0 && stored != expected {
            return Err(r.error(at, format!("RDB CRC error: file has {stored:016x}, content gives {expected:016x}")));
        }
    }
    info.consumed = r.pos();
    Ok(info)
}
