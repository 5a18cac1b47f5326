"""redis-py's transactions against a server on the port given as argv[1]: the transactional
pipeline (MULTI/EXEC), the WATCH/retry helper `Redis.transaction`, a WatchError when another
connection changes a watched key, and the INCR + EXPIRE rate limiter in a pipeline.

Prints one line per check; exits non-zero (an AssertionError) on the first failure.
"""
import sys

import redis

port = int(sys.argv[1])
r = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
other = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
r.flushall()

# The transactional pipeline: queued commands, one EXEC, replies in order, errors in place.
pipe = r.pipeline(transaction=True)
pipe.set("a", "1").incr("a").lpush("a", "x").get("a")
results = pipe.execute(raise_on_error=False)
assert results[:2] == [True, 2], results
assert isinstance(results[2], redis.ResponseError) and "WRONGTYPE" in str(results[2]), results
assert results[3] == "2", results
print("pipeline ok")

# WATCH + retry: Redis.transaction re-runs the function until EXEC succeeds.
r.set("counter", "0")
attempts = []


def bump(pipe):
    attempts.append(1)
    value = int(pipe.get("counter"))
    if len(attempts) == 1:
        other.set("counter", "100")  # a concurrent write fires the watch once
    pipe.multi()
    pipe.set("counter", value + 1)


r.transaction(bump, "counter")
assert len(attempts) == 2, attempts
assert r.get("counter") == "101", r.get("counter")
print("transaction retry ok")

# A WatchError surfaces when the watched key changes and nobody retries.
with r.pipeline() as pipe:
    pipe.watch("w")
    other.set("w", "changed")
    pipe.multi()
    pipe.set("w", "mine")
    try:
        pipe.execute()
        raise AssertionError("EXEC should have failed")
    except redis.WatchError:
        pass
assert r.get("w") == "changed"
print("watch error ok")

# The seed's rate limiter, atomically: INCR and EXPIRE in one transaction.
for expected in (1, 2, 3):
    count, _ = r.pipeline(transaction=True).incr("rate:user:1").expire("rate:user:1", 60).execute()
    assert count == expected, count
assert 0 < r.ttl("rate:user:1") <= 60
print("rate limit ok")
