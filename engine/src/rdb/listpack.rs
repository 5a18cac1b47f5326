//! Redis's listpack byte format (`listpack.c`), which RDB files use for small hashes, sorted sets
//! and quicklist nodes.
//!
//! verdis's in-memory listpacks (`types::listpack`, the zset and list node buffers) are its own
//! compact shapes, not this format (LEB128 lengths, no integer encodings, no terminator), so they
//! are re-encoded here on save and decoded on load.
//!
//! Layout: `total_bytes: u32 LE`, `count: u16 LE` (65535 = "count it"), entries, `0xFF`. An
//! entry is its encoding (integer forms for canonical integers, else a string with a 6, 12 or
//! 32-bit length) followed by its "backlen": the encoding's size in 1-5 bytes, 7 bits each.

use crate::num::parse_i64;

/// Bytes before the first entry.
const HEADER_LEN: usize = 6;
/// The terminator.
const EOF: u8 = 0xff;
/// Header count meaning "too many to say".
const COUNT_UNKNOWN: u16 = u16::MAX;

/// One listpack element as stored: a string or an integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item<'a> {
    /// String bytes.
    Str(&'a [u8]),
    /// An integer (its decimal form is the element's value).
    Int(i64),
}

impl Item<'_> {
    /// The element's bytes (integers in decimal).
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            Item::Str(s) => s.to_vec(),
            Item::Int(n) => n.to_string().into_bytes(),
        }
    }

    /// Calls `f` with the element's bytes without allocating.
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Item::Str(s) => f(s),
            Item::Int(n) => {
                let mut buf = [0u8; 20];
                f(crate::num::format_i64(n, &mut buf))
            }
        }
    }
}

/// Builds a listpack element by element, encoding each as Redis's `lpAppend` does.
pub struct Builder {
    buf: Vec<u8>,
    count: usize,
}

