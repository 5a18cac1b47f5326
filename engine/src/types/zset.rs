//! The sorted set value (Redis type `zset`), in Redis's two encodings.
//!
//! - `listpack`: a small set is one packed byte buffer of `(member, score)` entries sorted by
//!   score then member, scanned linearly, as Redis's listpack. Each entry is a LEB128 header (the
//!   member's length and the score's form), the member bytes, then the score in the shortest exact
//!   form: a zigzag LEB128 integer (most scores), 4 bytes when an `f32` holds it exactly (12.25),
//!   else 8 bytes. A short member with an integer score costs about ten bytes, as in Redis,
//!   instead of a node and a hash entry.
//! - `skiplist`: past `zset-max-listpack-entries` members or a member longer than
//!   `zset-max-listpack-value` bytes, Redis's skiplist with spans (O(log n) insert, delete, rank and
//!   rank lookup), its nodes in an arena addressed by index, plus a `Dict` from member to score for
//!   O(1) ZSCORE and the SCAN cursor guarantee. Conversion is one way, as in Redis.
//!
//! Range lookups follow Redis's algorithm per encoding (a linear scan from the head for the
//! listpack, a top-down traversal for the skiplist), so even BYLEX on members with different
//! scores, whose result Redis leaves unspecified, answers as Redis does for small sets.

use crate::compact::CompactBytes;
use crate::dict::Dict;
use crate::rng::Rng;

/// The thresholds (`zset-max-listpack-entries`, `zset-max-listpack-value`) that decide encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZsetLimits {
    /// Most members a listpack may hold.
    pub entries_max: usize,
    /// Longest member (bytes) a listpack may hold.
    pub value_max: usize,
}

/// A score interval as ZRANGEBYSCORE takes it (Redis's `zrangespec`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
    /// The lower bound is exclusive (`(min`).
    pub min_ex: bool,
    /// The upper bound is exclusive (`(max`).
    pub max_ex: bool,
}

impl ScoreRange {
    /// True when no score can be in the range (Redis's first check in `zslIsInRange`).
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.min_ex || self.max_ex))
    }

    /// `score` is at or above the lower bound (`zslValueGteMin`).
    pub fn gte_min(&self, score: f64) -> bool {
        if self.min_ex {
            score > self.min
        } else {
            score >= self.min
        }
    }

    /// `score` is at or below the upper bound (`zslValueLteMax`).
    pub fn lte_max(&self, score: f64) -> bool {
        if self.max_ex {
            score < self.max
        } else {
            score <= self.max
        }
    }
}

/// One end of a lexicographic range: `-`, `+`, `[member` or `(member`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexBound {
    /// `-`: below every member.
    Min,
    /// `+`: above every member.
    Max,
    /// `[member` (inclusive) or `(member` (exclusive, `true`).
    Member(Vec<u8>, bool),
}

impl LexBound {
    /// Redis's `sdscmplex` of a member against this bound.
    fn cmp_member(&self, member: &[u8]) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        match self {
            LexBound::Min => Ordering::Greater,
            LexBound::Max => Ordering::Less,
            LexBound::Member(m, _) => member.cmp(m),
        }
    }

    /// Whether the bound excludes an equal member; `-` and `+` count as exclusive, as in Redis.
    fn exclusive(&self) -> bool {
        match self {
            LexBound::Min | LexBound::Max => true,
            LexBound::Member(_, ex) => *ex,
        }
    }
}

/// A lexicographic interval as ZRANGEBYLEX takes it (Redis's `zlexrangespec`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexRange {
    /// Lower bound.
    pub min: LexBound,
    /// Upper bound.
    pub max: LexBound,
}

impl LexRange {
    /// True when no member can be in the range (the first check in `zslIsInLexRange`).
    pub fn is_empty(&self) -> bool {
        use std::cmp::Ordering;
        let cmp = match (&self.min, &self.max) {
            (LexBound::Min, LexBound::Min) | (LexBound::Max, LexBound::Max) => Ordering::Equal,
            (LexBound::Min, _) | (_, LexBound::Max) => Ordering::Less,
            (LexBound::Max, _) | (_, LexBound::Min) => Ordering::Greater,
            (LexBound::Member(a, _), LexBound::Member(b, _)) => a.cmp(b),
        };
        cmp.is_gt() || (cmp.is_eq() && (self.min.exclusive() || self.max.exclusive()))
    }

    /// `member` is at or above the lower bound (`zslLexValueGteMin`).
    pub fn gte_min(&self, member: &[u8]) -> bool {
        let cmp = self.min.cmp_member(member);
        if self.min.exclusive() {
            cmp.is_gt()
        } else {
            cmp.is_ge()
        }
    }

    /// `member` is at or below the upper bound (`zslLexValueLteMax`).
    pub fn lte_max(&self, member: &[u8]) -> bool {
        let cmp = self.max.cmp_member(member);
        if self.max.exclusive() {
            cmp.is_lt()
        } else {
            cmp.is_le()
        }
    }
}

