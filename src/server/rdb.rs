//! RDB at the server level: SAVE, loading at start-up, DEBUG RELOAD.
//!
//! Chapter: chapters/20-rdb.md
//!
//! `persist::rdb` knows bytes and databases; this file adds what only the
//! server knows: the configured file name (relative to `dir`, which is the
//! working directory), the clock and memory figures for the AUX fields,
//! LASTSAVE, and the log lines Redis prints around a save or a load.
//!
//! Invariants:
//! 1. `lastsave_unix` changes only after a save that reached the disk
//!    (fsync and rename done).
//! 2. A load that fails leaves no data behind: start-up exits, DEBUG
//!    RELOAD empties the databases it half filled.
//!
//! BGSAVE does the same in a forked child (`child.rs`): the parent goes on
//! serving, serverCron reaps the child and records the outcome, and save
//! points (`save 3600 1 300 100 60 10000`) start one when enough changes
//! are old enough. A failed background save refuses writes with MISCONF
//! while `stop-writes-on-bgsave-error` is on (invariant 3).
//!
//! 3. Writes are refused exactly while save points are set,
//!    `stop-writes-on-bgsave-error` is yes and the last background save
//!    failed.
//!
//! Not here: the format (persist/rdb), the fork itself (`child.rs`), the
//! commands' argument parsing (cmd/).

use super::child::{self, ChildKind, Exit};
use super::{unix_ms, Server};
use crate::event::EventLoop;
use crate::persist::rdb::{self, LoadObserver, LoadOptions, LoadStats, RdbError, SaveOptions};
use std::path::PathBuf;
use std::time::Instant;

/// The RDB file: `dbfilename` in the working directory (`dir`).
pub fn rdb_path(srv: &Server) -> PathBuf {
    PathBuf::from(&srv.config.dbfilename)
}

/// Writer options from the configuration and the clock; everything a
/// forked child needs besides `&srv.dbs`.
pub fn save_options(srv: &Server) -> SaveOptions {
    SaveOptions::from_config(&srv.config, unix_ms(), crate::alloc::used_memory() as u64)
}

pub fn load_options(srv: &Server) -> LoadOptions {
    LoadOptions::from_config(&srv.config, unix_ms())
}

// ANCHOR: save
/// SAVE: writes the whole dataset synchronously. On success updates
/// LASTSAVE (invariant 1) and logs as Redis does; on failure logs why and
/// returns the message.
pub fn save(srv: &mut Server) -> Result<rdb::SaveStats, String> {
    let opts = save_options(srv);
    let dirty = srv.dirty;
    match rdb::save_to_file(&rdb_path(srv), &srv.dbs, &opts) {
        Ok(stats) => {
            crate::log!(Notice, "DB saved on disk");
            srv.lastsave_unix = unix_ms() / 1000;
            srv.dirty_at_last_save = dirty;
            srv.bgsave.last_ok = true;
            Ok(stats)
        }
        Err(e) => {
            crate::log!(Warning, "{}", e.message);
            Err(e.message)
        }
    }
}
// ANCHOR_END: save

// ---------------------------------------------------------------------------
// BGSAVE
// ---------------------------------------------------------------------------

/// What INFO and the save points need to know about background saves.
#[derive(Debug)]
pub struct BgsaveState {
    /// BGSAVE SCHEDULE (or a save point) waiting for another child.
    pub scheduled: bool,
    /// rdb_last_bgsave_status.
    pub last_ok: bool,
    /// Unix seconds of the last attempt, for the retry delay after errors.
    pub last_try_unix: u64,
    pub saves: u64,
    pub last_time_sec: i64,
    pub last_cow_size: u64,
    /// `Server::dirty` when the running child was forked.
    dirty_at_fork: u64,
}

impl Default for BgsaveState {
    fn default() -> Self {
        BgsaveState {
            scheduled: false,
            last_ok: true,
            last_try_unix: 0,
            saves: 0,
            last_time_sec: -1,
            last_cow_size: 0,
            dirty_at_fork: 0,
        }
    }
}

// ANCHOR: bgsave
/// Redis's rdbSaveBackground: a child writes `temp-<pid>.rdb`, fsyncs it
/// and renames it over `dbfilename`, while this process goes on serving.
pub fn bgsave(srv: &mut Server) -> Result<i32, String> {
    let mut opts = save_options(srv);
    opts.progress = Some(child::report_progress);
    let path = rdb_path(srv);
    srv.bgsave.last_try_unix = unix_ms() / 1000;
    let pid = child::fork_child(srv, ChildKind::Rdb, move |srv| {
        match rdb::save_to_file(&path, &srv.dbs, &opts) {
            Ok(_) => true,
            Err(e) => {
                crate::log!(Warning, "{}", e.message);
                false
            }
        }
    });
    match pid {
        Ok(pid) => {
            srv.bgsave.dirty_at_fork = srv.dirty;
            srv.bgsave.scheduled = false;
            crate::log!(Notice, "Background saving started by pid {}", pid);
            Ok(pid)
        }
        Err(e) => {
            srv.bgsave.last_ok = false;
            crate::log!(Warning, "Can't save in background: fork: {}", e);
            Err(e)
        }
    }
}
// ANCHOR_END: bgsave

