//! The stream type (Redis's `t_stream.c` data layer and `stream.h`).
//!
//! Entries live in nodes as Redis keeps them: each node is one listpack in Redis's own byte
//! format (`rdb::listpack`), opened by a "master entry" (live count, deleted count, the first
//! entry's field names, a 0 terminator) and followed by entries written as deltas from the
//! node's first ID, with the field names left out when they equal the master's
//! (`FLAG_SAMEFIELDS`). Deleting an entry only flags it (`FLAG_DELETED`) and moves the master's
//! counts; a node goes when its last live entry does.
//!
//! Why Redis's bytes: they cost what Redis's cost per entry (a few bytes of overhead), RDB and
//! DUMP write them as they are, and node boundaries (which XINFO's `radix-tree-keys` shows and
//! approximate trimming depends on) fall exactly where Redis puts them. The radix tree keyed by
//! the node's first ID becomes a `BTreeMap`; XINFO's `radix-tree-nodes`, which counts rax nodes,
//! is computed from the keys as a compressed rax would hold them (`rax_nodes`).
//!
//! Consumer groups keep Redis's model: a group's pending entries list (PEL) maps IDs to their
//! delivery data and owner, each consumer lists the IDs it owns.

use std::collections::{BTreeMap, BTreeSet};

use crate::rdb::listpack::{self, Builder, Elements, Item};

/// The entry is deleted (flagged, not removed).
pub const FLAG_DELETED: i64 = 1;
/// The entry's field names are the master entry's.
pub const FLAG_SAMEFIELDS: i64 = 2;
/// Redis's `STREAM_LISTPACK_MAX_SIZE`: the most bytes a node may reach, and the most bytes of
/// fields and values one entry may carry.
pub const LISTPACK_MAX_SIZE: usize = 1 << 30;
/// Redis's `SCG_INVALID_ENTRIES_READ`: a group's read counter is unknown.
pub const ENTRIES_READ_INVALID: i64 = -1;

/// A stream entry ID: milliseconds and sequence, ordered as a 128-bit number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    /// The milliseconds part.
    pub ms: u64,
    /// The sequence part.
    pub seq: u64,
}

impl StreamId {
    /// `0-0`.
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// The largest ID.
    pub const MAX: StreamId = StreamId { ms: u64::MAX, seq: u64::MAX };

    /// The ID `ms-seq`.
    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// True for `0-0`.
    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// The next ID (Redis's `streamIncrID`), `None` past the largest.
    pub fn incr(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (u64::MAX, u64::MAX) => None,
            (ms, u64::MAX) => Some(StreamId::new(ms + 1, 0)),
            (ms, seq) => Some(StreamId::new(ms, seq + 1)),
        }
    }

    /// The previous ID (Redis's `streamDecrID`), `None` before `0-0`.
    pub fn decr(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (0, 0) => None,
            (ms, 0) => Some(StreamId::new(ms - 1, u64::MAX)),
            (ms, seq) => Some(StreamId::new(ms, seq - 1)),
        }
    }

    /// The `ms-seq` text replies and propagation use.
    pub fn to_bytes(self) -> Vec<u8> {
        format!("{}-{}", self.ms, self.seq).into_bytes()
    }

    /// The 16 big-endian bytes Redis keys its radix trees with (`streamEncodeID`).
    pub fn key_bytes(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.ms.to_be_bytes());
        out[8..].copy_from_slice(&self.seq.to_be_bytes());
        out
    }

    /// The ID from its radix-tree key (`streamDecodeID`).
    pub fn from_key_bytes(key: &[u8; 16]) -> StreamId {
        let (ms, seq) = key.split_at(8);
        StreamId::new(
            u64::from_be_bytes(ms.try_into().expect("8 bytes")),
            u64::from_be_bytes(seq.try_into().expect("8 bytes")),
        )
    }
}

/// Where the last node ends (the `stream-node-max-*` settings).
#[derive(Clone, Copy, Debug)]
pub struct StreamLimits {
    /// `stream-node-max-bytes` (0: only `LISTPACK_MAX_SIZE`).
    pub node_max_bytes: usize,
    /// `stream-node-max-entries` (0: no limit).
    pub node_max_entries: usize,
}

