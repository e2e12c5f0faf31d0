//! Pub/Sub: who listens to which channel, and delivering a message to them.
//!
//! Chapter: chapters/19-pubsub.md
//!
//! Two indexes describe the same subscriptions from both ends:
//!
//! ```text
//!   server side (PubSub)                     client side (Subscriptions)
//!   channels: "news" -> [c7, c9]             c7: channels {news}
//!             "chat" -> [c9]                 c9: channels {news, chat}
//!   patterns: "n*"   -> [c4]                     patterns {}
//!   shard:    "s1"   -> [c7]                 c4: patterns {n*}
//!
//!   PUBLISH news hi: c7, c9 (channel order), then c4 (its pattern matched)
//! ```
//!
//! PUBLISH needs the server side (who gets "news"?); UNSUBSCRIBE with no
//! arguments, disconnects and CLIENT LIST need the client side.
//!
//! Invariants:
//! 1. The two sides agree: client c is in `channels[ch]` iff `ch` is in
//!    c's `subs.channels` (same for patterns and shard channels), and no
//!    list on the server side is empty.
//! 2. A client has flag PUBSUB iff it has at least one subscription of
//!    any kind.
//! 3. A message is encoded once per PUBLISH and per matching pattern, and
//!    the same bytes are appended to every receiver (RESP3 receivers get
//!    the same bytes with `>` for `*`).
//!
//! Not here: the commands' argument handling (`cmd/pubsub.rs`), which
//! commands a subscribed RESP2 client may run (`dispatch.rs`), keyspace
//! events (`notify.rs`).

use std::os::unix::io::RawFd;

use super::client::flags;
use super::{networking, Client, Deferred, Server};
use crate::ds::dict::Dict;
use crate::ds::glob::glob_match;
use crate::ds::sds::Sds;
use crate::resp::reply::{write_array_header, write_bulk};
use crate::resp::{Protocol, Reply};

/// A subscribed client, found through its fd and checked by its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subscriber {
    pub id: u64,
    pub fd: RawFd,
}

/// The server side of invariant 1.
#[derive(Default)]
pub struct PubSub {
    pub channels: Dict<Sds, Vec<Subscriber>>,
    pub patterns: Dict<Sds, Vec<Subscriber>>,
    pub shard_channels: Dict<Sds, Vec<Subscriber>>,
}

/// The client side of invariant 1.
#[derive(Default)]
pub struct Subscriptions {
    pub channels: Dict<Sds, ()>,
    pub patterns: Dict<Sds, ()>,
    pub shard: Dict<Sds, ()>,
}

impl Subscriptions {
    pub fn total(&self) -> usize {
        self.channels.len() + self.patterns.len() + self.shard.len()
    }
}

/// The three kinds of subscription. They differ in names and in which
/// count a reply reports, and are otherwise handled alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    fn sub_name(self) -> &'static str {
        match self {
            Kind::Channel => "subscribe",
            Kind::Pattern => "psubscribe",
            Kind::Shard => "ssubscribe",
        }
    }

    fn unsub_name(self) -> &'static str {
        match self {
            Kind::Channel => "unsubscribe",
            Kind::Pattern => "punsubscribe",
            Kind::Shard => "sunsubscribe",
        }
    }

    fn server_side(self, ps: &mut PubSub) -> &mut Dict<Sds, Vec<Subscriber>> {
        match self {
            Kind::Channel => &mut ps.channels,
            Kind::Pattern => &mut ps.patterns,
            Kind::Shard => &mut ps.shard_channels,
        }
    }

    fn client_side(self, subs: &mut Subscriptions) -> &mut Dict<Sds, ()> {
        match self {
            Kind::Channel => &mut subs.channels,
            Kind::Pattern => &mut subs.patterns,
            Kind::Shard => &mut subs.shard,
        }
    }

    /// The number a (un)subscribe reply carries: channels and patterns
    /// count together; shard channels count apart (Redis 7.0).
    fn count(self, subs: &Subscriptions) -> usize {
        match self {
            Kind::Shard => subs.shard.len(),
            _ => subs.channels.len() + subs.patterns.len(),
        }
    }
}

