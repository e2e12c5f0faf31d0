//! Pub/Sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH
//! and the PUBSUB introspection container.
//!
//! Chapter: chapters/19-pubsub.md
//!
//! A (un)subscribe command answers once per channel, so its handler
//! returns a `Reply::Seq` of confirmations; each is a push (an array in
//! RESP2). Sharded channels behave as on a single cluster node: their own
//! namespace, no patterns.
//!
//! Not here: the subscription registry and delivery (`server/pubsub.rs`),
//! the commands a subscribed RESP2 client may run (`server/dispatch.rs`).

use super::flag::*;
use super::Command;
use crate::resp::Reply;
use crate::server::pubsub::{self, Kind};
use crate::server::Ctx;

const PUBSUB_SUBS: &[Command] = &[
    Command::new("channels", channels, -2, PUBSUB | LOADING | STALE)
        .doc("pubsub", "2.8.0", "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)", "List active channels")
        .syntax("[pattern:pattern]"),
    Command::new("numsub", numsub, -2, PUBSUB | LOADING | STALE)
        .doc("pubsub", "2.8.0", "O(N) for the NUMSUB subcommand, where N is the number of requested channels", "Get the count of subscribers for channels")
        .syntax("[channel:string...]"),
    Command::new("numpat", numpat, 2, PUBSUB | LOADING | STALE)
        .doc("pubsub", "2.8.0", "O(1)", "Get the count of unique patterns pattern subscriptions"),
    Command::new("shardchannels", shardchannels, -2, PUBSUB | LOADING | STALE)
        .doc("pubsub", "7.0.0", "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).", "List active shard channels")
        .syntax("[pattern:pattern]"),
    Command::new("shardnumsub", shardnumsub, -2, PUBSUB | LOADING | STALE)
        .doc("pubsub", "7.0.0", "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels", "Get the count of subscribers for shard channels")
        .syntax("[shardchannel:string...]"),
    Command::new("help", help, 2, LOADING | STALE)
        .doc("pubsub", "6.2.0", "O(1)", "Show helpful text about the different subcommands"),
];

pub static COMMANDS: &[Command] = &[
    Command::new("subscribe", subscribe, -2, PUBSUB | NOSCRIPT | LOADING | STALE)
        .doc("pubsub", "2.0.0", "O(N) where N is the number of channels to subscribe to.", "Listen for messages published to the given channels")
        .syntax("channel:string..."),
    Command::new("unsubscribe", unsubscribe, -1, PUBSUB | NOSCRIPT | LOADING | STALE)
        .doc("pubsub", "2.0.0", "O(N) where N is the number of clients already subscribed to a channel.", "Stop listening for messages posted to the given channels")
        .syntax("[channel:string...]"),
    Command::new("psubscribe", psubscribe, -2, PUBSUB | NOSCRIPT | LOADING | STALE)
        .doc("pubsub", "2.0.0", "O(N) where N is the number of patterns the client is already subscribed to.", "Listen for messages published to channels matching the given patterns")
        .syntax("pattern:pattern..."),
    Command::new("punsubscribe", punsubscribe, -1, PUBSUB | NOSCRIPT | LOADING | STALE)
        .doc("pubsub", "2.0.0", "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).", "Stop listening for messages posted to channels matching the given patterns")
        .syntax("[pattern:pattern...]"),
    Command::new("publish", publish, 3, PUBSUB | LOADING | STALE | FAST)
        .doc("pubsub", "2.0.0", "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).", "Post a message to a channel")
        .syntax("channel:string message:string"),
    Command::new("ssubscribe", ssubscribe, -2, PUBSUB | NOSCRIPT | LOADING | STALE)
        .keys(1, -1, 1)
        .doc("pubsub", "7.0.0", "O(N) where N is the number of shard channels to subscribe to.", "Listen for messages published to the given shard channels")
        .syntax("shardchannel:string..."),
    Command::new("sunsubscribe", sunsubscribe, -1, PUBSUB | NOSCRIPT | LOADING | STALE)
        .keys(1, -1, 1)
        .doc("pubsub", "7.0.0", "O(N) where N is the number of clients already subscribed to a shard channel.", "Stop listening for messages posted to the given shard channels")
        .syntax("[shardchannel:string...]"),
    Command::new("spublish", spublish, 3, PUBSUB | LOADING | STALE | FAST)
        .keys(1, 1, 1)
        .doc("pubsub", "7.0.0", "O(N) where N is the number of clients subscribed to the receiving shard channel.", "Post a message to a shard channel")
        .syntax("shardchannel:string message:string"),
    Command::new("pubsub", super::command::container, -2, 0)
        .doc("pubsub", "2.8.0", "Depends on subcommand.", "A container for Pub/Sub commands")
        .subs(PUBSUB_SUBS),
];