// A small sorted set costs its one buffer plus this header (inside the key's `Box`).
const _: () = assert!(std::mem::size_of::<ZsetValue>() == 24);

/// True when `(a_score, a)` sorts before `(b_score, b)`: score first, then member bytes.
fn entry_less(a_score: f64, a: &[u8], b_score: f64, b: &[u8]) -> bool {
    a_score < b_score || (a_score == b_score && a < b)
}

/// A sorted set.
#[derive(Clone, Debug, PartialEq)]
pub enum ZsetValue {
    /// Small: one packed buffer.
    Listpack(Listpack),
    /// Large: skiplist plus member index.
    Skiplist(Box<Skiplist>),
}

impl ZsetValue {
    /// An empty sorted set that will first receive `first_member`: a listpack unless the limits
    /// already rule it out (Redis's choice in `zaddGenericCommand`).
    pub fn new_for(first_member_len: usize, limits: ZsetLimits, rng: &mut Rng) -> ZsetValue {
        if limits.entries_max == 0 || first_member_len > limits.value_max {
            ZsetValue::Skiplist(Box::new(Skiplist::new(rng)))
        } else {
            ZsetValue::Listpack(Listpack::default())
        }
    }

    /// An empty sorted set for `size_hint` members (ZRANGESTORE's destination): a skiplist when
    /// more than a listpack may hold, else a listpack that converts as members arrive.
    pub fn with_size_hint(size_hint: usize, limits: ZsetLimits, rng: &mut Rng) -> ZsetValue {
        if size_hint > limits.entries_max {
            ZsetValue::Skiplist(Box::new(Skiplist::new(rng)))
        } else {
            ZsetValue::Listpack(Listpack::default())
        }
    }

