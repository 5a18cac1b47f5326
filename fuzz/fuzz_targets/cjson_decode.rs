//! `cjson.decode` on arbitrary bytes, then `cjson.encode` of what it decoded: either may raise a
//! Lua error (bad JSON, NaN, nesting), but nothing may panic, overflow the stack or crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verdis_server::node::script::libs::run_with_input;

/// Decodes with the default limits and with a raised nesting limit (deeper than Lua's stack
/// allows, so the stack check is what stops it), and re-encodes what decoded.
const CHUNK: &str = "
local text = ...
local c = cjson.new()
c.decode_max_depth(100000)
c.encode_max_depth(100000)
for _, json in ipairs({cjson, c}) do
  local ok, value = pcall(json.decode, text)
  if ok then pcall(json.encode, value) end
end
";

fuzz_target!(|data: &[u8]| {
    run_with_input(CHUNK, data).expect("pcall catches every library error");
});
