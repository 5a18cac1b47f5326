//! Encoding: lengths, strings and values exactly as Redis 7.0's `rdbSave*` functions write them.

use super::listpack::Builder;
use super::{lzf, AuxValue, EntryOptions, LruField};
use super::{
    ENC_INT16, ENC_INT32, ENC_INT8, ENC_LZF, LEN_32BIT, LEN_64BIT, OPCODE_AUX, OPCODE_EXPIRETIME_MS, OPCODE_FREQ,
    OPCODE_IDLE, QUICKLIST_NODE_PACKED, QUICKLIST_NODE_PLAIN, TYPE_HASH, TYPE_HASH_LISTPACK, TYPE_LIST_QUICKLIST_2,
    TYPE_SET, TYPE_SET_INTSET, TYPE_STREAM_LISTPACKS_2, TYPE_STRING, TYPE_ZSET_2, TYPE_ZSET_LISTPACK,
};
use crate::num::{format_double_17g, parse_i64};
use crate::types::hash::HashValue;
use crate::types::list::{ListValue, NODE_BYTES_MAX};
use crate::types::set::SetValue;
use crate::types::stream::{StreamId, StreamValue};
use crate::types::zset::ZsetValue;
use crate::value::{Object, StrValue, Value};

/// Redis's LRU clock wraps at 24 bits.
const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// Elements this long get a quicklist node of their own (PLAIN), Redis's `packed_threshold`.
const PACKED_THRESHOLD: usize = 1 << 30;
/// What Redis adds to an element's length to estimate its listpack entry when deciding whether
/// it still fits a quicklist node (`SIZE_ESTIMATE_OVERHEAD`).
const NODE_ENTRY_OVERHEAD_ESTIMATE: usize = 8;
/// Strings longer than this are tried with LZF (`rdbSaveRawString`).
const COMPRESS_LEN_MIN: usize = 20;
/// Strings up to this long are tried as integers (`rdbTryIntegerEncoding`).
const INT_ENCODE_LEN_MAX: usize = 11;

