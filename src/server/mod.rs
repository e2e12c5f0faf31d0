//! The server: owns the databases, the clients, the configuration and the
//! statistics, and wires them to the event loop.
//!
//! Chapter: chapters/03-clients.md
//!
//! `run` builds a `Server`, opens the listeners and hands the server to
//! `EventLoop::run` as its `Handler`: every readable socket, writable socket
//! and timer tick comes back here, and is routed to networking (sockets),
//! dispatch (commands) or cron (periodic work).
//!
//! Invariants:
//! 1. `clients[fd]` is `Some` for every open client socket, except for the
//!    one client whose input is being processed right now, which is taken
//!    out of the table and handed to commands as `Ctx::client`.
//! 2. Every client in `pending_write` has `out.pending() > 0` or has been
//!    closed since it was queued (the flush loop re-checks).
//! 3. Whatever is owed to a client out of the table (a message it is sent
//!    by its own command, a watch its own write invalidated) waits in
//!    `deferred` and reaches it before its reply (`dispatch.rs`).
//!
//! Not here: socket I/O (`networking.rs`), command execution
//! (`dispatch.rs`), periodic work (`cron.rs`), INFO (`info.rs`).

pub mod bio;
pub mod blocking;
pub mod child;
pub mod client;
pub mod cron;
pub mod dispatch;
pub mod info;
pub mod listen;
pub mod multi;
pub mod networking;
pub mod notify;
pub mod propagate;
pub mod pubsub;
pub mod rdb;
pub mod signals;
pub mod stats;

use std::os::unix::io::RawFd;
use std::time::Instant;

use crate::cmd::CommandTable;
use crate::config::{Config, ConfigEnum};
use crate::db::Db;
use crate::event::{self, EventLoop, Handler, Mask, TimerId};

pub use client::Client;
use listen::Listener;
use stats::{Latency, Slowlog, Stats};

/// What a command sees: the whole server and the client that sent it
/// (taken out of the client table for the duration; invariant 1).
pub struct Ctx<'a> {
    pub srv: &'a mut Server,
    pub client: &'a mut Client,
}

impl Ctx<'_> {
    /// The client's selected database.
    pub fn db(&mut self) -> &mut Db {
        &mut self.srv.dbs[self.client.db]
    }
}

/// CLIENT PAUSE state.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PauseMode {
    /// Hold every command.
    All,
    /// Hold only commands that may write.
    Write,
}

pub struct Server {
    pub config: Config,
    pub dbs: Vec<Db>,
    pub commands: CommandTable,
    pub stats: Stats,
    pub slowlog: Slowlog,
    pub latency: Latency,
    /// Indexed by fd (invariant 1).
    pub clients: Vec<Option<Box<Client>>>,
    pub client_count: usize,
    pub next_client_id: u64,
    pub listeners: Vec<Listener>,
    /// Clients with replies to flush in `before_sleep` (invariant 2).
    pub pending_write: Vec<RawFd>,
    /// Client ids to close in `before_sleep` (CLIENT KILL, output limits).
    pub close_asap: Vec<u64>,
    /// Ids of clients in MONITOR mode.
    pub monitors: Vec<u64>,
    /// Clients whose input is held by CLIENT PAUSE, in arrival order.
    pub paused_clients: Vec<RawFd>,
    pub pause: Option<(PauseMode, u64)>,
    pub run_id: String,
    pub start: Instant,
    pub start_unix_ms: u64,
    /// Cached unix time in ms, refreshed each loop iteration and before
    /// each command (Redis's `server.mstime`).
    pub now_ms: u64,
    pub cron_timer: TimerId,
    pub cronloops: u64,
    pub shutdown_requested: bool,
    pub lastsave_unix: u64,
    pub executable: String,
    pub tcp_port: u16,
    /// "epoll", "kqueue" or "select" (INFO `multiplexing_api`).
    pub backend_name: &'static str,
    /// Listeners replaced by CONFIG SET port/bind, and fds of new ones,
    /// for `listen::sync_with_loop` to apply before the next wait.
    pub retired_listeners: Vec<Listener>,
    pub new_listener_fds: Vec<RawFd>,
    /// (deadline ms, client id) of blocked clients with a timeout.
    pub block_deadlines: std::collections::BTreeSet<(u64, u64)>,
    /// The one-shot timer armed for the earliest deadline, and its time.
    pub block_timer: Option<(TimerId, u64)>,
    /// INFO `blocked_clients`.
    pub blocked_clients: usize,
    /// DEBUG SET-ACTIVE-EXPIRE: tests turn the cron's expiry off.
    pub active_expire_enabled: bool,
    /// Samples and expirations of the last active expiry cycles, for
    /// INFO's `expired_stale_perc` (a running estimate, as Redis).
    pub stale_perc: f64,
    pub expired_time_cap_reached: u64,
    /// Channel and pattern subscriptions (`pubsub.rs`).
    pub pubsub: pubsub::PubSub,
    /// Things for clients that were out of the client table when they
    /// happened (invariant 3), in order.
    pub deferred: Vec<(u64, Deferred)>,
    /// Changes to the dataset so far (Redis's `server.dirty`): every
    /// keyspace event counts one. Save points and propagation read it.
    pub dirty: u64,
    /// `dirty` at the last successful save (rdb_changes_since_last_save).
    pub dirty_at_last_save: u64,
    /// BGSAVE's bookkeeping (`rdb.rs`).
    pub bgsave: rdb::BgsaveState,
    /// What the running command (or EXEC) will propagate.
    pub pending: propagate::Pending,
    /// Loading the dataset from disk (propagate invariant 3).
    pub loading: bool,
    /// The append-only file.
    pub aof: crate::persist::aof::Aof,
    /// The forked child writing a snapshot, if any.
    pub child: Option<child::Child>,
}