    /// Redis's name for the encoding.
    pub fn encoding(&self) -> &'static str {
        match self {
            ZsetValue::Listpack(_) => "listpack",
            ZsetValue::Skiplist(_) => "skiplist",
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            ZsetValue::Listpack(l) => l.len,
            ZsetValue::Skiplist(s) => s.len,
        }
    }

    /// True when there are no members (the key is then deleted by the command).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZsetValue::Listpack(l) => l.find(member).map(|(_, _, score)| score),
            ZsetValue::Skiplist(s) => s.dict.get(member).copied(),
        }
    }

    /// Adds a member known to be absent, converting to a skiplist first when the listpack would
    /// exceed `limits` (Redis's `zsetAdd`).
    pub fn insert_new(&mut self, member: &[u8], score: f64, limits: ZsetLimits, rng: &mut Rng) {
        debug_assert!(self.score(member).is_none());
        if let ZsetValue::Listpack(l) = self {
            if l.len + 1 > limits.entries_max || member.len() > limits.value_max {
                self.convert_to_skiplist(rng);
            }
        }
        match self {
            ZsetValue::Listpack(l) => l.insert(member, score),
            ZsetValue::Skiplist(s) => s.insert(member, score),
        }
    }

    /// Changes the score of a present member.
    pub fn update_score(&mut self, member: &[u8], score: f64) {
        match self {
            ZsetValue::Listpack(l) => {
                let removed = l.remove(member);
                debug_assert!(removed.is_some());
                l.insert(member, score);
            }
            ZsetValue::Skiplist(s) => {
                let old = s.dict.insert(member, score).expect("update_score of a present member");
                s.list_delete(member, old);
                s.list_insert(member, score);
            }
        }
    }

    /// Removes `member`, returning its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match self {
            ZsetValue::Listpack(l) => l.remove(member),
            ZsetValue::Skiplist(s) => s.remove(member),
        }
    }

    /// The 0-based ascending rank of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match self {
            ZsetValue::Listpack(l) => l.find(member).map(|(rank, _, _)| rank),
            ZsetValue::Skiplist(s) => {
                let score = *s.dict.get(member)?;
                Some(s.rank_of(member, score))
            }
        }
    }

    /// The member and score at 0-based ascending `rank` (which must be below `len`).
    pub fn at(&self, rank: usize) -> (&[u8], f64) {
        assert!(rank < self.len(), "zset rank out of range");
        match self {
            ZsetValue::Listpack(l) => {
                let off = l.offsets().nth(rank).expect("rank below len");
                let (member, score, _) = l.entry(off);
                (member, score)
            }
            ZsetValue::Skiplist(s) => {
                let node = &s.nodes[s.node_at(rank) as usize];
                (&node.member, node.score)
            }
        }
    }

    /// Calls `visit` with each entry from `rank` on, ascending (or descending when `rev`), until
    /// it returns false or the set ends.
    pub fn walk(&self, rank: usize, rev: bool, mut visit: impl FnMut(&[u8], f64) -> bool) {
        if rank >= self.len() {
            return;
        }
        match self {
            ZsetValue::Listpack(l) => {
                if rev {
                    let offsets: Vec<usize> = l.offsets().take(rank + 1).collect();
                    for &off in offsets.iter().rev() {
                        let (member, score, _) = l.entry(off);
                        if !visit(member, score) {
                            return;
                        }
                    }
                } else {
                    for off in l.offsets().skip(rank) {
                        let (member, score, _) = l.entry(off);
                        if !visit(member, score) {
                            return;
                        }
                    }
                }
            }
            ZsetValue::Skiplist(s) => {
                let mut x = s.node_at(rank);
                while x != NIL {
                    let node = &s.nodes[x as usize];
                    if !visit(&node.member, node.score) {
                        return;
                    }
                    x = if rev { node.backward } else { node.level(0).forward };
                }
            }
        }
    }

    /// Every entry in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        // The position of the next entry: a byte offset in the listpack, a node in the skiplist.
        let mut next = match self {
            ZsetValue::Listpack(_) => 0,
            ZsetValue::Skiplist(s) => s.nodes[HEADER as usize].level(0).forward as usize,
        };
        std::iter::from_fn(move || match self {
            ZsetValue::Listpack(l) => {
                if next >= l.buf.len() {
                    return None;
                }
                let (member, score, after) = l.entry(next);
                next = after;
                Some((member, score))
            }
            ZsetValue::Skiplist(s) => {
                if next == NIL as usize {
                    return None;
                }
                let node = &s.nodes[next];
                next = node.level(0).forward as usize;
                Some((&*node.member, node.score))
            }
        })
    }

    /// Every entry in ascending order, copied out.
    pub fn to_vec(&self) -> Vec<(Vec<u8>, f64)> {
        self.iter().map(|(m, s)| (m.to_vec(), s)).collect()
    }

    /// Rank of the first entry in the range given by the bound tests, as Redis's
    /// `zslFirstInRange`/`zzlFirstInRange` (and their lex twins) find it.
    fn first_in(&self, gte_min: impl Fn(&[u8], f64) -> bool, lte_max: impl Fn(&[u8], f64) -> bool) -> Option<usize> {
        if !self.could_hold(&gte_min, &lte_max) {
            return None;
        }
        let rank = match self {
            ZsetValue::Listpack(l) => l.offsets().position(|off| {
                let (m, s, _) = l.entry(off);
                gte_min(m, s)
            })?,
            ZsetValue::Skiplist(s) => s.count_while(|m, sc| !gte_min(m, sc)),
        };
        if rank >= self.len() {
            return None;
        }
        let (m, s) = self.at(rank);
        lte_max(m, s).then_some(rank)
    }

    /// Rank of the last entry in the range, as `zslLastInRange`/`zzlLastInRange` find it.
    fn last_in(&self, gte_min: impl Fn(&[u8], f64) -> bool, lte_max: impl Fn(&[u8], f64) -> bool) -> Option<usize> {
        if !self.could_hold(&gte_min, &lte_max) {
            return None;
        }
        let rank = match self {
            ZsetValue::Listpack(l) => {
                // The listpack is scanned from the tail: the highest rank below the maximum.
                let mut last = None;
                for (i, off) in l.offsets().enumerate() {
                    let (m, s, _) = l.entry(off);
                    if lte_max(m, s) {
                        last = Some(i);
                    }
                }
                last?
            }
            ZsetValue::Skiplist(s) => s.count_while(&lte_max).checked_sub(1)?,
        };
        let (m, s) = self.at(rank);
        gte_min(m, s).then_some(rank)
    }

    /// Redis's `zslIsInRange` tail/head test: the last entry reaches the minimum and the first
    /// entry does not pass the maximum.
    fn could_hold(&self, gte_min: &impl Fn(&[u8], f64) -> bool, lte_max: &impl Fn(&[u8], f64) -> bool) -> bool {
        if self.is_empty() {
            return false;
        }
        let (m, s) = self.at(self.len() - 1);
        if !gte_min(m, s) {
            return false;
        }
        let (m, s) = self.at(0);
        lte_max(m, s)
    }

    /// Rank of the first entry whose score is in `range`.
    pub fn first_in_score(&self, range: &ScoreRange) -> Option<usize> {
        if range.is_empty() {
            return None;
        }
        self.first_in(|_, s| range.gte_min(s), |_, s| range.lte_max(s))
    }

    /// Rank of the last entry whose score is in `range`.
    pub fn last_in_score(&self, range: &ScoreRange) -> Option<usize> {
        if range.is_empty() {
            return None;
        }
        self.last_in(|_, s| range.gte_min(s), |_, s| range.lte_max(s))
    }

    /// Rank of the first entry whose member is in `range`.
    pub fn first_in_lex(&self, range: &LexRange) -> Option<usize> {
        if range.is_empty() {
            return None;
        }
        self.first_in(|m, _| range.gte_min(m), |m, _| range.lte_max(m))
    }

    /// Rank of the last entry whose member is in `range`.
    pub fn last_in_lex(&self, range: &LexRange) -> Option<usize> {
        if range.is_empty() {
            return None;
        }
        self.last_in(|m, _| range.gte_min(m), |m, _| range.lte_max(m))
    }

    /// How many consecutive entries from `rank` on (ascending) satisfy `pred`.
    pub fn count_from(&self, rank: usize, pred: impl Fn(&[u8], f64) -> bool) -> usize {
        let mut count = 0;
        self.walk(rank, false, |m, s| {
            let hit = pred(m, s);
            count += usize::from(hit);
            hit
        });
        count
    }

    /// ZCOUNT: entries whose score is in `range` (a walk for the listpack, two rank lookups for
    /// the skiplist, as Redis counts them).
    pub fn count_in_score(&self, range: &ScoreRange) -> usize {
        let Some(first) = self.first_in_score(range) else { return 0 };
        match self {
            ZsetValue::Listpack(_) => self.count_from(first, |_, s| range.lte_max(s)),
            ZsetValue::Skiplist(_) => {
                self.last_in_score(range).map_or(self.len() - first, |l| (l + 1).saturating_sub(first))
            }
        }
    }

    /// ZLEXCOUNT: entries whose member is in `range`, counted as `count_in_score` does.
    pub fn count_in_lex(&self, range: &LexRange) -> usize {
        let Some(first) = self.first_in_lex(range) else { return 0 };
        match self {
            ZsetValue::Listpack(_) => self.count_from(first, |m, _| range.lte_max(m)),
            ZsetValue::Skiplist(_) => {
                self.last_in_lex(range).map_or(self.len() - first, |l| (l + 1).saturating_sub(first))
            }
        }
    }

    /// Removes the entries with ascending ranks `start..=end` (both below `len`).
    pub fn remove_rank_range(&mut self, start: usize, end: usize) {
        assert!(start <= end && end < self.len(), "zset rank range out of bounds");
        let count = end - start + 1;
        if let ZsetValue::Listpack(l) = self {
            let from = l.offsets().nth(start).expect("start below len");
            let to = l.offsets().nth(end + 1).unwrap_or(l.buf.len());
            l.splice(from..to, &[]);
            l.len -= count;
            return;
        }
        // A skiplist removes node by node (O(count log n)), each from the dict as well.
        let mut members = Vec::with_capacity(count);
        self.walk(start, false, |m, _| {
            members.push(m.to_vec());
            members.len() < count
        });
        for m in members {
            self.remove(&m);
        }
    }

    /// Converts a listpack to a skiplist (SORT does this to every sorted set it reads).
    pub(crate) fn convert_to_skiplist(&mut self, rng: &mut Rng) {
        let ZsetValue::Listpack(l) = self else { return };
        let mut s = Skiplist::new(rng);
        for off in l.offsets() {
            let (m, score, _) = l.entry(off);
            s.insert(m, score);
        }
        *self = ZsetValue::Skiplist(Box::new(s));
    }

    /// A sorted set holding `entries` (distinct members), in the encoding Redis gives a set built
    /// whole by a store command: a listpack when it fits the limits (`zsetConvertToListpackIfNeeded`).
    pub fn from_entries(mut entries: Vec<(Vec<u8>, f64)>, limits: ZsetLimits, rng: &mut Rng) -> ZsetValue {
        let fits = entries.len() <= limits.entries_max && entries.iter().all(|(m, _)| m.len() <= limits.value_max);
        if !fits {
            let mut s = Skiplist::new(rng);
            for (m, score) in &entries {
                s.insert(m, *score);
            }
            return ZsetValue::Skiplist(Box::new(s));
        }
        entries.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.0.cmp(&b.0)));
        let mut l = Listpack::default();
        for (m, score) in &entries {
            l.push_back(m, *score);
        }
        ZsetValue::Listpack(l)
    }

    /// SCAN over the members: visits part of the set and returns the next cursor. A listpack is
    /// returned whole in one call with cursor 0, as Redis does.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        match self {
            ZsetValue::Listpack(_) => {
                self.walk(0, false, |m, s| {
                    visit(m, s);
                    true
                });
                0
            }
            ZsetValue::Skiplist(s) => s.dict.scan(cursor, |m, score| visit(m, *score)),
        }
    }

    /// A uniformly random member and its score (the set must not be empty).
    pub fn random(&self, rng: &mut Rng) -> (&[u8], f64) {
        assert!(!self.is_empty(), "random member of an empty zset");
        match self {
            ZsetValue::Listpack(l) => {
                let (m, s) = self.at(rng.below(l.len as u64) as usize);
                (m, s)
            }
            ZsetValue::Skiplist(s) => {
                let (m, score) = s.dict.random_entry(rng).expect("non-empty");
                (m, *score)
            }
        }
    }
}