// ANCHOR: bgsave_done
/// serverCron saw the BGSAVE child end.
pub fn bgsave_done(srv: &mut Server, exit: &Exit) {
    srv.bgsave.last_time_sec = (exit.elapsed_ms / 1000) as i64;
    srv.bgsave.last_cow_size = exit.cow_bytes;
    if exit.ok {
        crate::log!(Notice, "Background saving terminated with success");
        // Changes made while the child wrote are not in the file.
        srv.dirty_at_last_save = srv.bgsave.dirty_at_fork;
        srv.lastsave_unix = unix_ms() / 1000;
        srv.bgsave.last_ok = true;
        srv.bgsave.saves += 1;
        return;
    }
    let _ = std::fs::remove_file(rdb::temp_path(&rdb_path(srv), exit.pid as u32));
    match exit.signal {
        // SIGUSR1 is how a save is cancelled on purpose: not an error.
        Some(libc::SIGUSR1) => {
            crate::log!(
                Warning,
                "Background saving terminated by signal {}",
                libc::SIGUSR1
            )
        }
        Some(sig) => {
            crate::log!(Warning, "Background saving terminated by signal {}", sig);
            srv.bgsave.last_ok = false;
        }
        None => {
            crate::log!(Warning, "Background saving error");
            srv.bgsave.last_ok = false;
        }
    }
}
// ANCHOR_END: bgsave_done

/// How long Redis waits before retrying a save point after a failed save.
const BGSAVE_RETRY_DELAY_SECS: u64 = 5;

// ANCHOR: save_points
/// serverCron's share: start a scheduled BGSAVE, or one a save point asks
/// for ("save 60 10000": at least 10000 changes and 60 s since the last
/// save).
pub fn cron(srv: &mut Server) {
    if srv.child.is_some() {
        return;
    }
    let now = unix_ms() / 1000;
    if srv.bgsave.scheduled {
        let _ = bgsave(srv);
        return;
    }
    let changes = srv.dirty - srv.dirty_at_last_save;
    let since_save = now.saturating_sub(srv.lastsave_unix);
    let may_retry = srv.bgsave.last_ok
        || now.saturating_sub(srv.bgsave.last_try_unix) > BGSAVE_RETRY_DELAY_SECS;
    let due = srv
        .config
        .save
        .iter()
        .find(|r| changes >= r.changes && since_save > r.seconds && may_retry)
        .copied();
    if let Some(rule) = due {
        crate::log!(
            Notice,
            "{} changes in {} seconds. Saving...",
            rule.changes,
            rule.seconds
        );
        let _ = bgsave(srv);
    }
}
// ANCHOR_END: save_points

/// Invariant 3: the MISCONF refusal, or None when writes may go on.
pub fn writes_refused(srv: &Server) -> Option<String> {
    if srv.config.stop_writes_on_bgsave_error && !srv.config.save.is_empty() && !srv.bgsave.last_ok
    {
        return Some("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.".to_string());
    }
    if let Some(e) = &srv.aof.last_write_error {
        return Some(format!("MISCONF Errors writing to the AOF file: {e}"));
    }
    None
}

/// Logs the AUX fields Redis logs, and progress on long loads. At
/// start-up it also keeps the server answering (`serve`).
struct LoadLog<'a> {
    now_ms: u64,
    last_progress: Instant,
    serve: Option<Serving<'a>>,
}

/// The server and its event loop, for answering clients while loading.
pub struct Serving<'a> {
    pub srv: &'a mut Server,
    pub el: &'a mut EventLoop,
    pub last: Instant,
}

impl Serving<'_> {
    // ANCHOR: serve_while_loading
    /// Redis's processEventsWhileBlocked: at most every 100 ms during a
    /// long load, one pass of the event loop without waiting, so clients
    /// can connect and get `-LOADING` (or run the few commands flagged
    /// `loading`, like INFO) instead of hanging.
    pub fn tick(&mut self) {
        if self.last.elapsed().as_millis() < 100 {
            return;
        }
        self.last = Instant::now();
        self.el.poll_immediately();
        self.el.run_once(self.srv);
    }
    // ANCHOR_END: serve_while_loading
}

