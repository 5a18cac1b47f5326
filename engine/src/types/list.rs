//! The list value: a quicklist of packed nodes.
//!
//! Redis 7.0 stores every list as a quicklist (a linked list of listpacks, each up to 8 KB with the
//! default `list-max-listpack-size -2`) and OBJECT ENCODING always says `quicklist`; small lists
//! are not a separate encoding until 7.2. verdis keeps the same shape for the same reason, memory:
//! a `VecDeque` of nodes, each node one byte buffer of entries packed like listpack entries.
//!
//! An entry is `len` as LEB128, the bytes, then `len`'s LEB128 bytes again in reverse order (the
//! "backlen"), so a node can be walked from either end: a 1-byte element costs 3 bytes.
//!
//! # Invariants
//! - No node is empty.
//! - A node's buffer is at most `NODE_BYTES_MAX`, unless it holds a single larger entry (as Redis
//!   gives an oversized element a node of its own).
//! - `Node::count` is the number of entries packed in `Node::buf`; `ListValue::len` their sum.

use std::collections::VecDeque;

/// Largest packed node, in bytes: `list-max-listpack-size -2` (8 KB), Redis's default.
pub const NODE_BYTES_MAX: usize = 8192;

/// What OBJECT ENCODING reports for every list in Redis 7.0.
pub const ENCODING: &str = "quicklist";

/// Which end of a list (Redis's `LIST_HEAD` / `LIST_TAIL`, the LEFT / RIGHT arguments).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The head (LEFT).
    Left,
    /// The tail (RIGHT).
    Right,
}

/// A list of byte strings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListValue {
    nodes: VecDeque<Node>,
    /// Total entries over all nodes (kept so LLEN and every push reply are O(1)).
    len: usize,
}

/// One packed run of entries.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Node {
    buf: Vec<u8>,
    count: u32,
}

/// Bytes LEB128 takes for `n`.
fn varint_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

/// Bytes an element of `len` bytes takes packed.
fn entry_len(len: usize) -> usize {
    len + 2 * varint_len(len)
}

/// Appends `item` as a packed entry.
fn write_entry(out: &mut Vec<u8>, item: &[u8]) {
    let start = out.len();
    let mut n = item.len();
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(low);
            break;
        }
        out.push(low | 0x80);
    }
    let varint_end = out.len();
    out.extend_from_slice(item);
    let backlen: Vec<u8> = out[start..varint_end].iter().rev().copied().collect();
    out.extend_from_slice(&backlen);
}

/// The entry starting at `pos`: its bytes and where the next entry starts.
fn read_forward(buf: &[u8], pos: usize) -> (&[u8], usize) {
    let mut len = 0usize;
    let mut shift = 0;
    let mut i = pos;
    loop {
        let b = buf[i];
        len |= ((b & 0x7f) as usize) << shift;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let varint = i - pos;
    (&buf[i..i + len], i + len + varint)
}

/// The entry ending at `end`: its bytes and where it starts.
fn read_backward(buf: &[u8], end: usize) -> (&[u8], usize) {
    let mut len = 0usize;
    let mut shift = 0;
    let mut i = end;
    loop {
        i -= 1;
        let b = buf[i];
        len |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let varint = end - i;
    let start = i - len - varint;
    (&buf[i - len..i], start)
}

/// The entries of one node, from either end.
struct NodeIter<'a> {
    buf: &'a [u8],
    front: usize,
    back: usize,
}

impl<'a> Iterator for NodeIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.front >= self.back {
            return None;
        }
        let (item, next) = read_forward(self.buf, self.front);
        self.front = next;
        Some(item)
    }
}

impl<'a> DoubleEndedIterator for NodeIter<'a> {
    fn next_back(&mut self) -> Option<&'a [u8]> {
        if self.front >= self.back {
            return None;
        }
        let (item, start) = read_backward(self.buf, self.back);
        self.back = start;
        Some(item)
    }
}

impl Node {
    fn with(item: &[u8]) -> Node {
        let mut buf = Vec::with_capacity(entry_len(item.len()));
        write_entry(&mut buf, item);
        Node { buf, count: 1 }
    }

    fn iter(&self) -> NodeIter<'_> {
        NodeIter { buf: &self.buf, front: 0, back: self.buf.len() }
    }

    /// True when an entry of `len` bytes may join this node.
    fn has_room(&self, len: usize) -> bool {
        self.buf.len() + entry_len(len) <= NODE_BYTES_MAX
    }

    /// Packs `items` into as few nodes as the size limit allows.
    fn pack<'a>(items: impl Iterator<Item = &'a [u8]>, out: &mut Vec<Node>) {
        let mut current: Option<Node> = None;
        for item in items {
            match &mut current {
                Some(node) if node.has_room(item.len()) => {
                    write_entry(&mut node.buf, item);
                    node.count += 1;
                }
                _ => out.extend(current.replace(Node::with(item))),
            }
        }
        out.extend(current);
    }
}

