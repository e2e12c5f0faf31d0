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
//! Not here: the format (persist/rdb), BGSAVE and save points (forked
//! children, cron), the commands' argument parsing (cmd/).

use super::{unix_ms, Server};
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
    match rdb::save_to_file(&rdb_path(srv), &srv.dbs, &opts) {
        Ok(stats) => {
            crate::log!(Notice, "DB saved on disk");
            srv.lastsave_unix = unix_ms() / 1000;
            Ok(stats)
        }
        Err(e) => {
            crate::log!(Warning, "{}", e.message);
            Err(e.message)
        }
    }
}
// ANCHOR_END: save

/// Logs the AUX fields Redis logs, and progress on long loads.
struct LoadLog {
    now_ms: u64,
    last_progress: Instant,
}

impl LoadObserver for LoadLog {
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
    };
    let stats = rdb::load_file(&path, &mut srv.dbs, opts, &mut log)?;
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
    Ok(stats)
}

// ANCHOR: load_at_startup
/// Start-up: loads `dir`/`dbfilename` if it exists (`Ok(None)` if not).
/// A bad file stops the server (invariant 2): the caller exits with
/// status 1 on `Err`, after the reason has been logged.
pub fn load_at_startup(srv: &mut Server) -> Result<Option<LoadStats>, RdbError> {
    let path = rdb_path(srv);
    if !path.exists() {
        return Ok(None);
    }
    let opts = load_options(srv);
    match load(srv, &opts) {
        Ok(stats) => Ok(Some(stats)),
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
