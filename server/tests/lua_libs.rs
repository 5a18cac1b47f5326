//! The scripting libraries (`cjson`, `cmsgpack`, `bit`, `struct`) against Redis 7.0's own: each
//! case is a Lua snippet run twice — through `verdis_server::node::script::libs::register` in a
//! plain Lua 5.1 state, and through `EVAL` on a real redis-server — and the two results (the
//! returned string, or the error message) must be the same bytes.
//!
//! Snippets return strings only (Redis would turn numbers into integers and lose information),
//! built by a shared prelude: `R(...)` writes every returned value unambiguously (strings with
//! `%q`, numbers with `%.17g`, tables with sorted keys, `cjson.null` as `null`) and `H(s)` writes
//! bytes as hex. Both sides run the same prelude, so it cannot bias the comparison.
//!
//! Redis's error replies wrap the message: `ERR <message> script: <sha>, on @user_script:<n>.`;
//! the comparison takes `<message>`, which is what the library raised (with the calling line's
//! `user_script:<n>:` prefix where Redis's C code adds one).
//!
//! Like every comparison test here, this needs redis-server (tests/common fails with the fix when
//! it is missing: a comparison against nothing proves nothing).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use common::{resp_command, Backend, Server, REPLY_TIMEOUT};
use mlua::Lua;
use verdis_server::node::script::libs;

/// Helpers every snippet can use (locals only: Redis scripts may not create globals).
const PRELUDE: &str = r#"
local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta < tb end
  if ta == 'number' or ta == 'string' then return a < b end
  return tostring(a) < tostring(b)