fn confirmation(name: &'static str, channel: Option<&[u8]>, count: usize) -> Reply {
    Reply::Push(vec![
        Reply::bulk(name),
        channel.map_or(Reply::Null, |c| Reply::Bulk(c.to_vec())),
        Reply::Integer(count as i64),
    ])
}

// ANCHOR: subscribe
/// Subscribes `c` to `name`; returns the confirmation push. Subscribing
/// twice is not an error and changes nothing, but is confirmed again.
pub fn subscribe(srv: &mut Server, c: &mut Client, kind: Kind, name: &[u8]) -> Reply {
    let mine = kind.client_side(&mut c.subs);
    if !mine.contains_key(name) {
        mine.insert(Sds::new(name), ());
        let me = Subscriber { id: c.id, fd: c.fd };
        let all = kind.server_side(&mut srv.pubsub);
        match all.get_mut(name) {
            Some(list) => list.push(me),
            None => {
                all.insert(Sds::new(name), vec![me]);
            }
        }
    }
    c.flags |= flags::PUBSUB;
    confirmation(kind.sub_name(), Some(name), kind.count(&c.subs))
}
// ANCHOR_END: subscribe

/// Unsubscribes `c` from `name` (subscribed or not); returns the
/// confirmation push.
pub fn unsubscribe(srv: &mut Server, c: &mut Client, kind: Kind, name: &[u8]) -> Reply {
    if kind.client_side(&mut c.subs).remove(name).is_some() {
        let all = kind.server_side(&mut srv.pubsub);
        let empty = match all.get_mut(name) {
            Some(list) => {
                list.retain(|s| s.id != c.id);
                list.is_empty()
            }
            None => false,
        };
        if empty {
            all.remove(name);
        }
    }
    if c.subs.total() == 0 {
        c.flags &= !flags::PUBSUB; // invariant 2
    }
    confirmation(kind.unsub_name(), Some(name), kind.count(&c.subs))
}

/// UNSUBSCRIBE (and friends) without arguments: one confirmation per
/// subscription dropped, or a single one with a null name if there were
/// none.
pub fn unsubscribe_all(srv: &mut Server, c: &mut Client, kind: Kind) -> Vec<Reply> {
    let names: Vec<Sds> = kind.client_side(&mut c.subs).keys().cloned().collect();
    if names.is_empty() {
        if c.subs.total() == 0 {
            c.flags &= !flags::PUBSUB;
        }
        return vec![confirmation(kind.unsub_name(), None, kind.count(&c.subs))];
    }
    names
        .iter()
        .map(|n| unsubscribe(srv, c, kind, n.as_bytes()))
        .collect()
}

/// Drops every subscription of `c` without replies (RESET, disconnect).
pub fn forget_client(srv: &mut Server, c: &mut Client) {
    if c.subs.total() == 0 {
        return;
    }
    for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
        unsubscribe_all(srv, c, kind);
    }
}

// ---------------------------------------------------------------------------
// Publishing
// ---------------------------------------------------------------------------