/// The packed small encoding: entries sorted by (score, member).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Listpack {
    buf: Box<[u8]>,
    len: usize,
}

/// A listpack entry header's low bits: how the score is stored.
const SCORE_FORM_BITS: u32 = 2;
/// Score form: 8 little-endian bytes of an `f64`.
const SCORE_F64: u64 = 0;
/// Score form: a zigzag LEB128 integer.
const SCORE_INT: u64 = 1;
/// Score form: 4 little-endian bytes of an `f32` that converts back exactly.
const SCORE_F32: u64 = 2;
/// Largest magnitude of an integral score stored as an integer (every integer up to 2^53 is an
/// exact double, so the round trip is exact).
const INT_SCORE_MAX: f64 = 9_007_199_254_740_992.0;

/// Reads a LEB128 integer at `p`: the value and the offset after it.
fn varint_read(buf: &[u8], mut p: usize) -> (u64, usize) {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let b = buf[p];
        p += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return (value, p);
        }
        shift += 7;
    }
}

/// Appends `value` as LEB128.
fn varint_write(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let b = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

impl Listpack {
    /// Decodes the entry at `off`: member, score, offset of the next entry.
    fn entry(&self, off: usize) -> (&[u8], f64, usize) {
        let (header, p) = varint_read(&self.buf, off);
        let len = usize::try_from(header >> SCORE_FORM_BITS).expect("member length fits usize");
        let member = &self.buf[p..p + len];
        let at = p + len;
        match header & ((1 << SCORE_FORM_BITS) - 1) {
            SCORE_INT => {
                let (zigzag, next) = varint_read(&self.buf, at);
                let n = (zigzag >> 1) as i64 ^ -((zigzag & 1) as i64);
                (member, n as f64, next)
            }
            SCORE_F32 => {
                let bytes = self.buf[at..at + 4].try_into().expect("4 bytes");
                (member, f64::from(f32::from_le_bytes(bytes)), at + 4)
            }
            form => {
                assert_eq!(form, SCORE_F64, "listpack score form");
                let bytes = self.buf[at..at + 8].try_into().expect("8 bytes");
                (member, f64::from_le_bytes(bytes), at + 8)
            }
        }
    }

    /// The offset of every entry, in order.
    fn offsets(&self) -> impl Iterator<Item = usize> + '_ {
        let mut off = 0;
        std::iter::from_fn(move || {
            if off >= self.buf.len() {
                return None;
            }
            let here = off;
            off = self.entry(here).2;
            Some(here)
        })
    }

    /// Rank, offset and score of `member`.
    fn find(&self, member: &[u8]) -> Option<(usize, usize, f64)> {
        self.offsets().enumerate().find_map(|(rank, off)| {
            let (m, s, _) = self.entry(off);
            (m == member).then_some((rank, off, s))
        })
    }

    fn encode(member: &[u8], score: f64) -> Vec<u8> {
        // Redis's listpack stores the score as text that it reads back as an integer when it
        // can, so -0 comes back as 0 (a skiplist keeps -0).
        let score = if score == 0.0 { 0.0 } else { score };
        let form = if score.fract() == 0.0 && score.abs() <= INT_SCORE_MAX {
            SCORE_INT
        } else if f64::from(score as f32) == score {
            SCORE_F32
        } else {
            SCORE_F64
        };
        let mut out = Vec::with_capacity(member.len() + 20);
        varint_write(&mut out, (member.len() as u64) << SCORE_FORM_BITS | form);
        out.extend_from_slice(member);
        match form {
            SCORE_INT => {
                let n = score as i64;
                varint_write(&mut out, ((n << 1) ^ (n >> 63)) as u64);
            }
            SCORE_F32 => out.extend_from_slice(&(score as f32).to_le_bytes()),
            _ => out.extend_from_slice(&score.to_le_bytes()),
        }
        out
    }

    /// Replaces the bytes in `range` with `bytes`, leaving the buffer exactly its new size, as
    /// Redis reallocates a listpack on every change (a small set carries no spare capacity).
    fn splice(&mut self, range: std::ops::Range<usize>, bytes: &[u8]) {
        let mut out = Vec::with_capacity(self.buf.len() - range.len() + bytes.len());
        out.extend_from_slice(&self.buf[..range.start]);
        out.extend_from_slice(bytes);
        out.extend_from_slice(&self.buf[range.end..]);
        self.buf = out.into_boxed_slice();
    }

    /// Inserts an absent member at its sorted place.
    fn insert(&mut self, member: &[u8], score: f64) {
        let at = self
            .offsets()
            .find(|&off| {
                let (m, s, _) = self.entry(off);
                entry_less(score, member, s, m)
            })
            .unwrap_or(self.buf.len());
        self.splice(at..at, &Self::encode(member, score));
        self.len += 1;
    }

    /// Appends an entry known to sort after every present one.
    fn push_back(&mut self, member: &[u8], score: f64) {
        let end = self.buf.len();
        self.splice(end..end, &Self::encode(member, score));
        self.len += 1;
    }

    fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (_, off, score) = self.find(member)?;
        let end = self.entry(off).2;
        self.splice(off..end, &[]);
        self.len -= 1;
        Some(score)
    }
}

