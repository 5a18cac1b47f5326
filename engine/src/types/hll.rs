//! HyperLogLog, byte for byte as Redis 7.0's `hyperloglog.c` stores it in a plain string.
//!
//! An HLL is a string value: a 16-byte header (`HYLL`, the encoding, three unused bytes, the
//! cached cardinality as 8 little-endian bytes whose top bit marks it stale) followed by the
//! 16384 registers, either dense (6 bits each, least significant bits first, 12288 bytes) or
//! sparse (run-length opcodes: `00xxxxxx` ZERO for 1-64 zero registers, `01xxxxxx yyyyyyyy`
//! XZERO for 1-16384, `1vvvvvxx` VAL for 1-4 registers holding 1-32). The functions here work
//! on those bytes in place so GET, DUMP, RDB and replication carry Redis's exact value, and an
//! HLL written by Redis works here unchanged.
//!
//! Client bytes can claim to be an HLL (SET then PFADD), so every walk over sparse opcodes is
//! bounded by the string and reports `Corrupt` where Redis reports `INVALIDOBJ`. Where Redis
//! reads the sds NUL terminator past the end (an XZERO opcode cut after its first byte) we read
//! a zero, so corrupt values give Redis's answers rather than a panic.

use thiserror::Error;

/// Bits of the hash that pick a register (Redis's `HLL_P`).
const P: u32 = 14;
/// Bits left for the run of zeroes (`HLL_Q`).
const Q: usize = 64 - P as usize;
/// Number of registers (`HLL_REGISTERS`).
pub const REGISTERS: usize = 1 << P;
/// Bits per dense register (`HLL_BITS`).
const BITS: usize = 6;
/// Largest register value (`HLL_REGISTER_MAX`).
const REGISTER_MAX: u8 = (1 << BITS) - 1;
/// Header bytes before the registers (`HLL_HDR_SIZE`).
pub const HDR_SIZE: usize = 16;
/// Length of a dense HLL (`HLL_DENSE_SIZE`).
pub const DENSE_SIZE: usize = HDR_SIZE + (REGISTERS * BITS).div_ceil(8);
/// The header's encoding byte for dense registers (`HLL_DENSE`).
const DENSE: u8 = 0;
/// The header's encoding byte for sparse opcodes (`HLL_SPARSE`).
const SPARSE: u8 = 1;
/// Offset of the encoding byte in the header.
const ENCODING_AT: usize = 4;
/// Offset of the cached cardinality in the header.
const CARD_AT: usize = 8;
/// Seed of Redis's MurmurHash64A for HLL elements.
const SEED: u32 = 0xadc8_3b19;

/// Largest value a VAL opcode holds (`HLL_SPARSE_VAL_MAX_VALUE`).
const VAL_MAX_VALUE: u8 = 32;
/// Longest run of a VAL opcode (`HLL_SPARSE_VAL_MAX_LEN`).
const VAL_MAX_LEN: usize = 4;
/// Longest run of a ZERO opcode (`HLL_SPARSE_ZERO_MAX_LEN`).
const ZERO_MAX_LEN: usize = 64;
/// Longest run of an XZERO opcode (`HLL_SPARSE_XZERO_MAX_LEN`).
const XZERO_MAX_LEN: usize = 16384;
/// How many opcodes after an update are tried for merging (Redis's `scanlen`).
const MERGE_SCAN_MAX: usize = 5;

/// Why bytes cannot be used as an HLL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum HllError {
    /// Not an HLL at all: too short, wrong magic, unknown encoding or a dense one of the wrong
    /// length (Redis's `isHLLObjectOrReply`).
    #[error("WRONGTYPE Key is not a valid HyperLogLog string value.")]
    NotHll,
    /// The header is fine but the sparse opcodes do not cover exactly 16384 registers.
    #[error("INVALIDOBJ Corrupted HLL object detected")]
    Corrupt,
}

/// The two stored encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// 6-bit registers.
    Dense,
    /// Run-length opcodes.
    Sparse,
}

impl Encoding {
    /// The name PFDEBUG ENCODING prints.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Dense => "dense",
            Encoding::Sparse => "sparse",
        }
    }
}

/// Checks that `bytes` look like an HLL (Redis's `isHLLObjectOrReply`) and names its encoding.
pub fn check(bytes: &[u8]) -> Result<Encoding, HllError> {
    if bytes.len() < HDR_SIZE || &bytes[..4] != b"HYLL" {
        return Err(HllError::NotHll);
    }
    match bytes[ENCODING_AT] {
        DENSE if bytes.len() == DENSE_SIZE => Ok(Encoding::Dense),
        SPARSE => Ok(Encoding::Sparse),
        _ => Err(HllError::NotHll),
    }
}