/// Size in bytes of the backlen of an entry whose encoding is `len` bytes.
fn backlen_size(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

/// Size in bytes of the entry (encoding plus backlen) `item` becomes.
pub fn entry_size(item: &[u8]) -> usize {
    let enc = match parse_i64(item) {
        Some(v) => int_encoding_size(v),
        None => str_encoding_size(item.len()),
    };
    enc + backlen_size(enc)
}

fn int_encoding_size(v: i64) -> usize {
    match v {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8388608..=8388607 => 4,
        -2147483648..=2147483647 => 5,
        _ => 9,
    }
}

fn str_encoding_size(len: usize) -> usize {
    match len {
        0..=63 => 1 + len,
        64..=4095 => 2 + len,
        _ => 5 + len,
    }
}

impl Builder {
    /// An empty listpack.
    pub fn new() -> Builder {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&[0; HEADER_LEN]);
        Builder { buf, count: 0 }
    }

    /// Bytes the finished listpack would take now (header, entries, terminator).
    pub fn bytes(&self) -> usize {
        self.buf.len() + 1
    }

    /// Elements so far.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when nothing has been pushed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Appends `item`, as an integer when it is a canonical one (Redis's `lpEncodeGetType`).
    pub fn push(&mut self, item: &[u8]) {
        match parse_i64(item) {
            Some(v) => self.push_int(v),
            None => self.push_str(item),
        }
    }

    /// Appends an integer in the narrowest integer encoding.
    pub fn push_int(&mut self, v: i64) {
        let start = self.buf.len();
        let b = &mut self.buf;
        match v {
            0..=127 => b.push(v as u8),
            -4096..=4095 => {
                let u = if v < 0 { (1 << 13) + v } else { v } as u16;
                b.extend_from_slice(&[0xc0 | (u >> 8) as u8, u as u8]);
            }
            -32768..=32767 => {
                b.push(0xf1);
                b.extend_from_slice(&(v as i16).to_le_bytes());
            }
            -8388608..=8388607 => {
                b.push(0xf2);
                b.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
            }
            -2147483648..=2147483647 => {
                b.push(0xf3);
                b.extend_from_slice(&(v as i32).to_le_bytes());
            }
            _ => {
                b.push(0xf4);
                b.extend_from_slice(&v.to_le_bytes());
            }
        }
        self.finish_entry(start);
    }

    /// Appends a string as a string, whatever it holds.
    fn push_str(&mut self, s: &[u8]) {
        let start = self.buf.len();
        let b = &mut self.buf;
        match s.len() {
            0..=63 => b.push(0x80 | s.len() as u8),
            64..=4095 => b.extend_from_slice(&[0xe0 | (s.len() >> 8) as u8, s.len() as u8]),
            len => {
                b.push(0xf0);
                b.extend_from_slice(&(len as u32).to_le_bytes());
            }
        }
        b.extend_from_slice(s);
        self.finish_entry(start);
    }

    /// Writes the backlen of the entry that starts at `start`.
    fn finish_entry(&mut self, start: usize) {
        let l = self.buf.len() - start;
        let b = &mut self.buf;
        match backlen_size(l) {
            1 => b.push(l as u8),
            2 => b.extend_from_slice(&[(l >> 7) as u8, (l & 127) as u8 | 128]),
            3 => b.extend_from_slice(&[(l >> 14) as u8, ((l >> 7) & 127) as u8 | 128, (l & 127) as u8 | 128]),
            4 => b.extend_from_slice(&[
                (l >> 21) as u8,
                ((l >> 14) & 127) as u8 | 128,
                ((l >> 7) & 127) as u8 | 128,
                (l & 127) as u8 | 128,
            ]),
            _ => b.extend_from_slice(&[
                (l >> 28) as u8,
                ((l >> 21) & 127) as u8 | 128,
                ((l >> 14) & 127) as u8 | 128,
                ((l >> 7) & 127) as u8 | 128,
                (l & 127) as u8 | 128,
            ]),
        }
        self.count += 1;
    }

    /// The finished listpack.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(EOF);
        let total = u32::try_from(self.buf.len()).expect("listpack under 4 GB");
        let count = u16::try_from(self.count).unwrap_or(COUNT_UNKNOWN);
        self.buf[..4].copy_from_slice(&total.to_le_bytes());
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        self.buf
    }
}

impl Builder {
    /// Reopens a finished listpack to append to it (a stream node takes each new entry at its
    /// end, as Redis's `lpAppend` does on the node in place).
    pub fn reopen(mut lp: Vec<u8>) -> Builder {
        assert!(lp.len() > HEADER_LEN && lp.last() == Some(&EOF), "reopening a listpack that is not finished");
        let count = match u16::from_le_bytes([lp[4], lp[5]]) {
            COUNT_UNKNOWN => Elements::new(&lp).count(),
            count => usize::from(count),
        };
        lp.pop();
        Builder { buf: lp, count }
    }
}

/// Walks a listpack this process built or validated (`decode`), yielding each element's offset
/// and value. Malformed bytes are a programmer error here: loaders validate first.
pub struct Elements<'a> {
    lp: &'a [u8],
    pos: usize,
}