end
local function dump(v)
  local t = type(v)
  if t == 'string' then return string.format('%q', v)
  elseif t == 'number' then return string.format('%.17g', v)
  elseif t == 'table' then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, key_less)
    local parts = {}
    for _, k in ipairs(keys) do parts[#parts + 1] = '[' .. dump(k) .. ']=' .. dump(v[k]) end
    return '{' .. table.concat(parts, ',') .. '}'
  elseif v == cjson.null then return 'null'
  else return tostring(v) end
end
local function R(...)
  local parts = {}
  for i = 1, select('#', ...) do parts[i] = dump((select(i, ...))) end
  return select('#', ...) .. ':' .. table.concat(parts, ' ')
end
local function H(s)
  return (string.gsub(s, '.', function(c) return string.format('%02x', string.byte(c)) end))
end
"#;

/// `(what it proves, snippet)`: the snippet runs after the prelude and returns a string.
const CASES: &[(&str, &str)] = &[
    // ---------------------------------------------------------------- cjson.encode
    (
        "encode scalars",
        r#"return cjson.encode('x') .. cjson.encode(true) .. cjson.encode(false) .. cjson.encode(nil) .. cjson.encode(cjson.null)"#,
    ),
    ("encode escapes / and control bytes, keeps UTF-8", r#"return cjson.encode('a/b"c\\d\n\r\t\b\f\0\1\31\127 é €')"#),
    (
        "objects with keys of 32 bytes and more iterate as in Redis's Lua (every byte hashed)",
        r#"local t = {} for i = 1, 20 do t[string.rep('k', 30 + i) .. i] = i end return cjson.encode(t) .. H(cmsgpack.pack(t))"#,
    ),
    ("encode integers", r#"return cjson.encode({0, 1, -1, 42, 1e14, 123456789012345, 2^53, 2^63, -2^63})"#),
    (
        "encode fractions with %.14g",
        r#"return cjson.encode({0.1, 1/3, -2/3, 1.5, 1e100, -1e-100, 1e-5, 0.0001, 5e-324, 1.7976931348623157e308})"#,
    ),
    ("encode negative zero", r#"local z = 0 return cjson.encode(-z)"#),
    ("encode refuses infinity", r#"return cjson.encode(math.huge)"#),
    ("encode refuses NaN", r#"return cjson.encode({1, 0/0})"#),
    ("encode empty table is an object", r#"return cjson.encode({})"#),
    ("encode nested arrays and objects", r#"return cjson.encode({{1, {2, {3}}}, {a = {b = {c = 'd'}}}})"#),
    (
        "encode object with several keys in Lua's order",
        r#"return cjson.encode({alpha = 1, beta = 2, gamma = 3, delta = 4, [5.5] = 5})"#,
    ),
    ("encode number keys as strings", r#"return cjson.encode({[1.5] = 'x'}) .. cjson.encode({[-1] = 'y'})"#),
    (
        "encode mildly sparse array with nulls",
        r#"return cjson.encode({[1] = 1, [2] = 2, [4] = 4}) .. cjson.encode({[10] = 1})"#,
    ),
    ("encode refuses an excessively sparse array", r#"return cjson.encode({[1] = 1, [20] = 2})"#),
    ("encode mixed keys is an object", r#"return cjson.encode({1, 2, x = 3})"#),
    ("encode refuses boolean keys", r#"return cjson.encode({[true] = 1})"#),
    ("encode refuses functions", r#"return cjson.encode({type})"#),
    ("encode needs exactly one argument", r#"return cjson.encode()"#),
    ("encode with two arguments", r#"return cjson.encode(1, 2)"#),
    (
        "encode depth limit 1000",
        r#"local t = {} local c = t for i = 1, 1000 do c[1] = {} c = c[1] end return cjson.encode(t)"#,
    ),
    (
        "encode depth within 1000",
        r#"local t = {} local c = t for i = 1, 998 do c[1] = {} c = c[1] end return tostring(string.len(cjson.encode(t)))"#,
    ),
    ("encode of a cycle stops at the depth limit", r#"local t = {} t[1] = t return cjson.encode(t)"#),
    (
        "encode_max_depth on a new instance",
        r#"local c = cjson.new() return R(c.encode_max_depth(2), c.encode({{1}}), pcall(c.encode, {{{1}}}))"#,
    ),
    ("encode_max_depth rejects 0", r#"local c = cjson.new() return c.encode_max_depth(0)"#),
    ("encode_max_depth rejects a string", r#"local c = cjson.new() return c.encode_max_depth('x')"#),
    ("config functions refuse extra arguments", r#"local c = cjson.new() return c.encode_max_depth(1, 2)"#),
    (
        "encode_number_precision",
        r#"local c = cjson.new() return R(c.encode_number_precision(), c.encode_number_precision(3), c.encode({3.14159, 1234.5, 0.000123456}))"#,
    ),
    ("encode_number_precision range", r#"local c = cjson.new() return c.encode_number_precision(15)"#),
    (
        "encode_sparse_array defaults and convert",
        r#"local c = cjson.new() return R(c.encode_sparse_array(), c.encode_sparse_array(true), c.encode({[1] = 1, [20] = 2}))"#,
    ),
    (
        "encode_sparse_array ratio 0 allows any",
        r#"local c = cjson.new() c.encode_sparse_array(false, 0) return c.encode({[3] = 1})"#,
    ),
    (
        "encode_sparse_array safe",
        r#"local c = cjson.new() c.encode_sparse_array(false, 2, 1) return R(pcall(c.encode, {[3] = 1}))"#,
    ),
    ("encode_sparse_array bad option", r#"local c = cjson.new() return c.encode_sparse_array('maybe')"#),
    (
        "encode_sparse_array option names",
        r#"local c = cjson.new() return R(c.encode_sparse_array('on'), c.encode_sparse_array('off'))"#,
    ),
    (
        "encode_invalid_numbers on",
        r#"local c = cjson.new() return R(c.encode_invalid_numbers(true), c.encode({0/0, math.huge, -math.huge}))"#,
    ),
    (
        "encode_invalid_numbers null",
        r#"local c = cjson.new() return R(c.encode_invalid_numbers('null'), c.encode({0/0, math.huge, 1}))"#,
    ),
    ("encode_invalid_numbers bad option", r#"local c = cjson.new() return c.encode_invalid_numbers('sometimes')"#),
    (
        "encode_keep_buffer",
        r#"local c = cjson.new() return R(c.encode_keep_buffer(), c.encode_keep_buffer(false), c.encode({1}), c.encode_keep_buffer('on'))"#,
    ),
    ("module fields", r#"return R(cjson._NAME, cjson._VERSION, cjson.null == nil, type(cjson.null), type(cjson.new))"#),
    (
        "encode %.14g ties and magnitudes",
        r#"local c = cjson.new() c.encode_number_precision(1) local a = c.encode({0.5, 2.5, 3.5, 0.25, 150, 0.05}) return a .. cjson.encode({1e15, 1e21, 123.456, 0.000001, 1234567.125, -1e-7})"#,
    ),
    (
        "encode infinite and huge keys",
        r#"return R(pcall(cjson.encode, {[math.huge] = 1}), cjson.encode({[2^31] = 1}), cjson.encode({[1e15] = 2}), cjson.encode({[0] = 3}))"#,
    ),
    (
        "encode_sparse_array ratio 1 convert",
        r#"local c = cjson.new() c.encode_sparse_array(true, 1) return c.encode({[1] = 1, [3] = 3}) .. c.encode({[1] = 1, [2] = 2})"#,
    ),
    (
        "instances keep their own settings",
        r#"local c = cjson.new() c.encode_invalid_numbers(true) return R(c.encode(0/0), pcall(cjson.encode, 0/0), c.encode_invalid_numbers(), cjson.encode_invalid_numbers())"#,
    ),
    (
        "config getters of the global instance",
        r#"return R(cjson.encode_sparse_array(), cjson.encode_max_depth(), cjson.decode_max_depth(), cjson.encode_number_precision(), cjson.encode_keep_buffer(), cjson.encode_invalid_numbers(), cjson.decode_invalid_numbers())"#,
    ),
    (
        "integer option cuts 64-bit values to 32",
        r#"local c = cjson.new() return R(pcall(c.encode_max_depth, 2^32 + 5), pcall(c.encode_max_depth, 2.9), pcall(c.encode_max_depth, '7'))"#,
    ),
    ("enum option needs a string or boolean", r#"local c = cjson.new() return c.encode_keep_buffer({})"#),
    ("encode userdata null inside tables", r#"return cjson.encode({cjson.null, {a = cjson.null}})"#),
    // ---------------------------------------------------------------- cjson.decode
    ("decode values", r#"return R(cjson.decode('[1, -2.5, "x", true, false, null, [], {}]'))"#),
    ("decode object", r#"return R(cjson.decode(' { "a" : [ 1 , { "b" : null } ] , "c" : "d" } '))"#),
    ("decode escapes", r#"return R(cjson.decode('"\\" \\\\ \\/ \\b \\f \\n \\r \\t"'))"#),
    (
        "decode unicode escapes and surrogate pairs",
        r#"return R(cjson.decode('"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\\u0000!"'))"#,
    ),
    ("decode lone low surrogate", r#"return cjson.decode('"\\udc00"')"#),
    ("decode high surrogate without low", r#"return cjson.decode('"ab\\ud800x"')"#),
    ("decode short unicode escape", r#"return cjson.decode('"\\u12"')"#),
    ("decode invalid escape", r#"return cjson.decode('"a\\qb"')"#),
    ("decode unterminated string", r#"return cjson.decode('"abc')"#),
    (
        "decode numbers strtod reads",
        r#"return R(cjson.decode('[1e400, -1e400, 1e-400, -0, 0x10, 1.5E+3, 0.5e-2, 12, 007]'))"#,
    ),
    ("decode inf and nan words", r#"return R(cjson.decode('[Infinity, -inf, NaN, 1]')[4])"#),
    ("decode hex fraction", r#"return R(cjson.decode('0x1.8p1'), cjson.decode('-0x10'))"#),
    ("decode plus sign", r#"return R(cjson.decode('+5'))"#),
    ("decode trailing comma", r#"return cjson.decode('[1,]')"#),
    ("decode missing colon", r#"return cjson.decode('{"a" 1}')"#),
    ("decode number key", r#"return cjson.decode('{1:2}')"#),
    ("decode unclosed object", r#"return cjson.decode('{"a":1')"#),
    ("decode empty text", r#"return cjson.decode('')"#),
    ("decode whitespace only", r#"return cjson.decode('  \n ')"#),
    ("decode bad literal", r#"return cjson.decode('tru')"#),
    ("decode garbage after value", r#"return cjson.decode('[1] x')"#),
    ("decode two values", r#"return cjson.decode('1 2')"#),
    ("decode invalid token", r#"return cjson.decode('@')"#),
    ("decode lone minus", r#"return cjson.decode('-')"#),
    ("decode NUL ends the text", r#"return R(cjson.decode('[1]\0garbage'))"#),
    ("decode refuses UTF-16", r#"return cjson.decode('\0[\0]')"#),
    ("decode depth limit 1000", r#"return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))"#),
    (
        "decode depth 1000 is fine",
        r#"local t = cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000)) return type(t)"#,
    ),
    (
        "decode_max_depth",
        r#"local c = cjson.new() return R(c.decode_max_depth(2), pcall(c.decode, '[[1]]'), pcall(c.decode, '{"a":[[1]]}'))"#,
    ),
    (
        "decode_invalid_numbers off",
        r#"local c = cjson.new() c.decode_invalid_numbers(false) return R(pcall(c.decode, '0x10'), pcall(c.decode, 'nan'), pcall(c.decode, '+1'), pcall(c.decode, '01'), pcall(c.decode, '-Infinity'), c.decode('[0.5, -0]'))"#,
    ),
    (
        "decode depth limit counts objects too",
        r#"return cjson.decode(string.rep('{"a":', 1001) .. '1' .. string.rep('}', 1001))"#,
    ),
    ("decode a number argument", r#"return R(cjson.decode(123))"#),
    ("decode a table argument", r#"return cjson.decode({})"#),
    ("decode no argument", r#"return cjson.decode()"#),
    ("decode errors caught by pcall have no position", r#"return R(pcall(cjson.decode, '[1'))"#),
    (
        "decode hex numbers round as strtod does",
        r#"return R(cjson.decode('[0x1fffffffffffff, 0x20000000000001, 0x20000000000003, 0x20000000000001000001, 0x1p-1074, 0x1p-1075, 0x1.8p-1075, 0x1p1024, 0x1.fffffffffffff8p1023, 0xAbC.dEfp-3, 0X1P+2, -0x1p-1022]'))"#,
    ),
    (
        "decode more numbers",
        r#"return R(cjson.decode('[1.7976931348623157e309, 2.2250738585072011e-308, 0.1e1, 1E-7, 12345678901234567890, -0.0, 4.9e-324, 1e-400]'))"#,
    ),
    (
        "decode signed NaN words",
        r#"local v = cjson.decode('[-nan, nan, NAN, -NaN(123)]') return string.format('%.17g %.17g %.17g %.17g', v[1], v[2], v[3], v[4])"#,
    ),
    ("decode word followed by garbage", r#"return cjson.decode('Infinityx')"#),
    ("decode open bracket", r#"return cjson.decode('[')"#),
    ("decode trailing comma in object", r#"return cjson.decode('{"a":1,}')"#),
    ("decode short unicode at the end", r#"return cjson.decode('"\\u00')"#),
    ("decode raw control bytes in strings", r#"return R(cjson.decode('"a\1\31\127b"'))"#),
    ("decode duplicate keys keep the last", r#"return R(cjson.decode('{"a":1,"a":2}'))"#),
    ("decode nested empty containers", r#"return R(cjson.decode('[[],{},[{}],{"a":[]}]'))"#),
    ("decode hex without digits", r#"return cjson.decode('0x')"#),
    (
        "decode exponent without digits",
        r#"return R(pcall(cjson.decode, '1e'), pcall(cjson.decode, '[1e+]'), cjson.decode('1.'), pcall(cjson.decode, '.5'))"#,
    ),
    ("argument errors name the function as called", r#"local d = cjson.decode return d({})"#),
    ("method calls report a bad self", r#"return cjson:decode()"#),
    ("errors name the line that called", "local x = 1\nlocal y = 2\nreturn cmsgpack.unpack('\\193')"),
    (
        "errors from a nested Lua function name its line",
        "local function f()\n  return struct.pack('z')\nend\nreturn f()",
    ),
    (
        "round trip",
        r#"local v = {a = {1, 2, {b = 'c/d'}}, e = 'f'} return cjson.encode(cjson.decode(cjson.encode(v)))"#,
    ),
    // ---------------------------------------------------------------- cmsgpack.pack
    (
        "pack positive integers of every width",
        r#"return H(cmsgpack.pack(0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 2^53, 2^62))"#,
    ),
    (
        "pack negative integers of every width",
        r#"return H(cmsgpack.pack(-1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649, -2^53, -2^63))"#,
    ),
    ("pack 2^63 and beyond as double", r#"return H(cmsgpack.pack(2^63, 2^64, -2^64))"#),
    (
        "pack float when exact, else double",
        r#"return H(cmsgpack.pack(1.5, -0.25, 0.1, 1e300, 3.4028234663852886e38, 1e-45))"#,
    ),
    (
        "pack infinities and NaN",
        r#"return H(cmsgpack.pack(math.huge, -math.huge)) .. ' ' .. string.len(cmsgpack.pack(0/0))"#,
    ),
    ("pack negative zero", r#"local z = 0 return H(cmsgpack.pack(-z))"#),
    (
        "pack strings of every header",
        r#"local out = {} for _, n in ipairs({0, 1, 31, 32, 255, 256, 65535, 65536}) do out[#out + 1] = H(string.sub(cmsgpack.pack(string.rep('a', n)), 1, 6)) end return table.concat(out, ' ')"#,
    ),
    ("pack booleans and nil-like", r#"return H(cmsgpack.pack(true, false, nil, type))"#),
    ("pack arrays", r#"return H(cmsgpack.pack({}, {1, 2, 3}, {'a', {true}}))"#),
    (
        "pack array16 and array32 headers",
        r#"local t = {} for i = 1, 70000 do t[i] = 0 end local s = cmsgpack.pack(t) local u = {} for i = 1, 16 do u[i] = i end return H(string.sub(s, 1, 6)) .. ' ' .. string.len(s) .. ' ' .. H(string.sub(cmsgpack.pack(u), 1, 4))"#,
    ),
    ("pack holes make a map", r#"return H(cmsgpack.pack({[1] = 1, [2] = 2, [4] = 4}))"#),
    ("pack map", r#"return H(cmsgpack.pack({a = 1}))"#),
    (
        "pack map16 in Lua's key order",
        r#"local t = {} for i = 1, 20 do t['k' .. i] = i end return H(cmsgpack.pack(t))"#,
    ),
    (
        "pack fractional and zero keys make a map",
        r#"return H(cmsgpack.pack({[0] = 'z'})) .. ' ' .. H(cmsgpack.pack({[1.5] = 'h'}))"#,
    ),
    (
        "pack nesting beyond 16 becomes nil",
        r#"local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end return H(cmsgpack.pack(t))"#,
    ),
    ("pack a cycle terminates", r#"local t = {} t[1] = t return H(cmsgpack.pack(t))"#),
    (
        "pack integer boundaries around 2^31 and 2^32",
        r#"return H(cmsgpack.pack(2^31 - 1, 2^31, 2^32 - 1, 2^32, -2^31, -2^31 - 1, 0.5, 1/3))"#,
    ),
    (
        "pack mixed and negative keys",
        r#"return H(cmsgpack.pack({n = 1, 10})) .. ' ' .. H(cmsgpack.pack({[-1] = 1})) .. ' ' .. H(cmsgpack.pack({[2^31] = 1}))"#,
    ),
    (
        "pack map32 header",
        r#"local t = {} for i = 1, 70000 do t['k' .. i] = true end return H(string.sub(cmsgpack.pack(t), 1, 5))"#,
    ),
    ("pack nil inside arrays makes a map", r#"return H(cmsgpack.pack({1, nil, 3}))"#),
    ("pack needs input", r#"return cmsgpack.pack()"#),
    (
        "pack module fields",
        r#"return R(cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION)"#,
    ),
    // ---------------------------------------------------------------- cmsgpack.unpack
    (
        "unpack integers of every width",
        r#"return R(cmsgpack.unpack('\0\127\204\255\205\1\0\206\1\0\0\0\207\0\0\0\1\0\0\0\0\208\128\209\128\0\210\128\0\0\0\211\128\0\0\0\0\0\0\0\224\255'))"#,
    ),
    (
        "unpack uint64 above 2^63 wraps negative",
        r#"return R(cmsgpack.unpack('\207\255\255\255\255\255\255\255\255\207\128\0\0\0\0\0\0\1'))"#,
    ),
    (
        "unpack floats",
        r#"return R(cmsgpack.unpack('\202\63\192\0\0\203\63\185\153\153\153\153\153\154\202\127\128\0\0'))"#,
    ),
    (
        "unpack strings of every header",
        r#"local a = R(cmsgpack.unpack('\161x\217\2ab\218\0\3abc\219\0\0\0\1d\160')) return a"#,
    ),
    ("unpack nil and booleans", r#"return R(cmsgpack.unpack('\192\194\195'))"#),
    (
        "unpack arrays and maps",
        r#"return R(cmsgpack.unpack('\147\1\2\3\220\0\2\161a\161b\221\0\0\0\1\192\130\161k\1\2\145\2\222\0\1\1\1\223\0\0\0\1\161z\128'))"#,
    ),
    ("unpack empty input", r#"return R(cmsgpack.unpack(''))"#),
    ("unpack truncated integer", r#"return cmsgpack.unpack('\205\1')"#),
    ("unpack truncated string", r#"return cmsgpack.unpack('\165abc')"#),
    ("unpack truncated str32 length", r#"return cmsgpack.unpack('\219\255\255\255\255abc')"#),
    ("unpack truncated array", r#"return cmsgpack.unpack('\147\1\2')"#),
    ("unpack truncated map", r#"return cmsgpack.unpack('\129\1')"#),
    ("unpack bad format c1", r#"return cmsgpack.unpack('\193')"#),
    ("unpack bin8 is a bad format", r#"return cmsgpack.unpack('\196\1a')"#),
    ("unpack ext is a bad format", r#"return cmsgpack.unpack('\212\1\1')"#),
    ("unpack nil map key", r#"return cmsgpack.unpack('\129\192\1')"#),
    ("unpack NaN map key", r#"return cmsgpack.unpack('\129\203\255\248\0\0\0\0\0\0\1')"#),
    ("unpack too many values at once", r#"return cmsgpack.unpack(string.rep('\1', 9000))"#),
    ("unpack just under the stack limit", r#"return tostring(select('#', cmsgpack.unpack(string.rep('\1', 7990))))"#),
    (
        "unpack deep nesting",
        r#"local ok, e = pcall(cmsgpack.unpack, string.rep('\145', 5000) .. '\1') return R(ok, e)"#,
    ),
    ("unpack a string argument required", r#"return cmsgpack.unpack()"#),
    ("unpack a number argument converts", r#"return R(cmsgpack.unpack(5))"#),
    (
        "unpack_one walks a stream",
        r#"local s = cmsgpack.pack(1, 'two', {3}) local a = {cmsgpack.unpack_one(s)} local b = {cmsgpack.unpack_one(s, a[1])} local c = {cmsgpack.unpack_one(s, b[1])} return R(a, b, c)"#,
    ),
    ("unpack_one at the end", r#"return R(cmsgpack.unpack_one('\1', 1))"#),
    ("unpack_one offset beyond", r#"return cmsgpack.unpack_one('\1\2', 3)"#),
    ("unpack_one negative offset", r#"return cmsgpack.unpack_one('\1\2', -1)"#),
    ("unpack_one fractional offset", r#"return R(cmsgpack.unpack_one('\1\2\3', 1.9))"#),
    (
        "unpack_limit",
        r#"local s = cmsgpack.pack(1, 2, 3, 4) return R(cmsgpack.unpack_limit(s, 2), cmsgpack.unpack_limit(s, 2, 2), cmsgpack.unpack_limit(s, 10, 1))"#,
    ),
    ("unpack_limit zero means all", r#"return R(cmsgpack.unpack_limit('\1\2', 0))"#),
    ("unpack_limit negative", r#"return cmsgpack.unpack_limit('\1\2', -1)"#),
    ("unpack_limit needs a limit", r#"return cmsgpack.unpack_limit('\1\2')"#),
    ("unpack truncated float", r#"return cmsgpack.unpack('\202\1')"#),
    ("unpack array32 count without elements", r#"return cmsgpack.unpack('\221\255\255\255\255')"#),
    ("unpack map32 count without pairs", r#"return cmsgpack.unpack('\223\0\0\0\2\1')"#),
    ("unpack_one with a string offset", r#"return R(cmsgpack.unpack_one('\1\2\3', '1'))"#),
    ("unpack_one needs a string", r#"return cmsgpack.unpack_one({})"#),
    ("unpack_limit with a bad offset type", r#"return cmsgpack.unpack_limit('\1', 1, {})"#),
    ("pack many arguments", r#"local t = {} for i = 1, 300 do t[i] = i end return H(cmsgpack.pack(unpack(t)))"#),
    ("unpack_limit with a limit beyond 32 bits", r#"return R(cmsgpack.unpack_limit('\1\2', 2^32 + 1))"#),
    (
        "pack unpack round trip",
        r#"local v = {1, -2, 3.5, 'x', {a = {b = true}}, {}} return R(cmsgpack.unpack(cmsgpack.pack(v)))"#,
    ),
    // ---------------------------------------------------------------- bit
    (
        "tobit wraps and rounds",
        r#"return R(bit.tobit(2^32 + 5), bit.tobit(-1), bit.tobit(2^31), bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-2.5), bit.tobit(2^53 + 2), bit.tobit(-2^60 - 7), bit.tobit(1e300), bit.tobit(math.huge), bit.tobit(0/0))"#,
    ),
    ("tobit converts strings", r#"return R(bit.tobit('12'), bit.tobit('0x10'), bit.tobit(' 7 '))"#),
    ("tobit refuses non-numbers", r#"return bit.tobit('abc')"#),
    ("tobit refuses nothing", r#"return bit.tobit()"#),
    ("tobit of a numeric string 0", r#"return R(bit.tobit('0'))"#),
    (
        "bnot band bor bxor",
        r#"return R(bit.bnot(0), bit.bnot(-1), bit.band(0xff, 0x0f, 3), bit.bor(1, 2, 4, 2^40), bit.bxor(-1, 5), bit.band(-1), bit.bor(2^32 + 1, 2))"#,
    ),
    ("band names the last bad argument", r#"return bit.band(1, 'x', {})"#),
    (
        "shifts",
        r#"return R(bit.lshift(1, 31), bit.lshift(1, 32), bit.lshift(1, 33), bit.rshift(-1, 28), bit.rshift(-1, 0), bit.arshift(-256, 4), bit.arshift(256, 4), bit.lshift(3, -1))"#,
    ),
    (
        "rotations and bswap",
        r#"return R(bit.rol(0x12345678, 4), bit.ror(0x12345678, 4), bit.rol(1, 0), bit.ror(1, 1), bit.bswap(0x12345678), bit.bswap(-1))"#,
    ),
    (
        "tohex",
        r#"return R(bit.tohex(255), bit.tohex(-1), bit.tohex(255, 2), bit.tohex(255, -4), bit.tohex(0x12345678, 12), bit.tohex(1, 0), bit.tohex(2^40 + 0xabc))"#,
    ),
    ("tohex widths beyond 8", r#"return R(bit.tohex(255, 9), bit.tohex(255, -9), bit.tohex(-2, 100))"#),
    ("bit ops convert numeric strings", r#"return R(bit.bor('0x10', 1), bit.lshift('1', '4'), bit.band('-1', '255'))"#),
    ("tohex width beyond 32 bits wraps", r#"return R(bit.tohex(255, 2^32 + 4))"#),
    ("band needs an argument", r#"return bit.band()"#),
    ("shift needs a count", r#"return bit.lshift(1)"#),
    // ---------------------------------------------------------------- struct
    (
        "pack integers",
        r#"return H(struct.pack('>i', 1)) .. ' ' .. H(struct.pack('<i', -2)) .. ' ' .. H(struct.pack('bBhHlL', -1, 255, -2, 65535, -1, 2^53))"#,
    ),
    ("pack integer sizes", r#"return H(struct.pack('i8 I3 >I3 i1 i16 >I16 T', -3, 0x123456, 0x123456, -1, -1, 5, 7))"#),
    ("pack floats", r#"return H(struct.pack('f d >d >f', 1.5, 0.1, 0.1, -2))"#),
    ("pack strings", r#"return H(struct.pack('s c3 c0', 'ab', 'abcdef', 'xyz'))"#),
    ("pack string too short names the next argument", r#"return struct.pack('c5', 'ab')"#),
    (
        "pack alignment",
        r#"return H(struct.pack('!4 b i', 1, 2)) .. ' ' .. H(struct.pack('! b d', 1, 2)) .. ' ' .. H(struct.pack('!2 b i', 1, 2)) .. ' ' .. H(struct.pack('!8 b h b i b l', 1, 2, 3, 4, 5, 6))"#,
    ),
    ("pack padding", r#"return H(struct.pack('x i x', 1))"#),
    ("pack invalid option", r#"return struct.pack('z', 1)"#),
    ("pack integer too wide", r#"return struct.pack('i33', 1)"#),
    ("pack bad alignment", r#"return struct.pack('!3 i', 1)"#),
    ("pack size overflow", r#"return struct.pack('i99999999999', 1)"#),
    ("pack missing argument is nil", r#"return struct.pack('i')"#),
    ("pack wrong argument type", r#"return struct.pack('i', 'x')"#),
    ("pack no format", r#"return struct.pack()"#),
    (
        "pack big values",
        r#"return H(struct.pack('<L', 2^63)) .. ' ' .. H(struct.pack('<l', -2^63)) .. ' ' .. H(struct.pack('<I', 2^32 + 3)) .. ' ' .. H(struct.pack('<i', 2.9)) .. ' ' .. H(struct.pack('<i', -2.9))"#,
    ),
    (
        "unpack integers",
        r#"return R(struct.unpack('>i', '\0\0\0\1'), struct.unpack('b B', '\255\255'), struct.unpack('<h >H', '\254\255\255\254'), struct.unpack('l', '\255\255\255\255\255\255\255\255'))"#,
    ),
    (
        "unpack wide integers",
        r#"return R(struct.unpack('i16', string.rep('\255', 16)), struct.unpack('I9', string.rep('\1', 9)), struct.unpack('>i9', '\128' .. string.rep('\0', 8)), struct.unpack('i3', '\255\255\255'), struct.unpack('I5', '\1\2\3\4\5'))"#,
    ),
    ("unpack floats", r#"return R(struct.unpack('f >d', struct.pack('f >d', 1.5, 0.1)))"#),
    ("unpack c0 takes the previous number", r#"return R(struct.unpack('b c0 B', '\3abc\9'))"#),
    ("unpack c0 needs a previous size", r#"return struct.unpack('c0', 'abc')"#),
    ("unpack strings", r#"return R(struct.unpack('s s c2', 'ab\0\0xyz'))"#),
    ("unpack unfinished string", r#"return struct.unpack('s', 'ab')"#),
    ("unpack data too short", r#"return struct.unpack('i', 'ab')"#),
    ("unpack from a position", r#"return R(struct.unpack('i', '\1\0\0\0\2\0\0\0', 5))"#),
    ("unpack position zero", r#"return struct.unpack('i', 'abcd', 0)"#),
    ("unpack position past the end", r#"return struct.unpack('i', 'abcd', 6)"#),
    ("unpack negative position", r#"return struct.unpack('b', 'abcd', -1)"#),
    (
        "unpack fractional and string positions",
        r#"return R(struct.unpack('b', 'abcd', 2.5), struct.unpack('b', 'abcd', '3'))"#,
    ),
    (
        "unpack empty format keeps any position",
        r#"return R(struct.unpack('', 'abcd', 9), struct.unpack('', 'abcd', -3))"#,
    ),
    ("unpack position at the end", r#"return R(struct.unpack('', 'abcd', 5))"#),
    ("unpack alignment", r#"return R(struct.unpack('!4 b i', struct.pack('!4 b i', 7, 9)))"#),
    ("unpack format stops at NUL", r#"return R(struct.unpack('b\0b', '\1\2'))"#),
    ("pack zero-width integers", r#"return R(H(struct.pack('i0 b', 5, 1)), struct.unpack('i0 b', '\7'))"#),
    (
        "pack wraps and truncates",
        r#"return H(struct.pack('<B b H h', 256, -129, -1, 40000)) .. ' ' .. H(struct.pack('<L', -1e20)) .. ' ' .. H(struct.pack('<L', 1e19))"#,
    ),
    ("pack floats out of range", r#"return H(struct.pack('<f f', 1e40, -1e-50))"#),
    ("pack c0 of a number", r#"return H(struct.pack('c0', 12.5))"#),
    (
        "unpack unsigned 64 beyond 2^63",
        r#"return R(struct.unpack('<L >L', string.rep('\255', 8) .. '\128' .. string.rep('\0', 7)))"#,
    ),
    ("unpack c0 after a numeric string", r#"return R(struct.unpack('c1 c0', '3abcd'))"#),
    ("unpack c0 after a negative number", r#"return struct.unpack('b c0', '\255abc')"#),
    (
        "unpack big alignment",
        r#"return R(pcall(struct.unpack, '!16 b d', string.rep('\0', 12)), struct.unpack('!16 b d', string.rep('\0', 16)))"#,
    ),
    (
        "size of odd integer widths with alignment",
        r#"return R(struct.size('!4 b i3'), struct.size('!4 b i3 i3'), struct.size('!2 b i5'), struct.size('!8 b i16'))"#,
    ),
    ("unpack too many results", r#"return struct.unpack(string.rep('b', 9000), string.rep('\0', 9000))"#),
    (
        "unpack just under the result limit",
        r#"return tostring(select('#', struct.unpack(string.rep('b', 3900), string.rep('\0', 3900))))"#,
    ),
    (
        "size",
        r#"return R(struct.size('i b d'), struct.size('!8 b d'), struct.size('!4 b i c10'), struct.size('<>!2 h b'), struct.size(''), struct.size('i16 x'))"#,
    ),
    ("size of s", r#"return struct.size('s')"#),
    ("size of c0", r#"return struct.size('c0')"#),
    ("size ignores unknown letters", r#"return R(struct.size('q'), struct.size('i q'))"#),
    ("size invalid option", r#"return struct.size('i ?')"#),
];

/// Runs `script` in a fresh Lua 5.1 state with the libraries registered and `ARGV` set as
/// Redis sets it: the returned string, or the error message (without mlua's traceback).
fn run_local(script: &str, argv: &[&[u8]]) -> Result<Vec<u8>, String> {
    let lua = Lua::new();
    libs::register(&lua).expect("register the libraries");
    let args = lua.create_table().expect("ARGV table");
    for (i, arg) in argv.iter().enumerate() {
        args.raw_set(i + 1, lua.create_string(arg).expect("ARGV string")).expect("ARGV entry");
    }
    lua.globals().set("ARGV", args).expect("set ARGV");
    match lua.load(script).set_name("@user_script").eval::<mlua::String>() {
        Ok(s) => Ok(s.as_bytes().to_vec()),
        Err(mlua::Error::RuntimeError(message)) => {
            Err(message.split("\nstack traceback:").next().unwrap_or_default().to_string())
        }
        Err(other) => Err(format!("not a Lua runtime error: {other:?}")),
    }
}

/// Runs `script` with `EVAL script 0 argv...` on `conn`: the bulk reply, or the error message
/// inside Redis's `ERR ... script: <sha>, on @user_script:<n>.` wrapping.
fn run_redis(conn: &mut BufReader<TcpStream>, script: &str, argv: &[&[u8]]) -> Result<Vec<u8>, String> {
    let mut command: Vec<&[u8]> = vec![b"EVAL", script.as_bytes(), b"0"];
    command.extend_from_slice(argv);
    conn.get_mut().write_all(&resp_command(&command)).expect("send EVAL");
    let mut line = Vec::new();
    conn.read_until(b'\n', &mut line).expect("read reply");
    let text = String::from_utf8_lossy(&line[1..line.len() - 2]).into_owned();
    match line[0] {
        b'$' => {
            let len: usize = text.parse().unwrap_or_else(|_| panic!("a string reply, got ${text}"));
            let mut body = vec![0u8; len + 2];
            conn.read_exact(&mut body).expect("read bulk");
            body.truncate(len);
            Ok(body)
        }
        b'-' => {
            let message = text.strip_prefix("ERR ").unwrap_or(&text);
            Err(message.rsplit_once(" script: ").map_or(message, |(message, _)| message).to_string())
        }
        // Not a string: a broken snippet; shown as such so the mismatch names it.
        _ => Ok(format!("not a string reply: {}", String::from_utf8_lossy(&line)).into_bytes()),
    }
}

fn show(result: &Result<Vec<u8>, String>) -> String {
    match result {
        Ok(bytes) => format!("Ok({:?})", String::from_utf8_lossy(bytes)),
        Err(message) => format!("Err({message:?})"),
    }
}

/// A buffered connection to `server`.
fn connect(server: &Server) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(server.addr()).expect("connect to redis");
    stream.set_read_timeout(Some(REPLY_TIMEOUT)).expect("set timeout");
    BufReader::new(stream)
}

/// Every case gives the same bytes (or the same error) through our libraries and through Redis.
#[test]
fn libraries_match_redis() {
    let server = Server::start(Backend::Redis);
    let mut conn = connect(&server);
    let mut mismatches = Vec::new();
    let mut errors = 0;
    for (what, body) in CASES {
        let script = format!("{PRELUDE}{body}");
        let ours = run_local(&script, &[]);
        let theirs = run_redis(&mut conn, &script, &[]);
        errors += usize::from(theirs.is_err());
        if ours != theirs {
            mismatches.push(format!("{what}:\n  verdis: {}\n  redis:  {}", show(&ours), show(&theirs)));
        }
    }
    assert!(mismatches.is_empty(), "{} of {} cases differ:\n{}", mismatches.len(), CASES.len(), mismatches.join("\n"));
    // The corpus exercises both paths; a Redis that errored on everything would prove nothing.
    assert!(errors > 20 && errors < CASES.len() - 50, "{errors} of {} cases were errors", CASES.len());
}

/// Deep structures are refused with an error, not a crash, even on a test thread's 2 MiB stack:
/// the recursion in the encoders and decoders is bounded by Lua's own stack limit.
#[test]
fn deep_nesting_fails_cleanly_on_a_small_stack() {
    let outcome = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let scripts = [
                "local c = cjson.new() c.encode_max_depth(100000) local t = {} t[1] = t return c.encode(t)",
                "local c = cjson.new() c.decode_max_depth(100000) return c.decode(string.rep('[', 100000))",
                "return cmsgpack.unpack(string.rep('\\145', 100000))",
                "return cmsgpack.unpack(string.rep('\\129\\1', 100000))",
            ];
            scripts.map(|script| run_local(&format!("{PRELUDE}{script}"), &[]))
        })
        .expect("spawn")
        .join()
        .expect("no stack overflow");
    for result in outcome {
        let message = result.expect_err("refused");
        assert!(
            message.contains("excessive nesting")
                || message.contains("too many nested")
                || message.contains("stack overflow"),
            "{message}"
        );
    }
}

/// A generator of random values written in Lua, seeded by `ARGV[1]`, so both sides build the
/// same values (Park-Miller steps stay exact in doubles). Numbers span every magnitude and the
/// integer edges; strings hold any byte; tables are arrays, objects and sparse arrays.
///
/// Object keys stay under 32 bytes: Redis patched Lua's string hash to read every byte, where
/// stock Lua 5.1 (mlua's vendored copy) samples longer strings, so keys of 32 bytes and more sit
/// in a different table order and `pairs` (hence these libraries) walk them differently. That is
/// a difference of the Lua core, not of the libraries; the scripting engine has to settle it.
const GENERATOR: &str = r#"
local seed = (tonumber(ARGV[1]) * 7919 + 12345) % 2147483647
local function rand(n) seed = (seed * 16807) % 2147483647 return seed % n end
for _ = 1, 10 do rand(2) end
local function number()
  local kind = rand(6)
  if kind == 0 then return rand(2^31) - 2^30 end
  if kind == 1 then return (rand(2^31) / 2^31 - 0.5) * 10 ^ (rand(620) - 310) end
  if kind == 2 then return (rand(2) * 2 - 1) * 2 ^ rand(70) + rand(3) - 1 end
  if kind == 3 then return rand(100000) / (rand(1000) + 1) end
  if kind == 4 then return (rand(2^31) * 2^22 + rand(2^22)) * 2 ^ (rand(240) - 120) end
  return rand(256) - 128
end
local function str(max)
  local t = {}
  for i = 1, rand(max) do t[i] = string.char(rand(256)) end
  return table.concat(t)
end
local function value(depth)
  local kind = rand(depth > 3 and 4 or 7)
  if depth == 0 then kind = 4 + rand(3) end
  if kind == 0 then return number()
  elseif kind == 1 then return str(60)
  elseif kind == 2 then return rand(2) == 1
  elseif kind == 3 then if rand(3) == 0 then return cjson.null end return number()
  elseif kind == 4 then local t = {} for i = 1, rand(8) do t[i] = value(depth + 1) end return t
  elseif kind == 5 then local t = {} for i = 1, rand(6) do t[str(32)] = value(depth + 1) end return t
  end
  local t = {}
  for i = 1, rand(5) do t[rand(30) + 1] = value(depth + 1) end
  return t
end
-- Damages `s` at a random place: a changed byte, a cut, or both.
local function damage(s)
  if #s == 0 then return s end
  local at = rand(#s) + 1
  local kind = rand(3)
  if kind == 0 then return string.sub(s, 1, at - 1) end
  local changed = string.sub(s, 1, at - 1) .. string.char(rand(256)) .. string.sub(s, at + 1)
  if kind == 1 then return changed end
  return string.sub(changed, 1, rand(#changed) + 1)
end
local v = value(0)
local out = {}
local ok, json = pcall(cjson.encode, v)
out[#out + 1] = R(ok, json)
local c = cjson.new()
c.encode_number_precision(rand(14) + 1)
c.encode_sparse_array(true)
c.encode_invalid_numbers('null')
out[#out + 1] = R(pcall(c.encode, v))
if ok then
  out[#out + 1] = R(pcall(cjson.decode, json))
  out[#out + 1] = R(pcall(cjson.decode, damage(json)))
end
local packed = cmsgpack.pack(v)
out[#out + 1] = H(packed)
out[#out + 1] = R(pcall(cmsgpack.unpack, packed))
out[#out + 1] = R(pcall(cmsgpack.unpack, damage(packed)))
local n = number()
out[#out + 1] = R(bit.tobit(n), bit.tohex(n), bit.bswap(n), bit.arshift(n, rand(40)), bit.rol(n, rand(40)))
out[#out + 1] = R(pcall(struct.pack, '<i8 >I4 h d f', n, n, n, n, n))
return table.concat(out, '\n')
"#;

/// Seeded random values give the same bytes through our libraries and through Redis: JSON and
/// msgpack of values of every shape and number magnitude, decoding of that output and of a
/// damaged copy of it, bit operations and struct packing of random numbers.
#[test]
fn random_values_match_redis() {
    /// How many seeds run; each covers every library.
    const SEEDS: u32 = 1000;
    let server = Server::start(Backend::Redis);
    let mut conn = connect(&server);
    let script = format!("{PRELUDE}{GENERATOR}");
    let mut mismatches = Vec::new();
    for seed in 1..=SEEDS {
        let seed = seed.to_string();
        let argv: [&[u8]; 1] = [seed.as_bytes()];
        let ours = run_local(&script, &argv);
        let theirs = run_redis(&mut conn, &script, &argv);
        assert!(theirs.is_ok(), "the generator itself failed on Redis for seed {seed}: {}", show(&theirs));
        if ours != theirs {
            mismatches.push(format!("seed {seed}:\n  verdis: {}\n  redis:  {}", show(&ours), show(&theirs)));
        }
    }
    assert!(mismatches.is_empty(), "{} of {SEEDS} seeds differ:\n{}", mismatches.len(), mismatches.join("\n"));
}