/// How XADD and XTRIM trim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrimStrategy {
    /// Keep at most this many entries.
    MaxLen(u64),
    /// Drop entries below this ID.
    MinId(StreamId),
}

/// One entry read from a node: its ID and field/value pairs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The entry's ID.
    pub id: StreamId,
    /// Field/value pairs in order.
    pub fields: Vec<(Item<'a>, Item<'a>)>,
}

/// An entry of a node as stored: where its flags sit, and whether it is deleted.
struct Slot<'a> {
    entry: Entry<'a>,
    flags_at: usize,
    flags: i64,
}

/// A pending entry: delivered to a consumer, not yet acknowledged (Redis's `streamNACK`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nack {
    /// When it was last delivered (unix ms).
    pub delivery_time_ms: i64,
    /// How many times it was delivered.
    pub delivery_count: u64,
    /// The consumer that owns it.
    pub consumer: Vec<u8>,
}

/// A consumer of a group (Redis's `streamConsumer`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Consumer {
    /// Last time it was seen (unix ms).
    pub seen_time_ms: i64,
    /// The IDs it owns in the group's PEL.
    pub pel: BTreeSet<StreamId>,
}

/// A consumer group (Redis's `streamCG`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The last ID delivered to any consumer.
    pub last_id: StreamId,
    /// The logical count of entries read, or `ENTRIES_READ_INVALID`.
    pub entries_read: i64,
    /// Delivered, unacknowledged entries by ID.
    pub pel: BTreeMap<StreamId, Nack>,
    /// The consumers by name.
    pub consumers: BTreeMap<Vec<u8>, Consumer>,
}

impl Group {
    /// A group with nothing delivered yet.
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group { last_id, entries_read, pel: BTreeMap::new(), consumers: BTreeMap::new() }
    }
}

/// A stream value (Redis's `stream`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StreamValue {
    /// Nodes by their master ID, each a listpack in Redis's format.
    nodes: BTreeMap<StreamId, Vec<u8>>,
    /// Live entries.
    length: u64,
    /// The largest ID ever added (or set by XSETID).
    pub last_id: StreamId,
    /// The first live entry's ID (0-0 when empty).
    pub first_id: StreamId,
    /// The largest ID ever deleted.
    pub max_deleted_entry_id: StreamId,
    /// Entries ever added.
    pub entries_added: u64,
    /// Consumer groups by name.
    pub groups: BTreeMap<Vec<u8>, Group>,
}

fn int(item: Item) -> i64 {
    match item {
        Item::Int(n) => n,
        Item::Str(s) => crate::num::parse_i64(s).expect("a stream node integer"),
    }
}

/// The next element of a node this process validated or built.
fn take<'a>(el: &mut Elements<'a>) -> (usize, Item<'a>) {
    el.next().expect("a well-formed stream node")
}

/// Reads every entry of the node `lp` with master ID `master`, deleted ones included.
fn node_slots(master: StreamId, lp: &[u8]) -> Vec<Slot<'_>> {
    let mut el = Elements::new(lp);
    let _count = take(&mut el);
    let _deleted = take(&mut el);
    let master_count = int(take(&mut el).1);
    let master_fields: Vec<Item> = (0..master_count).map(|_| take(&mut el).1).collect();
    let _terminator = take(&mut el);
    let mut slots = Vec::new();
    while let Some((flags_at, flags)) = el.next() {
        let flags = int(flags);
        let ms = master.ms.wrapping_add(int(take(&mut el).1) as u64);
        let seq = master.seq.wrapping_add(int(take(&mut el).1) as u64);
        let fields = if flags & FLAG_SAMEFIELDS != 0 {
            master_fields.iter().map(|f| (*f, take(&mut el).1)).collect()
        } else {
            let n = int(take(&mut el).1);
            (0..n).map(|_| (take(&mut el).1, take(&mut el).1)).collect()
        };
        let _lp_count = take(&mut el);
        slots.push(Slot { entry: Entry { id: StreamId::new(ms, seq), fields }, flags_at, flags });
    }
    slots
}

