//! LZF compression as Redis's `lzf_c.c` / `lzf_d.c` (HLOG 16, VERY_FAST), used for strings in RDB
//! files and DUMP payloads (`rdbcompression`).
//!
//! The compressor follows Redis's algorithm step for step, so a string compresses to the same
//! bytes Redis writes. Redis's hash table starts as uninitialized stack memory, which its match
//! check makes harmless for any value except a stale pointer into the same input; ours starts
//! empty, which is what Redis sees in practice. The table is only ever touched at the slots the
//! input hashes to, so small inputs use a small map with the same 16-bit slots instead of
//! clearing 64 K entries per string.
//!
//! Stream format: `000LLLLL` + L+1 literal bytes; `LLLooooo oooooooo` a back reference of L+2
//! bytes at distance o+1; `111ooooo LLLLLLLL oooooooo` the same with length L+9.

/// log2 of the hash table size (Redis's HLOG).
const HLOG: u32 = 16;
/// Slots in the hash table.
const HSIZE: usize = 1 << HLOG;
/// Longest literal run.
const LITERAL_RUN_MAX: usize = 1 << 5;
/// Farthest back reference.
const OFFSET_MAX: usize = 1 << 13;
/// Longest back reference, minus 2 (lzf's MAX_REF).
const REF_LEN_MAX: usize = (1 << 8) + (1 << 3);
/// Inputs up to this length use the small slot map.
const SMALL_INPUT_MAX: usize = 4096;

