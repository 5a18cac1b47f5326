//! The values a key can hold.
//!
//! Strings keep Redis's three encodings because `OBJECT ENCODING` reports them and clients (and
//! conformance) see the difference: `int` for canonical 64-bit integers, `embstr` for short strings
//! written whole, `raw` for long strings and any string modified in place (APPEND, SETRANGE).
//! How a string is stored is verdis's own business (`embstr` values up to 22 bytes live inside the
//! keyspace entry); only the encoding *name* follows Redis.

use crate::compact::CompactBytes;
use crate::types::hash::HashValue;
use crate::types::list::ListValue;
use crate::types::set::SetValue;
use crate::types::stream::StreamValue;
use crate::types::zset::ZsetValue;

/// Longest string Redis stores as `embstr` (OBJ_ENCODING_EMBSTR_SIZE_LIMIT).
pub const EMBSTR_LEN_MAX: usize = 44;

/// A string value in one of Redis's encodings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StrValue {
    /// A canonical integer (what `string2ll` accepts and `ll2string` prints back identically).
    Int(i64),
    /// A short string stored whole.
    Embstr(CompactBytes),
    /// A long string, or one modified in place; keeps spare capacity for appends.
    Raw(Vec<u8>),
}

impl StrValue {
    /// Encodes `bytes` as Redis's `tryObjectEncoding` would for a freshly written string.
    pub fn from_bytes(bytes: &[u8]) -> StrValue {
        if bytes.len() <= 20 {
            if let Some(n) = crate::num::parse_i64(bytes) {
                return StrValue::Int(n);
            }
        }
        if bytes.len() <= EMBSTR_LEN_MAX {
            StrValue::Embstr(bytes.into())
        } else {
            StrValue::Raw(bytes.to_vec())
        }
    }

    /// The string's bytes (integers are printed in decimal).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            StrValue::Int(n) => n.to_string().into_bytes(),
            StrValue::Embstr(b) => b.to_vec(),
            StrValue::Raw(v) => v.clone(),
        }
    }

    /// Calls `f` with the string's bytes without allocating for the non-integer encodings.
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            StrValue::Int(n) => {
                let mut buf = [0u8; 20];
                f(crate::num::format_i64(*n, &mut buf))
            }
            StrValue::Embstr(b) => f(b),
            StrValue::Raw(v) => f(v),
        }
    }

    /// Length in bytes of the string form.
    pub fn len(&self) -> usize {
        match self {
            StrValue::Int(n) => decimal_len(*n),
            StrValue::Embstr(b) => b.len(),
            StrValue::Raw(v) => v.len(),
        }
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Redis's name for this encoding, as OBJECT ENCODING prints it.
    pub fn encoding(&self) -> &'static str {
        match self {
            StrValue::Int(_) => "int",
            StrValue::Embstr(_) => "embstr",
            StrValue::Raw(_) => "raw",
        }
    }

    /// Converts to the `raw` encoding for an in-place modification and returns the buffer.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, StrValue::Raw(_)) {
            *self = StrValue::Raw(self.to_bytes());
        }
        match self {
            StrValue::Raw(v) => v,
            _ => unreachable!("just made raw"),
        }
    }
}

fn decimal_len(n: i64) -> usize {
    let mut len = if n < 0 { 2 } else { 1 };
    let mut v = n.unsigned_abs();
    while v >= 10 {
        v /= 10;
        len += 1;
    }
    len
}

/// What a key holds. Collections arrive with their own issue; every type match is exhaustive, so
/// adding a variant is a compile error wherever it must be handled.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string (Redis type `string`).
    Str(StrValue),
    /// A list (Redis type `list`), boxed so that `Value` stays the size of a string value.
    List(Box<ListValue>),
    /// A sorted set (Redis type `zset`), boxed like lists.
    Zset(Box<ZsetValue>),
    /// A hash (Redis type `hash`), stored inline: a `HashValue` is a 16-byte pointer, so a
    /// small hash costs one allocation, as in Redis.
    Hash(HashValue),
    /// A set (Redis type `set`), stored inline like hashes.
    Set(SetValue),
    /// A stream (Redis type `stream`), boxed like lists.
    Stream(Box<StreamValue>),
}