/// Appends a length as `rdbSaveLen` does: 6 bits, 14 bits, 32 bits or 64 bits, big-endian.
pub fn len(out: &mut Vec<u8>, n: u64) {
    if n < 1 << 6 {
        out.push(n as u8);
    } else if n < 1 << 14 {
        out.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
    } else if n <= u64::from(u32::MAX) {
        out.push(LEN_32BIT);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(LEN_64BIT);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// Appends `v` in the 8, 16 or 32-bit integer encoding, when it fits one (`rdbEncodeInteger`).
fn int_encoded(out: &mut Vec<u8>, v: i64) -> bool {
    if let Ok(b) = i8::try_from(v) {
        out.extend_from_slice(&[0xc0 | ENC_INT8, b as u8]);
    } else if let Ok(h) = i16::try_from(v) {
        out.push(0xc0 | ENC_INT16);
        out.extend_from_slice(&h.to_le_bytes());
    } else if let Ok(w) = i32::try_from(v) {
        out.push(0xc0 | ENC_INT32);
        out.extend_from_slice(&w.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// Appends an integer-valued string (`rdbSaveLongLongAsStringObject`).
fn int_string(out: &mut Vec<u8>, v: i64) {
    if !int_encoded(out, v) {
        let mut buf = [0u8; 20];
        let digits = crate::num::format_i64(v, &mut buf);
        len(out, digits.len() as u64);
        out.extend_from_slice(digits);
    }
}

/// Appends a string as `rdbSaveRawString` does: as an integer when short and canonical, LZF
/// when `compress` and it saves at least four bytes, else plain.
pub fn string(out: &mut Vec<u8>, s: &[u8], compress: bool) {
    if s.len() <= INT_ENCODE_LEN_MAX {
        if let Some(v) = parse_i64(s) {
            if int_encoded(out, v) {
                return;
            }
        }
    }
    if compress && s.len() > COMPRESS_LEN_MIN {
        if let Some(packed) = lzf::compress(s, s.len() - 4) {
            out.push(0xc0 | ENC_LZF);
            len(out, packed.len() as u64);
            len(out, s.len() as u64);
            out.extend_from_slice(&packed);
            return;
        }
    }
    len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// Writes `REDIS0010` and the aux fields (`rdbSaveInfoAuxFields`).
pub fn header(out: &mut Vec<u8>, aux: &[(&str, AuxValue)]) {
    out.extend_from_slice(format!("REDIS{:04}", super::RDB_VERSION).as_bytes());
    for (key, value) in aux {
        out.push(OPCODE_AUX);
        string(out, key.as_bytes(), false);
        match value {
            AuxValue::Str(s) => string(out, s, false),
            AuxValue::Int(n) => int_string(out, *n),
        }
    }
}

/// Writes one key: expiry, LRU/LFU opcode, type, key and value (`rdbSaveKeyValuePair`).
pub fn entry(out: &mut Vec<u8>, key: &[u8], obj: &Object, expire_ms: Option<i64>, opts: &EntryOptions) {
    if let Some(when) = expire_ms {
        out.push(OPCODE_EXPIRETIME_MS);
        out.extend_from_slice(&when.to_le_bytes());
    }
    match opts.lru {
        LruField::None => {}
        LruField::Idle { lru_clock } => {
            let idle_s = if lru_clock >= obj.lru { lru_clock - obj.lru } else { lru_clock + (LRU_CLOCK_MAX - obj.lru) };
            out.push(OPCODE_IDLE);
            len(out, u64::from(idle_s));
        }
        LruField::Freq => out.extend_from_slice(&[OPCODE_FREQ, (obj.lru & 0xff) as u8]),
    }
    out.push(value_type(&obj.value));
    string(out, key, opts.compress);
    value(out, &obj.value, opts.compress);
}

/// The RDB type byte a value is saved with (`rdbSaveObjectType`).
pub fn value_type(v: &Value) -> u8 {
    match v {
        Value::Str(_) => TYPE_STRING,
        Value::List(_) => TYPE_LIST_QUICKLIST_2,
        Value::Set(SetValue::Intset(_)) => TYPE_SET_INTSET,
        Value::Set(SetValue::Table(_)) => TYPE_SET,
        Value::Zset(z) => match **z {
            ZsetValue::Listpack(_) => TYPE_ZSET_LISTPACK,
            ZsetValue::Skiplist(_) => TYPE_ZSET_2,
        },
        Value::Hash(HashValue::Listpack(_)) => TYPE_HASH_LISTPACK,
        Value::Hash(HashValue::Table(_)) => TYPE_HASH,
        Value::Stream(_) => TYPE_STREAM_LISTPACKS_2,
    }
}

/// Appends a value's body (`rdbSaveObject`).
pub fn value(out: &mut Vec<u8>, v: &Value, compress: bool) {
    match v {
        Value::Str(StrValue::Int(n)) => int_string(out, *n),
        Value::Str(s) => s.with_bytes(|b| string(out, b, compress)),
        Value::List(l) => quicklist(out, l, compress),
        Value::Set(SetValue::Intset(is)) => {
            let members: Vec<i64> = is.iter().collect();
            string(out, &intset_blob(&members), compress);
        }
        Value::Set(s @ SetValue::Table(_)) => {
            len(out, s.len() as u64);
            for m in s.iter() {
                string(out, &m, compress);
            }
        }
        Value::Zset(z) => match &**z {
            ZsetValue::Listpack(_) => {
                let mut lp = Builder::new();
                for (member, score) in z.iter() {
                    lp.push(member);
                    push_score(&mut lp, score);
                }
                string(out, &lp.finish(), compress);
            }
            ZsetValue::Skiplist(_) => {
                // Highest first, as Redis walks from the tail: loading then inserts at the head.
                len(out, z.len() as u64);
                if !z.is_empty() {
                    z.walk(z.len() - 1, true, |member, score| {
                        string(out, member, compress);
                        out.extend_from_slice(&score.to_le_bytes());
                        true
                    });
                }
            }
        },
        Value::Hash(h @ HashValue::Listpack(_)) => {
            let mut lp = Builder::new();
            for (f, v) in h.iter() {
                lp.push(f);
                lp.push(v);
            }
            string(out, &lp.finish(), compress);
        }
        Value::Hash(h @ HashValue::Table(_)) => {
            len(out, h.len() as u64);
            for (f, v) in h.iter() {
                string(out, f, compress);
                string(out, v, compress);
            }
        }
        Value::Stream(s) => stream(out, s, compress),
    }
}

/// A stream as `RDB_TYPE_STREAM_LISTPACKS_2` (Redis 7.0's `rdbSaveObject`): the nodes as they
/// are (key, listpack), the counters, then each group with its PEL and consumers.
fn stream(out: &mut Vec<u8>, s: &StreamValue, compress: bool) {
    let id = |out: &mut Vec<u8>, id: StreamId| {
        len(out, id.ms);
        len(out, id.seq);
    };
    len(out, s.node_count() as u64);
    for (master, lp) in s.nodes() {
        string(out, &master.key_bytes(), compress);
        string(out, lp, compress);
    }
    len(out, s.len());
    id(out, s.last_id);
    id(out, s.first_id);
    id(out, s.max_deleted_entry_id);
    len(out, s.entries_added);
    len(out, s.groups.len() as u64);
    for (name, group) in &s.groups {
        string(out, name, compress);
        id(out, group.last_id);
        // Redis saves the signed counter as a length: -1 becomes 2^64-1.
        len(out, group.entries_read as u64);
        len(out, group.pel.len() as u64);
        for (pending, nack) in &group.pel {
            out.extend_from_slice(&pending.key_bytes());
            out.extend_from_slice(&nack.delivery_time_ms.to_le_bytes());
            len(out, nack.delivery_count);
        }
        len(out, group.consumers.len() as u64);
        for (cname, consumer) in &group.consumers {
            string(out, cname, compress);
            out.extend_from_slice(&consumer.seen_time_ms.to_le_bytes());
            len(out, consumer.pel.len() as u64);
            for pending in &consumer.pel {
                out.extend_from_slice(&pending.key_bytes());
            }
        }
    }
}

/// A sorted-set score as Redis 7.0's `zzlInsertAt` stores it in a listpack: an integer when the
/// double is one (`double2ll`), else its `%.17g` text (`d2string`).
fn push_score(lp: &mut Builder, score: f64) {
    const LL_HALF: f64 = (i64::MAX / 2) as f64;
    if (-LL_HALF..=LL_HALF).contains(&score) && score == (score as i64) as f64 {
        lp.push_int(score as i64);
        return;
    }
    let mut buf = [0u8; 32];
    let text = format_double_17g(score, &mut buf);
    lp.push(text);
}

/// The intset Redis would hold for `members` (ascending): 2, 4 or 8 bytes each, the narrowest
/// that fits them all.
fn intset_blob(members: &[i64]) -> Vec<u8> {
    let width: usize = match (members.first(), members.last()) {
        (Some(&lo), Some(&hi)) if i16::try_from(lo).is_ok() && i16::try_from(hi).is_ok() => 2,
        (Some(&lo), Some(&hi)) if i32::try_from(lo).is_ok() && i32::try_from(hi).is_ok() => 4,
        (Some(_), Some(_)) => 8,
        _ => 2,
    };
    let mut blob = Vec::with_capacity(8 + members.len() * width);
    blob.extend_from_slice(&(width as u32).to_le_bytes());
    blob.extend_from_slice(&(members.len() as u32).to_le_bytes());
    for m in members {
        blob.extend_from_slice(&m.to_le_bytes()[..width]);
    }
    blob
}

/// A list as `RDB_TYPE_LIST_QUICKLIST_2`: the node count, then each node's container and
/// listpack. Nodes are cut where Redis 7.0.15's `_quicklistNodeAllowInsert` (8 KB, the default
/// `list-max-listpack-size -2`) cuts a list built by RPUSH, so DUMP bytes match Redis's.
fn quicklist(out: &mut Vec<u8>, l: &ListValue, compress: bool) {
    enum Node {
        Packed(Vec<u8>),
        Plain(Vec<u8>),
    }
    let mut nodes = Vec::new();
    let mut current = Builder::new();
    for item in l.iter() {
        if item.len() >= PACKED_THRESHOLD {
            if !current.is_empty() {
                nodes.push(Node::Packed(std::mem::take(&mut current).finish()));
            }
            nodes.push(Node::Plain(item.to_vec()));
            continue;
        }
        if !current.is_empty() && current.bytes() + item.len() + NODE_ENTRY_OVERHEAD_ESTIMATE > NODE_BYTES_MAX {
            nodes.push(Node::Packed(std::mem::take(&mut current).finish()));
        }
        current.push(item);
    }
    if !current.is_empty() {
        nodes.push(Node::Packed(current.finish()));
    }
    len(out, nodes.len() as u64);
    for node in nodes {
        match node {
            Node::Packed(lp) => {
                len(out, QUICKLIST_NODE_PACKED);
                string(out, &lp, compress);
            }
            Node::Plain(item) => {
                len(out, QUICKLIST_NODE_PLAIN);
                string(out, &item, compress);
            }
        }
    }
}