/// Something owed to a client that was out of the client table at the
/// time: a pub/sub message, or a WATCH invalidation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deferred {
    /// An encoded message in its RESP2 form (`*` first).
    Message(Vec<u8>),
    DirtyCas,
}

/// Unix time in milliseconds.
pub fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Unix time in microseconds.
pub fn unix_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

impl Server {
    pub fn new(config: Config) -> Server {
        let commands = CommandTable::new();
        let stats = Stats::new(commands.all.len());
        let dbs = (0..config.databases.max(1) as usize).map(Db::new).collect();
        let now = unix_ms();
        Server {
            config,
            dbs,
            commands,
            stats,
            slowlog: Slowlog::default(),
            latency: Latency::default(),
            clients: Vec::new(),
            client_count: 0,
            next_client_id: 1,
            listeners: Vec::new(),
            pending_write: Vec::new(),
            close_asap: Vec::new(),
            monitors: Vec::new(),
            paused_clients: Vec::new(),
            pause: None,
            run_id: random_hex(40),
            start: Instant::now(),
            start_unix_ms: now,
            now_ms: now,
            cron_timer: 0,
            cronloops: 0,
            shutdown_requested: false,
            lastsave_unix: now / 1000,
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            tcp_port: 0,
            backend_name: "",
            retired_listeners: Vec::new(),
            new_listener_fds: Vec::new(),
            block_deadlines: std::collections::BTreeSet::new(),
            block_timer: None,
            blocked_clients: 0,
            active_expire_enabled: true,
            stale_perc: 0.0,
            expired_time_cap_reached: 0,
            pubsub: pubsub::PubSub::default(),
            deferred: Vec::new(),
            dirty: 0,
            dirty_at_last_save: 0,
            bgsave: rdb::BgsaveState::default(),
            pending: propagate::Pending::default(),
            loading: false,
            aof: crate::persist::aof::Aof::new(),
            child: None,
        }
    }

    /// Visits every connected client, including the one currently taken
    /// out of the table (invariant 1), in id order.
    pub fn clients_sorted<'a>(&'a self, current: &'a Client) -> Vec<&'a Client> {
        let mut all: Vec<&Client> = self.clients.iter().flatten().map(|c| &**c).collect();
        if current.fd < 0
            || self
                .clients
                .get(current.fd as usize)
                .is_none_or(|s| s.is_none())
        {
            all.push(current);
        }
        all.sort_by_key(|c| c.id);
        all
    }

    pub fn client_by_id_mut(&mut self, id: u64) -> Option<&mut Client> {
        self.clients
            .iter_mut()
            .flatten()
            .map(|c| &mut **c)
            .find(|c| c.id == id)
    }

    /// Counts the keys that expiry removed since the last call (the one
    /// path of `db/` invariant 3), publishes their keyspace events and
    /// flags dirty watchers (`notify::drain_db_events`), and queues a DEL
    /// for each to the propagation path.
    pub fn drain_expired(&mut self) {
        notify::drain_db_events(self);
    }

    pub fn uptime_secs(&self) -> u64 {
        self.start.elapsed().as_secs()
    }
}

/// `len` random lowercase hex digits from /dev/urandom (run ids).
pub fn random_hex(len: usize) -> String {
    use std::io::Read;
    let mut bytes = vec![0u8; len.div_ceil(2)];
    let filled = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok();
    if !filled {
        // Fallback: mix time and pid; run ids need uniqueness, not secrecy.
        let mut x = unix_us() ^ ((std::process::id() as u64) << 32);
        for b in bytes.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
    }
    let mut s = String::with_capacity(len);
    for b in bytes {
        s.push_str(&format!("{:02x}", b));
    }
    s.truncate(len);
    s
}