impl ListValue {
    /// An empty list (only ever transient: an empty list key is deleted).
    pub fn new() -> ListValue {
        ListValue::default()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the list has no elements.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Adds `item` at `end`.
    pub fn push(&mut self, end: End, item: &[u8]) {
        self.len += 1;
        let edge = match end {
            End::Left => self.nodes.front_mut(),
            End::Right => self.nodes.back_mut(),
        };
        match edge {
            Some(node) if node.has_room(item.len()) => {
                match end {
                    End::Left => {
                        let mut entry = Vec::with_capacity(entry_len(item.len()));
                        write_entry(&mut entry, item);
                        node.buf.splice(0..0, entry);
                    }
                    End::Right => write_entry(&mut node.buf, item),
                }
                node.count += 1;
            }
            edge => {
                // A full node stays as it is from now on (until edited): drop its spare capacity,
                // as a listpack is always exactly its size.
                if let Some(full) = edge {
                    full.buf.shrink_to_fit();
                }
                // Most lists are one node: VecDeque's first growth would allocate four.
                if self.nodes.is_empty() {
                    self.nodes.reserve_exact(1);
                }
                match end {
                    End::Left => self.nodes.push_front(Node::with(item)),
                    End::Right => self.nodes.push_back(Node::with(item)),
                }
            }
        }
    }

    /// Removes and returns the element at `end`.
    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        let node = match end {
            End::Left => self.nodes.front_mut()?,
            End::Right => self.nodes.back_mut()?,
        };
        let item = match end {
            End::Left => {
                let (item, next) = read_forward(&node.buf, 0);
                let item = item.to_vec();
                node.buf.drain(..next);
                item
            }
            End::Right => {
                let (item, start) = read_backward(&node.buf, node.buf.len());
                let item = item.to_vec();
                node.buf.truncate(start);
                item
            }
        };
        node.count -= 1;
        self.len -= 1;
        if node.count == 0 {
            match end {
                End::Left => self.nodes.pop_front(),
                End::Right => self.nodes.pop_back(),
            };
        }
        Some(item)
    }

