//! The stream family's replies, each table asked of Redis 7.0.15 line by line (the same lines
//! ran on a real redis-server and on verdis with identical replies; times here come from the
//! test clock, which is why idle times are 0 and delivery times are `TEST_START_MS`).

use crate::cmd::testing::{show, TestDb, TEST_START_MS};

#[test]
fn stream_commands_reply_as_redis() {
    // Proves XADD (explicit, `ms-*`, NOMKSTREAM, MAXLEN/MINID with = and ~, LIMIT), XRANGE and
    // XREVRANGE (exclusive bounds, COUNT), XLEN, XDEL, XTRIM, XSETID and XINFO STREAM, their
    // errors, and WRONGTYPE, against Redis's exact replies.
    TestDb::new().check(&[
        ("XADD s 1-1 a 1 b 2", "\"1-1\""),
        ("XADD s 1-2 a 3 b 4", "\"1-2\""),
        ("XADD s 1-* c 5", "\"1-3\""),
        ("XADD s 5 d 6", "\"5-0\""),
        ("XADD s 5-* e 7", "\"5-1\""),
        ("XADD s 3-0 x y", "-ERR The ID specified in XADD is equal or smaller than the target stream top item"),
        ("XADD s 0-0 x y", "-ERR The ID specified in XADD must be greater than 0-0"),
        ("XADD s 0 x y", "-ERR The ID specified in XADD must be greater than 0-0"),
        ("XADD s abc x y", "-ERR Invalid stream ID specified as stream command argument"),
        ("XADD s 1-1 x", "-ERR wrong number of arguments for 'xadd' command"),
        ("XADD s NOMKSTREAM 9-9 x y", "\"9-9\""),
        ("XADD nos NOMKSTREAM 1-1 x y", "(nil)"),
        ("EXISTS nos", ":0"),
        ("XLEN s", ":6"),
        ("XRANGE s - +", "[[\"1-1\", [\"a\", \"1\", \"b\", \"2\"]], [\"1-2\", [\"a\", \"3\", \"b\", \"4\"]], [\"1-3\", [\"c\", \"5\"]], [\"5-0\", [\"d\", \"6\"]], [\"5-1\", [\"e\", \"7\"]], [\"9-9\", [\"x\", \"y\"]]]"),
        ("XRANGE s (1-1 +", "[[\"1-2\", [\"a\", \"3\", \"b\", \"4\"]], [\"1-3\", [\"c\", \"5\"]], [\"5-0\", [\"d\", \"6\"]], [\"5-1\", [\"e\", \"7\"]], [\"9-9\", [\"x\", \"y\"]]]"),
        ("XRANGE s - (5-1", "[[\"1-1\", [\"a\", \"1\", \"b\", \"2\"]], [\"1-2\", [\"a\", \"3\", \"b\", \"4\"]], [\"1-3\", [\"c\", \"5\"]], [\"5-0\", [\"d\", \"6\"]]]"),
        ("XRANGE s 1 1", "[[\"1-1\", [\"a\", \"1\", \"b\", \"2\"]], [\"1-2\", [\"a\", \"3\", \"b\", \"4\"]], [\"1-3\", [\"c\", \"5\"]]]"),
        ("XRANGE s - + COUNT 2", "[[\"1-1\", [\"a\", \"1\", \"b\", \"2\"]], [\"1-2\", [\"a\", \"3\", \"b\", \"4\"]]]"),
        ("XRANGE s - + COUNT 0", "(nil array)"),
        ("XRANGE s - + COUNT -1", "(nil array)"),
        ("XRANGE s - + COUNT", "-ERR syntax error"),
        ("XRANGE s - + FOO 1", "-ERR syntax error"),
        ("XRANGE s ( +", "-ERR Invalid stream ID specified as stream command argument"),
        ("XRANGE s (- +", "-ERR Invalid stream ID specified as stream command argument"),
        ("XRANGE s - (+", "-ERR Invalid stream ID specified as stream command argument"),
        ("XRANGE s (18446744073709551615-18446744073709551615 +", "-ERR invalid start ID for the interval"),
        ("XRANGE s - (0-0", "-ERR invalid end ID for the interval"),
        ("XREVRANGE s + -", "[[\"9-9\", [\"x\", \"y\"]], [\"5-1\", [\"e\", \"7\"]], [\"5-0\", [\"d\", \"6\"]], [\"1-3\", [\"c\", \"5\"]], [\"1-2\", [\"a\", \"3\", \"b\", \"4\"]], [\"1-1\", [\"a\", \"1\", \"b\", \"2\"]]]"),
        ("XREVRANGE s + - COUNT 1", "[[\"9-9\", [\"x\", \"y\"]]]"),
        ("XREVRANGE s (5-1 -", "[[\"5-0\", [\"d\", \"6\"]], [\"1-3\", [\"c\", \"5\"]], [\"1-2\", [\"a\", \"3\", \"b\", \"4\"]], [\"1-1\", [\"a\", \"1\", \"b\", \"2\"]]]"),
        ("XRANGE nokey - +", "[]"),
        ("XLEN nokey", ":0"),
        ("TYPE s", "+stream"),
        ("OBJECT ENCODING s", "\"stream\""),
        ("XDEL s 1-2 1-9", ":1"),
        ("XDEL s bad", "-ERR Invalid stream ID specified as stream command argument"),
        ("XDEL nokey 1-1", ":0"),
        ("XRANGE s - +", "[[\"1-1\", [\"a\", \"1\", \"b\", \"2\"]], [\"1-3\", [\"c\", \"5\"]], [\"5-0\", [\"d\", \"6\"]], [\"5-1\", [\"e\", \"7\"]], [\"9-9\", [\"x\", \"y\"]]]"),
        ("XINFO STREAM s", "{\"length\": :5, \"radix-tree-keys\": :1, \"radix-tree-nodes\": :2, \"last-generated-id\": \"9-9\", \"max-deleted-entry-id\": \"1-2\", \"entries-added\": :6, \"recorded-first-entry-id\": \"1-1\", \"groups\": :0, \"first-entry\": [\"1-1\", [\"a\", \"1\", \"b\", \"2\"]], \"last-entry\": [\"9-9\", [\"x\", \"y\"]]}"),
        ("XTRIM s MAXLEN 2", ":3"),
        ("XRANGE s - +", "[[\"5-1\", [\"e\", \"7\"]], [\"9-9\", [\"x\", \"y\"]]]"),
        ("XINFO STREAM s", "{\"length\": :2, \"radix-tree-keys\": :1, \"radix-tree-nodes\": :2, \"last-generated-id\": \"9-9\", \"max-deleted-entry-id\": \"1-2\", \"entries-added\": :6, \"recorded-first-entry-id\": \"5-1\", \"groups\": :0, \"first-entry\": [\"5-1\", [\"e\", \"7\"]], \"last-entry\": [\"9-9\", [\"x\", \"y\"]]}"),
        ("XTRIM s MAXLEN ~ 1", ":0"),
        ("XTRIM s", "-ERR wrong number of arguments for 'xtrim' command"),
        ("XTRIM s MINID 5-1", ":0"),
        ("XTRIM s MAXLEN 1 LIMIT 10", "-ERR syntax error, LIMIT cannot be used without the special ~ option"),
        ("XTRIM s MAXLEN ~ 1 LIMIT 10", ":0"),
        ("XTRIM s MAXLEN -1", "-ERR The MAXLEN argument must be >= 0."),
        ("XTRIM s MAXLEN 1 MINID 2", "-ERR syntax error, MAXLEN and MINID options at the same time are not compatible"),
        ("XTRIM s LIMIT 5", "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"),
        ("XTRIM s MAXLEN 1 foo", "-ERR syntax error"),
        ("XINFO STREAM s", "{\"length\": :2, \"radix-tree-keys\": :1, \"radix-tree-nodes\": :2, \"last-generated-id\": \"9-9\", \"max-deleted-entry-id\": \"1-2\", \"entries-added\": :6, \"recorded-first-entry-id\": \"5-1\", \"groups\": :0, \"first-entry\": [\"5-1\", [\"e\", \"7\"]], \"last-entry\": [\"9-9\", [\"x\", \"y\"]]}"),
        ("XSETID s 1-0", "-ERR The ID specified in XSETID is smaller than the target stream top item"),
        ("XSETID s 100-0 ENTRIESADDED 1", "-ERR The entries_added specified in XSETID is smaller than the target stream length"),
        ("XSETID s 100-0 ENTRIESADDED 10 MAXDELETEDID 200-0", "-ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"),
        ("XSETID s 100-0 ENTRIESADDED 10 MAXDELETEDID 5-0", "+OK"),
        ("XSETID s 100-0 ENTRIESADDED -1", "-ERR entries_added must be positive"),
        ("XSETID s 100-0 FOO", "-ERR syntax error"),
        ("XSETID nokey 1-1", "-ERR no such key"),
        ("XINFO STREAM s", "{\"length\": :2, \"radix-tree-keys\": :1, \"radix-tree-nodes\": :2, \"last-generated-id\": \"100-0\", \"max-deleted-entry-id\": \"5-0\", \"entries-added\": :10, \"recorded-first-entry-id\": \"5-1\", \"groups\": :0, \"first-entry\": [\"5-1\", [\"e\", \"7\"]], \"last-entry\": [\"9-9\", [\"x\", \"y\"]]}"),
        ("XINFO STREAM s FULL", "{\"length\": :2, \"radix-tree-keys\": :1, \"radix-tree-nodes\": :2, \"last-generated-id\": \"100-0\", \"max-deleted-entry-id\": \"5-0\", \"entries-added\": :10, \"recorded-first-entry-id\": \"5-1\", \"entries\": [[\"5-1\", [\"e\", \"7\"]], [\"9-9\", [\"x\", \"y\"]]], \"groups\": []}"),
        ("XINFO STREAM s FULL COUNT 1", "{\"length\": :2, \"radix-tree-keys\": :1, \"radix-tree-nodes\": :2, \"last-generated-id\": \"100-0\", \"max-deleted-entry-id\": \"5-0\", \"entries-added\": :10, \"recorded-first-entry-id\": \"5-1\", \"entries\": [[\"5-1\", [\"e\", \"7\"]]], \"groups\": []}"),
        ("XINFO STREAM s FOO", "-ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP."),
        ("XINFO STREAM nokey", "-ERR no such key"),
        ("XINFO GROUPS s", "[]"),
        ("XINFO FOO s", "-ERR unknown subcommand 'FOO'. Try XINFO HELP."),
        ("XINFO HELP", "[+XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:, +CONSUMERS <key> <groupname>, +    Show consumers of <groupname>., +GROUPS <key>, +    Show the stream consumer groups., +STREAM <key> [FULL [COUNT <count>], +    Show information about the stream., +HELP, +    Prints this help.]"),
        ("SET str x", "+OK"),
        ("XADD str 1-1 a b", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
        ("XRANGE str - +", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
        ("XLEN str", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
        ("XINFO STREAM str", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
        ("XADD big * a b", "\"1700000000000-0\""),
        ("XADD s2 MAXLEN = 2 10-1 a 1", "\"10-1\""),
        ("XADD s2 MAXLEN = 2 10-2 a 1", "\"10-2\""),
        ("XADD s2 MAXLEN = 2 10-3 a 1", "\"10-3\""),
        ("XRANGE s2 - +", "[[\"10-2\", [\"a\", \"1\"]], [\"10-3\", [\"a\", \"1\"]]]"),
        ("XADD s2 MINID 10-3 10-4 a 1", "\"10-4\""),
        ("XRANGE s2 - +", "[[\"10-3\", [\"a\", \"1\"]], [\"10-4\", [\"a\", \"1\"]]]"),
        ("XADD s2 LIMIT 3 10-5 a 1", "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"),
        ("XADD s2 MAXLEN 1 MINID 3 10-5 a 1", "-ERR syntax error, MAXLEN and MINID options at the same time are not compatible"),
        ("XADD s2 MAXLEN ~ 1 LIMIT 1 10-5 a 1", "\"10-5\""),
        ("XADD s2 MAXLEN 1 LIMIT 1 10-6 a 1", "-ERR syntax error, LIMIT cannot be used without the special ~ option"),
        ("DEL s2", ":1"),
        ("XADD e 1-1 a b", "\"1-1\""),
        ("XDEL e 1-1", ":1"),
        ("XLEN e", ":0"),
        ("EXISTS e", ":1"),
        ("XINFO STREAM e", "{\"length\": :0, \"radix-tree-keys\": :0, \"radix-tree-nodes\": :1, \"last-generated-id\": \"1-1\", \"max-deleted-entry-id\": \"1-1\", \"entries-added\": :1, \"recorded-first-entry-id\": \"0-0\", \"groups\": :0, \"first-entry\": (nil), \"last-entry\": (nil)}"),
        ("XADD e 1-1 a b", "-ERR The ID specified in XADD is equal or smaller than the target stream top item"),
        ("XADD e 2-1 a b", "\"2-1\""),
        ("XINFO STREAM e", "{\"length\": :1, \"radix-tree-keys\": :1, \"radix-tree-nodes\": :2, \"last-generated-id\": \"2-1\", \"max-deleted-entry-id\": \"1-1\", \"entries-added\": :2, \"recorded-first-entry-id\": \"2-1\", \"groups\": :0, \"first-entry\": [\"2-1\", [\"a\", \"b\"]], \"last-entry\": [\"2-1\", [\"a\", \"b\"]]}"),
        ("XTRIM nokey MAXLEN 1 foo", "-ERR syntax error"),
        ("XTRIM str MAXLEN 1 foo", "-ERR syntax error"),
        ("XTRIM str MAXLEN 1", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
    ]);
}

#[test]
fn consumer_groups_reply_as_redis() {
    // Proves XGROUP's subcommands, XREADGROUP (new entries, history, NOACK, deleted entries in
    // the history), XACK, XPENDING (summary, extended, IDLE, consumer), XCLAIM and XAUTOCLAIM
    // with their options, XREAD, XINFO GROUPS/CONSUMERS/STREAM FULL with lag and entries-read,
    // against Redis's exact replies.
    TestDb::new().check(&[
        ("XADD s 1-1 a 1", "\"1-1\""),
        ("XADD s 2-1 a 1", "\"2-1\""),
        ("XADD s 3-1 a 1", "\"3-1\""),
        ("XDEL s 3-1", ":1"),
        ("XSETID s 2-5 ENTRIESADDED 1", "-ERR The entries_added specified in XSETID is smaller than the target stream length"),
        ("XSETID s 2-5", "+OK"),
        ("XSETID s 1-0 ENTRIESADDED 1", "-ERR The ID specified in XSETID is smaller than the target stream top item"),
        ("XDEL s 1-1 2-1", ":2"),
        ("XSETID s 2-5 ENTRIESADDED 0", "+OK"),
        ("XSETID s 3-5 ENTRIESADDED 0", "+OK"),
        ("XINFO STREAM s", "{\"length\": :0, \"radix-tree-keys\": :0, \"radix-tree-nodes\": :1, \"last-generated-id\": \"3-5\", \"max-deleted-entry-id\": \"3-1\", \"entries-added\": :0, \"recorded-first-entry-id\": \"0-0\", \"groups\": :0, \"first-entry\": (nil), \"last-entry\": (nil)}"),
        ("XGROUP CREATE s g $", "+OK"),
        ("XGROUP CREATE s g $", "-BUSYGROUP Consumer Group name already exists"),
        ("XGROUP CREATE s g2 0 MKSTREAM ENTRIESREAD 5", "+OK"),
        ("XGROUP CREATE s g3 0 ENTRIESREAD -2", "-ERR value for ENTRIESREAD must be positive or -1"),
        ("XGROUP CREATE s g3 0 FOO", "-ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP."),
        ("XGROUP CREATE nokey g 0", "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."),
        ("XGROUP CREATE nokey g $ MKSTREAM", "+OK"),
        ("XGROUP CREATE nokey2 g bad MKSTREAM", "-ERR Invalid stream ID specified as stream command argument"),
        ("EXISTS nokey2", ":0"),
        ("XGROUP SETID s nog 0", "-NOGROUP No such consumer group 'nog' for key name 's'"),
        ("XGROUP SETID s g 0 ENTRIESREAD 3", "+OK"),
        ("XGROUP SETID s g 0 FOO 3", "-ERR unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP."),
        ("XGROUP SETID s g 0 ENTRIESREAD", "-ERR unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP."),
        ("XGROUP SETID s g -", "+OK"),
        ("XGROUP SETID s g +", "+OK"),
        ("XGROUP SETID nokey3 g 0", "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."),
        ("XGROUP CREATECONSUMER s g alice", ":1"),
        ("XGROUP CREATECONSUMER s g alice", ":0"),
        ("XGROUP CREATECONSUMER s nog alice", "-NOGROUP No such consumer group 'nog' for key name 's'"),
        ("XGROUP DELCONSUMER s g alice", ":0"),
        ("XGROUP DELCONSUMER s g bob", ":0"),
        ("XGROUP DESTROY s g2", ":1"),
        ("XGROUP DESTROY s g2", ":0"),
        ("XGROUP DESTROY nokey g2", ":0"),
        ("XGROUP FOO", "-ERR unknown subcommand 'FOO'. Try XGROUP HELP."),
        ("XGROUP HELP", "[+XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:, +CREATE <key> <groupname> <id|$> [option], +    Create a new consumer group. Options are:, +    * MKSTREAM, +      Create the empty stream if it does not exist., +    * ENTRIESREAD entries_read, +      Set the group's entries_read counter (internal use)., +CREATECONSUMER <key> <groupname> <consumer>, +    Create a new consumer in the specified group., +DELCONSUMER <key> <groupname> <consumer>, +    Remove the specified consumer., +DESTROY <key> <groupname>, +    Remove the specified group., +SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read], +    Set the current group ID and entries_read counter., +HELP, +    Prints this help.]"),
        ("XGROUP CREATE s", "-ERR wrong number of arguments for 'xgroup|create' command"),
        ("XINFO GROUPS s", "[{\"name\": \"g\", \"consumers\": :0, \"pending\": :0, \"last-delivered-id\": \"18446744073709551615-18446744073709551615\", \"entries-read\": (nil), \"lag\": :0}]"),
        ("XINFO CONSUMERS s g", "[]"),
        ("XINFO CONSUMERS s nog", "-NOGROUP No such consumer group 'nog' for key name 's'"),
        ("DEL s", ":1"),
        ("XADD s 1-1 f v", "\"1-1\""),
        ("XADD s 1-2 f v", "\"1-2\""),
        ("XADD s 1-3 f v", "\"1-3\""),
        ("XADD s 1-4 g w", "\"1-4\""),
        ("XGROUP CREATE s g 0", "+OK"),
        ("XREADGROUP GROUP g alice COUNT 2 STREAMS s >", "[[\"s\", [[\"1-1\", [\"f\", \"v\"]], [\"1-2\", [\"f\", \"v\"]]]]]"),
        ("XREADGROUP GROUP g bob STREAMS s >", "[[\"s\", [[\"1-3\", [\"f\", \"v\"]], [\"1-4\", [\"g\", \"w\"]]]]]"),
        ("XREADGROUP GROUP g bob STREAMS s >", "(nil array)"),
        ("XREADGROUP GROUP g alice STREAMS s 0", "[[\"s\", [[\"1-1\", [\"f\", \"v\"]], [\"1-2\", [\"f\", \"v\"]]]]]"),
        ("XREADGROUP GROUP g alice STREAMS s 1-1", "[[\"s\", [[\"1-2\", [\"f\", \"v\"]]]]]"),
        ("XINFO GROUPS s", "[{\"name\": \"g\", \"consumers\": :2, \"pending\": :4, \"last-delivered-id\": \"1-4\", \"entries-read\": :4, \"lag\": :0}]"),
        ("XPENDING s g", "[:4, \"1-1\", \"1-4\", [[\"alice\", \"2\"], [\"bob\", \"2\"]]]"),
        ("XPENDING s g - + 10", "[[\"1-1\", \"alice\", :0, :2], [\"1-2\", \"alice\", :0, :3], [\"1-3\", \"bob\", :0, :1], [\"1-4\", \"bob\", :0, :1]]"),
        ("XPENDING s g - + 10 alice", "[[\"1-1\", \"alice\", :0, :2], [\"1-2\", \"alice\", :0, :3]]"),
        ("XPENDING s g - + 10 nobody", "[]"),
        ("XPENDING s g (1-1 + 1", "[[\"1-2\", \"alice\", :0, :3]]"),
        ("XPENDING s g IDLE 0 - + 10", "[[\"1-1\", \"alice\", :0, :2], [\"1-2\", \"alice\", :0, :3], [\"1-3\", \"bob\", :0, :1], [\"1-4\", \"bob\", :0, :1]]"),
        ("XPENDING s g IDLE - + 10", "-ERR value is not an integer or out of range"),
        ("XPENDING s g - + x", "-ERR value is not an integer or out of range"),
        ("XPENDING s nog", "-NOGROUP No such key 's' or consumer group 'nog'"),
        ("XPENDING nokey g", "[:0, (nil), (nil), (nil array)]"),
        ("XPENDING s g - +", "-ERR syntax error"),
        ("XACK s g 1-1 1-9", ":1"),
        ("XACK s g bad", "-ERR Invalid stream ID specified as stream command argument"),
        ("XACK s nog 1-1", ":0"),
        ("XACK nokey g 1-1", ":0"),
        ("XPENDING s g", "[:3, \"1-2\", \"1-4\", [[\"alice\", \"1\"], [\"bob\", \"2\"]]]"),
        ("XDEL s 1-2", ":1"),
        ("XREADGROUP GROUP g alice STREAMS s 0", "[[\"s\", [[\"1-2\", (nil array)]]]]"),
        ("XCLAIM s g carol 0 1-3 JUSTID", "[\"1-3\"]"),
        ("XCLAIM s g carol 0 1-2", "[]"),
        ("XPENDING s g", "[:2, \"1-3\", \"1-4\", [[\"bob\", \"1\"], [\"carol\", \"1\"]]]"),
        ("XCLAIM s g carol 0 1-4 RETRYCOUNT 7", "[[\"1-4\", [\"g\", \"w\"]]]"),
        ("XPENDING s g - + 10", "[[\"1-3\", \"carol\", :0, :1], [\"1-4\", \"carol\", :0, :7]]"),
        ("XCLAIM s g carol 0 1-1 FORCE", "[[\"1-1\", [\"f\", \"v\"]]]"),
        ("XCLAIM s g carol 0 1-1 FOO", "-ERR Unrecognized XCLAIM option 'FOO'"),
        ("XCLAIM s g carol x 1-1", "-ERR Invalid min-idle-time argument for XCLAIM"),
        ("XCLAIM s g carol 0 1-1 IDLE x", "-ERR Invalid IDLE option argument for XCLAIM"),
        ("XCLAIM s g carol 0 1-1 TIME x", "-ERR Invalid TIME option argument for XCLAIM"),
        ("XCLAIM s g carol 0 1-1 RETRYCOUNT x", "-ERR Invalid RETRYCOUNT option argument for XCLAIM"),
        ("XCLAIM s g carol 0 1-1 LASTID x", "-ERR Invalid stream ID specified as stream command argument"),
        ("XCLAIM s nog carol 0 1-1", "-NOGROUP No such key 's' or consumer group 'nog'"),
        ("XCLAIM s g dave 0 1-3 1-4 LASTID 9-9 JUSTID", "[\"1-3\", \"1-4\"]"),
        ("XINFO GROUPS s", "[{\"name\": \"g\", \"consumers\": :4, \"pending\": :3, \"last-delivered-id\": \"9-9\", \"entries-read\": :4, \"lag\": :0}]"),
        ("XAUTOCLAIM s g erin 0 0", "[\"0-0\", [[\"1-1\", [\"f\", \"v\"]], [\"1-3\", [\"f\", \"v\"]], [\"1-4\", [\"g\", \"w\"]]], []]"),
        ("XAUTOCLAIM s g erin 0 0 COUNT 1", "[\"1-3\", [[\"1-1\", [\"f\", \"v\"]]], []]"),
        ("XAUTOCLAIM s g erin 0 0 COUNT 1 JUSTID", "[\"1-3\", [\"1-1\"], []]"),
        ("XAUTOCLAIM s g erin 0 0 COUNT 0", "-ERR COUNT must be > 0"),
        ("XAUTOCLAIM s g erin x 0", "-ERR Invalid min-idle-time argument for XAUTOCLAIM"),
        ("XAUTOCLAIM s g erin 0 x", "-ERR Invalid stream ID specified as stream command argument"),
        ("XAUTOCLAIM s g erin 0 0 FOO", "-ERR syntax error"),
        ("XAUTOCLAIM s nog erin 0 0", "-NOGROUP No such key 's' or consumer group 'nog'"),
        ("XAUTOCLAIM s g erin 0 (0-0", "[\"0-0\", [[\"1-1\", [\"f\", \"v\"]], [\"1-3\", [\"f\", \"v\"]], [\"1-4\", [\"g\", \"w\"]]], []]"),
        ("XINFO CONSUMERS s g", "[{\"name\": \"alice\", \"pending\": :0, \"idle\": :0}, {\"name\": \"bob\", \"pending\": :0, \"idle\": :0}, {\"name\": \"carol\", \"pending\": :0, \"idle\": :0}, {\"name\": \"dave\", \"pending\": :0, \"idle\": :0}, {\"name\": \"erin\", \"pending\": :3, \"idle\": :0}]"),
        ("XREADGROUP GROUP g alice NOACK STREAMS s >", "(nil array)"),
        ("XADD s 2-1 f v", "\"2-1\""),
        ("XADD s 2-2 f v", "\"2-2\""),
        ("XREADGROUP GROUP g alice NOACK STREAMS s >", "(nil array)"),
        ("XINFO GROUPS s", "[{\"name\": \"g\", \"consumers\": :5, \"pending\": :3, \"last-delivered-id\": \"9-9\", \"entries-read\": :4, \"lag\": :2}]"),
        ("XREADGROUP GROUP nog alice STREAMS s >", "-NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option"),
        ("XREADGROUP GROUP g alice STREAMS s $", "-ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."),
        ("XREADGROUP GROUP g alice STREAMS s", "-ERR wrong number of arguments for 'xreadgroup' command"),
        ("XREADGROUP GROUP g alice STREAMS s a b", "-ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."),
        ("XREADGROUP STREAMS s >", "-ERR wrong number of arguments for 'xreadgroup' command"),
        ("XREAD STREAMS s >", "-ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."),
        ("XREAD GROUP g a STREAMS s 0", "-ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."),
        ("XREAD NOACK STREAMS s 0", "-ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."),
        ("XREAD STREAMS s 0", "[[\"s\", [[\"1-1\", [\"f\", \"v\"]], [\"1-3\", [\"f\", \"v\"]], [\"1-4\", [\"g\", \"w\"]], [\"2-1\", [\"f\", \"v\"]], [\"2-2\", [\"f\", \"v\"]]]]]"),
        ("XREAD COUNT 1 STREAMS s 0", "[[\"s\", [[\"1-1\", [\"f\", \"v\"]]]]]"),
        ("XREAD COUNT 1 STREAMS s nokey 0 0", "[[\"s\", [[\"1-1\", [\"f\", \"v\"]]]]]"),
        ("XREAD STREAMS s nokey $ $", "(nil array)"),
        ("XREAD BLOCK x STREAMS s 0", "-ERR timeout is not an integer or out of range"),
        ("XREAD BLOCK -1 STREAMS s 0", "-ERR timeout is negative"),
        ("XREAD BLOCK 0 STREAMS s 0", "[[\"s\", [[\"1-1\", [\"f\", \"v\"]], [\"1-3\", [\"f\", \"v\"]], [\"1-4\", [\"g\", \"w\"]], [\"2-1\", [\"f\", \"v\"]], [\"2-2\", [\"f\", \"v\"]]]]]"),
        ("XREAD STREAMS str 0", "(nil array)"),
        ("XREAD FOO STREAMS s 0", "-ERR syntax error"),
        ("XREAD COUNT 1", "-ERR wrong number of arguments for 'xread' command"),
        ("XINFO STREAM s FULL", "{\"length\": :5, \"radix-tree-keys\": :1, \"radix-tree-nodes\": :2, \"last-generated-id\": \"2-2\", \"max-deleted-entry-id\": \"1-2\", \"entries-added\": :6, \"recorded-first-entry-id\": \"1-1\", \"entries\": [[\"1-1\", [\"f\", \"v\"]], [\"1-3\", [\"f\", \"v\"]], [\"1-4\", [\"g\", \"w\"]], [\"2-1\", [\"f\", \"v\"]], [\"2-2\", [\"f\", \"v\"]]], \"groups\": [{\"name\": \"g\", \"last-delivered-id\": \"9-9\", \"entries-read\": :4, \"lag\": :2, \"pel-count\": :3, \"pending\": [[\"1-1\", \"erin\", :1700000000000, :5], [\"1-3\", \"erin\", :1700000000000, :3], [\"1-4\", \"erin\", :1700000000000, :9]], \"consumers\": [{\"name\": \"alice\", \"seen-time\": :1700000000000, \"pel-count\": :0, \"pending\": []}, {\"name\": \"bob\", \"seen-time\": :1700000000000, \"pel-count\": :0, \"pending\": []}, {\"name\": \"carol\", \"seen-time\": :1700000000000, \"pel-count\": :0, \"pending\": []}, {\"name\": \"dave\", \"seen-time\": :1700000000000, \"pel-count\": :0, \"pending\": []}, {\"name\": \"erin\", \"seen-time\": :1700000000000, \"pel-count\": :3, \"pending\": [[\"1-1\", :1700000000000, :5], [\"1-3\", :1700000000000, :3], [\"1-4\", :1700000000000, :9]]}]}]}"),
        ("XGROUP CREATE s g9 5-0 ENTRIESREAD 2", "+OK"),
        ("XINFO GROUPS s", "[{\"name\": \"g\", \"consumers\": :5, \"pending\": :3, \"last-delivered-id\": \"9-9\", \"entries-read\": :4, \"lag\": :2}, {\"name\": \"g9\", \"consumers\": :0, \"pending\": :0, \"last-delivered-id\": \"5-0\", \"entries-read\": :2, \"lag\": :4}]"),
        ("XDEL s 2-2", ":1"),
        ("XINFO GROUPS s", "[{\"name\": \"g\", \"consumers\": :5, \"pending\": :3, \"last-delivered-id\": \"9-9\", \"entries-read\": :4, \"lag\": :2}, {\"name\": \"g9\", \"consumers\": :0, \"pending\": :0, \"last-delivered-id\": \"5-0\", \"entries-read\": :2, \"lag\": :4}]"),
    ]);
}

#[test]
fn xadd_takes_its_id_from_the_clock_input_and_propagates_it() {
    // Proves `*` uses the command's time (never a clock), a later `*` in the same millisecond
    // takes the next sequence, and the propagated XADD names the concrete ID with an
    // approximate trim rewritten exact (`=` and the length it left).
    let mut db = TestDb::new();
    assert_eq!(db.cmd("XADD s * a 1"), format!("\"{TEST_START_MS}-0\""));
    assert_eq!(db.cmd("XADD s MAXLEN ~ 1 * a 2"), format!("\"{TEST_START_MS}-1\""));
    let (_, argv) = db.propagated.last().expect("propagated").clone();
    let argv: Vec<String> = argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    assert_eq!(argv, ["XADD", "s", "MAXLEN", "=", "2", &format!("{TEST_START_MS}-1"), "a", "2"]);
    db.now_ms += 5;
    assert_eq!(db.cmd("XADD s * a 3"), format!("\"{}-0\"", TEST_START_MS + 5));
}

#[test]
fn xreadgroup_propagates_claims_not_itself() {
    // Proves XREADGROUP propagates one XCLAIM per delivered entry carrying the group's last ID
    // as it stood after that entry, and with NOACK the consumer's creation and the group's new
    // position (what Redis 7.0.15 writes to its AOF for the same commands).
    let mut db = TestDb::new();
    db.check(&[("XADD s 1-1 f v", "\"1-1\""), ("XADD s 1-2 f v", "\"1-2\""), ("XGROUP CREATE s g 0", "+OK")]);
    db.cmd("XREADGROUP GROUP g alice STREAMS s >");
    let shown: Vec<String> = db
        .propagated
        .iter()
        .map(|(_, argv)| argv.iter().map(|a| String::from_utf8_lossy(a)).collect::<Vec<_>>().join(" "))
        .collect();
    let time = TEST_START_MS;
    assert_eq!(
        shown,
        [
            "MULTI".to_string(),
            format!("XCLAIM s g alice 0 1-1 TIME {time} RETRYCOUNT 1 FORCE JUSTID LASTID 1-1"),
            format!("XCLAIM s g alice 0 1-2 TIME {time} RETRYCOUNT 1 FORCE JUSTID LASTID 1-2"),
            "EXEC".to_string(),
        ]
    );
    db.cmd("XADD s 1-3 f v");
    db.cmd("XREADGROUP GROUP g bob NOACK STREAMS s >");
    let shown: Vec<String> = db
        .propagated
        .iter()
        .map(|(_, argv)| argv.iter().map(|a| String::from_utf8_lossy(a)).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(shown, ["MULTI", "XGROUP CREATECONSUMER s g bob", "XGROUP SETID s g 1-3 ENTRIESREAD 3", "EXEC"]);
}

#[test]
fn blocked_readers_are_served_what_arrived_after_they_blocked() {
    // Proves a blocked XREAD with `$` is parked with the ID `$` stood for and served only the
    // entry added after it, with COUNT 1000 when none was given; a blocked XREADGROUP with `>`
    // gets the new entry into its PEL; a client that may not block gets the null array.
    let mut db = TestDb::new();
    db.check(&[("XADD s 1-1 a 1", "\"1-1\""), ("XGROUP CREATE s g $", "+OK")]);
    assert_eq!(
        db.park_and_serve("XREAD BLOCK 0 STREAMS s $", "s", "XADD s 2-1 b 2"),
        "[[\"s\", [[\"2-1\", [\"b\", \"2\"]]]]]"
    );
    assert_eq!(db.cmd("XREAD BLOCK 0 STREAMS s $"), "(nil array)");
    let parked = db.block_on.take().expect("blocked").argv.expect("parked argv");
    let parked: Vec<String> = parked.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    assert_eq!(parked, ["XREAD", "COUNT", "1000", "BLOCK", "0", "STREAMS", "s", "2-1"]);
    db.check(&[("XGROUP SETID s g $", "+OK")]);
    assert_eq!(
        db.park_and_serve("XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", "s", "XADD s 3-1 c 3"),
        "[[\"s\", [[\"3-1\", [\"c\", \"3\"]]]]]"
    );
    db.check(&[("XPENDING s g", "[:1, \"3-1\", \"3-1\", [[\"alice\", \"1\"]]]")]);
    db.cmd("XREADGROUP GROUP g alice BLOCK 0 STREAMS s >");
    let block = db.block_on.take().expect("blocked");
    db.cmd("XGROUP DESTROY s g");
    let argv: Vec<Vec<u8>> = block.argv.expect("parked argv");
    let argv: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
    let mut ctx = db.ctx();
    let reply = (block.serve)(&mut ctx, &argv, b"s").expect("served with the error");
    assert_eq!(
        show(&reply.unwrap_or_else(crate::reply::Reply::Error)),
        "-NOGROUP the consumer group this client was blocked on no longer exists"
    );
}

#[test]
fn the_largest_id_reads_new_entries_as_redis_does() {
    // Proves XREADGROUP with the largest ID given explicitly behaves as `>` (Redis marks `>`
    // with that ID): nothing new is the null array, a new entry is delivered (found by the
    // stream generators against Redis 7.0.15).
    TestDb::new().check(&[
        ("XGROUP CREATE k g 0 MKSTREAM", "+OK"),
        ("XREADGROUP GROUP g c STREAMS k 18446744073709551615-18446744073709551615", "(nil array)"),
        ("XADD k 1-1 f v", "\"1-1\""),
        (
            "XREADGROUP GROUP g c STREAMS k 18446744073709551615-18446744073709551615",
            "[[\"k\", [[\"1-1\", [\"f\", \"v\"]]]]]",
        ),
    ]);
}

#[test]
fn extreme_idle_times_wrap_as_redis() {
    // Proves an IDLE of i64::MIN (which overflows `now - idle`) is taken as Redis takes it (the
    // delivery time is then out of range, so it becomes now), found by the stream generators
    // against Redis 7.0.15.
    TestDb::new().check(&[
        ("XADD k 1-1 f v", "\"1-1\""),
        ("XGROUP CREATE k g 0", "+OK"),
        ("XCLAIM k g bob 1000000 idle -9223372036854775808", "[]"),
        ("XCLAIM k g bob 0 1-1 FORCE JUSTID IDLE -9223372036854775808", "[\"1-1\"]"),
        ("XPENDING k g - + 1", "[[\"1-1\", \"bob\", :0, :1]]"),
    ]);
}

#[test]
fn resp3_xread_replies_with_a_map() {
    // Proves XREAD's RESP3 form is a map of key to entries, as Redis 7.0 replies.
    let mut db = TestDb::new();
    db.resp = 3;
    db.check(&[("XADD s 1-1 a 1", "\"1-1\""), ("XREAD STREAMS s 0", "{\"s\": [[\"1-1\", [\"a\", \"1\"]]]}")]);
}

#[test]
fn events_are_redis_s() {
    // Proves the keyspace events each stream command raises, in order, as Redis 7.0.15 raised
    // them for the same lines (`notify-keyspace-events KEAnm`): `new` on creation, `xtrim`
    // after `xadd` when XADD trims, nothing for a no-op, the group events, and XREAD's two
    // lookups of a missing key.
    TestDb::new().check_events(&[
        ("XADD s 1-1 a 1", "new:s xadd:s"),
        ("XADD s MAXLEN 1 2-1 a 1", "xadd:s xtrim:s"),
        ("XADD s NOMKSTREAM 3-1 a 1", "xadd:s"),
        ("XDEL s 3-1", "xdel:s"),
        ("XDEL s 9-9", ""),
        ("XTRIM s MAXLEN 0", "xtrim:s"),
        ("XSETID s 10-0", "xsetid:s"),
        ("XGROUP CREATE s g $", "xgroup-create:s"),
        ("XGROUP CREATE n g $ MKSTREAM", "new:n xgroup-create:n"),
        ("XGROUP CREATECONSUMER s g c", "xgroup-createconsumer:s"),
        ("XGROUP SETID s g 0", "xgroup-setid:s"),
        ("XADD s 11-1 a 1", "xadd:s"),
        ("XREADGROUP GROUP g alice STREAMS s >", "xgroup-createconsumer:s"),
        ("XREADGROUP GROUP g bob NOACK STREAMS s 0", "xgroup-createconsumer:s"),
        ("XACK s g 11-1", ""),
        ("XCLAIM s g bob 0 11-1 FORCE", ""),
        ("XAUTOCLAIM s g carol 0 0", "xgroup-createconsumer:s"),
        ("XGROUP DELCONSUMER s g c", "xgroup-delconsumer:s"),
        ("XGROUP DESTROY s g", "xgroup-destroy:s"),
        ("XREAD STREAMS nokey 0", "keymiss:nokey keymiss:nokey"),
        ("XINFO STREAM s", ""),
        ("XLEN nokey", "keymiss:nokey"),
    ]);
}