/// A new empty HLL: sparse, one XZERO covering every register, cached cardinality 0 (Redis's
/// `createHLLObject`).
pub fn new_sparse() -> Vec<u8> {
    let mut out = Vec::with_capacity(HDR_SIZE + 2);
    out.extend_from_slice(b"HYLL");
    out.push(SPARSE);
    out.resize(HDR_SIZE, 0);
    let mut left = REGISTERS;
    while left > 0 {
        let run = left.min(XZERO_MAX_LEN);
        out.extend_from_slice(&xzero(run));
        left -= run;
    }
    out
}

/// The cached cardinality, unless it was invalidated.
pub fn cached_card(bytes: &[u8]) -> Option<u64> {
    let card: [u8; 8] = bytes[CARD_AT..CARD_AT + 8].try_into().expect("checked header");
    (card[7] & 0x80 == 0).then(|| u64::from_le_bytes(card))
}

/// Stores `card` as the cached cardinality.
pub fn set_cached_card(bytes: &mut [u8], card: u64) {
    bytes[CARD_AT..CARD_AT + 8].copy_from_slice(&card.to_le_bytes());
}

/// Marks the cached cardinality stale (`HLL_INVALIDATE_CACHE`).
pub fn invalidate_cache(bytes: &mut [u8]) {
    bytes[CARD_AT + 7] |= 0x80;
}

