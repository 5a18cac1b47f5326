-- The script sandbox as Redis 7.0.15 sets it up (`script_lua.c`, `eval.c`), written in Lua so that
-- errors carry Lua's own positions: the `redis` API, the error handler, `pcall`, `math.random`,
-- and read-only globals. Rust hands in its primitives (`prims`); this chunk returns the handles
-- the node keeps. Its frames are skipped by the error handler, as Redis's C functions are.
local prims = ...
local INTERNAL = '=redis_api'
local dbg = debug
local type, tostring, tonumber, select, error, rawget, rawset, next = type, tostring, tonumber, select, error, rawget, rawset, next
local setmetatable, getmetatable, setfenv, loadstring, floor = setmetatable, getmetatable, setfenv, loadstring, math.floor
local lua_pcall, lua_load, pairs, ipairs = pcall, load, pairs, ipairs
local sub = string.sub

-- Every API function Redis writes in C is a C closure here too (`prims.raising`): it calls its
-- Lua body, which answers `true, results...` or `false, error`, and raises the error itself. So
-- the script's frame stays on the stack when it tail-calls one (`return redis.call(...)`), and
-- the error handler finds the script's line as Redis does.
local raising = prims.raising

-- luaPushErrorBuff: '-CODE msg' or 'msg' as the table {err='CODE msg'}.
local error_table = prims.error_table

-- luaL_where(L, 1) as the C closure sees it: the position of the line that called it. `depth`
-- counts the Lua frames between this function and the closure.
local function where(depth)
  local i = dbg.getinfo(depth + 3, 'Sl')
  if i and i.currentline > 0 then return i.short_src .. ':' .. i.currentline .. ': ' end
  return ''
end

-- The error handler every script runs under: the error as a table with the position of the
-- script line that raised it (a C function's or this chunk's frames are passed over).
function __redis__err__handler(err)
  local level = 2
  local i = dbg.getinfo(level, 'nSl')
  if i and i.what == 'C' then level = level + 1; i = dbg.getinfo(level, 'nSl') end
  while i and i.source == INTERNAL do level = level + 1; i = dbg.getinfo(level, 'nSl') end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end
  if i then err['source'] = i.source; err['line'] = i.currentline end
  return err
end
local err_handler = __redis__err__handler

-- pcall as Redis redefines it: an error table is replaced by its message.
local function pcall_result(ok, ...)
  if ok then return true, ... end
  local e = ...
  if type(e) == 'table' then
    local m = e.err
    if type(m) == 'string' or type(m) == 'number' then e = m end
  end
  return false, e
end
pcall = function(f, ...) return pcall_result(lua_pcall(f, ...)) end

-- redis.call and redis.pcall exist only while a script runs: the node installs them for each
-- run (`install`) and puts these back after it.
local outside = error_table('redis.call/pcall can only be called inside a script invocation')
local function not_running() return false, outside end
local redis = {}
local function install(call, pcall)
  rawset(redis, 'call', call or raising(not_running))
  rawset(redis, 'pcall', pcall or raising(not_running))
end
install()

redis.sha1hex = raising(function(...)
  if select('#', ...) ~= 1 then return false, error_table('wrong number of arguments') end
  local s = ...
  if type(s) == 'number' then s = tostring(s) elseif type(s) ~= 'string' then s = '' end
  return true, prims.sha1hex(s)
end)
local function single_string(...)
  return select('#', ...) == 1 and type((...)) == 'string'
end
redis.error_reply = function(...)
  if not single_string(...) then return error_table('wrong number or type of arguments') end
  local e = ...
  if sub(e, 1, 1) ~= '-' then e = '-' .. e end
  return error_table(e)
end
redis.status_reply = function(...)
  if not single_string(...) then return error_table('wrong number or type of arguments') end
  return {ok = (...)}
end

-- C's (int) of a Lua number that passed lua_isnumber: toward zero.
local function toint(n)
  if n >= 0 then return floor(n) end
  return -floor(-n)
end
local function number_or_zero(v)
  local n = tonumber(v)
  if n == nil then return 0 end
  return toint(n)
end

redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.log = raising(function(...)
  local argc = select('#', ...)
  if argc < 2 then return false, error_table('redis.log() requires two arguments or more.') end
  local level = ...
  if tonumber(level) == nil then return false, error_table('First argument must be a number (log level).') end
  level = toint(tonumber(level))
  if level < 0 or level > 3 then return false, error_table('Invalid debug level.') end
  local parts = {}
  for j = 2, argc do
    local v = select(j, ...)
    local t = type(v)
    if t == 'string' or t == 'number' then
      if j ~= 2 then parts[#parts + 1] = ' ' end
      parts[#parts + 1] = tostring(v)
    end
  end
  prims.log(level, table.concat(parts))
  return true
end)
redis.setresp = raising(function(...)
  if select('#', ...) ~= 1 then return false, error_table('redis.setresp() requires one argument.') end
  local resp = number_or_zero((...))
  if resp ~= 2 and resp ~= 3 then return false, error_table('RESP version must be 2 or 3.') end
  prims.setresp(resp)
  return true
end)
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.set_repl = raising(function(...)
  if select('#', ...) ~= 1 then return false, error_table('redis.set_repl() requires two arguments.') end
  local flags = number_or_zero((...))
  if flags < 0 or flags > 3 then
    return false, error_table('Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.')
  end
  prims.set_repl(flags)
  return true
end)
redis.replicate_commands = function() return true end
-- Without a debugger session (verdis has none), as Redis answers outside one.
redis.breakpoint = function() return false end
redis.debug = function() end
redis.acl_check_cmd = raising(prims.acl_check_cmd)
redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = prims.version, prims.version_num

-- math.random and math.randomseed on Redis's generator (luaL_checkint's checks and texts).
local function checkint(index, fname, argc, v)
  local n = tonumber(v)
  if n == nil then
    local got = index > argc and 'no value' or type(v)
    return nil, where(2) .. "bad argument #" .. index .. " to '" .. fname .. "' (number expected, got " .. got .. ")"
  end
  return toint(n)
end
math.random = raising(function(...)
  local r = prims.random()
  local argc = select('#', ...)
  if argc == 0 then return true, r end
  if argc == 1 then
    local u, e = checkint(1, 'random', argc, (...))
    if not u then return false, e end
    if not (1 <= u) then return false, where(1) .. "bad argument #1 to 'random' (interval is empty)" end
    return true, floor(r * u) + 1
  end
  if argc == 2 then
    local a, b = ...
    local l, e = checkint(1, 'random', argc, a)
    if not l then return false, e end
    local u, e2 = checkint(2, 'random', argc, b)
    if not u then return false, e2 end
    if not (l <= u) then return false, where(1) .. "bad argument #2 to 'random' (interval is empty)" end
    return true, floor(r * (u - l + 1)) + l
  end
  return false, where(1) .. 'wrong number of arguments'
end)
math.randomseed = raising(function(...)
  local n, e = checkint(1, 'randomseed', select('#', ...), (...))
  if not n then return false, e end
  prims.randomseed(n)
  return true
end)

_G.redis = redis

-- Every global but these goes (Redis's allow lists as 7.0.15 leaves them).
local allowed = {
  string = 1, cjson = 1, bit = 1, cmsgpack = 1, math = 1, table = 1, struct = 1, redis = 1,
  __redis__err__handler = 1, xpcall = 1, tostring = 1, setmetatable = 1, next = 1, assert = 1,
  tonumber = 1, rawequal = 1, collectgarbage = 1, getmetatable = 1, rawset = 1, pcall = 1,
  coroutine = 1, type = 1, _G = 1, select = 1, unpack = 1, gcinfo = 1, pairs = 1, rawget = 1,
  loadstring = 1, ipairs = 1, _VERSION = 1, load = 1, error = 1,
}

-- Read-only tables. Stock Lua 5.1 has no read-only flag (Redis patches its VM), so each
-- protected table is reached through an empty proxy whose __newindex refuses, and the raw
-- functions that would bypass the proxy (rawset, rawget, next, pairs, ipairs, getmetatable,
-- setmetatable) see through it.
local real_of = setmetatable({}, {__mode = 'k'})
local function readonly_error() error('Attempt to modify a readonly table', 2) end
-- What getmetatable shows of a protected table: its own metatable, protected too.
local meta_view = setmetatable({}, {__mode = 'k'})
local function protect(t, seen)
  if real_of[t] then return t end
  if seen[t] then return seen[t] end
  local proxy = {}
  seen[t] = proxy
  for k, v in next, t do
    if type(v) == 'table' then rawset(t, k, protect(v, seen)) end
  end
  local own = getmetatable(t)
  if own then meta_view[proxy] = protect(own, seen) end
  setmetatable(proxy, {__index = t, __newindex = readonly_error})
  real_of[proxy] = t
  return proxy
end
local function real(t) return real_of[t] or t end

-- luaL_checktype's error for argument `index` of `fname` (called through `raising`).
local function check_table(index, fname, argc, v)
  if type(v) == 'table' then return nil end
  local got = index > argc and 'no value' or type(v)
  return where(2) .. "bad argument #" .. index .. " to '" .. fname .. "' (table expected, got " .. got .. ")"
end
local function next_ro(t, k) return next(real(t), k) end
_G.next = raising(function(...)
  local e = check_table(1, 'next', select('#', ...), (...))
  if e then return false, e end
  return true, next_ro(...)
end)
_G.pairs = raising(function(...)
  local t = ...
  local e = check_table(1, 'pairs', select('#', ...), t)
  if e then return false, e end
  return true, next_ro, t, nil
end)
_G.ipairs = raising(function(...)
  local t = ...
  local e = check_table(1, 'ipairs', select('#', ...), t)
  if e then return false, e end
  return true, ipairs(real(t))
end)
_G.rawget = raising(function(...)
  local t, k = ...
  local e = check_table(1, 'rawget', select('#', ...), t)
  if e then return false, e end
  return true, rawget(real(t), k)
end)
local readonly_text = 'Attempt to modify a readonly table'
_G.rawset = raising(function(...)
  local t, k, v = ...
  local e = check_table(1, 'rawset', select('#', ...), t)
  if e then return false, e end
  if real_of[t] then return false, readonly_text end
  return true, rawset(t, k, v)
end)
_G.setmetatable = raising(function(...)
  local t, mt = ...
  local e = check_table(1, 'setmetatable', select('#', ...), t)
  if e then return false, e end
  if real_of[t] then return false, readonly_text end
  local ok, r = lua_pcall(setmetatable, t, mt)
  if not ok then return false, where(1) .. tostring(r) end
  return true, r
end)

_G.getmetatable = raising(function(...)
  if select('#', ...) == 0 then return false, where(1) .. "bad argument #1 to 'getmetatable' (value expected)" end
  local t = ...
  if real_of[t] then return true, meta_view[t] end
  return true, getmetatable(t)
end)

-- luaL_checktype's error for an argument of another type than `want`.
local function bad_type(fname, want, ...)
  local got = select('#', ...) == 0 and 'no value' or type((...))
  return where(2) .. "bad argument #1 to '" .. fname .. "' (" .. want .. " expected, got " .. got .. ")"
end

-- Chunks loaded by a script see the protected globals, as every function does.
local globals = _G
local env_of_loaded
_G.loadstring = raising(function(...)
  local s = ...
  if type(s) ~= 'string' and type(s) ~= 'number' then return false, bad_type('loadstring', 'string', ...) end
  local f, e = loadstring(...)
  if f then setfenv(f, env_of_loaded) end
  return true, f, e
end)
_G.load = raising(function(...)
  if type((...)) ~= 'function' then return false, bad_type('load', 'function', ...) end
  local ok, f, e = lua_pcall(lua_load, ...)
  if not ok then return false, f end
  if f then setfenv(f, env_of_loaded) end
  return true, f, e
end)

-- Called once the libraries are registered: drops what is not allowed, then locks the globals.
local function seal()
  for k in next, globals do
    if not allowed[k] then rawset(globals, k, nil) end
  end
  setmetatable(globals, {__index = function(t, n)
    local i = dbg.getinfo(2, 'S')
    if i and i.what ~= 'C' then
      error("Script attempted to access nonexistent global variable '" .. tostring(n) .. "'", 2)
    end
    return nil
  end})
  local string_mt = getmetatable('')
  local proxy = protect(globals, {})
  rawset(globals, '_G', proxy)
  string_mt.__index = rawget(globals, 'string')
  env_of_loaded = proxy
  return proxy
end

-- Compiles a script body as Redis 7.0.15 does: the body (its shebang line cut, the newline kept
-- so lines count from the body's first) as a chunk named @user_script, run in the protected
-- globals. `true, function`, or `false, message`.
local function compile(code)
  local chunk, err = loadstring(code, '@user_script')
  if not chunk then return false, err end
  setfenv(chunk, env_of_loaded)
  return true, chunk
end

-- Runs a compiled script with KEYS and ARGV set, or a function (`as_function`) with them as
-- its two arguments; returns xpcall's results.
local function execute(f, keys, argv, as_function)
  if as_function then
    return xpcall(function() return f(keys, argv) end, err_handler)
  end
  rawset(globals, 'KEYS', keys)
  rawset(globals, 'ARGV', argv)
  return xpcall(f, err_handler)
end

-- Function libraries (FUNCTION LOAD, functions_lua.c). Every library's code runs once, at load,
-- in one globals table of the libraries' own (`library_env`), read-only, whose fallback is then
-- the load-time API: `redis.register_function`, `redis.log` and the version, nothing else (no
-- `redis.call`, no `string`). After the load the fallback becomes the protected globals, so
-- the functions it registered see the whole API when FCALL runs them.
local find, lower = string.find, string.lower
local function missing_global(t, n)
  local i = dbg.getinfo(2, 'S')
  if i and i.what ~= 'C' then
    error("Script attempted to access nonexistent global variable '" .. tostring(n) .. "'", 2)
  end
  return nil
end
local registering -- the list a FUNCTION LOAD fills, nil otherwise
local names_error = 'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long'
local function valid_name(n) return #n > 0 and not find(n, '[^%w_]') end
-- lua_isstring: a string or a number, as text.
local function as_text(v)
  local t = type(v)
  if t == 'string' then return v end
  if t == 'number' then return tostring(v) end
  return nil
end
-- luaRegisterFunctionReadFlags: a list of flag names (any case), each known.
local flag_names = {['no-writes'] = 1, ['allow-oom'] = 1, ['allow-stale'] = 1, ['no-cluster'] = 1, ['allow-cross-slot-keys'] = 1}
local function read_flags(t)
  local out, j = {}, 1
  while true do
    local v = t[j]
    if v == nil then return out end
    local f = as_text(v)
    if not f or not flag_names[lower(f)] then return nil end
    out[#out + 1] = lower(f)
    j = j + 1
  end
end
-- luaRegisterFunctionReadArgs and functionLibCreateFunction, with their texts.
local function register_args(...)
  local argc = select('#', ...)
  if argc < 1 or argc > 2 then return nil, 'wrong number of arguments to redis.register_function' end
  local name, callback, flags, desc
  if argc == 1 then
    local t = ...
    if type(t) ~= 'table' then
      return nil, 'calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).'
    end
    for k, v in next, t do
      local key = as_text(k)
      if not key then return nil, 'named argument key given to redis.register_function is not a string' end
      key = lower(key)
      if key == 'function_name' then
        name = as_text(v)
        if not name then return nil, 'function_name argument given to redis.register_function must be a string' end
      elseif key == 'description' then
        desc = as_text(v)
        if not desc then return nil, 'description argument given to redis.register_function must be a string' end
      elseif key == 'callback' then
        if type(v) ~= 'function' then return nil, 'callback argument given to redis.register_function must be a function' end
        callback = v
      elseif key == 'flags' then
        if type(v) ~= 'table' then
          return nil, 'flags argument to redis.register_function must be a table representing function flags'
        end
        flags = read_flags(v)
        if not flags then return nil, 'unknown flag given' end
      else
        return nil, 'unknown argument given to redis.register_function'
      end
    end
    if not name then return nil, 'redis.register_function must get a function name argument' end
    if not callback then return nil, 'redis.register_function must get a callback argument' end
  else
    local n, f = ...
    name = as_text(n)
    if not name then return nil, 'first argument to redis.register_function must be a string' end
    if type(f) ~= 'function' then return nil, 'second argument to redis.register_function must be a function' end
    callback = f
  end
  if not valid_name(name) then return nil, names_error end
  for _, r in ipairs(registering) do
    if r.name == name then return nil, 'Function already exists in the library' end
  end
  return {name = name, callback = callback, flags = flags or {}, description = desc}
end
local register_function = raising(function(...)
  if not registering then
    return false, error_table('redis.register_function can only be called on FUNCTION LOAD command')
  end
  local r, e = register_args(...)
  if not r then return false, error_table(e) end
  registering[#registering + 1] = r
  return true
end)
local library_meta = {__newindex = readonly_error}
local library_env = setmetatable({}, library_meta)
-- The load-time API, read-only, and failing on what it lacks.
local load_api
local function make_load_api()
  local api_redis = {
    register_function = register_function, log = redis.log, LOG_DEBUG = 0, LOG_VERBOSE = 1,
    LOG_NOTICE = 2, LOG_WARNING = 3, REDIS_VERSION = prims.version, REDIS_VERSION_NUM = prims.version_num,
  }
  setmetatable(api_redis, {__index = missing_global})
  local api = setmetatable({redis = api_redis}, {__index = missing_global})
  return protect(api, {})
end

-- Compiles and runs a library's code (its shebang line cut, the newline kept): `true, list`
-- of what it registered, or `false, message` as FUNCTION LOAD reports it.
local function load_library(code)
  local chunk, err = loadstring(code, '@user_function')
  if not chunk then return false, 'Error compiling function: ' .. err end
  setfenv(chunk, library_env)
  load_api = load_api or make_load_api()
  registering = {}
  library_meta.__index = load_api
  local ok, e = lua_pcall(chunk)
  library_meta.__index = env_of_loaded
  local registered = registering
  registering = nil
  if not ok then
    local msg
    if type(e) == 'table' then msg = e.err else msg = 'ERR ' .. tostring(e) end
    return false, 'Error registering functions: ' .. tostring(msg)
  end
  return true, registered
end

-- The error table's parts for the reply (luaExtractErrorInformation).
local function error_parts(e)
  if type(e) ~= 'table' then return nil end
  local msg, source, line = e.err, e.source, e.line
  local function str(v) if type(v) == 'string' or type(v) == 'number' then return tostring(v) end end
  return str(msg), str(source), str(line)
end

return {
  seal = seal, compile = compile, execute = execute, install = install, error_parts = error_parts,
  load_library = load_library,
}