/// What Redis's `IDX` computes from the rolling hash of three bytes (VERY_FAST variant).
fn slot(hval: u32) -> usize {
    ((hval >> (3 * 8 - HLOG)).wrapping_sub(hval.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// The hash table: slot → last input position stored there plus one (0 = never stored).
trait Slots {
    fn swap(&mut self, slot: usize, pos_plus_one: u32) -> u32;
    fn set(&mut self, slot: usize, pos_plus_one: u32);
}

/// All 64 K slots.
struct FullSlots(Vec<u32>);

impl Slots for FullSlots {
    fn swap(&mut self, slot: usize, pos_plus_one: u32) -> u32 {
        std::mem::replace(&mut self.0[slot], pos_plus_one)
    }
    fn set(&mut self, slot: usize, pos_plus_one: u32) {
        self.0[slot] = pos_plus_one;
    }
}

/// Only the slots a short input reaches: open addressing keyed by slot number.
struct SmallSlots {
    /// `(slot + 1, value)`; key 0 marks an empty cell.
    cells: Vec<(u32, u32)>,
}

impl SmallSlots {
    fn new(input_len: usize) -> SmallSlots {
        SmallSlots { cells: vec![(0, 0); (input_len * 2).next_power_of_two().max(16)] }
    }

    fn cell(&mut self, slot: usize) -> &mut (u32, u32) {
        let mask = self.cells.len() - 1;
        let key = slot as u32 + 1;
        let mut i = (slot.wrapping_mul(0x9e37_79b9)) & mask;
        loop {
            let k = self.cells[i].0;
            if k == key || k == 0 {
                self.cells[i].0 = key;
                return &mut self.cells[i];
            }
            i = (i + 1) & mask;
        }
    }
}

impl Slots for SmallSlots {
    fn swap(&mut self, slot: usize, pos_plus_one: u32) -> u32 {
        std::mem::replace(&mut self.cell(slot).1, pos_plus_one)
    }
    fn set(&mut self, slot: usize, pos_plus_one: u32) {
        self.cell(slot).1 = pos_plus_one;
    }
}

/// Compresses `input` into at most `out_max` bytes, or `None` when it does not fit (Redis then
/// stores the string uncompressed). Same output as Redis's `lzf_compress(in, len, out, out_max)`.
pub fn compress(input: &[u8], out_max: usize) -> Option<Vec<u8>> {
    if input.is_empty() || out_max == 0 || input.len() >= u32::MAX as usize {
        return None;
    }
    if input.len() <= SMALL_INPUT_MAX {
        compress_with(input, out_max, &mut SmallSlots::new(input.len()))
    } else {
        compress_with(input, out_max, &mut FullSlots(vec![0; HSIZE]))
    }
}

fn compress_with(input: &[u8], out_max: usize, table: &mut impl Slots) -> Option<Vec<u8>> {
    let in_end = input.len();
    // One byte of slack, as Redis allocates: when a literal run fills the buffer exactly and a
    // match follows, lzf closes the run one byte past `out_max` before it notices the overflow.
    let mut out = vec![0u8; out_max + 1];
    let mut ip = 0usize;
    let mut lit = 0usize;
    let mut op = 1usize; // start a literal run: its header goes at op - lit - 1
    if in_end >= 3 {
        let mut hval = (u32::from(input[0]) << 8) | u32::from(input[1]);
        while ip < in_end - 2 {
            hval = (hval << 8) | u32::from(input[ip + 2]);
            let found = table.swap(slot(hval), ip as u32 + 1) as usize;
            // `found - 1` is the reference position; Redis requires it past the input's start.
            let reference = (found >= 2)
                .then(|| found - 1)
                .filter(|&r| ip - r - 1 < OFFSET_MAX && ip + 4 < in_end && input[r..r + 3] == input[ip..ip + 3]);
            if let Some(r) = reference {
                let off = ip - r - 1;
                let mut len = 2usize;
                let maxlen = (in_end - ip - len).min(REF_LEN_MAX);
                out[op - lit - 1] = (lit as u8).wrapping_sub(1);
                op -= usize::from(lit == 0);
                if op + 3 + 1 >= out_max {
                    return None;
                }
                // lzf's unrolled loop checks 16 bytes before it looks at `maxlen` again.
                let mut unrolled_stop = false;
                if maxlen > 16 {
                    for _ in 0..16 {
                        len += 1;
                        if input[r + len] != input[ip + len] {
                            unrolled_stop = true;
                            break;
                        }
                    }
                }
                if !unrolled_stop {
                    loop {
                        len += 1;
                        if !(len < maxlen && input[r + len] == input[ip + len]) {
                            break;
                        }
                    }
                }
                len -= 2; // the match is len + 2 bytes; lzf encodes len
                ip += 1;
                if len < 7 {
                    out[op] = ((off >> 8) + (len << 5)) as u8;
                    op += 1;
                } else {
                    out[op] = ((off >> 8) + (7 << 5)) as u8;
                    out[op + 1] = (len - 7) as u8;
                    op += 2;
                }
                out[op] = off as u8;
                op += 2; // the offset byte, then room for the next run's header
                lit = 0;
                ip += len + 1;
                if ip >= in_end - 2 {
                    break;
                }
                // VERY_FAST: hash the two positions before the new one.
                ip -= 2;
                hval = (u32::from(input[ip]) << 8) | u32::from(input[ip + 1]);
                hval = (hval << 8) | u32::from(input[ip + 2]);
                table.set(slot(hval), ip as u32 + 1);
                ip += 1;
                hval = (hval << 8) | u32::from(input[ip + 2]);
                table.set(slot(hval), ip as u32 + 1);
                ip += 1;
            } else {
                if op >= out_max {
                    return None;
                }
                lit += 1;
                out[op] = input[ip];
                op += 1;
                ip += 1;
                if lit == LITERAL_RUN_MAX {
                    out[op - lit - 1] = (lit - 1) as u8;
                    lit = 0;
                    op += 1;
                }
            }
        }
    }
    if op + 3 > out_max {
        return None;
    }
    while ip < in_end {
        lit += 1;
        out[op] = input[ip];
        op += 1;
        ip += 1;
        if lit == LITERAL_RUN_MAX {
            out[op - lit - 1] = (lit - 1) as u8;
            lit = 0;
            op += 1;
        }
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1);
    op -= usize::from(lit == 0);
    out.truncate(op);
    Some(out)
}

/// Why a compressed stream could not be expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LzfError {
    /// The stream ends inside an instruction.
    Truncated,
    /// A back reference points before the start of the output.
    BadReference,
    /// The output would be longer than declared.
    TooLong,
    /// The output is shorter than declared.
    TooShort,
}

impl std::fmt::Display for LzfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LzfError::Truncated => "LZF data ends inside an instruction",
            LzfError::BadReference => "LZF back reference before the start",
            LzfError::TooLong => "LZF data expands past its declared length",
            LzfError::TooShort => "LZF data expands to less than its declared length",
        })
    }
}

