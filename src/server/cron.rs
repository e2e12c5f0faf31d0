//! serverCron: the periodic work, run `hz` times per second as a time event.
//!
//! Chapter: chapters/03-clients.md
//!
//! Each tick does a little of everything that must happen even when no
//! client sends anything: sample statistics, close idle clients, end
//! CLIENT PAUSE, track peak memory, rehash the keyspace dicts a little, and
//! notice a shutdown signal.
//!
//! Invariants:
//! 1. A tick does a bounded amount of work (at most 1 ms of rehashing per
//!    database, a bounded slice of clients), so the loop stays responsive.
//! 2. The return value is the delay until the next tick: 1000 / `hz` ms.
//!
//! Not here: the event loop's timer mechanics (`event/`).

use super::client::flags;
use super::networking;
use super::Server;
use crate::event::EventLoop;

// ANCHOR: cron
pub fn server_cron(srv: &mut Server, el: &mut EventLoop) -> u64 {
    srv.now_ms = super::unix_ms();
    srv.cronloops += 1;
    let hz = srv.config.hz.clamp(1, 500) as u64;

    if check_shutdown_signal(srv) {
        el.poll_immediately();
    }

    // Every 100 ms: the samples behind instantaneous_ops_per_sec.
    if run_with_period(srv, hz, 100) {
        let now = srv.now_ms;
        srv.stats.sample(now);
    }
    crate::alloc::update_peak();

    close_idle_clients(srv, el);
    enforce_soft_output_limits(srv);

    if let Some((_, until)) = srv.pause {
        if srv.now_ms >= until {
            srv.pause = None;
            el.poll_immediately();
        }
    }

    if srv.active_expire_enabled {
        let effort = srv.config.active_expire_effort;
        let hz32 = hz as u32;
        let now = srv.now_ms;
        let st = crate::db::expire::active_cycle(&mut srv.dbs, hz32, effort, now);
        if st.sampled > 0 {
            let current = st.expired as f64 * 100.0 / st.sampled as f64;
            srv.stale_perc = current * 0.05 + srv.stale_perc * 0.95;
        }
        if st.time_cap_reached {
            srv.expired_time_cap_reached += 1;
        }
        srv.drain_expired();
        super::propagate::flush(srv);
    }

    // A finished snapshot child, and the AOF's periodic duties.
    if let Some(exit) = super::child::reap(srv) {
        match exit.kind {
            super::child::ChildKind::Aof => crate::persist::aof::rewrite_done(srv, &exit),
            super::child::ChildKind::Rdb => super::rdb::bgsave_done(srv, &exit),
        }
    }
    super::rdb::cron(srv);
    crate::persist::aof::cron(srv);

    if srv.config.activerehashing {
        for db in srv.dbs.iter_mut() {
            db.rehash_for_millis(1);
        }
    }
    1000 / hz
}
// ANCHOR_END: cron

/// Turns a received SIGTERM/SIGINT into a shutdown request, logging it
/// once. True when a request was made now.
pub fn check_shutdown_signal(srv: &mut Server) -> bool {
    if super::signals::shutdown_requested() && !srv.shutdown_requested {
        crate::log!(
            Warning,
            "Received {} scheduling shutdown...",
            super::signals::signal_name()
        );
        // With save points configured, a signalled shutdown saves first,
        // and a failed save keeps the server running (as in Redis).
        if !srv.config.save.is_empty() {
            crate::log!(Notice, "Saving the final RDB snapshot before exiting.");
            if super::rdb::save(srv).is_err() {
                crate::log!(Warning, "Error trying to save the DB, can't exit.");
                crate::log!(
                    Warning,
                    "{} received but errors trying to shut down the server, check the logs for more information",
                    super::signals::signal_name()
                );
                super::signals::clear_shutdown_signal();
                return false;
            }
        }
        srv.shutdown_requested = true;
        return true;
    }
    false
}

/// True once every `period_ms` worth of ticks (Redis's run_with_period).
fn run_with_period(srv: &Server, hz: u64, period_ms: u64) -> bool {
    let every = (period_ms * hz / 1000).max(1);
    srv.cronloops.is_multiple_of(every)
}

/// `timeout N`: close normal clients idle for more than N seconds.
fn close_idle_clients(srv: &mut Server, el: &mut EventLoop) {
    let timeout = srv.config.timeout as u64;
    if timeout == 0 {
        return;
    }
    let now = srv.now_ms;
    let idle: Vec<i32> = srv
        .clients
        .iter()
        .flatten()
        .filter(|c| {
            !c.has(flags::PUBSUB)
                && !c.has(flags::MONITOR)
                && !c.has(flags::PAUSED)
                && now.saturating_sub(c.last_interaction_ms) / 1000 > timeout
        })
        .map(|c| c.fd)
        .collect();
    for fd in idle {
        if let Some(c) = networking::take_client(srv, fd) {
            crate::log!(Verbose, "Closing idle client");
            networking::free_client(srv, el, c);
        }
    }
}

/// A client over its soft output limit is closed once it has stayed over
/// for the limit's seconds — even if no new reply arrives to trigger the
/// check in `add_reply` (a subscriber whose channel went quiet).
fn enforce_soft_output_limits(srv: &mut Server) {
    let over: Vec<i32> = srv
        .clients
        .iter()
        .flatten()
        .filter(|c| c.soft_limit_since_ms != 0)
        .map(|c| c.fd)
        .collect();
    for fd in over {
        if let Some(mut c) = networking::take_client(srv, fd) {
            networking::check_output_limits(srv, &mut c);
            srv.clients[fd as usize] = Some(c);
        }
    }
}

/// Runs the input of clients that CLIENT PAUSE held, once it has ended.
pub fn resume_paused_clients(srv: &mut Server, el: &mut EventLoop) {
    if srv.paused_clients.is_empty() {
        return;
    }
    if let Some((_, until)) = srv.pause {
        if super::unix_ms() < until {
            return;
        }
        srv.pause = None;
    }
    for fd in std::mem::take(&mut srv.paused_clients) {
        if let Some(mut c) = networking::take_client(srv, fd) {
            c.flags &= !flags::PAUSED;
            networking::process_input(srv, &mut c);
            if c.out.pending() > 0 {
                srv.pending_write.push(fd);
            }
            srv.clients[fd as usize] = Some(c);
        }
    }
    let _ = el;
}

/// SIGTERM/SIGINT or SHUTDOWN: stop the loop. The final save, when there
/// is one, has already happened where the shutdown was requested
/// (`check_shutdown_signal`, the SHUTDOWN command), so that a failed save
/// can still refuse it.
pub fn prepare_shutdown(srv: &mut Server, el: &mut EventLoop) {
    crate::log!(Warning, "User requested shutdown...");
    if let Some(exit) = super::child::kill(srv) {
        crate::log!(
            Warning,
            "There is a child saving an .rdb or rewriting the AOF. Killing it!"
        );
        if exit.kind == super::child::ChildKind::Aof {
            let _ = std::fs::remove_file(
                crate::persist::aof::aof_dir(srv)
                    .join(format!("temp-rewriteaof-bg-{}.aof", exit.pid)),
            );
        }
    }
    if srv.aof.is_on() {
        crate::log!(Notice, "Calling fsync() on the AOF file.");
        crate::persist::aof::flush_for_shutdown(srv);
    }
    if !srv.config.pidfile.is_empty() {
        let _ = std::fs::remove_file(&srv.config.pidfile);
    }
    srv.shutdown_requested = true;
    el.stop();
}
