//! Redis's CRC64: the Jones polynomial, reflected, initial value 0, no final xor (`crc64.c`).
//!
//! RDB files and DUMP payloads end with it. Computed a byte at a time it would cost more than
//! writing the file, so this is the slice-by-8 form Redis's `crcspeed` uses: eight tables built at
//! compile time, eight input bytes per step.

/// The Jones polynomial 0xad93d23594c935a9, bit-reversed (the reflected form).
const POLY_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

/// `TABLES[0]` is the classic byte table; `TABLES[k][b]` is `TABLES[0][b]` advanced by `k` zero
/// bytes, so eight bytes can be folded in at once.
static TABLES: [[u64; 256]; 8] = build_tables();

const fn build_tables() -> [[u64; 256]; 8] {
    let mut t = [[0u64; 256]; 8];
    let mut b = 0;
    while b < 256 {
        let mut crc = b as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ POLY_REFLECTED } else { crc >> 1 };
            bit += 1;
        }
        t[0][b] = crc;
        b += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut b = 0;
        while b < 256 {
            let prev = t[k - 1][b];
            t[k][b] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            b += 1;
        }
        k += 1;
    }
    t
}

/// Redis's CRC64 (Jones polynomial, reflected), fed incrementally.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Crc64(pub u64);

impl Crc64 {
    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        let mut crc = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            crc ^= u64::from_le_bytes(chunk.try_into().expect("8-byte chunk"));
            crc = TABLES[7][(crc & 0xff) as usize]
                ^ TABLES[6][((crc >> 8) & 0xff) as usize]
                ^ TABLES[5][((crc >> 16) & 0xff) as usize]
                ^ TABLES[4][((crc >> 24) & 0xff) as usize]
                ^ TABLES[3][((crc >> 32) & 0xff) as usize]
                ^ TABLES[2][((crc >> 40) & 0xff) as usize]
                ^ TABLES[1][((crc >> 48) & 0xff) as usize]
                ^ TABLES[0][(crc >> 56) as usize];
        }
        for &b in chunks.remainder() {
            crc = TABLES[0][((crc ^ u64::from(b)) & 0xff) as usize] ^ (crc >> 8);
        }
        self.0 = crc;
    }

    /// The CRC64 of `bytes` from the initial value.
    pub fn of(bytes: &[u8]) -> u64 {
        let mut crc = Crc64::default();
        crc.update(bytes);
        crc.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_value_matches_redis() {
        // Proves the polynomial and reflection: Redis's crc64.c test vector.
        assert_eq!(Crc64::of(b"123456789"), 0xe9c6_d914_c4b8_d9ca);
        assert_eq!(Crc64::of(b""), 0);
    }

    #[test]
    fn incremental_equals_whole_at_every_split() {
        // Proves the 8-byte fast path and the byte tail agree, whatever the chunking.
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        let whole = Crc64::of(&data);
        let mut bytewise = 0u64;
        for &b in &data {
            bytewise = TABLES[0][((bytewise ^ u64::from(b)) & 0xff) as usize] ^ (bytewise >> 8);
        }
        assert_eq!(whole, bytewise);
        for split in 0..data.len() {
            let mut crc = Crc64::default();
            crc.update(&data[..split]);
            crc.update(&data[split..]);
            assert_eq!(crc.0, whole, "split at {split}");
        }
    }
}
