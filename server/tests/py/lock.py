"""redis-py's `Lock` against a server on the port given as argv[1]: acquire (SET NX PX), a
second client refused while it is held, extend and reacquire (EVALSHA of redis-py's scripts,
loaded by redis-py itself), release, and release by a stale owner raising LockNotOwnedError.

Prints one line per check; exits non-zero (an AssertionError or exception) on the first failure.
"""
import sys

import redis
from redis.exceptions import LockNotOwnedError

port = int(sys.argv[1])
r = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
r.flushall()
r.script_flush()

lock = r.lock("resource", timeout=10)
assert lock.acquire(blocking=False), "first acquire"
token = lock.local.token
token = token.decode() if isinstance(token, bytes) else token
assert r.get("resource") == token, (r.get("resource"), token)
print("acquire ok")

other = r.lock("resource", timeout=10)
assert not other.acquire(blocking=False), "a held lock is refused"
print("refused ok")

assert lock.extend(20), "extend adds time"
ttl = r.pttl("resource")
assert 25000 < ttl <= 30000, ttl
assert lock.extend(5, replace_ttl=True), "extend replacing the TTL"
assert 0 < r.pttl("resource") <= 5000, r.pttl("resource")
assert lock.reacquire(), "reacquire"
assert 5000 < r.pttl("resource") <= 10000, r.pttl("resource")
print("extend ok")

assert lock.owned() and lock.locked(), "owned and locked"
lock.release()
assert r.get("resource") is None, "released"
print("release ok")

# A stale owner: its token no longer holds the key, so release raises.
stale = r.lock("resource", timeout=10)
assert stale.acquire(blocking=False)
r.set("resource", "someone-else")
try:
    stale.release()
    raise AssertionError("release by a stale owner must raise")
except LockNotOwnedError:
    pass
assert r.get("resource") == "someone-else", "the other owner's key stays"
print("stale release ok")

# The context manager form, as applications use it.
with r.lock("job:42", timeout=5, blocking_timeout=1):
    assert r.exists("job:42") == 1
assert r.exists("job:42") == 0
print("context manager ok")
