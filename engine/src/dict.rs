//! A chained hash table with Redis's scan guarantee.
//!
//! Why not `std::collections::HashMap`: SCAN must return every key that is present for the whole
//! scan even when the table grows or shrinks between calls, and RANDOMKEY and active expiry need a
//! uniform random entry in O(1). Redis gets both from a power-of-two chained table walked with a
//! reverse-binary cursor (`dictScan`); this is the same table. Resizing moves every entry at once
//! (Redis spreads it over later operations); the cursor guarantee only needs a single table at the
//! moment each SCAN call runs, which holds here.
//!
//! The hasher is SipHash-1-3 keyed from the node's seeded RNG, so iteration order is deterministic
//! for a seed and unpredictable to clients (no hash flooding).

use siphasher::sip::SipHasher13;
use std::hash::Hasher;

use crate::compact::CompactBytes;
use crate::rng::Rng;

/// Smallest non-empty table.
const TABLE_SIZE_MIN: usize = 4;
/// Shrink when fewer than one entry per this many buckets (Redis's HASHTABLE_MIN_FILL is 10%).
const FILL_SHRINK_RATIO: usize = 8;
/// How many empty buckets a random pick may probe before it falls back to a linear walk.
const RANDOM_PROBES_MAX: usize = 1024;

/// One key and its value: a single allocation for short keys (see `compact`).
struct Entry<V> {
    key: CompactBytes,
    value: V,
    next: Option<Box<Entry<V>>>,
}

/// A map from byte-string keys to `V`.
pub struct Dict<V> {
    buckets: Vec<Option<Box<Entry<V>>>>,
    len: usize,
    keys: (u64, u64),
}

impl<V> Dict<V> {
    /// An empty dict whose hash function is keyed by two draws from `rng`.
    pub fn new(rng: &mut Rng) -> Dict<V> {
        Dict { buckets: Vec::new(), len: 0, keys: (rng.next_u64(), rng.next_u64()) }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of buckets (for INFO and tests).
    pub fn buckets(&self) -> usize {
        self.buckets.len()
    }

    fn hash(&self, key: &[u8]) -> u64 {
        let mut h = SipHasher13::new_with_keys(self.keys.0, self.keys.1);
        h.write(key);
        h.finish()
    }

    fn bucket_of(&self, key: &[u8]) -> usize {
        debug_assert!(self.buckets.len().is_power_of_two());
        (self.hash(key) as usize) & (self.buckets.len() - 1)
    }

    /// The value stored under `key`.
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        if self.len == 0 {
            return None;
        }
        let mut cur = self.buckets[self.bucket_of(key)].as_deref();
        while let Some(e) = cur {
            if &*e.key == key {
                return Some(&e.value);
            }
            cur = e.next.as_deref();
        }
        None
    }

