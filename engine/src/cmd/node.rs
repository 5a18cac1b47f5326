//! Commands the node executes because they need client or server state the engine does not
//! hold (connection settings, configuration, INFO, shutdown). The server matches this enum
//! exhaustively, so a row without a handler is a compile error there.

/// A command the node runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeCmd {
    /// PING (its reply depends on the client's pub/sub state).
    Ping,
    /// SELECT index
    Select,
    /// QUIT
    Quit,
    /// RESET
    Reset,
    /// AUTH [username] password
    Auth,
    /// ACL WHOAMI
    AclWhoami,
    /// ACL USERS
    AclUsers,
    /// ACL LIST
    AclList,
    /// ACL GETUSER username
    AclGetuser,
    /// ACL CAT [category]
    AclCat,
    /// ACL HELP
    AclHelp,
    /// ACL LOG [count | RESET]
    AclLog,
    /// ACL DRYRUN username command [arg ...]
    AclDryrun,
    /// HELLO [protover [AUTH username password] [SETNAME clientname]]
    Hello,
    /// CLIENT ID
    ClientId,
    /// CLIENT SETNAME
    ClientSetname,
    /// CLIENT GETNAME
    ClientGetname,
    /// CLIENT LIST
    ClientList,
    /// CLIENT INFO
    ClientInfo,
    /// CLIENT KILL
    ClientKill,
    /// CLIENT NO-EVICT
    ClientNoEvict,
    /// CLIENT REPLY
    ClientReply,
    /// CLIENT HELP
    ClientHelp,
    /// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]
    ClientUnblock,
    /// CLIENT TRACKING ON|OFF [options]
    ClientTracking,
    /// CLIENT CACHING YES|NO
    ClientCaching,
    /// CLIENT GETREDIR
    ClientGetredir,
    /// CLIENT TRACKINGINFO
    ClientTrackinginfo,
    /// CLIENT PAUSE timeout [WRITE|ALL]
    ClientPause,
    /// CLIENT UNPAUSE
    ClientUnpause,
    /// MONITOR
    Monitor,
    /// INFO [section ...]
    Info,
    /// CONFIG GET
    ConfigGet,
    /// CONFIG SET
    ConfigSet,
    /// CONFIG RESETSTAT
    ConfigResetstat,
    /// CONFIG REWRITE
    ConfigRewrite,
    /// CONFIG HELP
    ConfigHelp,
    /// DEBUG subcommand ...
    Debug,
    /// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
    Shutdown,
    /// SAVE
    Save,
    /// BGSAVE [SCHEDULE]
    Bgsave,
    /// LASTSAVE
    Lastsave,
    /// BGREWRITEAOF
    Bgrewriteaof,
    /// MULTI
    Multi,
    /// EXEC
    Exec,
    /// DISCARD
    Discard,
    /// WATCH key [key ...]
    Watch,
    /// UNWATCH
    Unwatch,
    /// SUBSCRIBE channel [channel ...]
    Subscribe,
    /// UNSUBSCRIBE [channel ...]
    Unsubscribe,
    /// PSUBSCRIBE pattern [pattern ...]
    Psubscribe,
    /// PUNSUBSCRIBE [pattern ...]
    Punsubscribe,
    /// SSUBSCRIBE shardchannel [shardchannel ...]
    Ssubscribe,
    /// SUNSUBSCRIBE [shardchannel ...]
    Sunsubscribe,
    /// PUBLISH channel message
    Publish,
    /// SPUBLISH shardchannel message
    Spublish,
    /// PUBSUB CHANNELS [pattern]
    PubsubChannels,
    /// PUBSUB NUMSUB [channel ...]
    PubsubNumsub,
    /// PUBSUB NUMPAT
    PubsubNumpat,
    /// PUBSUB SHARDCHANNELS [pattern]
    PubsubShardchannels,
    /// PUBSUB SHARDNUMSUB [shardchannel ...]
    PubsubShardnumsub,
    /// PUBSUB HELP
    PubsubHelp,
    /// SLOWLOG GET [count]
    SlowlogGet,
    /// SLOWLOG LEN
    SlowlogLen,
    /// SLOWLOG RESET
    SlowlogReset,
    /// SLOWLOG HELP
    SlowlogHelp,
    /// LATENCY LATEST
    LatencyLatest,
    /// LATENCY HISTORY event
    LatencyHistory,
    /// LATENCY RESET [event ...]
    LatencyReset,
    /// LATENCY GRAPH event
    LatencyGraph,
    /// LATENCY DOCTOR
    LatencyDoctor,
    /// LATENCY HISTOGRAM [command ...]
    LatencyHistogram,
    /// LATENCY HELP
    LatencyHelp,
    /// ROLE
    Role,
    /// LOLWUT [VERSION version]
    Lolwut,
    /// EVAL script numkeys [key ...] [arg ...]
    Eval,
    /// EVAL_RO script numkeys [key ...] [arg ...]
    EvalRo,
    /// EVALSHA sha1 numkeys [key ...] [arg ...]
    Evalsha,
    /// EVALSHA_RO sha1 numkeys [key ...] [arg ...]
    EvalshaRo,
    /// SCRIPT LOAD script
    ScriptLoad,
    /// SCRIPT EXISTS sha1 [sha1 ...]
    ScriptExists,
    /// SCRIPT FLUSH [ASYNC|SYNC]
    ScriptFlush,
    /// SCRIPT KILL
    ScriptKill,
    /// SCRIPT HELP
    ScriptHelp,
    /// FCALL function numkeys [key ...] [arg ...]
    Fcall,
    /// FCALL_RO function numkeys [key ...] [arg ...]
    FcallRo,
    /// FUNCTION LOAD [REPLACE] code
    FunctionLoad,
    /// FUNCTION DELETE library
    FunctionDelete,
    /// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]
    FunctionList,
    /// FUNCTION FLUSH [ASYNC|SYNC]
    FunctionFlush,
    /// FUNCTION DUMP
    FunctionDump,
    /// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]
    FunctionRestore,
    /// FUNCTION STATS
    FunctionStats,
    /// FUNCTION KILL
    FunctionKill,
    /// FUNCTION HELP
    FunctionHelp,
}