/// The node's live and deleted counts (the master entry's first two elements).
fn node_counts(lp: &[u8]) -> (i64, i64) {
    let mut el = Elements::new(lp);
    let count = int(el.next().expect("a stream node").1);
    let deleted = int(el.next().expect("a stream node").1);
    (count, deleted)
}

/// Sets the node's live and deleted counts.
fn set_node_counts(lp: &mut Vec<u8>, count: i64, deleted: i64) {
    let first = Elements::new(lp).next().expect("a stream node").0;
    listpack::replace_int(lp, first, count);
    let second = Elements::new(lp).nth(1).expect("a stream node").0;
    listpack::replace_int(lp, second, deleted);
}

/// Checks a node from a file or payload as Redis's `streamValidateListpackIntegrity` does
/// (deep): the listpack's bytes, the master entry, each entry's shape and `lp-count`, the
/// master's counts, and IDs rising from the master's. Returns the node's last ID.
pub fn validate_node(master: StreamId, lp: &[u8]) -> Result<StreamId, &'static str> {
    let items = listpack::decode(lp).map_err(|(_, why)| why)?;
    let mut it = items.into_iter();
    let next_int = |it: &mut std::vec::IntoIter<Item>| match it.next() {
        Some(Item::Int(n)) => Ok(n),
        Some(Item::Str(s)) => crate::num::parse_i64(s).ok_or("stream node integer expected"),
        None => Err("stream node ends early"),
    };
    let count = next_int(&mut it)?;
    let deleted = next_int(&mut it)?;
    let master_fields = next_int(&mut it)?;
    if master_fields < 0 || master_fields as u64 > it.len() as u64 {
        return Err("master field count out of range");
    }
    for _ in 0..master_fields {
        it.next().ok_or("stream node ends in the master entry")?;
    }
    if next_int(&mut it)? != 0 {
        return Err("master entry terminator is not 0");
    }
    let (mut live, mut dead) = (0i64, 0i64);
    let mut last = None::<StreamId>;
    while it.len() > 0 {
        let flags = next_int(&mut it)?;
        let ms = master.ms.wrapping_add(next_int(&mut it)? as u64);
        let seq = master.seq.wrapping_add(next_int(&mut it)? as u64);
        let id = StreamId::new(ms, seq);
        if id < master || last.is_some_and(|l| id <= l) {
            return Err("stream node IDs out of order");
        }
        last = Some(id);
        let (fields, lp_count) = if flags & FLAG_SAMEFIELDS != 0 {
            (master_fields, master_fields + 3)
        } else {
            let n = next_int(&mut it)?;
            if n < 0 || n as u64 > it.len() as u64 {
                return Err("entry field count out of range");
            }
            (n * 2, n * 2 + 4)
        };
        if fields > it.len() as i64 {
            return Err("stream entry runs past the node");
        }
        for _ in 0..fields {
            it.next();
        }
        if next_int(&mut it)? != lp_count {
            return Err("stream entry lp-count does not match");
        }
        if flags & FLAG_DELETED != 0 {
            dead += 1;
        } else {
            live += 1;
        }
    }
    if live != count || dead != deleted {
        return Err("stream node counts do not match its entries");
    }
    last.ok_or("empty stream node")
}

impl StreamValue {
    /// An empty stream.
    pub fn new() -> StreamValue {
        StreamValue::default()
    }

    /// Live entries (XLEN).
    pub fn len(&self) -> u64 {
        self.length
    }

    /// True when no live entry is left.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Nodes (XINFO's `radix-tree-keys`).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes as stored: master ID and listpack, in order (for RDB and DUMP).
    pub fn nodes(&self) -> impl Iterator<Item = (StreamId, &[u8])> {
        self.nodes.iter().map(|(id, lp)| (*id, &lp[..]))
    }

    /// Bytes the nodes' listpacks take.
    pub fn node_bytes(&self) -> usize {
        self.nodes.values().map(Vec::len).sum()
    }