    /// The value stored under `key`, mutably.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        if self.len == 0 {
            return None;
        }
        let b = self.bucket_of(key);
        let mut cur = self.buckets[b].as_deref_mut();
        while let Some(e) = cur {
            if &*e.key == key {
                return Some(&mut e.value);
            }
            cur = e.next.as_deref_mut();
        }
        None
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Stores `value` under `key`, returning the value it replaced.
    pub fn insert(&mut self, key: &[u8], value: V) -> Option<V> {
        if let Some(slot) = self.get_mut(key) {
            return Some(std::mem::replace(slot, value));
        }
        self.insert_new(key, value);
        None
    }

    /// Stores `value` under a key known to be absent (the caller checked).
    pub fn insert_new(&mut self, key: &[u8], value: V) {
        debug_assert!(!self.contains_key(key), "insert_new on a present key");
        if self.len >= self.buckets.len() {
            self.resize((self.len + 1).next_power_of_two().max(TABLE_SIZE_MIN));
        }
        let b = self.bucket_of(key);
        let next = self.buckets[b].take();
        self.buckets[b] = Some(Box::new(Entry { key: key.into(), value, next }));
        self.len += 1;
    }

    /// Stores `value` under `key` unless the key is present, hashing the key once (a loader's
    /// duplicate check and insert in one). `Err` gives the value back when the key was there.
    pub fn try_insert_new(&mut self, key: &[u8], value: V) -> Result<(), V> {
        if self.len >= self.buckets.len() {
            self.resize((self.len + 1).next_power_of_two().max(TABLE_SIZE_MIN));
        }
        let b = self.bucket_of(key);
        let mut cur = self.buckets[b].as_deref();
        while let Some(e) = cur {
            if &*e.key == key {
                return Err(value);
            }
            cur = e.next.as_deref();
        }
        let next = self.buckets[b].take();
        self.buckets[b] = Some(Box::new(Entry { key: key.into(), value, next }));
        self.len += 1;
        Ok(())
    }

    /// Grows the table once so `additional` more entries fit without a rehash (a loader that
    /// knows the size ahead, from RDB's RESIZEDB).
    pub fn reserve(&mut self, additional: usize) {
        let want = self.len.saturating_add(additional).next_power_of_two().max(TABLE_SIZE_MIN);
        if want > self.buckets.len() {
            self.resize(want);
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        if self.len == 0 {
            return None;
        }
        let b = self.bucket_of(key);
        let mut link = &mut self.buckets[b];
        loop {
            match link {
                None => return None,
                Some(e) if &*e.key == key => {
                    let mut e = link.take().expect("matched Some");
                    *link = e.next.take();
                    self.len -= 1;
                    self.maybe_shrink();
                    return Some(e.value);
                }
                Some(e) => link = &mut e.next,
            }
        }
    }

    fn maybe_shrink(&mut self) {
        let size = self.buckets.len();
        if size > TABLE_SIZE_MIN && self.len * FILL_SHRINK_RATIO < size {
            self.resize(self.len.next_power_of_two().max(TABLE_SIZE_MIN));
        }
    }

    fn resize(&mut self, size: usize) {
        assert!(size.is_power_of_two() && size >= self.len);
        let old = std::mem::take(&mut self.buckets);
        self.buckets.resize_with(size, || None);
        let mask = size - 1;
        for mut head in old {
            while let Some(mut e) = head {
                head = e.next.take();
                let b = (self.hash(&e.key) as usize) & mask;
                e.next = self.buckets[b].take();
                self.buckets[b] = Some(e);
            }
        }
    }

    /// Removes every entry and frees the table.
    pub fn clear(&mut self) {
        // Unlink chains iteratively: dropping a long chain recursively could overflow the stack.
        for head in &mut self.buckets {
            let mut cur = head.take();
            while let Some(mut e) = cur {
                cur = e.next.take();
            }
        }
        self.buckets = Vec::new();
        self.len = 0;
    }

    /// Visits the bucket at `cursor` and returns the next cursor (0 when the scan is complete).
    ///
    /// Redis's reverse-binary iteration: every entry present from the first call to the last is
    /// visited at least once, even if the table is resized in between; some may be visited twice.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], &V)) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = (self.buckets.len() - 1) as u64;
        let mut cur = self.buckets[(cursor & mask) as usize].as_deref();
        while let Some(e) = cur {
            visit(&e.key, &e.value);
            cur = e.next.as_deref();
        }
        scan_next(cursor, mask)
    }

    /// `scan` with mutable access to the values (a snapshot marks the keys it writes).
    pub fn scan_mut(&mut self, cursor: u64, mut visit: impl FnMut(&[u8], &mut V)) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = (self.buckets.len() - 1) as u64;
        let mut cur = self.buckets[(cursor & mask) as usize].as_deref_mut();
        while let Some(e) = cur {
            visit(&e.key, &mut e.value);
            cur = e.next.as_deref_mut();
        }
        scan_next(cursor, mask)
    }

    /// Calls `f` on every value (a pass over the whole table: for rare maintenance only).
    pub fn for_each_value_mut(&mut self, mut f: impl FnMut(&mut V)) {
        for head in &mut self.buckets {
            let mut cur = head.as_deref_mut();
            while let Some(e) = cur {
                f(&mut e.value);
                cur = e.next.as_deref_mut();
            }
        }
    }

    /// Moves every entry into a new dict with the same hash function, leaving this one empty, in
    /// O(1): FLUSHDB during a snapshot hands the old table to the snapshot instead of freeing it.
    pub fn take(&mut self) -> Dict<V> {
        Dict { buckets: std::mem::take(&mut self.buckets), len: std::mem::replace(&mut self.len, 0), keys: self.keys }
    }

    /// A uniformly chosen bucket's random entry, as Redis's `dictGetRandomKey`.
    pub fn random_entry(&self, rng: &mut Rng) -> Option<(&[u8], &V)> {
        if self.len == 0 {
            return None;
        }
        let size = self.buckets.len() as u64;
        let mut start = rng.below(size) as usize;
        for probe in 0.. {
            if probe == RANDOM_PROBES_MAX {
                // The table is sparse: walk forward from the last pick to the next entry.
                start = (0..self.buckets.len())
                    .map(|i| (start + i) % self.buckets.len())
                    .find(|&i| self.buckets[i].is_some())
                    .expect("non-empty dict has an entry");
            }
            if let Some(head) = self.buckets[start].as_deref() {
                let mut chain_len = 0;
                let mut cur = Some(head);
                while let Some(e) = cur {
                    chain_len += 1;
                    cur = e.next.as_deref();
                }
                let mut pick = rng.below(chain_len);
                let mut e = head;
                while pick > 0 {
                    e = e.next.as_deref().expect("within chain");
                    pick -= 1;
                }
                return Some((&e.key, &e.value));
            }
            start = rng.below(size) as usize;
        }
        unreachable!()
    }

    /// Every entry, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> {
        self.buckets.iter().flat_map(|head| {
            let mut cur = head.as_deref();
            std::iter::from_fn(move || {
                let e = cur?;
                cur = e.next.as_deref();
                Some((&*e.key, &e.value))
            })
        })
    }
}