/// A concrete value type that commands ask for by key (`Ctx::read_typed`); anything else at
/// that key is a WRONGTYPE error.
pub trait ValueType {
    /// The `Self` inside `value`, if `value` holds one.
    fn of(value: &mut Value) -> Option<&mut Self>;
    /// The `Self` inside `value` for reading, if `value` holds one.
    fn of_ref(value: &Value) -> Option<&Self>;
}

macro_rules! value_type {
    ($($ty:ty => $variant:ident),* $(,)?) => {$(
        impl ValueType for $ty {
            fn of(value: &mut Value) -> Option<&mut Self> {
                match value {
                    Value::$variant(inner) => {
                        // Coerces through the box for the boxed variants.
                        let inner: &mut Self = inner;
                        Some(inner)
                    }
                    _ => None,
                }
            }

            fn of_ref(value: &Value) -> Option<&Self> {
                match value {
                    Value::$variant(inner) => {
                        let inner: &Self = inner;
                        Some(inner)
                    }
                    _ => None,
                }
            }
        }
    )*};
}

value_type!(StrValue => Str, ListValue => List, ZsetValue => Zset, HashValue => Hash, SetValue => Set,
    StreamValue => Stream);

impl Value {
    /// True for a collection with no elements, which Redis never keeps: the command that emptied
    /// it deletes the key. Strings are never "empty" in this sense.
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Value::Str(_) => false,
            Value::List(l) => l.is_empty(),
            Value::Zset(z) => z.is_empty(),
            Value::Hash(h) => h.is_empty(),
            Value::Set(s) => s.is_empty(),
            // Redis keeps an empty stream: its last ID and groups still matter.
            Value::Stream(_) => false,
        }
    }

    /// The type name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Zset(_) => "zset",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::Stream(_) => "stream",
        }
    }

    /// Redis's name for the encoding, as OBJECT ENCODING prints it.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::List(_) => crate::types::list::ENCODING,
            Value::Zset(z) => z.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::Stream(_) => "stream",
        }
    }
}

/// A value plus the access metadata Redis keeps in each object header.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    /// The value itself.
    pub value: Value,
    /// LRU clock at last access (seconds, 24 bits) or, under an LFU policy, the LFU
    /// decrement time (16 bits, minutes) and log counter (8 bits), as Redis packs `robj.lru`.
    pub lru: u32,
    /// A COPY's duplicate: Redis gives it an object of its own even for a small integer it would
    /// otherwise share, so OBJECT REFCOUNT says 1 until the value is next replaced. (Free: it fits
    /// in the padding after `lru`.)
    pub unshared: bool,
    /// The snapshot that has written this key, if any (see `snapshot`): a key whose epoch is the
    /// running snapshot's was written (or was created after the snapshot began) and needs no
    /// saving before a change. The database sets it on insert, so what a constructor puts here
    /// does not matter. (Free, like `unshared`: it fits in the padding after `lru`.)
    pub epoch: u16,
}

impl Object {
    /// A fresh object header around `value` with LRU/LFU data `lru`.
    pub fn new(value: Value, lru: u32) -> Object {
        Object { value, lru, unshared: false, epoch: 0 }
    }
}

// The snapshot epoch costs no memory: it shares the padding after `lru` and `unshared`, so an
// `Object` stays its 32-byte value plus an 8-byte header (checked at compile time: growing it
// costs every key).
const _: () = assert!(std::mem::size_of::<Value>() == 32 && std::mem::size_of::<Object>() == 40);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_follow_redis_thresholds() {
        assert_eq!(StrValue::from_bytes(b"12345").encoding(), "int");
        assert_eq!(StrValue::from_bytes(b"-9223372036854775808").encoding(), "int");
        assert_eq!(StrValue::from_bytes(b"9223372036854775808").encoding(), "embstr");
        assert_eq!(StrValue::from_bytes(b"012").encoding(), "embstr");
        assert_eq!(StrValue::from_bytes(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(StrValue::from_bytes(&[b'a'; 45]).encoding(), "raw");
    }

    #[test]
    fn lengths_and_bytes_round_trip() {
        for s in [&b"0"[..], b"-1", b"9223372036854775807", b"hello", b""] {
            let v = StrValue::from_bytes(s);
            assert_eq!(v.to_bytes(), s);
            assert_eq!(v.len(), s.len());
            assert_eq!(v.with_bytes(|b| b.to_vec()), s);
        }
    }
}
