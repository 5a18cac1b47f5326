//! RESTORE payload decoding on arbitrary bytes, twice: as given (footer checks) and with a valid
//! version and CRC64 appended, so the mutations reach the value decoder behind the checksum. A
//! value that decodes must dump and decode back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verdis_engine::rdb::{payload, Crc64};
use verdis_engine::{EngineConfig, Rng};

fuzz_target!(|data: &[u8]| {
    let config = EngineConfig::default();
    let mut rng = Rng::new(1);
    let _ = payload::restore(data, &config, &mut rng);
    let mut framed = data.to_vec();
    framed.extend_from_slice(&10u16.to_le_bytes());
    let crc = Crc64::of(&framed);
    framed.extend_from_slice(&crc.to_le_bytes());
    if let Ok(value) = payload::restore(&framed, &config, &mut rng) {
        let again = payload::restore(&payload::dump(&value, true), &config, &mut rng);
        assert_eq!(again.as_ref(), Ok(&value), "a restored value round-trips through DUMP");
    }
});