/// The cursor after `cursor` in a table of `mask + 1` buckets: increment the reversed bits of the
/// cursor, so that buckets a resize splits or merges are visited next to each other.
fn scan_next(cursor: u64, mask: u64) -> u64 {
    (cursor | !mask).reverse_bits().wrapping_add(1).reverse_bits()
}

/// The entries of a dict, moved out one at a time; each is freed as it is taken, so a large
/// table can be consumed (and freed) a step at a time.
pub struct IntoIter<V> {
    buckets: std::vec::IntoIter<Option<Box<Entry<V>>>>,
    chain: Option<Box<Entry<V>>>,
    len: usize,
}

impl<V> IntoIter<V> {
    /// Entries not taken yet.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when every entry has been taken.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<V> Iterator for IntoIter<V> {
    type Item = (CompactBytes, V);

    fn next(&mut self) -> Option<(CompactBytes, V)> {
        loop {
            if let Some(mut e) = self.chain.take() {
                self.chain = e.next.take();
                self.len -= 1;
                let Entry { key, value, .. } = *e;
                return Some((key, value));
            }
            self.chain = self.buckets.next()?;
        }
    }
}

impl<V> Drop for IntoIter<V> {
    fn drop(&mut self) {
        // One entry at a time: dropping a long chain recursively could overflow the stack.
        for _ in self.by_ref() {}
    }
}

impl<V> IntoIterator for Dict<V> {
    type Item = (CompactBytes, V);
    type IntoIter = IntoIter<V>;

    fn into_iter(mut self) -> IntoIter<V> {
        let len = std::mem::replace(&mut self.len, 0);
        IntoIter { buckets: std::mem::take(&mut self.buckets).into_iter(), chain: None, len }
    }
}

impl<V: Clone> Clone for Dict<V> {
    /// A copy with the same hash keys (COPY, and values duplicated by tests).
    fn clone(&self) -> Dict<V> {
        let mut copy = Dict { buckets: Vec::new(), len: 0, keys: self.keys };
        for (key, value) in self.iter() {
            copy.insert_new(key, value.clone());
        }
        copy
    }
}

impl<V: PartialEq> PartialEq for Dict<V> {
    /// Same entries, whatever the table layout.
    fn eq(&self, other: &Dict<V>) -> bool {
        self.len == other.len && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl<V: std::fmt::Debug> std::fmt::Debug for Dict<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter().map(|(k, v)| (k.escape_ascii().to_string(), v))).finish()
    }
}

impl<V> Drop for Dict<V> {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn dict() -> Dict<u32> {
        Dict::new(&mut Rng::new(42))
    }

    #[test]
    fn insert_get_remove_agree_with_a_model() {
        let mut d = dict();
        let mut model = std::collections::BTreeMap::new();
        let mut rng = Rng::new(3);
        for i in 0..20_000u32 {
            let k = format!("k{}", rng.below(3000)).into_bytes();
            if rng.below(3) == 0 {
                assert_eq!(d.remove(&k), model.remove(&k));
            } else {
                assert_eq!(d.insert(&k, i), model.insert(k.clone(), i));
            }
            assert_eq!(d.len(), model.len());
        }
        for (k, v) in &model {
            assert_eq!(d.get(k), Some(v));
        }
        assert_eq!(d.iter().count(), model.len());
    }