// ANCHOR: publish
/// Sends `message` on `channel` to its subscribers, then to the clients
/// whose patterns match (a client subscribed both ways gets it twice, as
/// in Redis). Shard channels are a separate namespace with no patterns.
/// Returns the number of deliveries (PUBLISH's reply).
pub fn publish(srv: &mut Server, channel: &[u8], message: &[u8], shard: bool) -> usize {
    let mut receivers = 0;
    let mut over_chunk: Vec<RawFd> = Vec::new();
    // Split the borrows: the subscriber lists are read while the clients'
    // buffers are written, with no copy of either.
    let Server {
        pubsub,
        clients,
        pending_write,
        deferred,
        ..
    } = &mut *srv;
    let mut out = Outboxes {
        clients,
        pending_write,
        deferred,
        over_chunk: &mut over_chunk,
    };
    let by_channel = if shard {
        &pubsub.shard_channels
    } else {
        &pubsub.channels
    };
    if let Some(list) = by_channel.get(channel) {
        let kind = if shard { "smessage" } else { "message" };
        let mut bytes = Vec::with_capacity(40 + channel.len() + message.len());
        write_array_header(&mut bytes, 3);
        write_bulk(&mut bytes, kind.as_bytes());
        write_bulk(&mut bytes, channel);
        write_bulk(&mut bytes, message);
        receivers += list.len();
        out.deliver(list, &bytes);
    }
    if !shard && !pubsub.patterns.is_empty() {
        for (pattern, list) in pubsub.patterns.iter() {
            if !glob_match(pattern.as_bytes(), channel, false) {
                continue;
            }
            let mut bytes = Vec::with_capacity(56 + pattern.len() + channel.len() + message.len());
            write_array_header(&mut bytes, 4);
            write_bulk(&mut bytes, b"pmessage");
            write_bulk(&mut bytes, pattern.as_bytes());
            write_bulk(&mut bytes, channel);
            write_bulk(&mut bytes, message);
            receivers += list.len();
            out.deliver(list, &bytes);
        }
    }
    for fd in over_chunk {
        // client-output-buffer-limit pubsub: a subscriber that does not
        // read is closed before it eats the server's memory.
        if let Some(mut c) = networking::take_client(srv, fd) {
            networking::check_output_limits(srv, &mut c);
            srv.clients[fd as usize] = Some(c);
        }
    }
    receivers
}

/// The parts of the server a delivery writes to.
struct Outboxes<'a> {
    clients: &'a mut Vec<Option<Box<Client>>>,
    pending_write: &'a mut Vec<RawFd>,
    deferred: &'a mut Vec<(u64, Deferred)>,
    /// Receivers whose output passed a chunk: check their limits.
    over_chunk: &'a mut Vec<RawFd>,
}

impl Outboxes<'_> {
    /// Appends one encoded message (RESP2 form, `*` first) to each
    /// target's output buffer (invariant 3). A target out of the client
    /// table right now — the client whose command is publishing — gets it
    /// through `Server::deferred`, placed before its own reply by dispatch.
    fn deliver(&mut self, targets: &[Subscriber], resp2: &[u8]) {
        for t in targets {
            let Some(c) = self
                .clients
                .get_mut(t.fd as usize)
                .and_then(|s| s.as_mut())
                .filter(|c| c.id == t.id)
            else {
                self.deferred
                    .push((t.id, Deferred::Message(resp2.to_vec())));
                continue;
            };
            if c.replies_muted() || c.has(flags::CLOSE_ASAP) {
                continue;
            }
            let was_empty = c.out.pending() == 0;
            if c.resp == Protocol::Resp3 {
                c.out.append_with(|buf| {
                    buf.push(b'>');
                    buf.extend_from_slice(&resp2[1..]);
                });
            } else {
                c.out.append(resp2);
            }
            if was_empty {
                self.pending_write.push(t.fd);
            }
            if c.out.pending() > super::client::REPLY_CHUNK {
                self.over_chunk.push(t.fd);
            }
        }
    }
}
// ANCHOR_END: publish

/// PUBSUB CHANNELS / SHARDCHANNELS: active channels matching `pattern`.
pub fn channels(srv: &Server, shard: bool, pattern: Option<&[u8]>) -> Vec<Reply> {
    let dict = if shard {
        &srv.pubsub.shard_channels
    } else {
        &srv.pubsub.channels
    };
    dict.keys()
        .filter(|c| pattern.is_none_or(|p| glob_match(p, c.as_bytes(), false)))
        .map(|c| Reply::Bulk(c.to_vec()))
        .collect()
}

