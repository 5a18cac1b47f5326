"""redis-py with a password, against a server on the port given as argv[1]: the script sets
`requirepass` itself (CONFIG SET), then checks that a client without the password is refused
(AuthenticationError), one with a wrong password too, and that `password=` (AUTH pw),
`username="default"` (AUTH default pw) and RESP3 (HELLO 3 AUTH default pw) clients work. It
removes the password before it exits, so a failure leaves nothing behind for the next check.

Prints one line per check; exits non-zero (an AssertionError or exception) on the first failure.
"""
import sys

import redis
from redis.exceptions import AuthenticationError

port = int(sys.argv[1])
admin = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
admin.flushall()

assert admin.config_set("requirepass", "s3cret")
try:
    # The admin connection authenticated when it was made (no password then): it stays so.
    assert admin.set("k", "v")

    # RESP2 sends GET unauthenticated: NOAUTH. redis-py's RESP3 handshake is HELLO 3, which
    # Redis refuses with its own NOAUTH text.
    for protocol, expected in [(2, "Authentication required."), (3, "HELLO must be called with the client already")]:
        anonymous = redis.Redis(host="127.0.0.1", port=port, protocol=protocol, decode_responses=True)
        try:
            anonymous.get("k")
            raise AssertionError("a client without the password ran GET")
        except AuthenticationError as e:
            assert str(e).startswith(expected), (protocol, str(e))
    print("noauth ok")

    try:
        redis.Redis(host="127.0.0.1", port=port, password="wrong").get("k")
        raise AssertionError("a wrong password was accepted")
    except AuthenticationError as e:
        assert "invalid username-password pair" in str(e), str(e)
    print("wrongpass ok")

    by_password = redis.Redis(host="127.0.0.1", port=port, password="s3cret", decode_responses=True)
    assert by_password.get("k") == "v"
    by_user = redis.Redis(host="127.0.0.1", port=port, username="default", password="s3cret", decode_responses=True)
    assert by_user.get("k") == "v"
    resp3 = redis.Redis(host="127.0.0.1", port=port, password="s3cret", protocol=3, decode_responses=True)
    assert resp3.hgetall("nohash") == {}
    assert resp3.get("k") == "v"
    print("auth ok")
finally:
    admin.config_set("requirepass", "")
assert redis.Redis(host="127.0.0.1", port=port).ping()
print("password removed ok")
