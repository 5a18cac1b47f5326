//! HyperLogLog decoding on arbitrary bytes: the input is taken as a whole string value (as SET
//! would store it) and, behind a valid sparse header, as sparse opcodes. Nothing may panic; the
//! sparse walks must agree (a value that counts converts to dense), a valid HLL counts
//! the same sparse and dense. Adding elements to arbitrary values must not panic either; adding
//! them to a fresh HLL keeps it valid and its sparse and dense counts equal. (Adding to a valid
//! but odd value can corrupt it, as in Redis: an XZERO cut after its first byte loses the VAL
//! that replaces it.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use verdis_engine::types::hll::{self, Registers, REGISTERS};

fn exercise(value: &[u8]) {
    if hll::check(value).is_err() {
        return;
    }
    let _ = hll::decode(value);
    let counted = hll::count(value);
    let mut max: Box<Registers> = Box::new([0; REGISTERS]);
    let merged = hll::merge_into(&mut max, value);
    let mut dense = value.to_vec();
    let converted = hll::to_dense(&mut dense);
    // A value that counts converts to dense; not always the other way round, as in Redis:
    // hllSparseToDense stops at a VAL past the last register, while hllCount's sparse histogram
    // walks every opcode and calls the value corrupt (the fuzzer found such a value).
    assert!(counted.is_err() || converted.is_ok(), "a value that counts converts to dense");
    assert_eq!(merged, converted, "merge and to_dense agree on validity");
    if let Ok(card) = counted {
        assert_eq!(hll::count(&dense), Ok(card), "sparse and dense count the same");
        assert_eq!(hll::count_registers(&max), card, "merged registers count the same");
    }
    for sparse_max_bytes in [0, 3000] {
        let mut grown = value.to_vec();
        for element in value.chunks(3).take(64) {
            if hll::add(&mut grown, element, sparse_max_bytes).is_err() {
                break;
            }
        }
    }
}

/// Adds the input's chunks to a fresh HLL: it stays valid and counts the same once dense.
fn build(data: &[u8]) {
    let mut fresh = hll::new_sparse();
    for element in data.chunks(2) {
        hll::add(&mut fresh, element, 300).expect("adding to a fresh HLL succeeds");
    }
    hll::check(&fresh).expect("still an HLL");
    let card = hll::count(&fresh).expect("still valid");
    let mut dense = fresh.clone();
    hll::to_dense(&mut dense).expect("converts");
    assert_eq!(hll::count(&dense), Ok(card), "sparse and dense count the same");
}

fuzz_target!(|data: &[u8]| {
    exercise(data);
    let mut sparse = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
    sparse.extend_from_slice(data);
    exercise(&sparse);
    build(data);
});