/// No node (Redis's NULL pointer).
const NIL: u32 = u32::MAX;
/// The header node's index in the arena.
const HEADER: u32 = 0;
/// Redis's ZSKIPLIST_MAXLEVEL.
const LEVEL_MAX: usize = 32;
/// The skiplist arena grows by its length divided by this.
const ARENA_GROWTH_DIVISOR: usize = 8;
/// Smallest arena growth, in nodes.
const ARENA_GROWTH_MIN: usize = 16;
/// Redis's ZSKIPLIST_P as a fraction of 2^16: each level is kept with probability 1/4.
const LEVEL_P_OF_65536: u64 = 65536 / 4;

#[derive(Clone, Copy, Debug)]
struct Level {
    forward: u32,
    span: u32,
}

#[derive(Clone, Debug)]
struct Node {
    member: CompactBytes,
    score: f64,
    backward: u32,
    /// Level 0, inline: three nodes in four have no other level, so most need no allocation.
    level0: Level,
    /// Levels 1 and up.
    upper: Box<[Level]>,
}

impl Node {
    fn new(member: &[u8], score: f64, backward: u32, height: usize) -> Node {
        let empty = Level { forward: NIL, span: 0 };
        Node {
            member: member.into(),
            score,
            backward,
            level0: empty,
            upper: vec![empty; height - 1].into_boxed_slice(),
        }
    }

