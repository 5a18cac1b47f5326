//! The packed encodings older Redis versions wrote, decoded for loading: ziplist (lists, hashes
//! and sorted sets before 7.0, and quicklist 1 nodes), zipmap (hashes before 2.6) — plus intset,
//! which Redis 7.0 still writes for integer sets.
//!
//! Each decoder validates the whole structure as Redis's `*ValidateIntegrity` with deep checks
//! does, and reports the byte of the blob where it went wrong.

use super::listpack::Item;

/// A decoding failure: the byte offset inside the blob and what was wrong.
pub type BlobError = (usize, &'static str);

/// A hash field and its value, borrowed from a blob.
pub type Pair<'a> = (&'a [u8], &'a [u8]);

/// Decodes a ziplist: `zlbytes: u32`, `zltail: u32`, `zllen: u16` (65535 = "count it"),
/// entries, `0xFF`. Each entry is `prevlen` (1 byte, or 0xFE + u32), an encoding and its data.
pub fn ziplist(zl: &[u8]) -> Result<Vec<Item<'_>>, BlobError> {
    const HEADER_LEN: usize = 10;
    if zl.len() < HEADER_LEN + 1 {
        return Err((0, "ziplist shorter than its header"));
    }
    let u32_at = |p: usize| u32::from_le_bytes(zl[p..p + 4].try_into().expect("4 bytes")) as usize;
    if u32_at(0) != zl.len() {
        return Err((0, "ziplist total bytes differ from its length"));
    }
    let tail = u32_at(4);
    let count = u16::from_le_bytes([zl[8], zl[9]]);
    let end = zl.len() - 1;
    if zl[end] != 0xff {
        return Err((end, "ziplist does not end with its terminator"));
    }
    let mut items = Vec::new();
    let mut p = HEADER_LEN;
    let mut prev_len = 0usize;
    let mut last_start = HEADER_LEN;
    while p < end {
        let (stored_prev, header) = match zl[p] {
            0xfe => {
                (zl.get(p + 1..p + 5).filter(|_| p + 5 <= end).map(|b| u32::from_le_bytes(b.try_into().expect("4"))), 5)
            }
            0xff => return Err((p, "ziplist entry where the terminator should be")),
            b => (Some(u32::from(b)), 1),
        };
        let stored_prev = stored_prev.ok_or((p, "ziplist prevlen runs past the end"))? as usize;
        if stored_prev != prev_len {
            return Err((p, "ziplist prevlen does not match the previous entry"));
        }
        let (item, enc_len) = ziplist_entry(&zl[p + header..end]).ok_or((p, "ziplist entry runs past the end"))?;
        last_start = p;
        prev_len = header + enc_len;
        items.push(item);
        p += prev_len;
    }
    if tail != last_start {
        return Err((4, "ziplist tail offset does not point at the last entry"));
    }
    if count != u16::MAX && usize::from(count) != items.len() {
        return Err((8, "ziplist element count differs from its header"));
    }
    Ok(items)
}

/// The ziplist entry encoding at the start of `b`: its value and size (encoding plus data).
fn ziplist_entry(b: &[u8]) -> Option<(Item<'_>, usize)> {
    let first = *b.first()?;
    let data = |from: usize, n: usize| b.get(from..from.checked_add(n)?);
    Some(match first >> 6 {
        0 => {
            let len = usize::from(first & 0x3f);
            (Item::Str(data(1, len)?), 1 + len)
        }
        1 => {
            let len = (usize::from(first & 0x3f) << 8) | usize::from(*b.get(1)?);
            (Item::Str(data(2, len)?), 2 + len)
        }
        2 => {
            if first != 0x80 {
                return None;
            }
            let len = u32::from_be_bytes(data(1, 4)?.try_into().ok()?) as usize;
            (Item::Str(data(5, len)?), 5usize.checked_add(len)?)
        }
        _ => match first {
            0xc0 => (Item::Int(i64::from(i16::from_le_bytes(data(1, 2)?.try_into().ok()?))), 3),
            0xd0 => (Item::Int(i64::from(i32::from_le_bytes(data(1, 4)?.try_into().ok()?))), 5),
            0xe0 => (Item::Int(i64::from_le_bytes(data(1, 8)?.try_into().ok()?)), 9),
            0xf0 => {
                let s = data(1, 3)?;
                (Item::Int(i64::from(i32::from_le_bytes([0, s[0], s[1], s[2]]) >> 8)), 4)
            }
            0xfe => (Item::Int(i64::from(*b.get(1)? as i8)), 2),
            0xf1..=0xfd => (Item::Int(i64::from(first & 0x0f) - 1), 1),
            _ => return None,
        },
    })
}

