//! The AOF readers on arbitrary bytes: `CommandReader` until the end or an error (it must move
//! forward on every command and never read past the input), and `Manifest::parse`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verdis_engine::aof::{CommandReader, Manifest};

fuzz_target!(|data: &[u8]| {
    let mut reader = CommandReader::new(data);
    // Each command takes at least one byte, so more steps than bytes means no progress.
    for _ in 0..=data.len() {
        let before = reader.offset();
        match reader.next_command() {
            None => break,
            Some(Err(_)) => break,
            Some(Ok(_)) => assert!(reader.offset() > before && reader.offset() <= data.len()),
        }
    }
    let _ = Manifest::parse(data);
});