/// Redis's `MurmurHash64A`, reading 8-byte blocks little-endian as Redis does on every arch.
pub fn murmur64a(key: &[u8], seed: u32) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = u64::from(seed) ^ (key.len() as u64).wrapping_mul(M);
    let mut blocks = key.chunks_exact(8);
    for block in &mut blocks {
        let mut k = u64::from_le_bytes(block.try_into().expect("8-byte chunk"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element lands in and the length of its `000..1` pattern (`hllPatLen`).
fn pattern(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, SEED);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// Dense register `index` (`HLL_DENSE_GET_REGISTER`; the last register's second byte is the
/// terminator, read as zero).
fn dense_get(registers: &[u8], index: usize) -> u8 {
    let byte = index * BITS / 8;
    let shift = (index * BITS) & 7;
    let b0 = u16::from(registers[byte]);
    let b1 = u16::from(registers.get(byte + 1).copied().unwrap_or(0));
    (((b0 >> shift) | (b1 << (8 - shift))) & u16::from(REGISTER_MAX)) as u8
}

/// Sets dense register `index` to `value` (`HLL_DENSE_SET_REGISTER`).
fn dense_put(registers: &mut [u8], index: usize, value: u8) {
    let byte = index * BITS / 8;
    let shift = (index * BITS) & 7;
    let v = u16::from(value);
    let max = u16::from(REGISTER_MAX);
    registers[byte] = ((u16::from(registers[byte]) & !(max << shift)) | (v << shift)) as u8;
    if let Some(next) = registers.get_mut(byte + 1) {
        *next = ((u16::from(*next) & !(max >> (8 - shift))) | (v >> (8 - shift))) as u8;
    }
}

/// Raises dense register `index` to `count`; true when it changed (`hllDenseSet`).
fn dense_set(registers: &mut [u8], index: usize, count: u8) -> bool {
    let changed = count > dense_get(registers, index);
    if changed {
        dense_put(registers, index, count);
    }
    changed
}

/// One sparse opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// `run` zero registers (ZERO or XZERO).
    Zero { run: usize, bytes: usize },
    /// `run` registers holding `value`.
    Val { value: u8, run: usize },
}

impl Op {
    /// The opcode at `at` (an XZERO cut short reads its missing byte as zero, as Redis does).
    fn at(sparse: &[u8], at: usize) -> Op {
        let b = sparse[at];
        if b & 0xc0 == 0 {
            Op::Zero { run: usize::from(b & 0x3f) + 1, bytes: 1 }
        } else if b & 0x80 == 0 {
            let low = usize::from(sparse.get(at + 1).copied().unwrap_or(0));
            Op::Zero { run: ((usize::from(b & 0x3f) << 8) | low) + 1, bytes: 2 }
        } else {
            Op::Val { value: ((b >> 2) & 0x1f) + 1, run: usize::from(b & 3) + 1 }
        }
    }

    fn run(self) -> usize {
        match self {
            Op::Zero { run, .. } | Op::Val { run, .. } => run,
        }
    }

    fn bytes(self) -> usize {
        match self {
            Op::Zero { bytes, .. } => bytes,
            Op::Val { .. } => 1,
        }
    }
}

/// The bytes of a VAL opcode.
fn val(value: u8, run: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (run as u8 - 1)
}

/// The bytes of an XZERO opcode.
fn xzero(run: usize) -> [u8; 2] {
    let l = run - 1;
    [0x40 | (l >> 8) as u8, (l & 0xff) as u8]
}

/// The opcodes for `run` zero registers: ZERO when it fits, XZERO otherwise.
fn zeros(out: &mut Vec<u8>, run: usize) {
    if run > ZERO_MAX_LEN {
        out.extend_from_slice(&xzero(run));
    } else {
        out.push(run as u8 - 1);
    }
}

/// Walks sparse opcodes, calling `f(first register, op)` for each until the registers would
/// overflow on a VAL; the number of registers covered (16384 when valid).
fn walk_sparse(sparse: &[u8], mut f: impl FnMut(usize, Op)) -> usize {
    let (mut at, mut index) = (0, 0);
    while at < sparse.len() {
        let op = Op::at(sparse, at);
        if matches!(op, Op::Val { .. }) && index + op.run() > REGISTERS {
            break;
        }
        f(index, op);
        index += op.run();
        at += op.bytes();
    }
    index
}

/// Rewrites a sparse HLL as dense, keeping the header (`hllSparseToDense`); a dense one is left
/// alone.
pub fn to_dense(hll: &mut Vec<u8>) -> Result<(), HllError> {
    if hll[ENCODING_AT] == DENSE {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR_SIZE].copy_from_slice(&hll[..HDR_SIZE]);
    dense[ENCODING_AT] = DENSE;
    let registers = &mut dense[HDR_SIZE..];
    let covered = walk_sparse(&hll[HDR_SIZE..], |first, op| {
        if let Op::Val { value, run } = op {
            (first..first + run).for_each(|i| dense_put(registers, i, value));
        }
    });
    if covered != REGISTERS {
        return Err(HllError::Corrupt);
    }
    *hll = dense;
    Ok(())
}

/// Raises register `index` to `count` in a sparse HLL, splitting and merging opcodes in place or
/// promoting to dense when `count` does not fit a VAL or the string would grow past
/// `sparse_max_bytes`; true when the register changed (`hllSparseSet`).
fn sparse_set(hll: &mut Vec<u8>, index: usize, count: u8, sparse_max_bytes: usize) -> Result<bool, HllError> {
    if count > VAL_MAX_VALUE {
        return promote(hll, index, count);
    }
    // Step 1: find the opcode covering `index`.
    let end = hll.len();
    let (mut at, mut first, mut prev) = (HDR_SIZE, 0usize, None);
    let mut found = None;
    while at < end {
        let op = Op::at(hll, at);
        if index < first + op.run() {
            found = Some(op);
            break;
        }
        prev = Some(at);
        at += op.bytes();
        first += op.run();
    }
    let Some(op) = found else { return Err(HllError::Corrupt) };
    let last = first + op.run() - 1;
    // Step 2: the cases that need no split.
    match op {
        Op::Val { value, .. } if value >= count => return Ok(false),
        Op::Val { run: 1, .. } | Op::Zero { run: 1, bytes: 1 } => {
            hll[at] = val(count, 1);
            merge_adjacent(hll, prev.unwrap_or(HDR_SIZE));
            invalidate_cache(hll);
            return Ok(true);
        }
        _ => {}
    }
    // Step 3: split the opcode around `index`.
    let mut seq = Vec::with_capacity(5);
    match op {
        Op::Zero { .. } => {
            if index != first {
                zeros(&mut seq, index - first);
            }
            seq.push(val(count, 1));
            if index != last {
                zeros(&mut seq, last - index);
            }
        }
        Op::Val { value, .. } => {
            if index != first {
                seq.push(val(value, index - first));
            }
            seq.push(val(count, 1));
            if index != last {
                seq.push(val(value, last - index));
            }
        }
    }
    let old_len = op.bytes();
    let new_len = end + seq.len() - old_len;
    if new_len > end && new_len > sparse_max_bytes {
        return promote(hll, index, count);
    }
    // An XZERO cut short at the end has one byte less than `old_len` to replace: Redis writes
    // the whole sequence and keeps `new_len` bytes of it, and so do we.
    let tail = hll.get(at + old_len..).map(<[u8]>::to_vec).unwrap_or_default();
    hll.truncate(at);
    hll.extend_from_slice(&seq);
    hll.extend_from_slice(&tail);
    hll.truncate(new_len);
    // Step 4: merge equal neighbouring VALs.
    merge_adjacent(hll, prev.unwrap_or(HDR_SIZE));
    invalidate_cache(hll);
    Ok(true)
}

/// Merges adjacent VAL opcodes of one value whose runs fit one opcode, scanning a few opcodes
/// from `at` (Redis's step 4 of `hllSparseSet`).
fn merge_adjacent(hll: &mut Vec<u8>, mut at: usize) {
    let mut scan_left = MERGE_SCAN_MAX;
    while at < hll.len() && scan_left > 0 {
        scan_left -= 1;
        let here = Op::at(hll, at);
        let Op::Val { value, run } = here else {
            at += here.bytes();
            continue;
        };
        if at + 1 < hll.len() {
            if let Op::Val { value: next_value, run: next_run } = Op::at(hll, at + 1) {
                if value == next_value && run + next_run <= VAL_MAX_LEN {
                    hll[at + 1] = val(value, run + next_run);
                    hll.remove(at);
                    continue;
                }
            }
        }
        at += 1;
    }
}

/// Promotes a sparse HLL to dense and raises register `index` there.
fn promote(hll: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, HllError> {
    to_dense(hll)?;
    Ok(dense_set(&mut hll[HDR_SIZE..], index, count))
}

/// Adds `element` to a checked HLL; true when a register changed (`hllAdd`). A sparse HLL may
/// be promoted to dense on the way.
pub fn add(hll: &mut Vec<u8>, element: &[u8], sparse_max_bytes: usize) -> Result<bool, HllError> {
    let (index, count) = pattern(element);
    set_register(hll, index, count, sparse_max_bytes)
}

/// Raises register `index` to `count` in either encoding.
fn set_register(hll: &mut Vec<u8>, index: usize, count: u8, sparse_max_bytes: usize) -> Result<bool, HllError> {
    match hll[ENCODING_AT] {
        DENSE => Ok(dense_set(&mut hll[HDR_SIZE..], index, count)),
        _ => sparse_set(hll, index, count, sparse_max_bytes),
    }
}

/// One byte per register, the max of every HLL merged in (PFCOUNT of many keys, PFMERGE).
pub type Registers = [u8; REGISTERS];

/// Raises each of `max` to the matching register of a checked HLL (`hllMerge`).
pub fn merge_into(max: &mut Registers, hll: &[u8]) -> Result<(), HllError> {
    let body = &hll[HDR_SIZE..];
    if hll[ENCODING_AT] == DENSE {
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(body, i));
        }
        return Ok(());
    }
    let covered = walk_sparse(body, |first, op| {
        if let Op::Val { value, run } = op {
            max[first..first + run].iter_mut().for_each(|m| *m = (*m).max(value));
        }
    });
    if covered == REGISTERS {
        Ok(())
    } else {
        Err(HllError::Corrupt)
    }
}

/// Writes merged registers into the checked HLL `dest` (PFMERGE's last step): dense first when
/// `dense`, then each non-zero register raised, and the cache invalidated.
pub fn store_merged(dest: &mut Vec<u8>, max: &Registers, dense: bool, sparse_max_bytes: usize) -> Result<(), HllError> {
    if dense {
        to_dense(dest)?;
    }
    for (index, &count) in max.iter().enumerate().filter(|(_, &c)| c != 0) {
        // Redis ignores a failure here: every input, `dest` included, was validated already.
        let _ = set_register(dest, index, count, sparse_max_bytes);
    }
    invalidate_cache(dest);
    Ok(())
}

/// The estimated cardinality of a checked HLL (`hllCount`).
pub fn count(hll: &[u8]) -> Result<u64, HllError> {
    let body = &hll[HDR_SIZE..];
    let mut histogram = [0u32; 64];
    if hll[ENCODING_AT] == DENSE {
        (0..REGISTERS).for_each(|i| histogram[usize::from(dense_get(body, i))] += 1);
    } else {
        // Unlike a merge, Redis's sparse histogram does not stop at an overflowing VAL.
        let (mut at, mut covered) = (0, 0);
        while at < body.len() {
            let op = Op::at(body, at);
            match op {
                Op::Zero { run, .. } => histogram[0] = histogram[0].wrapping_add(run as u32),
                Op::Val { value, run } => {
                    let slot = &mut histogram[usize::from(value)];
                    *slot = slot.wrapping_add(run as u32);
                }
            }
            covered += op.run();
            at += op.bytes();
        }
        if covered != REGISTERS {
            return Err(HllError::Corrupt);
        }
    }
    Ok(estimate(&histogram))
}

/// The estimated cardinality of merged registers (`hllCount` on `HLL_RAW`).
pub fn count_registers(max: &Registers) -> u64 {
    let mut histogram = [0u32; 64];
    max.iter().for_each(|&r| histogram[usize::from(r)] += 1);
    estimate(&histogram)
}

/// Otmar Ertl's improved estimator from the register histogram, as Redis 7.0 computes it.
fn estimate(histogram: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - f64::from(histogram[Q + 1])) / m);
    for j in (1..=Q).rev() {
        z += f64::from(histogram[j]);
        z *= 0.5;
    }
    z += m * sigma(f64::from(histogram[0]) / m);
    /// 0.5/ln(2) (`HLL_ALPHA_INF`).
    const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
    (ALPHA_INF * m * m / z).round() as u64
}