impl<'a> Elements<'a> {
    /// The elements of `lp` from the first.
    pub fn new(lp: &'a [u8]) -> Elements<'a> {
        Elements { lp, pos: HEADER_LEN }
    }

    /// The elements of `lp` from the one at offset `pos`.
    pub fn at(lp: &'a [u8], pos: usize) -> Elements<'a> {
        Elements { lp, pos }
    }
}

impl<'a> Iterator for Elements<'a> {
    type Item = (usize, Item<'a>);

    fn next(&mut self) -> Option<(usize, Item<'a>)> {
        let end = self.lp.len() - 1;
        if self.pos >= end {
            return None;
        }
        let at = self.pos;
        let (item, enc_len) = decode_entry(&self.lp[at..end]).expect("a validated listpack");
        self.pos = at + enc_len + backlen_size(enc_len);
        Some((at, item))
    }
}

/// Replaces the integer element at offset `pos` of a finished listpack with `v` (Redis's
/// `lpReplaceInteger`), fixing the total length in the header when the encoding's size changes.
pub fn replace_int(lp: &mut Vec<u8>, pos: usize, v: i64) {
    let end = lp.len() - 1;
    let (_, enc_len) = decode_entry(&lp[pos..end]).expect("a validated listpack");
    let old_len = enc_len + backlen_size(enc_len);
    let mut one = Builder::new();
    one.push_int(v);
    let new = &one.buf[HEADER_LEN..];
    lp.splice(pos..pos + old_len, new.iter().copied());
    let total = u32::try_from(lp.len()).expect("listpack under 4 GB");
    lp[..4].copy_from_slice(&total.to_le_bytes());
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

/// Decodes and validates a whole listpack (Redis's `lpValidateIntegrity` with deep checks):
/// the elements in order, or what is wrong and at which byte of the blob.
pub fn decode(lp: &[u8]) -> Result<Vec<Item<'_>>, (usize, &'static str)> {
    if lp.len() < HEADER_LEN + 1 {
        return Err((0, "listpack shorter than its header"));
    }
    let total = u32::from_le_bytes(lp[..4].try_into().expect("4 bytes")) as usize;
    if total != lp.len() {
        return Err((0, "listpack total bytes differ from its length"));
    }
    if lp[lp.len() - 1] != EOF {
        return Err((lp.len() - 1, "listpack does not end with its terminator"));
    }
    let count = u16::from_le_bytes([lp[4], lp[5]]);
    let end = lp.len() - 1;
    let mut items = Vec::new();
    let mut p = HEADER_LEN;
    while p < end {
        let (item, enc_len) = decode_entry(&lp[p..end]).ok_or((p, "listpack entry runs past the end"))?;
        let back_at = p + enc_len;
        let back_len = backlen_size(enc_len);
        let back = lp.get(back_at..back_at + back_len).filter(|_| back_at + back_len <= end);
        let back = back.ok_or((back_at, "listpack entry backlen runs past the end"))?;
        if decode_backlen(back) != Some(enc_len) {
            return Err((back_at, "listpack entry backlen does not match"));
        }
        items.push(item);
        p = back_at + back_len;
    }
    if count != COUNT_UNKNOWN && usize::from(count) != items.len() {
        return Err((4, "listpack element count differs from its header"));
    }
    Ok(items)
}

/// The entry at the start of `b`: its value and the size of its encoding.
fn decode_entry(b: &[u8]) -> Option<(Item<'_>, usize)> {
    let first = *b.first()?;
    let int = |n: usize| b.get(1..1 + n);
    Some(match first {
        0x00..=0x7f => (Item::Int(i64::from(first)), 1),
        0x80..=0xbf => {
            let len = usize::from(first & 0x3f);
            (Item::Str(b.get(1..1 + len)?), 1 + len)
        }
        0xc0..=0xdf => {
            let u = (i64::from(first & 0x1f) << 8) | i64::from(*b.get(1)?);
            (Item::Int(if u >= 1 << 12 { u - (1 << 13) } else { u }), 2)
        }
        0xe0..=0xef => {
            let len = (usize::from(first & 0x0f) << 8) | usize::from(*b.get(1)?);
            (Item::Str(b.get(2..2 + len)?), 2 + len)
        }
        0xf0 => {
            let len = u32::from_le_bytes(int(4)?.try_into().ok()?) as usize;
            (Item::Str(b.get(5..5usize.checked_add(len)?)?), 5 + len)
        }
        0xf1 => (Item::Int(i64::from(i16::from_le_bytes(int(2)?.try_into().ok()?))), 3),
        0xf2 => {
            let s = int(3)?;
            (Item::Int(i64::from(i32::from_le_bytes([0, s[0], s[1], s[2]]) >> 8)), 4)
        }
        0xf3 => (Item::Int(i64::from(i32::from_le_bytes(int(4)?.try_into().ok()?))), 5),
        0xf4 => (Item::Int(i64::from_le_bytes(int(8)?.try_into().ok()?)), 9),
        _ => return None,
    })
}

/// The length a backlen (read front to back) holds, if well formed.
fn decode_backlen(b: &[u8]) -> Option<usize> {
    let mut v = 0usize;
    for (i, &byte) in b.iter().enumerate() {
        // Only the first byte lacks the continuation bit.
        if (i == 0) == (byte & 128 != 0) {
            return None;
        }
        v = (v << 7) | usize::from(byte & 127);
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_and_string_encodings_round_trip() {
        // Proves every encoding boundary decodes back to its value, and the header and backlens
        // validate.
        let ints = [
            0i64,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -4097,
            32767,
            -32768,
            32768,
            8388607,
            -8388608,
            8388608,
            2147483647,
            -2147483648,
            2147483648,
            i64::MIN,
            i64::MAX,
        ];
        let strs: Vec<Vec<u8>> = [0usize, 1, 63, 64, 4095, 4096, 70_000]
            .iter()
            .map(|&n| (0..n).map(|i| b'a' + (i % 26) as u8).collect())
            .chain([b"-0".to_vec(), b"007".to_vec(), b"12a".to_vec(), b"99999999999999999999".to_vec()])
            .collect();
        let mut b = Builder::new();
        for v in ints {
            b.push(v.to_string().as_bytes());
        }
        for s in &strs {
            b.push(s);
        }
        let expect_bytes = b.bytes();
        let lp = b.finish();
        assert_eq!(lp.len(), expect_bytes);
        let items = decode(&lp).unwrap();
        let mut want: Vec<Item> = ints.iter().map(|&v| Item::Int(v)).collect();
        want.extend(strs.iter().map(|s| Item::Str(s)));
        assert_eq!(items, want);
        assert_eq!(
            lp.len(),
            6 + 1
                + ints.iter().map(|v| entry_size(v.to_string().as_bytes())).sum::<usize>()
                + strs.iter().map(|s| entry_size(s)).sum::<usize>()
        );
    }

    #[test]
    fn matches_redis_bytes() {
        // Proves byte equality with Redis 7.0.15: HSET h a 1 bbb -5 dumps this listpack.
        let mut b = Builder::new();
        for item in [&b"a"[..], b"1", b"bbb", b"-5"] {
            b.push(item);
        }
        assert_eq!(
            b.finish(),
            [0x14, 0, 0, 0, 4, 0, 0x81, b'a', 2, 0x01, 1, 0x83, b'b', b'b', b'b', 4, 0xdf, 0xfb, 2, 0xff]
        );
    }

    #[test]
    fn corrupt_listpacks_are_refused() {
        // Proves each structural check: length, terminator, count, backlen, truncated entry.
        let mut b = Builder::new();
        b.push(b"hello");
        b.push(b"300");
        let good = b.finish();
        assert!(decode(&good).is_ok());
        let mut bad = good.clone();
        bad[0] += 1;
        assert!(decode(&bad).is_err());
        let mut bad = good.clone();
        *bad.last_mut().unwrap() = 0;
        assert!(decode(&bad).is_err());
        let mut bad = good.clone();
        bad[4] = 3;
        assert!(decode(&bad).is_err());
        let mut bad = good.clone();
        bad[6 + 6] = 9; // the first entry's backlen
        assert!(decode(&bad).is_err());
        let mut bad = good.clone();
        bad[6] = 0x80 | 40; // a string longer than the listpack
        assert!(decode(&bad).is_err());
        for cut in 0..good.len() {
            assert!(decode(&good[..cut]).is_err());
        }
    }
}