// ANCHOR: handler
impl Handler for Server {
    fn file_event(&mut self, el: &mut EventLoop, fd: RawFd, mask: Mask) {
        if let Some(i) = self.listeners.iter().position(|l| l.fd() == fd) {
            networking::accept(self, el, i);
            return;
        }
        if mask & event::READABLE != 0 {
            networking::read_from_client(self, el, fd);
        }
        if mask & event::WRITABLE != 0 {
            networking::write_to_client(self, el, fd);
        }
    }

    fn time_event(&mut self, el: &mut EventLoop, id: TimerId) -> Option<u64> {
        if id == self.cron_timer {
            Some(cron::server_cron(self, el))
        } else {
            // The blocking deadline timer: one-shot; before_sleep replies
            // to the clients whose time is up and re-arms it.
            if self.block_timer.is_some_and(|(t, _)| t == id) {
                self.block_timer = None;
            }
            None
        }
    }

    fn before_sleep(&mut self, el: &mut EventLoop) {
        networking::before_sleep(self, el);
    }
}
// ANCHOR_END: handler

/// Applies the side effects of a directive changed by CONFIG SET. An
/// error (Redis's text after the " - ") makes CONFIG SET roll back.
pub fn apply_config_change(srv: &mut Server, name: &str) -> Result<(), &'static str> {
    match name {
        "port" => {
            listen::rebind_tcp(srv)
                .map_err(|_| "Unable to listen on this port. Check server logs.")?;
        }
        "bind" => {
            listen::rebind_tcp(srv).map_err(|_| "Failed to bind to specified addresses.")?;
        }
        "loglevel" => {
            if let Some(level) = crate::log::Level::parse(srv.config.loglevel.name()) {
                crate::log::set_level(level);
            }
        }
        "notify-keyspace-events" => notify::sync_track_new(srv),
        "appendonly" => {
            if srv.config.appendonly {
                if let Err(e) = crate::persist::aof::turn_on(srv) {
                    crate::log!(Warning, "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation: {}", e);
                    srv.config.appendonly = false;
                    return Err("Failed to start AOF rewrite");
                }
            } else {
                crate::persist::aof::turn_off(srv);
            }
        }
        "dir" => {
            if let Err(e) = std::env::set_current_dir(&srv.config.dir) {
                crate::log!(Warning, "Can't chdir to '{}': {}", srv.config.dir, e);
            }
        }
        // requirepass: like Redis, existing connections stay
        // authenticated; new ones must AUTH.
        _ => {}
    }
    Ok(())
}

/// Starts the server with `config` and serves until shutdown. Returns the
/// process exit code.
pub fn run(config: Config) -> i32 {
    signals::install();
    let backend = match event::Backend::parse(config.event_backend.name()) {
        Some(b) => b,
        None => {
            crate::log!(
                Warning,
                "Unknown event backend '{}'",
                config.event_backend.name()
            );
            return 1;
        }
    };
    // Room for every client plus listeners and a margin, like Redis's
    // CONFIG_FDSET_INCR.
    let setsize = config.maxclients as usize + 128;
    let mut el = match EventLoop::new(backend, setsize) {
        Ok(el) => el,
        Err(e) => {
            crate::log!(Warning, "Failed creating the event loop: {}", e);
            return 1;
        }
    };
    let mut srv = Server::new(config);
    notify::sync_track_new(&mut srv);
    srv.backend_name = el.backend().name();
    crate::log!(
        Notice,
        "oxidis {} (Redis {} compatible) starting, pid={}, event backend={}",
        env!("CARGO_PKG_VERSION"),
        info::REDIS_VERSION,
        std::process::id(),
        el.backend().name()
    );
    if let Err(msg) = listen::open_all(&mut srv, &mut el) {
        crate::log!(Warning, "{}", msg);
        return 1;
    }
    // As Redis: listeners are open (so the port is taken) before the
    // dataset loads, and "ready" is logged only once it has. With the AOF
    // on, it alone describes the dataset; otherwise the RDB file does.
    if srv.config.appendonly {
        let loaded = crate::persist::aof_load::load(&mut srv, Some(&mut el))
            .and_then(|_| crate::persist::aof::open_on_start(&mut srv).map_err(|e| e.to_string()));
        if let Err(msg) = loaded {
            crate::log!(
                Warning,
                "Fatal error loading the DB, check server logs. Exiting. ({})",
                msg
            );
            return 1;
        }
    } else if rdb::load_at_startup(&mut srv, &mut el).is_err() {
        return 1;
    }
    srv.cron_timer = el.add_timer(1);
    crate::log!(Notice, "Ready to accept connections");
    el.run(&mut srv);
    listen::close_all(&mut srv);
    crate::log!(Warning, "oxidis is now ready to exit, bye bye...");
    0
}
