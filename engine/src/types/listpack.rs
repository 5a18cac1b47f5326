//! A packed list of byte strings in one buffer: verdis's counterpart of Redis's listpack.
//!
//! Why: small collections are most collections, and Redis keeps them in one allocation with a
//! byte or two of overhead per element. A `Vec` of separately allocated strings would cost 24+
//! bytes per element; here each element is a LEB128 length followed by its bytes, so a small
//! hash or sorted set is one exact-size allocation, scanned linearly (as Redis scans listpacks).
//! Only the encoding name (`listpack`) and its thresholds follow Redis; the bytes are our own.

use std::ops::Range;

/// Byte strings packed back to back, each as `varint(len) bytes`, after a 4-byte element
/// count. One exact-size allocation (none when empty); the struct itself is a 16-byte pointer.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Listpack {
    buf: Box<[u8]>,
}

/// Bytes before the first element: the element count, a little-endian u32 (absent when empty).
const HEADER_LEN: usize = 4;

/// Longest LEB128 encoding of a `usize` length.
const VARINT_LEN_MAX: usize = 10;

fn varint_encode(mut n: usize, out: &mut [u8; VARINT_LEN_MAX]) -> &[u8] {
    let mut i = 0;
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out[i] = byte;
            return &out[..=i];
        }
        out[i] = byte | 0x80;
        i += 1;
    }
}

/// The length at `pos` and the offset of the bytes after it. The buffer is only ever written
/// by `varint_encode`, so a malformed length is a programmer error.
fn varint_decode(buf: &[u8], mut pos: usize) -> (usize, usize) {
    let mut n = 0usize;
    let mut shift = 0;
    loop {
        let byte = buf[pos];
        pos += 1;
        n |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return (n, pos);
        }
        shift += 7;
        assert!(shift < 64, "listpack length overflow");
    }
}

/// One element and where its encoding sits in the buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span<'a> {
    /// The element's bytes.
    pub bytes: &'a [u8],
    /// Its encoding (length prefix and bytes) in the buffer, for `replace` and `remove`.
    pub at: Range<usize>,
}

/// Walks the elements in order with their spans.
pub struct Spans<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Spans<'a> {
    type Item = Span<'a>;

    fn next(&mut self) -> Option<Span<'a>> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let start = self.pos;
        let (len, data) = varint_decode(self.buf, start);
        self.pos = data + len;
        Some(Span { bytes: &self.buf[data..self.pos], at: start..self.pos })
    }
}

impl Listpack {
    /// An empty list.
    pub fn new() -> Listpack {
        Listpack::default()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self.buf.first_chunk::<HEADER_LEN>() {
            Some(count) => u32::from_le_bytes(*count) as usize,
            None => 0,
        }
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Bytes allocated for the buffer.
    pub fn allocated_bytes(&self) -> usize {
        self.buf.len()
    }

    /// The elements in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.spans().map(|s| s.bytes)
    }

    /// The elements in order with their spans.
    pub fn spans(&self) -> Spans<'_> {
        Spans { buf: &self.buf, pos: HEADER_LEN.min(self.buf.len()) }
    }

    /// Runs `change` on the buffer as a `Vec` (header included) and stores the result at its
    /// exact size with the element count moved by `delta`; an emptied list frees its buffer.
    fn edit(&mut self, delta: isize, change: impl FnOnce(&mut Vec<u8>)) {
        let len = self.len().checked_add_signed(delta).expect("element count stays non-negative");
        let mut buf = std::mem::take(&mut self.buf).into_vec();
        if buf.is_empty() {
            buf.extend_from_slice(&[0; HEADER_LEN]);
        }
        change(&mut buf);
        if len == 0 {
            return;
        }
        let count = u32::try_from(len).expect("a listpack holds fewer than 2^32 elements");
        buf[..HEADER_LEN].copy_from_slice(&count.to_le_bytes());
        self.buf = buf.into_boxed_slice();
    }

    /// Appends `item`. The buffer grows to the exact size, as a listpack does, so a small
    /// collection carries no spare capacity.
    pub fn push(&mut self, item: &[u8]) {
        let mut head = [0u8; VARINT_LEN_MAX];
        let head = varint_encode(item.len(), &mut head);
        self.edit(1, |buf| {
            buf.reserve_exact(head.len() + item.len());
            buf.extend_from_slice(head);
            buf.extend_from_slice(item);
        });
    }

    /// Replaces the element encoded at `at` (a span from this list) with `item`.
    pub fn replace(&mut self, at: Range<usize>, item: &[u8]) {
        let mut head = [0u8; VARINT_LEN_MAX];
        let head = varint_encode(item.len(), &mut head);
        self.edit(0, |buf| {
            buf.splice(at, head.iter().chain(item).copied());
        });
    }

    /// Removes the `count` consecutive elements whose encodings cover `at`.
    pub fn remove(&mut self, at: Range<usize>, count: usize) {
        assert!(count <= self.len(), "removing more elements than the list holds");
        self.edit(-(count as isize), |buf| {
            buf.drain(at);
        });
    }
}

impl std::fmt::Debug for Listpack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter().map(|b| b.escape_ascii().to_string())).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_replace_remove_agree_with_a_vec() {
        // Proves the packed list holds exactly what a Vec model holds through every edit,
        // including elements whose length needs a multi-byte prefix.
        let mut lp = Listpack::new();
        let mut model: Vec<Vec<u8>> = Vec::new();
        for n in [0usize, 1, 127, 128, 300, 16384, 5] {
            let item = vec![b'x'; n];
            lp.push(&item);
            model.push(item);
        }
        let third = lp.spans().nth(2).unwrap().at;
        lp.replace(third, b"short");
        model[2] = b"short".to_vec();
        let second = lp.spans().nth(1).unwrap().at;
        lp.replace(second, &[b'y'; 200]);
        model[1] = vec![b'y'; 200];
        let spans: Vec<_> = lp.spans().map(|s| s.at).collect();
        lp.remove(spans[3].start..spans[4].end, 2);
        model.drain(3..5);
        assert_eq!(lp.iter().map(<[u8]>::to_vec).collect::<Vec<_>>(), model);
        assert_eq!(lp.len(), model.len());
        let packed: usize = model
            .iter()
            .map(|m| m.len() + [1, 2, 3][usize::from(m.len() >= 128) + usize::from(m.len() >= 16384)])
            .sum();
        assert_eq!(lp.allocated_bytes(), 4 + packed);
        let all: Vec<_> = lp.spans().map(|s| s.at).collect();
        lp.remove(all[0].start..all[all.len() - 1].end, model.len());
        assert!(lp.is_empty() && lp.allocated_bytes() == 0 && lp.iter().next().is_none());
    }
}
