//! `rdb::load` on arbitrary bytes: it must return (never panic, never hang), and a failed load
//! must leave the keyspace empty. The first byte picks small encoding thresholds half the time,
//! so the conversions between encodings are exercised too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verdis_engine::config::MaxmemoryPolicy;
use verdis_engine::{rdb, EngineConfig, Keyspace, Rng};

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, file)) = data.split_first() else { return };
    let mut config = EngineConfig::default();
    if knobs & 1 == 1 {
        config.hash_max_listpack_entries = 2;
        config.zset_max_listpack_entries = 2;
        config.set_max_intset_entries = 2;
        config.hash_max_listpack_value = 4;
        config.zset_max_listpack_value = 4;
    }
    if knobs & 2 == 2 {
        config.maxmemory_policy = MaxmemoryPolicy::AllkeysLfu;
    }
    let mut rng = Rng::new(1);
    let mut keyspace = Keyspace::new(16, &mut rng);
    match rdb::load(file, &mut keyspace, 1_700_000_000_000, &config, &mut rng) {
        Ok(info) => {
            assert!(info.consumed <= file.len());
            assert_eq!(info.keys_loaded as usize, keyspace.key_count());
            for db in &keyspace.dbs {
                db.audit();
            }
        }
        Err(_) => assert_eq!(keyspace.key_count(), 0, "a failed load leaves no keys"),
    }
});