/// `hllSigma`.
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    loop {
        x *= x;
        let previous = z;
        z += x * y;
        y += y;
        if previous == z {
            return z;
        }
    }
}

/// `hllTau`.
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let previous = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if previous == z {
            return z / 3.0;
        }
    }
}

/// Every dense register of a checked HLL, converting a sparse one in place first (PFDEBUG
/// GETREG).
pub fn registers(hll: &mut Vec<u8>) -> Result<Vec<u8>, HllError> {
    to_dense(hll)?;
    Ok((0..REGISTERS).map(|i| dense_get(&hll[HDR_SIZE..], i)).collect())
}

/// The sparse opcodes as PFDEBUG DECODE prints them (`z:len`, `Z:len`, `v:value,len`).
pub fn decode(hll: &[u8]) -> String {
    let body = &hll[HDR_SIZE..];
    let mut words = Vec::new();
    let mut at = 0;
    while at < body.len() {
        let op = Op::at(body, at);
        words.push(match op {
            Op::Zero { run, bytes: 1 } => format!("z:{run}"),
            Op::Zero { run, .. } => format!("Z:{run}"),
            Op::Val { value, run } => format!("v:{value},{run}"),
        });
        at += op.bytes();
    }
    words.join(" ")
}

/// The encoding of a checked HLL.
pub fn encoding(hll: &[u8]) -> Encoding {
    if hll[ENCODING_AT] == DENSE {
        Encoding::Dense
    } else {
        Encoding::Sparse
    }
}