    /// Adds a node read from a file or payload, checked first (`validate_node`); the caller
    /// restores the counters after the last node. An empty listpack is refused as Redis does.
    pub fn load_node(&mut self, master: StreamId, lp: Vec<u8>) -> Result<(), &'static str> {
        validate_node(master, &lp)?;
        if self.nodes.last_key_value().is_some_and(|(k, _)| *k >= master) {
            return Err("stream nodes out of order");
        }
        // A node with no live entry is kept (a MINID trim can leave one), as Redis keeps it.
        let (count, _) = node_counts(&lp);
        self.length += count as u64;
        self.nodes.insert(master, lp);
        Ok(())
    }

    /// Live entries counted from the nodes (a loader's cross-check of the saved length).
    pub fn counted_len(&self) -> u64 {
        self.nodes.values().map(|lp| node_counts(lp).0 as u64).sum()
    }

    /// XINFO's `radix-tree-nodes`: the nodes of a compressed radix tree (Redis's rax) holding
    /// the 16-byte node keys: the root, each point where keys branch, each child of a branch,
    /// and each key's leaf (a chain of single bytes is one compressed node).
    pub fn rax_nodes(&self) -> usize {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|id| id.key_bytes()).collect();
        if keys.is_empty() {
            return 1;
        }
        1 + rax_nodes_below(&keys, 0)
    }

    /// Appends an entry with `id` (greater than `last_id`, the caller checked) and the flat
    /// field/value list `pairs` (Redis's `streamAppendItem` after the ID is chosen).
    pub fn append(&mut self, id: StreamId, pairs: &[&[u8]], limits: StreamLimits) {
        debug_assert!(id > self.last_id && pairs.len().is_multiple_of(2));
        let numfields = pairs.len() / 2;
        let max_bytes = match limits.node_max_bytes {
            0 => LISTPACK_MAX_SIZE,
            n => n.min(LISTPACK_MAX_SIZE),
        };
        let fields_bytes: usize = pairs.iter().map(|p| p.len()).sum();
        let tail = self.nodes.last_key_value().map(|(master, lp)| (*master, lp.len(), node_counts(lp)));
        let reuse = match tail {
            Some((_, bytes, (count, deleted))) => {
                bytes + fields_bytes < max_bytes
                    && (limits.node_max_entries == 0 || ((count + deleted) as usize) < limits.node_max_entries)
            }
            None => false,
        };
        let mut flags = 0;
        let (master, mut b) = match tail {
            Some((master, ..)) if reuse => {
                let mut lp = self.nodes.remove(&master).expect("the tail node");
                let (count, _) = node_counts(&lp);
                let first = Elements::new(&lp).next().expect("a stream node").0;
                listpack::replace_int(&mut lp, first, count + 1);
                let master_fields: Vec<Item> = {
                    let mut el = Elements::new(&lp).skip(2);
                    let n = int(el.next().expect("a stream node").1);
                    el.take(n as usize).map(|(_, item)| item).collect()
                };
                if master_fields.len() == numfields
                    && master_fields.iter().zip(pairs.chunks(2)).all(|(m, p)| m.with_bytes(|m| m == p[0]))
                {
                    flags |= FLAG_SAMEFIELDS;
                }
                (master, Builder::reopen(lp))
            }
            _ => {
                if let Some((master, ..)) = tail {
                    // The old tail takes no more entries: give back its growth room.
                    if let Some(lp) = self.nodes.get_mut(&master) {
                        lp.shrink_to_fit();
                    }
                }
                let mut b = Builder::new();
                b.push_int(1);
                b.push_int(0);
                b.push_int(numfields as i64);
                for pair in pairs.chunks(2) {
                    b.push(pair[0]);
                }
                b.push_int(0);
                flags |= FLAG_SAMEFIELDS;
                (id, b)
            }
        };
        b.push_int(flags);
        b.push_int(id.ms.wrapping_sub(master.ms) as i64);
        b.push_int(id.seq.wrapping_sub(master.seq) as i64);
        let same = flags & FLAG_SAMEFIELDS != 0;
        if !same {
            b.push_int(numfields as i64);
        }
        for pair in pairs.chunks(2) {
            if !same {
                b.push(pair[0]);
            }
            b.push(pair[1]);
        }
        let lp_count = if same { numfields + 3 } else { 2 * numfields + 4 };
        b.push_int(lp_count as i64);
        self.nodes.insert(master, b.finish());
        self.length += 1;
        self.entries_added = self.entries_added.wrapping_add(1);
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
    }

    /// The node that may hold `id`: the last one whose master ID is not above it.
    fn node_of(&self, id: StreamId) -> Option<StreamId> {
        self.nodes.range(..=id).next_back().map(|(k, _)| *k)
    }

    /// Live entries from `start` to `end` inclusive, forward or in reverse, node by node (no
    /// node is read before the iteration reaches it).
    pub fn range(&self, start: StreamId, end: StreamId, rev: bool) -> Range<'_> {
        let nodes = if start > end {
            None
        } else {
            let from = self.node_of(start).unwrap_or(StreamId::MIN);
            Some(self.nodes.range(from..=end))
        };
        Range { nodes, current: Vec::new().into_iter(), start, end, rev }
    }

    /// The first (or last) live entry's ID, if any (Redis's `streamGetEdgeID` skipping
    /// tombstones).
    pub fn edge_id(&self, last: bool) -> Option<StreamId> {
        self.range(StreamId::MIN, StreamId::MAX, last).next().map(|e| e.id)
    }

    /// The first (or last) entry's ID counting deleted ones (`streamGetEdgeID` without
    /// skipping tombstones): `MAX` (or `MIN`) when there is no node.
    pub fn edge_id_with_tombstones(&self, last: bool) -> StreamId {
        let node = if last { self.nodes.last_key_value() } else { self.nodes.first_key_value() };
        match node {
            Some((master, lp)) => {
                let slots = node_slots(*master, lp);
                let slot = if last { slots.last() } else { slots.first() };
                slot.expect("a node holds an entry").entry.id
            }
            None if last => StreamId::MIN,
            None => StreamId::MAX,
        }
    }

    /// The fields of the live entry `id`, if there is one.
    pub fn get(&self, id: StreamId) -> Option<Entry<'_>> {
        self.range(id, id, false).next()
    }

    /// Flags entry `id` deleted (Redis's `streamDeleteItem`); false when no live entry has it.
    /// The caller moves `max_deleted_entry_id` and `first_id`.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some(master) = self.node_of(id) else { return false };
        let lp = self.nodes.get_mut(&master).expect("node_of found it");
        let Some(at) = node_slots(master, lp)
            .iter()
            .find(|s| s.entry.id == id && s.flags & FLAG_DELETED == 0)
            .map(|s| (s.flags_at, s.flags))
        else {
            return false;
        };
        let (count, deleted) = node_counts(lp);
        if count == 1 {
            self.nodes.remove(&master);
        } else {
            listpack::replace_int(lp, at.0, at.1 | FLAG_DELETED);
            set_node_counts(lp, count - 1, deleted + 1);
        }
        self.length -= 1;
        true
    }

    /// Trims by `strategy` (Redis's `streamTrim`): whole nodes from the head, then, unless
    /// `approx`, entries flagged in the first node left. `limit` (0: none) caps the entries
    /// removed by whole nodes. Returns how many entries went; sets `first_id`.
    pub fn trim(&mut self, strategy: TrimStrategy, approx: bool, limit: u64) -> u64 {
        let mut deleted = 0u64;
        while let Some((&master, lp)) = self.nodes.first_key_value() {
            if matches!(strategy, TrimStrategy::MaxLen(max) if self.length <= max) {
                break;
            }
            let (entries, marked) = node_counts(lp);
            let entries = entries as u64;
            if limit != 0 && deleted + entries > limit {
                break;
            }
            let remove_node = match strategy {
                TrimStrategy::MaxLen(max) => self.length - entries >= max,
                TrimStrategy::MinId(min) => {
                    node_slots(master, lp).last().expect("a node holds an entry").entry.id < min
                }
            };
            if remove_node {
                self.nodes.remove(&master);
                self.length -= entries;
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            let lp = self.nodes.get_mut(&master).expect("the first node");
            let to_flag: Vec<(usize, i64)> = {
                let mut out = Vec::new();
                let mut length = self.length;
                for slot in node_slots(master, lp) {
                    let stop = match strategy {
                        TrimStrategy::MaxLen(max) => length <= max,
                        TrimStrategy::MinId(min) => slot.entry.id >= min,
                    };
                    if stop {
                        break;
                    }
                    if slot.flags & FLAG_DELETED == 0 {
                        out.push((slot.flags_at, slot.flags));
                        length -= 1;
                    }
                }
                out
            };
            // Flag from the back so earlier offsets stay valid while encodings keep their size
            // (flags are one-byte integers either way).
            for &(at, flags) in to_flag.iter().rev() {
                listpack::replace_int(lp, at, flags | FLAG_DELETED);
            }
            let n = to_flag.len() as u64;
            set_node_counts(lp, (entries - n) as i64, marked + n as i64);
            self.length -= n;
            deleted += n;
            break;
        }
        if self.length > 0 {
            self.first_id = self.edge_id(false).expect("a live entry");
        } else {
            self.first_id = StreamId::MIN;
        }
        deleted
    }

    /// Redis's `streamRangeHasTombstones`: whether a deleted entry may lie in `start..=end`.
    pub fn range_has_tombstones(&self, start: StreamId, end: StreamId) -> bool {
        if self.length == 0 || self.max_deleted_entry_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_entry_id {
            return false;
        }
        start <= self.max_deleted_entry_id && self.max_deleted_entry_id <= end
    }

    /// Redis's `streamEstimateDistanceFromFirstEverEntry`: the logical read counter of `id`, or
    /// `ENTRIES_READ_INVALID` when it cannot be known. (Counters from a file may disagree with
    /// each other; the arithmetic wraps as Redis's does rather than panic.)
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return self.entries_added as i64;
        }
        if id == self.last_id {
            return self.entries_added as i64;
        }
        if id > self.last_id {
            return ENTRIES_READ_INVALID;
        }
        if self.max_deleted_entry_id.is_zero() || self.max_deleted_entry_id < self.first_id {
            if id < self.first_id {
                return self.entries_added.wrapping_sub(self.length) as i64;
            }
            if id == self.first_id {
                return self.entries_added.wrapping_sub(self.length).wrapping_add(1) as i64;
            }
        }
        ENTRIES_READ_INVALID
    }

    /// A group's lag (Redis's `streamReplyWithCGLag`), `None` when it cannot be known.
    pub fn group_lag(&self, group: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if group.entries_read != ENTRIES_READ_INVALID && !self.range_has_tombstones(group.last_id, StreamId::MAX) {
            return Some((self.entries_added as i64).wrapping_sub(group.entries_read));
        }
        match self.estimate_distance(group.last_id) {
            ENTRIES_READ_INVALID => None,
            read => Some((self.entries_added as i64).wrapping_sub(read)),
        }
    }
}

