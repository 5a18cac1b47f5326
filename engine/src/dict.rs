//! A chained hash table with Redis's scan guarantee.
//!
//! Why not `std::collections::HashMap`: SCAN must return every key that is present for the whole
//! scan even when the table grows or shrinks between calls, and RANDOMKEY and the random-member
//! commands need a random entry in O(1). Redis gets both from a power-of-two chained table walked
//! with a reverse-binary cursor (`dictScan`); this is the same table. Resizing moves every entry at
//! once (Redis spreads it over later operations); the cursor guarantee only needs a single table
//! at the moment each SCAN call runs, which holds here. Deliberate difference: the random pick is
//! exactly uniform, where Redis's favours entries alone in their bucket (`random_entry` says how).
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
/// How many tries a random pick makes before it falls back to a linear walk. A try succeeds with
/// probability `len / (buckets * chain_len_bound)`: `remove` keeps the load above 1/8 and the
/// keyed hash keeps chains short, so a pick takes a few tries and the walk is all but never taken.
const RANDOM_TRIES_MAX: usize = 1024;

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
    /// At least the length of the longest chain: exact after a doubling or a shrink, raised by
    /// inserts, left as is by removes (still a bound). `random_entry` draws a position below it.
    chain_len_bound: usize,
}

impl<V> Dict<V> {
    /// An empty dict whose hash function is keyed by two draws from `rng`.
    pub fn new(rng: &mut Rng) -> Dict<V> {
        Dict { buckets: Vec::new(), len: 0, keys: (rng.next_u64(), rng.next_u64()), chain_len_bound: 0 }
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
        // Half the inserts land in an empty bucket: no chain to walk for the bound.
        let chained = next.is_some();
        self.buckets[b] = Some(Box::new(Entry { key: key.into(), value, next }));
        self.len += 1;
        let chain_len = if chained { self.chain_len(b) } else { 1 };
        self.chain_len_bound = self.chain_len_bound.max(chain_len);
    }

    /// Stores `value` under `key` unless the key is present, hashing the key once (a loader's
    /// duplicate check and insert in one). `Err` gives the value back when the key was there.
    pub fn try_insert_new(&mut self, key: &[u8], value: V) -> Result<(), V> {
        if self.len >= self.buckets.len() {
            self.resize((self.len + 1).next_power_of_two().max(TABLE_SIZE_MIN));
        }
        let b = self.bucket_of(key);
        let mut cur = self.buckets[b].as_deref();
        let mut chain_len = 0;
        while let Some(e) = cur {
            if &*e.key == key {
                return Err(value);
            }
            chain_len += 1;
            cur = e.next.as_deref();
        }
        let next = self.buckets[b].take();
        self.buckets[b] = Some(Box::new(Entry { key: key.into(), value, next }));
        self.len += 1;
        self.chain_len_bound = self.chain_len_bound.max(chain_len + 1);
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
        let old_size = old.len();
        self.buckets.resize_with(size, || None);
        let mask = size - 1;
        // A doubling (every growth `insert` makes) splits old chain i between buckets i and
        // i + old_size: counting both halves gives the exact longest chain at no extra cost.
        let mut longest = 0;
        for (i, mut head) in old.into_iter().enumerate() {
            let (mut stayed, mut moved) = (0, 0);
            while let Some(mut e) = head {
                head = e.next.take();
                let b = (self.hash(&e.key) as usize) & mask;
                if b == i {
                    stayed += 1;
                } else {
                    moved += 1;
                }
                e.next = self.buckets[b].take();
                self.buckets[b] = Some(e);
            }
            longest = longest.max(stayed).max(moved);
        }
        self.chain_len_bound = if size == 2 * old_size {
            longest
        } else if size > old_size {
            // A larger growth splits chains further: the old bound still holds.
            self.chain_len_bound
        } else {
            // A shrink merges chains: measure them.
            (0..size).map(|b| self.chain_len(b)).max().unwrap_or(0)
        };
    }

    /// How many entries bucket `b` chains.
    fn chain_len(&self, b: usize) -> usize {
        std::iter::successors(self.buckets[b].as_deref(), |e| e.next.as_deref()).count()
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
        self.chain_len_bound = 0;
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
        Dict {
            buckets: std::mem::take(&mut self.buckets),
            len: std::mem::replace(&mut self.len, 0),
            keys: self.keys,
            chain_len_bound: std::mem::replace(&mut self.chain_len_bound, 0),
        }
    }