// ANCHOR: subscribe
fn subscribe_generic(ctx: &mut Ctx, argv: &[Vec<u8>], kind: Kind) -> Reply {
    let replies = argv[1..]
        .iter()
        .map(|name| pubsub::subscribe(ctx.srv, ctx.client, kind, name))
        .collect();
    Reply::Seq(replies)
}

fn unsubscribe_generic(ctx: &mut Ctx, argv: &[Vec<u8>], kind: Kind) -> Reply {
    if argv.len() == 1 {
        return Reply::Seq(pubsub::unsubscribe_all(ctx.srv, ctx.client, kind));
    }
    let replies = argv[1..]
        .iter()
        .map(|name| pubsub::unsubscribe(ctx.srv, ctx.client, kind, name))
        .collect();
    Reply::Seq(replies)
}
// ANCHOR_END: subscribe

fn subscribe(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    subscribe_generic(ctx, argv, Kind::Channel)
}

fn psubscribe(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    subscribe_generic(ctx, argv, Kind::Pattern)
}

fn ssubscribe(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    subscribe_generic(ctx, argv, Kind::Shard)
}

fn unsubscribe(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    unsubscribe_generic(ctx, argv, Kind::Channel)
}

fn punsubscribe(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    unsubscribe_generic(ctx, argv, Kind::Pattern)
}

fn sunsubscribe(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    unsubscribe_generic(ctx, argv, Kind::Shard)
}

fn publish(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    Reply::Integer(pubsub::publish(ctx.srv, &argv[1], &argv[2], false) as i64)
}

fn spublish(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    Reply::Integer(pubsub::publish(ctx.srv, &argv[1], &argv[2], true) as i64)
}

fn channels(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    channels_generic(ctx, argv, false)
}

fn shardchannels(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    channels_generic(ctx, argv, true)
}

fn channels_generic(ctx: &mut Ctx, argv: &[Vec<u8>], shard: bool) -> Reply {
    if argv.len() > 3 {
        return Reply::error(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
            super::truncate_for_error(&String::from_utf8_lossy(&argv[1]))
        ));
    }
    let pattern = argv.get(2).map(|p| p.as_slice());
    Reply::Array(pubsub::channels(ctx.srv, shard, pattern))
}

fn numsub(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    numsub_generic(ctx, argv, false)
}

fn shardnumsub(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    numsub_generic(ctx, argv, true)
}

fn numsub_generic(ctx: &mut Ctx, argv: &[Vec<u8>], shard: bool) -> Reply {
    let mut out = Vec::with_capacity(2 * (argv.len() - 2));
    for ch in &argv[2..] {
        out.push(Reply::Bulk(ch.clone()));
        out.push(Reply::Integer(pubsub::numsub(ctx.srv, shard, ch) as i64));
    }
    Reply::Array(out)
}

fn numpat(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    Reply::Integer(ctx.srv.pubsub.patterns.len() as i64)
}

fn help(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    super::help_reply(
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    )
}
