//! The set type in Redis 7.0's two encodings.
//!
//! A set whose members are all integers (as `string2ll` reads them) is an `Intset`: sorted,
//! packed at the narrowest of 2, 4 or 8 bytes per member that fits them all, exactly Redis's
//! `intset`. It becomes a `Dict` when a non-integer member arrives or it grows past
//! `set-max-intset-entries`, and never converts back. Redis 7.0.15 has no listpack sets (that
//! is 7.2): a new set with a non-integer first member starts as a hash table.

use std::borrow::Cow;

use crate::dict::Dict;
use crate::num::{format_i64, parse_i64};
use crate::rng::Rng;

/// Sorted integers packed at one width (2, 4 or 8 bytes, little-endian) after a one-byte width
/// header. One exact-size allocation (none when empty); the struct itself is a 16-byte pointer.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Intset {
    buf: Box<[u8]>,
}

/// The narrowest width (bytes) that holds `v`, as Redis's `_intsetValueEncoding`.
fn width_for(v: i64) -> u8 {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

/// The member at position `i` of `members` packed at `width` bytes.
fn member_at(members: &[u8], width: u8, i: usize) -> i64 {
    let w = usize::from(width);
    let b = &members[i * w..(i + 1) * w];
    match width {
        2 => i64::from(i16::from_le_bytes([b[0], b[1]])),
        4 => i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        _ => i64::from_le_bytes(b.try_into().expect("8-byte member")),
    }
}

impl Intset {
    fn width(&self) -> u8 {
        self.buf.first().copied().unwrap_or(0)
    }

    fn members(&self) -> &[u8] {
        self.buf.get(1..).unwrap_or_default()
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self.width() {
            0 => 0,
            w => self.members().len() / usize::from(w),
        }
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The member at sorted position `i`.
    pub fn get(&self, i: usize) -> i64 {
        member_at(self.members(), self.width(), i)
    }

    /// `Ok(position)` of `v`, or `Err(insertion point)`.
    fn search(&self, v: i64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.get(mid).cmp(&v) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// True when `v` is a member.
    pub fn contains(&self, v: i64) -> bool {
        self.search(v).is_ok()
    }

    /// Adds `v`; true when it was new. Widens every member when `v` needs more bytes.
    pub fn insert(&mut self, v: i64) -> bool {
        let pos = match self.search(v) {
            Ok(_) => return false,
            Err(pos) => pos,
        };
        let (len, old_width) = (self.len(), self.width());
        let width = width_for(v).max(old_width);
        let w = usize::from(width);
        let mut buf = Vec::with_capacity(1 + (len + 1) * w);
        buf.push(width);
        let old = self.members();
        for i in 0..=len {
            let m = match i.cmp(&pos) {
                std::cmp::Ordering::Less => member_at(old, old_width, i),
                std::cmp::Ordering::Equal => v,
                std::cmp::Ordering::Greater => member_at(old, old_width, i - 1),
            };
            buf.extend_from_slice(&m.to_le_bytes()[..w]);
        }
        self.buf = buf.into_boxed_slice();
        true
    }

    /// Removes `v`; true when it was a member. The width stays, as in Redis.
    pub fn remove(&mut self, v: i64) -> bool {
        let Ok(pos) = self.search(v) else { return false };
        if self.len() == 1 {
            self.buf = Box::default();
            return true;
        }
        let w = usize::from(self.width());
        let mut buf = std::mem::take(&mut self.buf).into_vec();
        buf.drain(1 + pos * w..1 + (pos + 1) * w);
        self.buf = buf.into_boxed_slice();
        true
    }

    /// The members in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

impl std::fmt::Debug for Intset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A set value.
#[derive(Clone, Debug, PartialEq)]
pub enum SetValue {
    /// Sorted integers (Redis's `intset` encoding).
    Intset(Intset),
    /// A hash table of members (Redis's `hashtable` encoding).
    Table(Box<Dict<()>>),
}

/// An integer member's decimal form.
fn int_bytes<'a>(v: i64) -> Cow<'a, [u8]> {
    let mut buf = [0u8; 20];
    Cow::Owned(format_i64(v, &mut buf).to_vec())
}

// A small set is its 16-byte header plus one exact-size buffer: keep it that way.
const _: () = assert!(std::mem::size_of::<SetValue>() == 16);

impl SetValue {
    /// An empty set in the encoding Redis's `setTypeCreate` picks for its first member.
    pub fn new_for(member: &[u8], rng: &mut Rng) -> SetValue {
        if parse_i64(member).is_some() {
            SetValue::Intset(Intset::default())
        } else {
            SetValue::Table(Box::new(Dict::new(rng)))
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            SetValue::Intset(s) => s.len(),
            SetValue::Table(d) => d.len(),
        }
    }

    /// True when empty (such a set is deleted from the keyspace).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Redis's encoding name.
    pub fn encoding(&self) -> &'static str {
        match self {
            SetValue::Intset(_) => "intset",
            SetValue::Table(_) => "hashtable",
        }
    }

    /// True when `member` is in the set.
    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            SetValue::Intset(s) => parse_i64(member).is_some_and(|v| s.contains(v)),
            SetValue::Table(d) => d.contains_key(member),
        }
    }

    /// Adds `member`; true when it was new. Redis's `setTypeAdd`: a non-integer member, or an
    /// intset longer than `intset_entries_max`, converts to a hash table.
    pub fn add(&mut self, member: &[u8], intset_entries_max: usize, rng: &mut Rng) -> bool {
        if let SetValue::Intset(s) = self {
            match parse_i64(member) {
                Some(v) => {
                    if !s.insert(v) {
                        return false;
                    }
                    if s.len() > intset_entries_max {
                        self.convert(rng);
                    }
                    return true;
                }
                None => self.convert(rng),
            }
        }
        match self {
            SetValue::Table(d) => d.insert(member, ()).is_none(),
            SetValue::Intset(_) => unreachable!("converted above"),
        }
    }

    /// Removes `member`; true when it was present.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            SetValue::Intset(s) => parse_i64(member).is_some_and(|v| s.remove(v)),
            SetValue::Table(d) => d.remove(member).is_some(),
        }
    }

    /// Every member: ascending for an intset, table order for a hash table.
    pub fn iter(&self) -> Box<dyn Iterator<Item = Cow<'_, [u8]>> + '_> {
        match self {
            SetValue::Intset(s) => Box::new(s.iter().map(int_bytes)),
            SetValue::Table(d) => Box::new(d.iter().map(|(k, _)| Cow::Borrowed(k))),
        }
    }

    /// A uniformly random member (None when empty).
    pub fn random(&self, rng: &mut Rng) -> Option<Cow<'_, [u8]>> {
        match self {
            SetValue::Intset(s) if s.is_empty() => None,
            SetValue::Intset(s) => Some(int_bytes(s.get(rng.below(s.len() as u64) as usize))),
            SetValue::Table(d) => d.random_entry(rng).map(|(k, _)| Cow::Borrowed(k)),
        }
    }

    /// Visits one step of an SSCAN from `cursor` and returns the next cursor. An intset is
    /// returned whole with cursor 0, as Redis does for its compact encodings.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8])) -> u64 {
        match self {
            SetValue::Intset(_) => {
                self.iter().for_each(|m| visit(&m));
                0
            }
            SetValue::Table(d) => d.scan(cursor, |k, _| visit(k)),
        }
    }

    /// Moves the members into a hash table (Redis's `setTypeConvert`).
    fn convert(&mut self, rng: &mut Rng) {
        let mut table = Dict::new(rng);
        for member in self.iter() {
            table.insert_new(&member, ());
        }
        *self = SetValue::Table(Box::new(table));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intset_widens_stays_sorted_and_agrees_with_a_model() {
        // Proves the packed intset holds the same members as a BTreeSet through inserts that
        // widen it (2 → 4 → 8 bytes) and removes, in ascending order.
        let mut s = Intset::default();
        let mut model = std::collections::BTreeSet::new();
        for v in [5i64, -3, 300, 5, 70_000, -1, i64::MIN, i64::MAX, 0, -70_000] {
            assert_eq!(s.insert(v), model.insert(v));
        }
        assert_eq!(s.width(), 8);
        assert_eq!(s.buf.len(), 1 + 8 * model.len());
        for v in [5i64, 6, i64::MIN] {
            assert_eq!(s.remove(v), model.remove(&v));
        }
        assert_eq!(s.iter().collect::<Vec<_>>(), model.iter().copied().collect::<Vec<_>>());
        assert!(s.contains(300) && !s.contains(301));
    }

    #[test]
    fn set_encoding_follows_redis_7_0() {
        // Proves intset for integer members up to the limit, hashtable for a non-integer member
        // or past the limit, and that removal never converts back.
        let mut rng = Rng::new(3);
        let mut s = SetValue::new_for(b"1", &mut rng);
        assert!(s.add(b"1", 3, &mut rng) && !s.add(b"1", 3, &mut rng));
        assert!(s.add(b"2", 3, &mut rng) && s.add(b"3", 3, &mut rng));
        assert_eq!(s.encoding(), "intset");
        s.add(b"4", 3, &mut rng);
        assert_eq!((s.encoding(), s.len()), ("hashtable", 4));
        s.remove(b"4");
        assert_eq!(s.encoding(), "hashtable");

        let mut t = SetValue::new_for(b"007", &mut rng);
        assert_eq!(t.encoding(), "hashtable");
        let mut u = SetValue::new_for(b"9", &mut rng);
        u.add(b"9", 512, &mut rng);
        u.add(b"x", 512, &mut rng);
        assert_eq!(u.encoding(), "hashtable");
        assert!(u.contains(b"9") && u.contains(b"x") && !u.contains(b"09"));
        assert!(t.add(b"007", 512, &mut rng) && !t.contains(b"7"));
    }
}