/// Rax nodes below the node at `depth` that the sorted `keys` (sharing `depth` bytes) pass
/// through, that node excluded.
fn rax_nodes_below(keys: &[[u8; 16]], depth: usize) -> usize {
    if keys.len() == 1 {
        return usize::from(depth < 16);
    }
    let mut d = depth;
    while keys.iter().all(|k| k[d] == keys[0][d]) {
        d += 1;
    }
    // A branch below this node is a node of its own; at this node it is this node.
    let mut nodes = usize::from(d > depth);
    for group in keys.chunk_by(|a, b| a[d] == b[d]) {
        nodes += 1 + rax_nodes_below(group, d + 1);
    }
    nodes
}

/// Live entries of a range, node by node (Redis's `streamIterator`).
pub struct Range<'a> {
    /// The nodes left to read (`None`: an empty range).
    nodes: Option<std::collections::btree_map::Range<'a, StreamId, Vec<u8>>>,
    current: std::vec::IntoIter<Entry<'a>>,
    start: StreamId,
    end: StreamId,
    rev: bool,
}

impl<'a> Iterator for Range<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        loop {
            if let Some(e) = self.current.next() {
                return Some(e);
            }
            let nodes = self.nodes.as_mut()?;
            let (master, lp) = if self.rev { nodes.next_back()? } else { nodes.next()? };
            let (master, lp) = (*master, &lp[..]);
            let (start, end) = (self.start, self.end);
            let mut live: Vec<Entry<'a>> = node_slots(master, lp)
                .into_iter()
                .filter(|s| s.flags & FLAG_DELETED == 0 && s.entry.id >= start && s.entry.id <= end)
                .map(|s| s.entry)
                .collect();
            if self.rev {
                live.reverse();
            }
            self.current = live.into_iter();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;
    use crate::config::EngineConfig;
    use crate::rdb::payload::{dump, restore};
    use crate::rng::Rng;
    use crate::value::Value;

    /// Live entries as a plain map: what the nodes must always hold.
    type Model = BTreeMap<StreamId, Vec<(Vec<u8>, Vec<u8>)>>;

    fn pairs_of(entry: &Entry) -> Vec<(Vec<u8>, Vec<u8>)> {
        entry.fields.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
    }

    /// Checks every invariant the commands rely on against `model`.
    fn check(st: &StreamValue, model: &Model) {
        let forward: Model = st.range(StreamId::MIN, StreamId::MAX, false).map(|e| (e.id, pairs_of(&e))).collect();
        assert_eq!(&forward, model);
        let backward: Vec<StreamId> = st.range(StreamId::MIN, StreamId::MAX, true).map(|e| e.id).collect();
        assert_eq!(backward, model.keys().rev().copied().collect::<Vec<_>>());
        assert_eq!(st.len(), model.len() as u64);
        assert_eq!(st.counted_len(), st.len());
        assert_eq!(st.edge_id(false), model.keys().next().copied());
        assert_eq!(st.edge_id(true), model.keys().next_back().copied());
        let mut previous_last = None;
        for (master, lp) in st.nodes() {
            let last = validate_node(master, lp).expect("every node is well formed");
            assert!(previous_last.is_none_or(|p| p < master), "nodes in order");
            previous_last = Some(last);
        }
        // A bounded range from the middle agrees with the model too.
        if let (Some(&a), Some(&b)) = (model.keys().nth(model.len() / 3), model.keys().nth(2 * model.len() / 3)) {
            let got: Vec<StreamId> = st.range(a, b, false).map(|e| e.id).collect();
            assert_eq!(got, model.range(a..=b).map(|(id, _)| *id).collect::<Vec<_>>());
        }
    }

    #[derive(Clone, Debug)]
    enum Op {
        /// Append after the last ID: ms step, seq, field pattern, value.
        Add(u64, u64, u8, Vec<u8>),
        /// Delete the live entry at this index (modulo the length).
        Del(usize),
        /// Trim to at most this many, exact or approximate.
        MaxLen(u64, bool),
        /// Trim below the live entry at this index (modulo the length), exact or approximate.
        MinId(usize, bool),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0u64..3, 0u64..3, 0u8..3, proptest::collection::vec(any::<u8>(), 0..40))
                .prop_map(|(ms, seq, f, v)| Op::Add(ms, seq, f, v)),
            2 => any::<usize>().prop_map(Op::Del),
            1 => (0u64..30, any::<bool>()).prop_map(|(n, a)| Op::MaxLen(n, a)),
            1 => (any::<usize>(), any::<bool>()).prop_map(|(i, a)| Op::MinId(i, a)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn nodes_hold_what_a_map_holds_and_round_trip_through_dump(
            ops in proptest::collection::vec(op(), 1..120),
            max_entries in 0usize..6,
            max_bytes in prop_oneof![Just(0usize), 30usize..200],
        ) {
            // Proves appends (same and other fields, integer-looking values, new nodes by count
            // and by bytes), deletions and exact and approximate trims keep the nodes equal to a
            // plain map of live entries, every node well formed (Redis's deep check), and the
            // value equal to itself after DUMP and RESTORE.
            let limits = StreamLimits { node_max_bytes: max_bytes, node_max_entries: max_entries };
            let mut st = StreamValue::new();
            let mut model = Model::new();
            for op in ops {
                match op {
                    Op::Add(ms, seq, f, value) => {
                        let last = st.last_id;
                        let id = if ms == 0 { last.incr().unwrap() } else { StreamId::new(last.ms + ms, seq) };
                        let fields: Vec<(Vec<u8>, Vec<u8>)> = match f {
                            0 => vec![(b"a".to_vec(), value)],
                            1 => vec![(b"a".to_vec(), b"12".to_vec()), (b"b".to_vec(), value)],
                            _ => vec![(value.clone(), b"-7".to_vec())],
                        };
                        let flat: Vec<&[u8]> = fields.iter().flat_map(|(f, v)| [&f[..], &v[..]]).collect();
                        st.append(id, &flat, limits);
                        model.insert(id, fields);
                    }
                    Op::Del(i) if !model.is_empty() => {
                        let id = *model.keys().nth(i % model.len()).unwrap();
                        prop_assert!(st.delete(id));
                        prop_assert!(!st.delete(id), "a deleted entry deletes once");
                        model.remove(&id);
                    }
                    Op::MaxLen(n, approx) => {
                        let before = model.len() as u64;
                        let gone = st.trim(TrimStrategy::MaxLen(n), approx, 0);
                        let keep = model.len() - (gone as usize);
                        while model.len() > keep {
                            model.pop_first();
                        }
                        prop_assert_eq!(before - gone, st.len());
                        prop_assert!(approx || st.len() <= n);
                    }
                    Op::MinId(i, approx) if !model.is_empty() => {
                        let min = *model.keys().nth(i % model.len()).unwrap();
                        let gone = st.trim(TrimStrategy::MinId(min), approx, 0) as usize;
                        for _ in 0..gone {
                            model.pop_first();
                        }
                        prop_assert!(approx || model.keys().all(|id| *id >= min));
                    }
                    _ => {}
                }
                check(&st, &model);
            }
            let value = Value::Stream(Box::new(st));
            let mut rng = Rng::new(1);
            let back = restore(&dump(&value, true), &EngineConfig::default(), &mut rng).expect("our own payload");
            prop_assert_eq!(back, value);
        }
    }

    #[test]
    fn rax_node_counts_are_redis_s() {
        // Proves `radix-tree-nodes` for node keys that share long prefixes, branch at several
        // depths and lose a key, against XINFO STREAM on Redis 7.0.15 with
        // stream-node-max-entries 1 (one node per entry).
        let limits = StreamLimits { node_max_bytes: 4096, node_max_entries: 1 };
        let mut st = StreamValue::new();
        assert_eq!(st.rax_nodes(), 1);
        for (ms, seq) in [(1, 1), (1, 2), (2, 2), (256, 0), (257, 0), (65536, 0)] {
            st.append(StreamId::new(ms, seq), &[b"a", b"1"], limits);
        }
        assert_eq!((st.node_count(), st.rax_nodes()), (6, 17));
        st.delete(StreamId::new(1, 2));
        assert_eq!((st.node_count(), st.rax_nodes()), (5, 15));
        st.delete(StreamId::new(65536, 0));
        assert_eq!((st.node_count(), st.rax_nodes()), (4, 12));
    }

    #[test]
    fn a_corrupt_node_is_refused() {
        // Proves the deep check refuses a node whose counts, lp-count or IDs lie, and accepts
        // the node as built.
        let mut st = StreamValue::new();
        let limits = StreamLimits { node_max_bytes: 4096, node_max_entries: 100 };
        st.append(StreamId::new(5, 0), &[b"f", b"v"], limits);
        st.append(StreamId::new(5, 1), &[b"g", b"w"], limits);
        let (master, lp) = st.nodes().next().map(|(m, lp)| (m, lp.to_vec())).unwrap();
        assert_eq!(validate_node(master, &lp), Ok(StreamId::new(5, 1)));
        let mut bad_count = lp.clone();
        listpack::replace_int(&mut bad_count, 6, 3);
        assert!(validate_node(master, &bad_count).is_err());
        // The second entry's sequence delta (element 12) made 0: its ID repeats the first's.
        let mut repeated = lp.clone();
        let at = Elements::new(&repeated).nth(12).unwrap().0;
        listpack::replace_int(&mut repeated, at, 0);
        assert_eq!(validate_node(master, &repeated), Err("stream node IDs out of order"));
        let mut load = StreamValue::new();
        assert!(load.load_node(master, lp[..lp.len() - 2].to_vec()).is_err());
        assert!(load.load_node(master, lp).is_ok());
    }
}