    fn level(&self, i: usize) -> Level {
        if i == 0 {
            self.level0
        } else {
            self.upper[i - 1]
        }
    }

    fn level_mut(&mut self, i: usize) -> &mut Level {
        if i == 0 {
            &mut self.level0
        } else {
            &mut self.upper[i - 1]
        }
    }
}

/// The large encoding: Redis's skiplist (nodes in an arena) plus a member → score dict.
#[derive(Clone)]
pub struct Skiplist {
    nodes: Vec<Node>,
    free: Vec<u32>,
    level: usize,
    len: usize,
    dict: Dict<f64>,
    /// Draws node levels; seeded from the node's RNG when the set was created.
    level_rng: Rng,
}

impl Skiplist {
    fn new(rng: &mut Rng) -> Skiplist {
        let mut level_rng = Rng::new(rng.next_u64());
        let header = Node::new(b"", 0.0, NIL, LEVEL_MAX);
        Skiplist { nodes: vec![header], free: Vec::new(), level: 1, len: 0, dict: Dict::new(&mut level_rng), level_rng }
    }

    fn random_level(&mut self) -> usize {
        let mut level = 1;
        while level < LEVEL_MAX && (self.level_rng.next_u64() & 0xffff) < LEVEL_P_OF_65536 {
            level += 1;
        }
        level
    }

    fn insert(&mut self, member: &[u8], score: f64) {
        self.dict.insert_new(member, score);
        self.list_insert(member, score);
    }

    fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let score = self.dict.remove(member)?;
        self.list_delete(member, score);
        Some(score)
    }

    /// Redis's `zslInsert`.
    fn list_insert(&mut self, member: &[u8], score: f64) {
        let mut update = [HEADER; LEVEL_MAX];
        let mut rank = [0u32; LEVEL_MAX];
        let mut x = HEADER;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let f = self.nodes[x as usize].level(i).forward;
                if f == NIL {
                    break;
                }
                let fnode = &self.nodes[f as usize];
                if !entry_less(fnode.score, &fnode.member, score, member) {
                    break;
                }
                rank[i] += self.nodes[x as usize].level(i).span;
                x = f;
            }
            update[i] = x;
        }
        let level = self.random_level();
        if level > self.level {
            for i in self.level..level {
                rank[i] = 0;
                update[i] = HEADER;
                self.nodes[HEADER as usize].level_mut(i).span = self.len as u32;
            }
            self.level = level;
        }
        let node = Node::new(member, score, if update[0] == HEADER { NIL } else { update[0] }, level);
        let new = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                if self.nodes.len() == self.nodes.capacity() {
                    // Grow the arena by an eighth, not double: the spare slots are memory a
                    // large set pays for per node (amortised O(1) still holds).
                    self.nodes.reserve_exact((self.nodes.len() / ARENA_GROWTH_DIVISOR).max(ARENA_GROWTH_MIN));
                }
                self.nodes.push(node);
                u32::try_from(self.nodes.len() - 1).expect("zset arena below 2^32 nodes")
            }
        };
        for i in 0..level {
            let up = self.nodes[update[i] as usize].level(i);
            *self.nodes[new as usize].level_mut(i) = Level { forward: up.forward, span: up.span - (rank[0] - rank[i]) };
            *self.nodes[update[i] as usize].level_mut(i) = Level { forward: new, span: (rank[0] - rank[i]) + 1 };
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(level) {
            self.nodes[u as usize].level_mut(i).span += 1;
        }
        let next = self.nodes[new as usize].level(0).forward;
        if next != NIL {
            self.nodes[next as usize].backward = new;
        }
        self.len += 1;
    }

    /// Redis's `zslDelete` of a present `(score, member)`.
    fn list_delete(&mut self, member: &[u8], score: f64) {
        let mut update = [HEADER; LEVEL_MAX];
        let mut x = HEADER;
        for i in (0..self.level).rev() {
            loop {
                let f = self.nodes[x as usize].level(i).forward;
                if f == NIL {
                    break;
                }
                let fnode = &self.nodes[f as usize];
                if !entry_less(fnode.score, &fnode.member, score, member) {
                    break;
                }
                x = f;
            }
            update[i] = x;
        }
        let x = self.nodes[x as usize].level(0).forward;
        assert!(x != NIL && *self.nodes[x as usize].member == *member, "zslDelete of an absent member");
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let up = self.nodes[u as usize].level(i);
            if up.forward == x {
                let gone = self.nodes[x as usize].level(i);
                *self.nodes[u as usize].level_mut(i) = Level { forward: gone.forward, span: up.span + gone.span - 1 };
            } else {
                self.nodes[u as usize].level_mut(i).span -= 1;
            }
        }
        let (next, back) = (self.nodes[x as usize].level(0).forward, self.nodes[x as usize].backward);
        if next != NIL {
            self.nodes[next as usize].backward = back;
        }
        while self.level > 1 && self.nodes[HEADER as usize].level(self.level - 1).forward == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        // Free the slot; its member allocation goes now, the slot is reused by the next insert.
        self.nodes[x as usize].member = CompactBytes::from(&b""[..]);
        self.nodes[x as usize].upper = Box::new([]);
        self.free.push(x);
    }

    /// Number of entries from the head for which `pred` holds, by top-down traversal (the
    /// entries must be a prefix for the answer to be exact; Redis relies on the same).
    fn count_while(&self, pred: impl Fn(&[u8], f64) -> bool) -> usize {
        let mut x = HEADER;
        let mut rank = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let f = self.nodes[x as usize].level(i).forward;
                if f == NIL || !pred(&self.nodes[f as usize].member, self.nodes[f as usize].score) {
                    break;
                }
                rank += self.nodes[x as usize].level(i).span as usize;
                x = f;
            }
        }
        rank
    }

    /// 0-based rank of a present `(score, member)` (Redis's `zslGetRank` minus one).
    fn rank_of(&self, member: &[u8], score: f64) -> usize {
        let below_or_equal = self.count_while(|m, s| entry_less(s, m, score, member) || (s == score && m == member));
        below_or_equal - 1
    }

    /// The node at 0-based `rank` (Redis's `zslGetElementByRank`), or NIL past the end.
    fn node_at(&self, rank: usize) -> u32 {
        if rank >= self.len {
            return NIL;
        }
        let target = rank + 1;
        let mut traversed = 0usize;
        let mut x = HEADER;
        for i in (0..self.level).rev() {
            loop {
                let level = self.nodes[x as usize].level(i);
                if level.forward == NIL || traversed + level.span as usize > target {
                    break;
                }
                traversed += level.span as usize;
                x = level.forward;
            }
            if traversed == target {
                return x;
            }
        }
        unreachable!("rank below len is always reached")
    }
}

impl PartialEq for Skiplist {
    fn eq(&self, other: &Skiplist) -> bool {
        self.len == other.len && self.iter_nodes().zip(other.iter_nodes()).all(|(a, b)| a == b)
    }
}

impl Skiplist {
    fn iter_nodes(&self) -> impl Iterator<Item = (&[u8], u64)> + '_ {
        let mut x = self.nodes[HEADER as usize].level(0).forward;
        std::iter::from_fn(move || {
            if x == NIL {
                return None;
            }
            let node = &self.nodes[x as usize];
            x = node.level(0).forward;
            Some((&*node.member, node.score.to_bits()))
        })
    }
}