/// Decodes a zipmap (Redis 2.4 hashes): `zmlen: u8`, then `len key len free value <free bytes>`
/// pairs, `0xFF`. A length is one byte below 254, or 254 followed by a u32.
pub fn zipmap(zm: &[u8]) -> Result<Vec<Pair<'_>>, BlobError> {
    let mut p = 1usize;
    if zm.is_empty() {
        return Err((0, "zipmap is empty"));
    }
    let read_len = |p: &mut usize| -> Result<Option<usize>, BlobError> {
        match zm.get(*p) {
            None => Err((*p, "zipmap runs past the end")),
            Some(0xff) => Ok(None),
            Some(254) => {
                let b = zm.get(*p + 1..*p + 5).ok_or((*p, "zipmap length runs past the end"))?;
                *p += 5;
                Ok(Some(u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize))
            }
            Some(253) => Err((*p, "zipmap length byte 253 is invalid")),
            Some(&b) => {
                *p += 1;
                Ok(Some(usize::from(b)))
            }
        }
    };
    let mut pairs = Vec::new();
    while let Some(klen) = read_len(&mut p)? {
        let key = zm.get(p..p.saturating_add(klen)).ok_or((p, "zipmap key runs past the end"))?;
        p += klen;
        let vlen = read_len(&mut p)?.ok_or((p, "zipmap ends after a key"))?;
        let free = usize::from(*zm.get(p).ok_or((p, "zipmap runs past the end"))?);
        p += 1;
        let value = zm.get(p..p.saturating_add(vlen)).ok_or((p, "zipmap value runs past the end"))?;
        p = p.saturating_add(vlen).saturating_add(free);
        pairs.push((key, value));
    }
    if p + 1 != zm.len() {
        return Err((p, "zipmap has bytes after its terminator"));
    }
    if zm[0] < 254 && usize::from(zm[0]) != pairs.len() {
        return Err((0, "zipmap element count differs from its header"));
    }
    Ok(pairs)
}