    #[test]
    fn try_insert_new_refuses_a_present_key_and_reserve_avoids_rehashing() {
        // Proves the loader's one-hash insert keeps the first value of a duplicate key, and that
        // a reserved table takes that many entries without growing.
        let mut d = dict();
        d.reserve(1000);
        let buckets = d.buckets();
        assert!(buckets >= 1000);
        for i in 0..1000u32 {
            assert_eq!(d.try_insert_new(format!("k{i}").as_bytes(), i), Ok(()));
        }
        assert_eq!(d.try_insert_new(b"k7", 99), Err(99));
        assert_eq!(d.get(b"k7"), Some(&7));
        assert_eq!((d.len(), d.buckets()), (1000, buckets));
    }

    #[test]
    fn scan_returns_every_stable_key_across_resizes() {
        let mut d = dict();
        for i in 0..1000u32 {
            d.insert(format!("stable{i}").as_bytes(), i);
        }
        let mut seen = BTreeSet::new();
        let mut cursor = 0;
        let mut step = 0u32;
        loop {
            cursor = d.scan(cursor, |k, _| {
                seen.insert(k.to_vec());
            });
            // Grow and shrink the table between calls with keys that come and go.
            step += 1;
            if step.is_multiple_of(2) {
                for j in 0..500u32 {
                    d.insert(format!("tmp{step}-{j}").as_bytes(), j);
                }
            } else {
                let tmp: Vec<Vec<u8>> =
                    d.iter().filter(|(k, _)| k.starts_with(b"tmp")).map(|(k, _)| k.to_vec()).collect();
                for k in tmp {
                    d.remove(&k);
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..1000u32 {
            assert!(seen.contains(format!("stable{i}").as_bytes()), "stable{i} missed");
        }
    }

    #[test]
    fn random_entry_reaches_every_key() {
        let mut d = dict();
        for i in 0..16u32 {
            d.insert(&[i as u8], i);
        }
        let mut rng = Rng::new(9);
        let seen: BTreeSet<u32> = (0..2000).map(|_| *d.random_entry(&mut rng).unwrap().1).collect();
        assert_eq!(seen.len(), 16);
        assert!(dict().random_entry(&mut rng).is_none());
    }

    #[test]
    fn take_and_into_iter_move_every_entry_once() {
        let mut d = dict();
        for i in 0..1000u32 {
            d.insert(&i.to_be_bytes(), i);
        }
        let taken = d.take();
        assert!(d.is_empty() && d.get(&0u32.to_be_bytes()).is_none());
        d.insert(b"new", 7);
        assert_eq!(d.len(), 1);
        let mut it = taken.into_iter();
        let mut seen = BTreeSet::new();
        for _ in 0..10 {
            let (k, v) = it.next().unwrap();
            assert_eq!(&*k, &v.to_be_bytes());
            seen.insert(v);
        }
        assert_eq!(it.len(), 990);
        seen.extend(it.by_ref().map(|(_, v)| v));
        assert!(it.is_empty());
        assert_eq!(seen, (0..1000).collect());
    }

    #[test]
    fn scan_mut_reaches_every_value() {
        let mut d = dict();
        for i in 0..300u32 {
            d.insert(&i.to_be_bytes(), i);
        }
        let mut cursor = 0;
        loop {
            cursor = d.scan_mut(cursor, |_, v| *v += 1000);
            if cursor == 0 {
                break;
            }
        }
        assert!(d.iter().all(|(k, &v)| v == u32::from_be_bytes(k.try_into().unwrap()) + 1000));
        d.for_each_value_mut(|v| *v = 0);
        assert!(d.iter().all(|(_, &v)| v == 0));
    }

    #[test]
    fn shrinks_after_mass_delete() {
        let mut d = dict();
        for i in 0..4096u32 {
            d.insert(&i.to_be_bytes(), i);
        }
        for i in 0..4090u32 {
            d.remove(&i.to_be_bytes());
        }
        assert!(d.buckets() <= 64, "table stayed at {} buckets", d.buckets());
    }
}