    /// A uniformly random entry: every entry has the same chance, whatever the chain it sits in.
    ///
    /// Redis's `dictGetRandomKey` picks a random bucket and then a random entry of its chain, so an
    /// entry sharing its bucket is picked less often than one alone in its bucket (`dictGetFairRandomKey`
    /// softens that by sampling a run of buckets). This rejection-samples instead: a try draws a
    /// bucket and a position below `chain_len_bound` and succeeds when the chain reaches that
    /// position, so every entry has the same chance `1 / (buckets * chain_len_bound)` per try.
    /// The rare pick that runs out of tries draws a uniform rank and walks to it (still uniform).
    /// Expected tries: `buckets * chain_len_bound / len`, about 3 for 10 entries and 10 for a
    /// million (one bucket read each, a chain step for the few that land on one): about the 15
    /// entries Redis's fair pick reads.
    pub fn random_entry(&self, rng: &mut Rng) -> Option<(&[u8], &V)> {
        if self.len == 0 {
            return None;
        }
        debug_assert!(self.chain_len_bound >= 1);
        let (buckets, bound) = (self.buckets.len() as u64, self.chain_len_bound as u64);
        for _ in 0..RANDOM_TRIES_MAX {
            let head = self.buckets[rng.below(buckets) as usize].as_deref();
            let pos = rng.below(bound) as usize;
            if let Some(e) = std::iter::successors(head, |e| e.next.as_deref()).nth(pos) {
                return Some((&e.key, &e.value));
            }
        }
        self.iter().nth(rng.below(self.len as u64) as usize)
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
        let mut copy = Dict { buckets: Vec::new(), len: 0, keys: self.keys, chain_len_bound: 0 };
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
    use crate::chi_square::{chi_square, CHI_SQUARE_MAX_10_OUTCOMES};
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

    /// A dict holding `n` entries: key `k{i}` with value `i`.
    fn dict_of(n: u32) -> Dict<u32> {
        let mut d = dict();
        for i in 0..n {
            d.insert(format!("k{i}").as_bytes(), i);
        }
        d
    }

    /// Draws per chi-square check: thousands, so a bias shows well past the threshold.
    const DRAWS: usize = 10_000;

    /// The chi-square value of `DRAWS` picks of `pick` from the 10 entries of `d`.
    fn chi_square_of(d: &Dict<u32>, seed: u64, pick: impl Fn(&Dict<u32>, &mut Rng) -> u32) -> f64 {
        assert_eq!(d.len(), 10);
        let mut rng = Rng::new(seed);
        chi_square(10, (0..DRAWS).map(|_| pick(d, &mut rng)))
    }

    /// Redis's `dictGetRandomKey` (a random non-empty bucket, then a random entry of its chain),
    /// the pick `random_entry` made before: planted to prove the check sees its bias.
    fn bucket_then_chain(d: &Dict<u32>, rng: &mut Rng) -> u32 {
        loop {
            let b = rng.below(d.buckets() as u64) as usize;
            let chain: Vec<&u32> =
                std::iter::successors(d.buckets[b].as_deref(), |e| e.next.as_deref()).map(|e| &e.value).collect();
            if !chain.is_empty() {
                return *chain[rng.below(chain.len() as u64) as usize];
            }
        }
    }

    #[test]
    fn random_entry_is_uniform_in_every_table_shape() {
        // Proves random_entry passes Redis's chi-square check for 10 entries over thousands of
        // draws: in a table as inserts leave it (some entries share a bucket), after mass removals
        // (a chain bound above the longest chain), and in a table reserved far larger than its
        // entries (most tries miss, some picks fall back to the walk), for several seeds.
        let shrunk = {
            let mut d = dict_of(1000);
            (10..1000u32).for_each(|i| assert_eq!(d.remove(format!("k{i}").as_bytes()), Some(i)));
            d
        };
        let sparse = {
            let mut d = dict();
            d.reserve(5000);
            (0..10u32).for_each(|i| d.insert_new(format!("k{i}").as_bytes(), i));
            d
        };
        assert!(dict_of(10).chain_len_bound >= 2, "the plain table has a shared bucket to test");
        for (name, d) in [("grown", dict_of(10)), ("shrunk", shrunk), ("sparse", sparse)] {
            for seed in 0..4 {
                let x2 = chi_square_of(&d, seed, |d, rng| *d.random_entry(rng).unwrap().1);
                assert!(x2 < CHI_SQUARE_MAX_10_OUTCOMES, "{name} table, seed {seed}: chi-square {x2:.1}");
            }
        }
    }

    #[test]
    fn bucket_then_chain_picks_fail_the_check() {
        // Proves the check catches the bias of picking a bucket first (Redis's dictGetRandomKey,
        // and verdis's pick before the fair one): on the same table and seeds, the entries that
        // share a bucket come up too rarely.
        for seed in 0..4 {
            let x2 = chi_square_of(&dict_of(10), seed, bucket_then_chain);
            assert!(x2 > CHI_SQUARE_MAX_10_OUTCOMES, "seed {seed}: chi-square {x2:.1}");
        }
    }

    #[test]
    fn chain_len_bound_covers_the_longest_chain() {
        // Proves the bound random_entry relies on: after inserts (both insert paths), removes and
        // resizes it is at least the longest chain, and a doubling or a shrink makes it exact.
        let mut d = dict();
        let mut rng = Rng::new(5);
        let longest = |d: &Dict<u32>| (0..d.buckets()).map(|b| d.chain_len(b)).max().unwrap_or(0);
        for step in 0..5000u32 {
            let k = format!("k{}", rng.below(700));
            let buckets = d.buckets();
            match rng.below(3) {
                0 => drop(d.remove(k.as_bytes())),
                1 => drop(d.try_insert_new(k.as_bytes(), step)),
                _ => drop(d.insert(k.as_bytes(), step)),
            }
            assert!(d.chain_len_bound >= longest(&d), "step {step}");
            if d.buckets() != buckets {
                assert_eq!(d.chain_len_bound, longest(&d), "step {step}: resized from {buckets}");
            }
        }
        d.reserve(d.buckets() * 4);
        assert!(d.chain_len_bound >= longest(&d), "after a fourfold growth");
        d.resize((d.len() + 1).next_power_of_two());
        assert_eq!(d.chain_len_bound, longest(&d), "after a shrink");
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