/// Expands `input` into exactly `out_len` bytes, as Redis requires of an LZF string. The output
/// grows as it is produced, so a huge declared length costs nothing until the data backs it.
pub fn decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, LzfError> {
    // Each input byte expands to at most 88 output bytes (a 3-byte reference of 264 bytes).
    let mut out: Vec<u8> = Vec::with_capacity(out_len.min(input.len().saturating_mul(88)));
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < LITERAL_RUN_MAX {
            let n = ctrl + 1;
            if out.len() + n > out_len {
                return Err(LzfError::TooLong);
            }
            let lits = input.get(ip..ip + n).ok_or(LzfError::Truncated)?;
            out.extend_from_slice(lits);
            ip += n;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += usize::from(*input.get(ip).ok_or(LzfError::Truncated)?);
                ip += 1;
            }
            let low = usize::from(*input.get(ip).ok_or(LzfError::Truncated)?);
            ip += 1;
            let back = ((ctrl & 0x1f) << 8) + low + 1;
            if out.len() + len + 2 > out_len {
                return Err(LzfError::TooLong);
            }
            let start = out.len().checked_sub(back).ok_or(LzfError::BadReference)?;
            // Byte by byte: the reference may overlap the bytes it produces (a run).
            for i in 0..len + 2 {
                let b = out[start + i];
                out.push(b);
            }
        }
    }
    if out.len() != out_len {
        return Err(LzfError::TooShort);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn samples() -> Vec<Vec<u8>> {
        let mut rng = Rng::new(5);
        let mut out = vec![
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_vec(),
            b"hello hello hello hello hello world world world".to_vec(),
            b"abc".to_vec(),
            b"ab".to_vec(),
            b"a".to_vec(),
            vec![0u8; 100_000],
        ];
        for len in [21usize, 40, 64, 300, 5000, 70_000] {
            let alphabet = 1 + rng.below(20) as u8;
            out.push((0..len).map(|_| b'a' + rng.below(u64::from(alphabet)) as u8).collect());
            out.push((0..len).map(|_| rng.next_u64() as u8).collect());
        }
        out
    }

    #[test]
    fn round_trips_and_small_and_full_tables_agree() {
        // Proves decompress(compress(x)) == x for text, runs and noise of many sizes, and that
        // the small slot map yields the same bytes as the full 64 K table.
        for s in samples() {
            let cap = s.len() + s.len() / 16 + 64;
            let full = compress_with(&s, cap, &mut FullSlots(vec![0; HSIZE])).expect("fits with slack");
            let small = compress_with(&s, cap, &mut SmallSlots::new(s.len())).expect("fits with slack");
            assert_eq!(full, small);
            assert_eq!(decompress(&full, s.len()).as_deref(), Ok(&s[..]));
        }
    }

    #[test]
    fn never_panics_at_any_output_limit() {
        // Proves every output limit is handled (found by fuzzing: a literal run that fills the
        // buffer exactly, then a match), and that whatever fits decompresses back.
        let mut rng = Rng::new(9);
        for _ in 0..500 {
            let len = 1 + rng.below(160) as usize;
            let alphabet = 1 + rng.below(40);
            // Runs of noise and repeats, so literal runs end both at and before the limit.
            let period = 1 + rng.below(48) as usize;
            let noise: Vec<u8> = (0..period).map(|_| b'a' + rng.below(alphabet) as u8).collect();
            let input: Vec<u8> = (0..len).map(|i| noise[i % period]).collect();
            for out_max in 0..len + 8 {
                if let Some(out) = compress(&input, out_max) {
                    assert!(out.len() <= out_max);
                    assert_eq!(decompress(&out, len).as_deref(), Ok(&input[..]));
                }
            }
        }
    }

    #[test]
    fn matches_redis_bytes_for_a_known_input() {
        // Proves byte-identical output: Redis 7.0.15 DUMPs SET k <"a" x 30> with this LZF body.
        let out = compress(&[b'a'; 30], 26).unwrap();
        assert_eq!(out, [0x01, b'a', b'a', 0xe0, 0x11, 0x00, 0x01, b'a', b'a']);
    }

    #[test]
    fn refuses_output_that_does_not_fit_and_corrupt_streams() {
        // Proves the out_max check (noise does not compress) and every decompress error.
        let noise: Vec<u8> = (0..100u32).map(|i| (i * 97 % 251) as u8).collect();
        assert_eq!(compress(&noise, noise.len() - 4), None);
        assert_eq!(decompress(&[0x05, b'a'], 6), Err(LzfError::Truncated));
        assert_eq!(decompress(&[0x20, 0x00], 10), Err(LzfError::BadReference));
        assert_eq!(decompress(&[0x00, b'a', 0xe0], 20), Err(LzfError::Truncated));
        assert_eq!(decompress(&[0x00, b'a'], 2), Err(LzfError::TooShort));
        assert_eq!(decompress(&[0x01, b'a', b'b'], 1), Err(LzfError::TooLong));
        assert_eq!(decompress(&[0x00, b'a', 0x20, 0x00], 4), Ok(b"aaaa".to_vec()));
    }
}