/// Decodes an intset: `encoding: u32` (2, 4 or 8 bytes per member), `length: u32`, members
/// little-endian in strictly ascending order.
pub fn intset(is: &[u8]) -> Result<Vec<i64>, BlobError> {
    if is.len() < 8 {
        return Err((0, "intset shorter than its header"));
    }
    let width = u32::from_le_bytes(is[..4].try_into().expect("4 bytes")) as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err((0, "intset encoding is not 2, 4 or 8"));
    }
    let count = u32::from_le_bytes(is[4..8].try_into().expect("4 bytes")) as usize;
    if count.checked_mul(width).and_then(|n| n.checked_add(8)) != Some(is.len()) {
        return Err((4, "intset length differs from its size"));
    }
    let members: Vec<i64> = is[8..]
        .chunks_exact(width)
        .map(|c| match width {
            2 => i64::from(i16::from_le_bytes([c[0], c[1]])),
            4 => i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            _ => i64::from_le_bytes(c.try_into().expect("8 bytes")),
        })
        .collect();
    if let Some(i) = members.windows(2).position(|w| w[0] >= w[1]) {
        return Err((8 + (i + 1) * width, "intset members are not strictly ascending"));
    }
    Ok(members)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a ziplist the way Redis 6 wrote them (a test-side writer).
    pub(crate) fn make_ziplist(items: &[&[u8]]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        let mut last = 10usize;
        for item in items {
            let start = body.len();
            last = 10 + start;
            if prev < 254 {
                body.push(prev as u8);
            } else {
                body.push(0xfe);
                body.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            match crate::num::parse_i64(item) {
                Some(v @ 0..=12) => body.push(0xf1 + v as u8),
                Some(v) if i8::try_from(v).is_ok() => body.extend_from_slice(&[0xfe, v as u8]),
                Some(v) if i16::try_from(v).is_ok() => {
                    body.push(0xc0);
                    body.extend_from_slice(&(v as i16).to_le_bytes());
                }
                Some(v) if (-(1 << 23)..(1 << 23)).contains(&v) => {
                    body.push(0xf0);
                    body.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
                }
                Some(v) if i32::try_from(v).is_ok() => {
                    body.push(0xd0);
                    body.extend_from_slice(&(v as i32).to_le_bytes());
                }
                Some(v) => {
                    body.push(0xe0);
                    body.extend_from_slice(&v.to_le_bytes());
                }
                None if item.len() < 64 => {
                    body.push(item.len() as u8);
                    body.extend_from_slice(item);
                }
                None if item.len() < 16384 => {
                    body.extend_from_slice(&[0x40 | (item.len() >> 8) as u8, item.len() as u8]);
                    body.extend_from_slice(item);
                }
                None => {
                    body.push(0x80);
                    body.extend_from_slice(&(item.len() as u32).to_be_bytes());
                    body.extend_from_slice(item);
                }
            }
            prev = body.len() - start;
        }
        let mut zl = Vec::new();
        zl.extend_from_slice(&((11 + body.len()) as u32).to_le_bytes());
        zl.extend_from_slice(&(last as u32).to_le_bytes());
        zl.extend_from_slice(&(items.len().min(65535) as u16).to_le_bytes());
        zl.extend_from_slice(&body);
        zl.push(0xff);
        zl
    }

    /// Builds a zipmap the way Redis 2.4 wrote them, with `free` spare bytes after each value.
    pub(crate) fn make_zipmap(pairs: &[(&[u8], &[u8])], free: u8) -> Vec<u8> {
        let mut zm = vec![pairs.len().min(254) as u8];
        let len = |zm: &mut Vec<u8>, n: usize| {
            if n < 254 {
                zm.push(n as u8);
            } else {
                zm.push(254);
                zm.extend_from_slice(&(n as u32).to_le_bytes());
            }
        };
        for (k, v) in pairs {
            len(&mut zm, k.len());
            zm.extend_from_slice(k);
            len(&mut zm, v.len());
            zm.push(free);
            zm.extend_from_slice(v);
            zm.extend(std::iter::repeat_n(0, usize::from(free)));
        }
        zm.push(0xff);
        zm
    }

    /// Builds an intset of `width` bytes per member.
    pub(crate) fn make_intset(width: u32, members: &[i64]) -> Vec<u8> {
        let mut is = width.to_le_bytes().to_vec();
        is.extend_from_slice(&(members.len() as u32).to_le_bytes());
        for m in members {
            is.extend_from_slice(&m.to_le_bytes()[..width as usize]);
        }
        is
    }

    #[test]
    fn ziplist_decodes_every_encoding() {
        // Proves each integer and string encoding, and long prevlens, read back.
        let long = vec![b'x'; 300];
        let huge = vec![b'y'; 17000];
        let items: Vec<&[u8]> = vec![
            b"0",
            b"12",
            b"13",
            b"-128",
            b"127",
            b"-32768",
            b"32767",
            b"8388607",
            b"-8388608",
            b"2147483647",
            b"-2147483648",
            b"9223372036854775807",
            b"",
            b"abc",
            &long,
            &huge,
            b"after",
        ];
        let zl = make_ziplist(&items);
        let got: Vec<Vec<u8>> = ziplist(&zl).unwrap().into_iter().map(Item::to_vec).collect();
        assert_eq!(got, items.iter().map(|i| i.to_vec()).collect::<Vec<_>>());
        for cut in 0..zl.len() {
            assert!(ziplist(&zl[..cut]).is_err());
        }
        let mut bad = zl.clone();
        bad[4] += 1;
        assert!(ziplist(&bad).is_err(), "tail offset is checked");
    }

    #[test]
    fn zipmap_decodes_and_skips_free_bytes() {
        // Proves zipmap pairs with free space and long lengths read back, and truncation fails.
        let long = vec![b'v'; 300];
        let pairs: Vec<(&[u8], &[u8])> = vec![(b"a", b"1"), (b"field", &long), (b"", b"")];
        let zm = make_zipmap(&pairs, 3);
        assert_eq!(zipmap(&zm).unwrap(), pairs);
        for cut in 0..zm.len() {
            assert!(zipmap(&zm[..cut]).is_err());
        }
    }

    #[test]
    fn intset_checks_width_size_and_order() {
        // Proves intsets of each width read back and malformed ones are refused.
        for width in [2u32, 4, 8] {
            assert_eq!(intset(&make_intset(width, &[-5, 0, 7])).unwrap(), [-5, 0, 7]);
        }
        assert!(intset(&make_intset(3, &[1])).is_err());
        assert!(intset(&make_intset(2, &[2, 1])).is_err());
        assert!(intset(&make_intset(2, &[1, 1])).is_err());
        let good = make_intset(4, &[1, 2]);
        assert!(intset(&good[..good.len() - 1]).is_err());
    }
}