impl std::fmt::Debug for Skiplist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter_nodes().map(|(m, s)| (String::from_utf8_lossy(m), f64::from_bits(s)))).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both encodings, built from the same operations, must agree with a sorted-vector model.
    fn check_against_model(zset: &ZsetValue, model: &[(Vec<u8>, f64)]) {
        assert_eq!(zset.len(), model.len());
        assert_eq!(zset.to_vec(), model);
        for (rank, (m, s)) in model.iter().enumerate() {
            assert_eq!(zset.rank(m), Some(rank));
            assert_eq!(zset.score(m), Some(*s));
            assert_eq!(zset.at(rank), (&m[..], *s));
        }
        let mut back = Vec::new();
        zset.walk(model.len().saturating_sub(1), true, |m, s| {
            back.push((m.to_vec(), s));
            true
        });
        back.reverse();
        assert_eq!(back, model);
    }

    #[test]
    fn both_encodings_match_a_sorted_model() {
        // Proves insert, update, remove, rank, rank lookup, walks and range lookups of the
        // listpack and the skiplist against a sorted vector over seeded random operations.
        let mut rng = Rng::new(42);
        let listpack_limits = ZsetLimits { entries_max: usize::MAX, value_max: usize::MAX };
        let skiplist_limits = ZsetLimits { entries_max: 0, value_max: usize::MAX };
        let mut small = ZsetValue::new_for(1, listpack_limits, &mut rng);
        let mut large = ZsetValue::new_for(1, skiplist_limits, &mut rng);
        assert_eq!((small.encoding(), large.encoding()), ("listpack", "skiplist"));
        let mut model: Vec<(Vec<u8>, f64)> = Vec::new();
        const STEPS: usize = 3000;
        for step in 0..STEPS {
            let member = format!("m{}", rng.below(300)).into_bytes();
            let score = rng.below(50) as f64 / 2.0;
            let at = model.iter().position(|(m, _)| *m == member);
            match (rng.below(3), at) {
                (0, Some(i)) => {
                    model.remove(i);
                    assert!(small.remove(&member).is_some() && large.remove(&member).is_some());
                }
                (_, Some(i)) => {
                    model[i].1 = score;
                    small.update_score(&member, score);
                    large.update_score(&member, score);
                }
                (_, None) => {
                    model.push((member.clone(), score));
                    small.insert_new(&member, score, listpack_limits, &mut rng);
                    large.insert_new(&member, score, skiplist_limits, &mut rng);
                }
            }
            model.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap().then_with(|| a.0.cmp(&b.0)));
            if step % 97 == 0 {
                check_against_model(&small, &model);
                check_against_model(&large, &model);
                let range = ScoreRange { min: 3.0, max: 10.0, min_ex: step % 2 == 0, max_ex: false };
                let first = model.iter().position(|(_, s)| range.gte_min(*s));
                let first = first.filter(|&i| range.lte_max(model[i].1));
                assert_eq!(small.first_in_score(&range), first);
                assert_eq!(large.first_in_score(&range), first);
                let last = model.iter().rposition(|(_, s)| range.lte_max(*s)).filter(|&i| range.gte_min(model[i].1));
                assert_eq!(small.last_in_score(&range), last);
                assert_eq!(large.last_in_score(&range), last);
                let count = model.iter().filter(|(_, s)| range.gte_min(*s) && range.lte_max(*s)).count();
                assert_eq!((small.count_in_score(&range), large.count_in_score(&range)), (count, count));
            }
        }
        let len = model.len();
        small.remove_rank_range(2, len / 2);
        large.remove_rank_range(2, len / 2);
        model.drain(2..=len / 2);
        check_against_model(&small, &model);
        check_against_model(&large, &model);
        assert_eq!(small, ZsetValue::from_entries(model.clone(), listpack_limits, &mut rng));
        assert_eq!(large.clone(), large);
    }

    #[test]
    fn listpack_scores_round_trip_exactly() {
        // Proves every kind of score survives the packed encoding (integers as varints, exact
        // f32s in 4 bytes, others as doubles), with -0 read back as 0 as Redis's listpack does.
        let mut l = Listpack::default();
        let scores = [
            0.0,
            1.0,
            -1.0,
            0.1,
            12.25,
            -0.5,
            3.4e38,
            f64::from(f32::MAX),
            f64::from(f32::MIN_POSITIVE) / 2.0,
            1e300,
            -1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            9007199254740992.0,
            -9007199254740992.0,
            9007199254740994.0,
            1.5,
            f64::MIN_POSITIVE,
            i64::MAX as f64,
        ];
        for (i, &s) in scores.iter().enumerate() {
            l.push_back(format!("{i:0>3}").as_bytes(), s);
        }
        let got: Vec<u64> = l.offsets().map(|off| l.entry(off).1.to_bits()).collect();
        let want: Vec<u64> = scores.iter().map(|s| s.to_bits()).collect();
        assert_eq!(got, want);
        l.push_back(b"z", -0.0);
        assert_eq!(l.entry(l.offsets().last().unwrap()).1.to_bits(), 0.0f64.to_bits());
    }

    #[test]
    fn lex_ranges_follow_redis_bounds() {
        // Proves lex bound comparisons, including `-`/`+` and exclusive equal bounds.
        let r = LexRange { min: LexBound::Member(b"b".to_vec(), false), max: LexBound::Max };
        assert!(r.gte_min(b"b") && !r.gte_min(b"a") && r.lte_max(b"zzz") && !r.is_empty());
        let r = LexRange { min: LexBound::Member(b"b".to_vec(), true), max: LexBound::Member(b"b".to_vec(), false) };
        assert!(r.is_empty());
        assert!(LexRange { min: LexBound::Max, max: LexBound::Min }.is_empty());
        assert!(LexRange { min: LexBound::Min, max: LexBound::Min }.is_empty());
        assert!(!LexRange { min: LexBound::Min, max: LexBound::Max }.is_empty());
    }
}