impl LoadObserver for LoadLog<'_> {
    fn aux(&mut self, _offset: u64, key: &[u8], value: &[u8]) {
        let text = String::from_utf8_lossy(value);
        match key {
            b"redis-ver" => crate::log!(Notice, "Loading RDB produced by version {}", text),
            b"ctime" => {
                if let Ok(ctime) = text.parse::<i64>() {
                    let age = (self.now_ms / 1000) as i64 - ctime;
                    crate::log!(Notice, "RDB age {} seconds", age.max(0));
                }
            }
            b"used-mem" => {
                if let Ok(mem) = text.parse::<u64>() {
                    crate::log!(
                        Notice,
                        "RDB memory usage when created {:.2} Mb",
                        mem as f64 / (1024.0 * 1024.0)
                    );
                }
            }
            _ => {}
        }
    }

    fn progress(&mut self, keys: u64, offset: u64) {
        if let Some(serve) = self.serve.as_mut() {
            serve.tick();
        }
        // Real Redis: serves -LOADING replies between chunks here
        // (processEventsWhileBlocked); we log every few seconds.
        if self.last_progress.elapsed().as_secs() >= 2 {
            self.last_progress = Instant::now();
            crate::log!(
                Notice,
                "Loading RDB: {} keys read, {:.2} MB",
                keys,
                offset as f64 / (1024.0 * 1024.0)
            );
        }
    }
}

/// Loads the RDB file into the (empty) databases, logging like Redis.
pub fn load(srv: &mut Server, opts: &LoadOptions) -> Result<LoadStats, RdbError> {
    let path = rdb_path(srv);
    let start = Instant::now();
    let mut log = LoadLog {
        now_ms: opts.now_ms,
        last_progress: Instant::now(),
        serve: None,
    };
    let stats = rdb::load_file(&path, &mut srv.dbs, opts, &mut log)?;
    log_loaded(&stats, start);
    Ok(stats)
}

fn log_loaded(stats: &LoadStats, start: Instant) {
    if stats.empty_keys_skipped > 0 {
        crate::log!(
            Notice,
            "Done loading RDB, keys loaded: {}, keys expired: {}, empty keys skipped: {}.",
            stats.keys_loaded,
            stats.keys_expired,
            stats.empty_keys_skipped
        );
    } else {
        crate::log!(
            Notice,
            "Done loading RDB, keys loaded: {}, keys expired: {}.",
            stats.keys_loaded,
            stats.keys_expired
        );
    }
    if stats.checksum.is_none() && stats.rdb_version >= 5 {
        crate::log!(
            Warning,
            "RDB file was saved with checksum disabled: no check performed."
        );
    }
    crate::log!(
        Notice,
        "DB loaded from disk: {:.3} seconds",
        start.elapsed().as_secs_f64()
    );
}

// ANCHOR: load_at_startup
/// Start-up: loads `dir`/`dbfilename` if it exists (`Ok(None)` if not).
/// A bad file stops the server (invariant 2): the caller exits with
/// status 1 on `Err`, after the reason has been logged.
pub fn load_at_startup(
    srv: &mut Server,
    el: &mut EventLoop,
) -> Result<Option<LoadStats>, RdbError> {
    let path = rdb_path(srv);
    if !path.exists() {
        return Ok(None);
    }
    let opts = load_options(srv);
    // The file loads into databases of its own while the server's stay
    // empty and answer clients with -LOADING; then the two swap.
    let mut loaded: Vec<crate::db::Db> = (0..srv.dbs.len()).map(crate::db::Db::new).collect();
    let start = Instant::now();
    srv.loading = true;
    let result = {
        let mut log = LoadLog {
            now_ms: opts.now_ms,
            last_progress: Instant::now(),
            serve: Some(Serving {
                srv: &mut *srv,
                el,
                last: Instant::now(),
            }),
        };
        rdb::load_file(&path, &mut loaded, &opts, &mut log)
    };
    srv.loading = false;
    if result.is_ok() {
        std::mem::swap(&mut srv.dbs, &mut loaded);
        // The loaded databases were made here: give them the server's
        // keyspace-event tracking.
        super::notify::sync_track_new(srv);
    }
    match result {
        Ok(stats) => {
            log_loaded(&stats, start);
            Ok(Some(stats))
        }
        Err(e) => {
            crate::log!(
                Warning,
                "Bad RDB file {} at offset {}: {}",
                path.display(),
                e.offset,
                e.reason
            );
            crate::log!(
                Warning,
                "Terminating server after rdb file reading failure."
            );
            Err(e)
        }
    }
}
// ANCHOR_END: load_at_startup

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save (unless NOSAVE), empty
/// the databases (unless NOFLUSH), load the file back (MERGE lets keys
/// in the file replace existing ones).
pub fn debug_reload(
    srv: &mut Server,
    save_first: bool,
    flush: bool,
    merge: bool,
) -> Result<(), String> {
    if save_first {
        save(srv).map_err(|_| "ERR".to_string())?;
    }
    if flush {
        for db in srv.dbs.iter_mut() {
            db.clear();
        }
    }
    let mut opts = load_options(srv);
    opts.allow_duplicates = merge;
    if let Err(e) = load(srv, &opts) {
        crate::log!(
            Warning,
            "Bad RDB file {} at offset {}: {}",
            rdb_path(srv).display(),
            e.offset,
            e.reason
        );
        for db in srv.dbs.iter_mut() {
            db.clear();
        }
        return Err("ERR Error trying to load the RDB dump, check server logs.".to_string());
    }
    crate::log!(Warning, "DB reloaded by DEBUG RELOAD");
    Ok(())
}