/// Redis's PFSELFTEST: register round trips over random values, then the estimate of up to
/// ten million elements, dense and sparse side by side; `Err` carries the failure text.
pub fn self_test(mut random: impl FnMut() -> u32, sparse_max_bytes: usize) -> Result<(), String> {
    /// Rounds of the register round trip (`HLL_TEST_CYCLES`).
    const CYCLES: usize = 1000;
    /// Elements added in the estimate test.
    const ELEMENTS: u64 = 10_000_000;
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..4].copy_from_slice(b"HYLL");
    let mut bytes = [0u8; REGISTERS];
    for _ in 0..CYCLES {
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (random() & u32::from(REGISTER_MAX)) as u8;
            dense_put(&mut dense[HDR_SIZE..], i, *b);
        }
        for (i, &b) in bytes.iter().enumerate() {
            let got = dense_get(&dense[HDR_SIZE..], i);
            if got != b {
                return Err(format!("TESTFAILED Register {i} should be {b} but is {got}"));
            }
        }
    }
    dense[HDR_SIZE..].fill(0);
    let mut sparse = new_sparse();
    let relative_error = 1.04 / (REGISTERS as f64).sqrt();
    let seed = u64::from(random()) | (u64::from(random()) << 32);
    let mut checkpoint = 1u64;
    for j in 1..=ELEMENTS {
        let element = (j ^ seed).to_ne_bytes();
        let (index, run) = pattern(&element);
        dense_set(&mut dense[HDR_SIZE..], index, run);
        set_register(&mut sparse, index, run, sparse_max_bytes).map_err(|e| e.to_string())?;
        if j != checkpoint {
            continue;
        }
        if (j as usize) < sparse_max_bytes / 2 && encoding(&sparse) != Encoding::Sparse {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let estimate = count(&dense).map_err(|e| e.to_string())?;
        if estimate != count(&sparse).map_err(|e| e.to_string())? {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        let error_max = if j == 10 { 1 } else { (relative_error * 6.0 * checkpoint as f64).ceil() as u64 };
        let error = checkpoint.abs_diff(estimate);
        if error > error_max {
            return Err(format!("TESTFAILED Too big error. card:{checkpoint} abserr:{error}"));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A sparse HLL whose body is `body`.
    fn sparse(body: &[u8]) -> Vec<u8> {
        let mut hll = new_sparse();
        hll.truncate(HDR_SIZE);
        hll.extend_from_slice(body);
        hll
    }

    #[test]
    fn hash_and_pattern_match_redis() {
        // Proves MurmurHash64A with Redis's seed and the register/run split: "a", "b" and "c"
        // land where Redis's PFDEBUG DECODE showed them (registers 8436, 12711, 15780).
        let mut hll = new_sparse();
        for element in [&b"a"[..], b"b", b"c"] {
            assert_eq!(add(&mut hll, element, 3000), Ok(true));
        }
        assert_eq!(decode(&hll), "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603");
        assert_eq!(murmur64a(b"", 0), 0);
    }

    #[test]
    fn a_split_that_would_pass_the_limit_promotes() {
        // Proves the promotion rule: growing past sparse_max_bytes goes dense, staying at the
        // same length (a VAL replacing a ZERO of one) does not, and a value over 32 always does.
        let mut hll = sparse(&[0x7f, 0xfe, 0x00]);
        assert_eq!(set_register(&mut hll, 16383, 3, 0), Ok(true));
        assert_eq!((encoding(&hll), decode(&hll).as_str()), (Encoding::Sparse, "Z:16383 v:3,1"));
        assert_eq!(set_register(&mut hll, 0, 3, HDR_SIZE + 3), Ok(true));
        assert_eq!(encoding(&hll), Encoding::Dense);
        let mut hll = new_sparse();
        assert_eq!(set_register(&mut hll, 5, 33, 3000), Ok(true));
        assert_eq!((encoding(&hll), hll.len()), (Encoding::Dense, DENSE_SIZE));
    }

    #[test]
    fn a_cut_xzero_loses_its_replacement_as_in_redis() {
        // Proves the odd case Redis leaves behind: a one-register XZERO cut after its first byte
        // is replaced by a VAL that falls past the shortened string, so the HLL turns invalid
        // (Redis 7.0.15 gives the same for `PFADD k x16646`, which sets register 16383 to 1).
        let mut hll = sparse(&[0x7f, 0xfe, 0x40]);
        assert_eq!(count(&hll), Ok(0));
        assert_eq!(set_register(&mut hll, 16383, 1, 3000), Ok(true));
        assert_eq!(decode(&hll), "Z:16383");
        assert_eq!(count(&hll), Err(HllError::Corrupt));
    }

    #[test]
    fn merge_adjacent_joins_equal_values() {
        // Proves step 4 of hllSparseSet: raising the register between two v:2 runs merges them.
        let mut hll = sparse(&[val(2, 1), val(1, 1), val(2, 1), 0x7f, 0xfc]);
        assert_eq!(set_register(&mut hll, 1, 2, 3000), Ok(true));
        assert_eq!(decode(&hll), "v:2,3 Z:16381");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_sparse_body_is_handled_without_panic(body in proptest::collection::vec(any::<u8>(), 0..64), index in 0..REGISTERS, value in 1u8..64) {
            // Proves arbitrary opcodes never panic, the walks agree on validity (a value that
            // counts converts; not the converse, as in Redis: hllSparseToDense stops at a VAL past
            // the last register, hllCount walks on), and a valid HLL counts the same sparse and
            // dense.
            let hll = sparse(&body);
            let mut dense = hll.clone();
            let converted = to_dense(&mut dense);
            let mut max: Box<Registers> = Box::new([0; REGISTERS]);
            prop_assert_eq!(merge_into(&mut max, &hll), converted);
            prop_assert!(count(&hll).is_err() || converted.is_ok());
            if count(&hll).is_ok() {
                prop_assert_eq!(count(&hll), count(&dense));
                prop_assert_eq!(count(&hll), Ok(count_registers(&max)));
            }
            let _ = decode(&hll);
            let mut changed = hll.clone();
            let _ = set_register(&mut changed, index, value, 3000);
        }
    }
}