/// PUBSUB NUMSUB / SHARDNUMSUB: subscribers of one channel.
pub fn numsub(srv: &Server, shard: bool, channel: &[u8]) -> usize {
    let dict = if shard {
        &srv.pubsub.shard_channels
    } else {
        &srv.pubsub.channels
    };
    dict.get(channel).map_or(0, |l| l.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(id: u64) -> Client {
        Client::new(id, None, String::new(), String::new(), 0)
    }

    fn check_invariants(srv: &Server, clients: &[&Client]) {
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            let server_side = match kind {
                Kind::Channel => &srv.pubsub.channels,
                Kind::Pattern => &srv.pubsub.patterns,
                Kind::Shard => &srv.pubsub.shard_channels,
            };
            for (name, list) in server_side.iter() {
                assert!(!list.is_empty());
                for s in list {
                    let c = clients.iter().find(|c| c.id == s.id).expect("known");
                    let mine = match kind {
                        Kind::Channel => &c.subs.channels,
                        Kind::Pattern => &c.subs.patterns,
                        Kind::Shard => &c.subs.shard,
                    };
                    assert!(mine.contains_key(name.as_bytes()));
                }
            }
        }
        for c in clients {
            assert_eq!(c.has(flags::PUBSUB), c.subs.total() > 0);
            for (name, _) in c.subs.channels.iter() {
                let list = srv.pubsub.channels.get(name.as_bytes()).expect("listed");
                assert!(list.iter().any(|s| s.id == c.id));
            }
        }
    }

    #[test]
    fn counts_add_channels_and_patterns_but_not_shard_channels() {
        let mut srv = Server::new(crate::config::Config::default());
        let mut c = client(1);
        subscribe(&mut srv, &mut c, Kind::Channel, b"a");
        subscribe(&mut srv, &mut c, Kind::Channel, b"a");
        let r = subscribe(&mut srv, &mut c, Kind::Pattern, b"a*");
        assert_eq!(
            r,
            Reply::Push(vec![
                Reply::bulk("psubscribe"),
                Reply::bulk("a*"),
                Reply::Integer(2)
            ])
        );
        let r = subscribe(&mut srv, &mut c, Kind::Shard, b"s");
        assert_eq!(
            r,
            Reply::Push(vec![
                Reply::bulk("ssubscribe"),
                Reply::bulk("s"),
                Reply::Integer(1)
            ])
        );
        check_invariants(&srv, &[&c]);
        forget_client(&mut srv, &mut c);
        check_invariants(&srv, &[&c]);
        assert!(srv.pubsub.channels.is_empty() && srv.pubsub.patterns.is_empty());
    }

    #[test]
    fn unsubscribing_with_nothing_subscribed_confirms_with_a_null_name() {
        let mut srv = Server::new(crate::config::Config::default());
        let mut c = client(1);
        let r = unsubscribe_all(&mut srv, &mut c, Kind::Pattern);
        assert_eq!(
            r,
            vec![Reply::Push(vec![
                Reply::bulk("punsubscribe"),
                Reply::Null,
                Reply::Integer(0)
            ])]
        );
    }

    #[test]
    fn publish_counts_pattern_and_channel_deliveries_separately() {
        let mut srv = Server::new(crate::config::Config::default());
        let mut a = client(1);
        let mut b = client(2);
        subscribe(&mut srv, &mut a, Kind::Channel, b"news");
        subscribe(&mut srv, &mut a, Kind::Pattern, b"n*");
        subscribe(&mut srv, &mut b, Kind::Pattern, b"x*");
        check_invariants(&srv, &[&a, &b]);
        assert_eq!(publish(&mut srv, b"news", b"hi", false), 2);
        assert_eq!(publish(&mut srv, b"news", b"hi", true), 0);
        // Neither client is in the table, so both messages were deferred.
        assert_eq!(srv.deferred.len(), 2);
    }
}
