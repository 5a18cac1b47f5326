//! `cmsgpack.unpack` (and `unpack_one`, `unpack_limit`) on arbitrary bytes, then `cmsgpack.pack`
//! of what they unpacked: errors are fine (truncated input, bad formats, nil keys, too many
//! values), panics, stack overflows and crashes are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verdis_server::node::script::libs::run_with_input;

const CHUNK: &str = "
local bytes = ...
local ok, a, b, c = pcall(cmsgpack.unpack, bytes)
if ok then pcall(cmsgpack.pack, a, b, c) end
pcall(cmsgpack.unpack_one, bytes, 1)
pcall(cmsgpack.unpack_limit, bytes, 2, 1)
";

fuzz_target!(|data: &[u8]| {
    run_with_input(CHUNK, data).expect("pcall catches every library error");
});
