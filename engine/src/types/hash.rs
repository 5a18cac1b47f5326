//! The hash type: field → value maps in Redis's two encodings.
//!
//! Small hashes are a `Listpack` of alternating fields and values, in insertion order (HGETALL
//! of a small hash lists fields in the order Redis does). A hash converts to a `Dict` once it
//! holds more than `hash-max-listpack-entries` fields or is given a field or value longer than
//! `hash-max-listpack-value` bytes, and never converts back: Redis 7.0.15's `hashTypeSet` and
//! `hashTypeTryConversion`.

use super::listpack::{Listpack, Span};
use crate::compact::CompactBytes;
use crate::dict::Dict;
use crate::rng::Rng;

/// The thresholds at which a hash leaves the listpack encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashLimits {
    /// `hash-max-listpack-entries`: most fields a listpack hash holds.
    pub entries_max: usize,
    /// `hash-max-listpack-value`: longest field or value a listpack hash holds.
    pub value_len_max: usize,
}

/// A hash value.
#[derive(Clone, Debug, PartialEq)]
pub enum HashValue {
    /// Fields and values alternating, in insertion order (Redis's `listpack` encoding).
    Listpack(Listpack),
    /// A hash table (Redis's `hashtable` encoding).
    Table(Box<Dict<CompactBytes>>),
}

/// The field and value spans of `field` in a listpack hash.
fn listpack_find<'a>(lp: &'a Listpack, field: &[u8]) -> Option<(Span<'a>, Span<'a>)> {
    let mut spans = lp.spans();
    while let Some(f) = spans.next() {
        let v = spans.next().expect("listpack hash holds pairs");
        if f.bytes == field {
            return Some((f, v));
        }
    }
    None
}

// A small hash is its 16-byte header plus one exact-size buffer: keep it that way.
const _: () = assert!(std::mem::size_of::<HashValue>() == 16);

impl HashValue {
    /// An empty hash in the listpack encoding (what Redis creates for a new key).
    pub fn new() -> HashValue {
        HashValue::Listpack(Listpack::new())
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match self {
            HashValue::Listpack(lp) => lp.len() / 2,
            HashValue::Table(d) => d.len(),
        }
    }

    /// True when the hash has no fields (such a hash is deleted from the keyspace).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Redis's encoding name.
    pub fn encoding(&self) -> &'static str {
        match self {
            HashValue::Listpack(_) => "listpack",
            HashValue::Table(_) => "hashtable",
        }
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            HashValue::Listpack(lp) => listpack_find(lp, field).map(|(_, v)| v.bytes),
            HashValue::Table(d) => d.get(field).map(|v| &v[..]),
        }
    }

    /// Converts to the hashtable encoding if `len` bytes exceed the listpack value limit.
    /// Redis's `hashTypeTryConversion`, which HSET runs over all its arguments first.
    pub fn convert_for_len(&mut self, len: usize, limits: HashLimits, rng: &mut Rng) {
        if matches!(self, HashValue::Listpack(_)) && len > limits.value_len_max {
            self.convert(rng);
        }
    }

    /// Sets `field` to `value`; true when the field is new. Converts to a hash table first when
    /// either is too long for a listpack, and after when the listpack grew past its entry limit.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: HashLimits, rng: &mut Rng) -> bool {
        self.convert_for_len(field.len().max(value.len()), limits, rng);
        match self {
            HashValue::Listpack(lp) => {
                if let Some((_, v)) = listpack_find(lp, field) {
                    let at = v.at;
                    lp.replace(at, value);
                    return false;
                }
                lp.push(field);
                lp.push(value);
                if lp.len() / 2 > limits.entries_max {
                    self.convert(rng);
                }
                true
            }
            HashValue::Table(d) => d.insert(field, CompactBytes::from(value)).is_none(),
        }
    }

    /// Removes `field`; true when it was present.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            HashValue::Listpack(lp) => match listpack_find(lp, field) {
                Some((f, v)) => {
                    let at = f.at.start..v.at.end;
                    lp.remove(at, 2);
                    true
                }
                None => false,
            },
            HashValue::Table(d) => d.remove(field).is_some(),
        }
    }

    /// Every field and value, in listpack order or table order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match self {
            HashValue::Listpack(lp) => {
                let mut items = lp.iter();
                Box::new(std::iter::from_fn(move || {
                    let field = items.next()?;
                    Some((field, items.next().expect("listpack hash holds pairs")))
                }))
            }
            HashValue::Table(d) => Box::new(d.iter().map(|(k, v)| (k, &**v))),
        }
    }

    /// A uniformly random field and its value (None when empty).
    pub fn random(&self, rng: &mut Rng) -> Option<(&[u8], &[u8])> {
        match self {
            HashValue::Listpack(_) => {
                let len = self.len() as u64;
                if len == 0 {
                    return None;
                }
                self.iter().nth(rng.below(len) as usize)
            }
            HashValue::Table(d) => d.random_entry(rng).map(|(k, v)| (k, &**v)),
        }
    }

    /// Visits one step of an HSCAN from `cursor` and returns the next cursor. A listpack is
    /// returned whole with cursor 0, as Redis does for its compact encodings.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], &[u8])) -> u64 {
        match self {
            HashValue::Listpack(_) => {
                self.iter().for_each(|(f, v)| visit(f, v));
                0
            }
            HashValue::Table(d) => d.scan(cursor, |k, v| visit(k, v)),
        }
    }

    /// Moves the fields into a hash table (Redis's `hashTypeConvert`).
    fn convert(&mut self, rng: &mut Rng) {
        let mut table = Dict::new(rng);
        for (field, value) in self.iter() {
            table.insert_new(field, CompactBytes::from(value));
        }
        *self = HashValue::Table(Box::new(table));
    }
}

impl Default for HashValue {
    fn default() -> HashValue {
        HashValue::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: HashLimits = HashLimits { entries_max: 4, value_len_max: 8 };

    #[test]
    fn listpack_keeps_insertion_order_and_converts_at_the_limits() {
        // Proves a small hash keeps Redis's listpack order through updates and deletes, and
        // converts past the entry limit or on a long field or value, never back.
        let mut rng = Rng::new(1);
        let mut h = HashValue::new();
        assert!(h.set(b"a", b"1", LIMITS, &mut rng));
        assert!(h.set(b"b", b"2", LIMITS, &mut rng));
        assert!(!h.set(b"a", b"11", LIMITS, &mut rng));
        assert!(h.set(b"c", b"3", LIMITS, &mut rng));
        assert!(h.remove(b"b"));
        assert!(!h.remove(b"b"));
        let pairs: Vec<_> = h.iter().collect();
        assert_eq!(pairs, [(&b"a"[..], &b"11"[..]), (b"c", b"3")]);
        for f in [&b"d"[..], b"e"] {
            h.set(f, b"v", LIMITS, &mut rng);
        }
        assert_eq!((h.encoding(), h.len()), ("listpack", 4));
        h.set(b"f", b"v", LIMITS, &mut rng);
        assert_eq!((h.encoding(), h.len()), ("hashtable", 5));
        assert_eq!(h.get(b"a"), Some(&b"11"[..]));
        for f in [&b"a"[..], b"c", b"d", b"e"] {
            h.remove(f);
        }
        assert_eq!(h.encoding(), "hashtable");

        let mut long = HashValue::new();
        long.set(b"f", b"12345678", LIMITS, &mut rng);
        assert_eq!(long.encoding(), "listpack");
        long.set(b"f", b"123456789", LIMITS, &mut rng);
        assert_eq!((long.encoding(), long.get(b"f")), ("hashtable", Some(&b"123456789"[..])));
    }
}