    /// Every element, head to tail (reversible).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> {
        self.nodes.iter().flat_map(Node::iter)
    }

    /// Elements from index `start` towards the tail, skipping whole nodes before it.
    pub fn iter_from(&self, start: usize) -> impl Iterator<Item = &[u8]> {
        let mut skip = start;
        let mut first = 0;
        while first < self.nodes.len() && skip >= self.nodes[first].count as usize {
            skip -= self.nodes[first].count as usize;
            first += 1;
        }
        self.nodes.range(first..).flat_map(Node::iter).skip(skip)
    }

    /// The element at `index` (from the head).
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        self.iter_from(index).next()
    }

    /// The node holding `index` and the index within it.
    fn locate(&self, mut index: usize) -> Option<(usize, usize)> {
        for (n, node) in self.nodes.iter().enumerate() {
            if index < node.count as usize {
                return Some((n, index));
            }
            index -= node.count as usize;
        }
        None
    }

    /// Rewrites node `n` by `edit` on its elements, re-packing (or dropping) it as needed.
    fn edit_node(&mut self, n: usize, edit: impl FnOnce(&mut Vec<Vec<u8>>)) {
        let mut items: Vec<Vec<u8>> = self.nodes[n].iter().map(<[u8]>::to_vec).collect();
        edit(&mut items);
        let mut packed = Vec::new();
        Node::pack(items.iter().map(Vec::as_slice), &mut packed);
        self.nodes.remove(n);
        for (i, node) in packed.into_iter().enumerate() {
            self.nodes.insert(n + i, node);
        }
    }

    /// Replaces the element at `index`; false when the index is out of range.
    pub fn set(&mut self, index: usize, item: &[u8]) -> bool {
        let Some((n, i)) = self.locate(index) else { return false };
        self.edit_node(n, |items| items[i] = item.to_vec());
        true
    }

    /// Inserts `item` so that it ends up at `index` (`index == len` appends).
    pub fn insert(&mut self, index: usize, item: &[u8]) {
        match self.locate(index) {
            Some((n, i)) => {
                self.edit_node(n, |items| items.insert(i, item.to_vec()));
                self.len += 1;
            }
            None => self.push(End::Right, item),
        }
    }

    /// Removes `count` elements starting at `index` (clamped to the list).
    pub fn remove_range(&mut self, mut index: usize, mut count: usize) {
        let mut n = 0;
        while count > 0 && n < self.nodes.len() {
            let node_count = self.nodes[n].count as usize;
            if index >= node_count {
                index -= node_count;
                n += 1;
                continue;
            }
            let take = count.min(node_count - index);
            if take == node_count {
                self.nodes.remove(n);
            } else {
                let before = self.nodes.len();
                self.edit_node(n, |items| {
                    items.drain(index..index + take);
                });
                n += 1 + self.nodes.len() - before;
            }
            count -= take;
            self.len -= take;
            index = 0;
        }
    }

    /// Keeps only the elements for which `keep` (given the index and the element) is true, in one
    /// pass; returns how many were removed.
    pub fn retain(&mut self, mut keep: impl FnMut(usize, &[u8]) -> bool) -> usize {
        let mut index = 0;
        let mut removed = 0;
        let old = std::mem::take(&mut self.nodes);
        let mut nodes = Vec::with_capacity(old.len());
        for node in old {
            let kept: Vec<bool> = node
                .iter()
                .map(|item| {
                    index += 1;
                    keep(index - 1, item)
                })
                .collect();
            let dropped = kept.iter().filter(|&&k| !k).count();
            if dropped == 0 {
                // Untouched nodes are kept as they are, without copying their entries.
                nodes.push(node);
                continue;
            }
            removed += dropped;
            Node::pack(node.iter().zip(&kept).filter(|(_, &k)| k).map(|(item, _)| item), &mut nodes);
        }
        self.nodes = nodes.into();
        self.len -= removed;
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model_check(list: &ListValue, model: &VecDeque<Vec<u8>>) {
        let items: Vec<&[u8]> = list.iter().collect();
        let want: Vec<&[u8]> = model.iter().map(Vec::as_slice).collect();
        assert_eq!(items, want);
        let back: Vec<&[u8]> = list.iter().rev().collect();
        assert_eq!(back, want.iter().rev().copied().collect::<Vec<_>>());
        assert_eq!(list.len(), model.len());
        assert_eq!(list.nodes.iter().map(|n| n.count as usize).sum::<usize>(), list.len);
        for node in &list.nodes {
            assert!(node.count > 0);
            assert_eq!(node.iter().count(), node.count as usize);
            assert!(node.buf.len() <= NODE_BYTES_MAX || node.count == 1);
        }
    }

    #[test]
    fn entries_round_trip_at_varint_boundaries() {
        // Proves packed entries read back from both ends at every LEB128 length boundary.
        for len in [0, 1, 127, 128, 16383, 16384, 20000] {
            let item: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut buf = vec![9];
            write_entry(&mut buf, &item);
            assert_eq!(buf.len(), 1 + entry_len(len));
            assert_eq!(read_forward(&buf, 1), (&item[..], buf.len()));
            assert_eq!(read_backward(&buf, buf.len()), (&item[..], 1));
        }
    }

    #[test]
    fn operations_match_a_vecdeque_model() {
        // Proves every operation agrees with a plain VecDeque, across node boundaries, with
        // elements from empty to larger than a node.
        let mut rng = crate::rng::Rng::new(3);
        let mut list = ListValue::new();
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        for step in 0..4000u64 {
            let size = match rng.next_u64() % 10 {
                0 => 9000,
                1 => 200,
                _ => (rng.next_u64() % 30) as usize,
            };
            let item: Vec<u8> = (0..size).map(|i| (i as u64 + step) as u8).collect();
            let len = model.len();
            match rng.next_u64() % 9 {
                0 | 1 => {
                    list.push(End::Left, &item);
                    model.push_front(item);
                }
                2 | 3 => {
                    list.push(End::Right, &item);
                    model.push_back(item);
                }
                4 => assert_eq!(list.pop(End::Left), model.pop_front()),
                5 => assert_eq!(list.pop(End::Right), model.pop_back()),
                6 if len > 0 => {
                    let i = (rng.next_u64() as usize) % len;
                    assert!(list.set(i, &item));
                    model[i] = item;
                    assert_eq!(list.get(i), Some(&model[i][..]));
                }
                7 => {
                    let i = (rng.next_u64() as usize) % (len + 1);
                    list.insert(i, &item);
                    model.insert(i, item);
                }
                8 if len > 0 => {
                    let i = (rng.next_u64() as usize) % len;
                    let n = (rng.next_u64() as usize) % 40;
                    list.remove_range(i, n);
                    model.drain(i..(i + n).min(len));
                }
                _ => {
                    let removed = list.retain(|i, _| i % 7 != 3);
                    let before = model.len();
                    model = model.into_iter().enumerate().filter(|(i, _)| i % 7 != 3).map(|(_, v)| v).collect();
                    assert_eq!(removed, before - model.len());
                }
            }
            model_check(&list, &model);
            if let Some(i) = (!model.is_empty()).then(|| (rng.next_u64() as usize) % model.len()) {
                assert_eq!(list.iter_from(i).next(), Some(&model[i][..]));
            }
        }
        assert!(!list.set(model.len(), b"x"));
    }
}
