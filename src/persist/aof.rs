//! The append-only file: every write, appended as the command that
//! repeats it, fsynced by policy, and compacted by rewriting in a child.
//!
//! Chapter: chapters/21-aof.md
//!
//! ```text
//!   command ran ──► propagate::flush ──► feed: RESP into `buf` (SELECT when the db changes)
//!   before_sleep ──► write(buf) to the current incr file
//!                    appendfsync always:   fsync now, then send the replies
//!                    appendfsync everysec: bio thread fsyncs, at most once a second
//!                    appendfsync no:       the kernel decides
//!   BGREWRITEAOF ──► open a new incr file (new writes go there)
//!                    fork: child writes the dataset as a new base
//!                    child done: rename base, manifest: base + new incr, delete old files
//! ```
//!
//! Invariants:
//! 1. Bytes reach the file in the order they were fed, each command whole;
//!    a write that fails leaves `buf` holding what was not written.
//! 2. With `appendfsync always`, the replies to a command are sent only
//!    after the bytes it fed were written and fsynced (`flush` runs at the
//!    start of before_sleep, before any reply is written).
//! 3. The manifest on disk always lists a loadable set of files: it is
//!    replaced atomically, and only after the files it names exist.
//! 4. `selected_db` is the db the file's reader will be in after the last
//!    byte written; a new incr file starts with no db selected.
//!
//! Not here: deciding what to feed (`server/propagate.rs`), the fork
//! (`server/child.rs`), reading the files back (`aof_load.rs`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::manifest::{FileKind, Manifest};
use crate::config::AppendFsync;
use crate::server::bio;
use crate::server::child::{self, ChildKind, Exit};
use crate::server::Server;

/// Whether the AOF is being written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Off,
    On,
    /// Turned on at run time: writes go to a fresh incr file, and the
    /// first rewrite must finish before the files describe the dataset.
    WaitRewrite,
}

pub struct Aof {
    pub status: Status,
    /// Commands fed and not yet written.
    pub buf: Vec<u8>,
    selected_db: Option<usize>,
    file: Option<Arc<File>>,
    pub manifest: Manifest,
    /// Bytes of the base and incr files (aof_current_size), and what it
    /// was after the last rewrite (aof_base_size).
    pub current_size: u64,
    pub base_size: u64,
    last_fsync_ms: u64,
    /// Bytes written since the last fsync was requested.
    unsynced: bool,
    /// When a write was first held back because an fsync was running.
    postponed_since_ms: u64,
    pub delayed_fsync: u64,
    pub last_write_error: Option<String>,
    pub rewrite_scheduled: bool,
    pub last_rewrite_ok: bool,
    pub last_rewrite_time_sec: i64,
    pub rewrites: u64,
    pub rewrite_failures_in_a_row: u64,
    pub last_cow_size: u64,
    /// The incr seq the parent opened when the running rewrite began.
    rewrite_keep_from: u64,
}

impl Aof {
    pub fn new() -> Aof {
        Aof {
            status: Status::Off,
            buf: Vec::new(),
            selected_db: None,
            file: None,
            manifest: Manifest::default(),
            current_size: 0,
            base_size: 0,
            last_fsync_ms: 0,
            unsynced: false,
            postponed_since_ms: 0,
            delayed_fsync: 0,
            last_write_error: None,
            rewrite_scheduled: false,
            last_rewrite_ok: true,
            last_rewrite_time_sec: -1,
            rewrites: 0,
            rewrite_failures_in_a_row: 0,
            last_cow_size: 0,
            rewrite_keep_from: 0,
        }
    }

    pub fn is_on(&self) -> bool {
        self.status != Status::Off
    }
}

impl Default for Aof {
    fn default() -> Self {
        Self::new()
    }
}

/// `dir`/`appenddirname`.
pub fn aof_dir(srv: &Server) -> PathBuf {
    Path::new(&srv.config.dir).join(&srv.config.appenddirname)
}

fn manifest_name(srv: &Server) -> String {
    format!("{}.manifest", srv.config.appendfilename)
}

// ---------------------------------------------------------------------------
// Feeding and writing
// ---------------------------------------------------------------------------

/// Appends `argv` as a RESP multibulk.
pub fn write_command(out: &mut Vec<u8>, argv: &[Vec<u8>]) {
    crate::resp::reply::write_array_header(out, argv.len());
    for a in argv {
        crate::resp::reply::write_bulk(out, a);
    }
}

// ANCHOR: feed
/// Appends one command, run in `db`, to the buffer (invariant 4).
pub fn feed(srv: &mut Server, db: usize, argv: &[Vec<u8>]) {
    let aof = &mut srv.aof;
    if aof.status == Status::Off {
        return;
    }
    if aof.selected_db != Some(db) {
        let n = db.to_string().into_bytes();
        write_command(&mut aof.buf, &[b"SELECT".to_vec(), n]);
        aof.selected_db = Some(db);
    }
    write_command(&mut aof.buf, argv);
}
// ANCHOR_END: feed

// ANCHOR: flush
/// Writes the buffer and fsyncs by policy; runs at the start of every
/// before_sleep (invariant 2) and from cron (`force` on shutdown).
pub fn flush(srv: &mut Server, force: bool) {
    let now = srv.now_ms;
    let policy = srv.config.appendfsync;
    let aof = &mut srv.aof;
    let Some(file) = aof.file.clone() else {
        return;
    };
    if aof.buf.is_empty() {
        // Nothing new; everysec still owes an fsync for older writes.
        if policy == AppendFsync::EverySec
            && aof.unsynced
            && now.saturating_sub(aof.last_fsync_ms) >= 1000
            && bio::pending_fsyncs() == 0
        {
            aof.unsynced = false;
            aof.last_fsync_ms = now;
            bio::submit(bio::Job::Fsync(file));
        }
        return;
    }
    if policy == AppendFsync::EverySec && !force && bio::pending_fsyncs() > 0 {
        // A write(2) now would queue behind the running fsync in the
        // kernel and stall the event loop: hold it back up to 2 s.
        if aof.postponed_since_ms == 0 {
            aof.postponed_since_ms = now;
            return;
        }
        if now - aof.postponed_since_ms < 2000 {
            return;
        }
        aof.delayed_fsync += 1;
        crate::log!(Notice, "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.");
    }
    aof.postponed_since_ms = 0;
    match (&*file).write_all(&aof.buf) {
        Ok(()) => {
            aof.current_size += aof.buf.len() as u64;
            aof.buf.clear();
            if aof.buf.capacity() > 4 * 1024 * 1024 {
                aof.buf = Vec::new();
            }
            if aof.last_write_error.take().is_some() {
                crate::log!(
                    Warning,
                    "AOF write error looks solved, Redis can write again."
                );
            }
        }
        Err(e) => {
            // Invariant 1: write_all may have written a prefix; we cannot
            // know how much, so (as Redis) a partial write is an error
            // that stops writes until the next successful write.
            if aof.last_write_error.is_none() {
                crate::log!(Warning, "Error writing to the AOF file: {}", e);
            }
            aof.last_write_error = Some(e.to_string());
            if policy == AppendFsync::Always {
                crate::log!(Warning, "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
                std::process::exit(1);
            }
            return;
        }
    }
    aof.unsynced = true;
    let skip_for_child = srv.config.no_appendfsync_on_rewrite && srv.child.is_some();
    let aof = &mut srv.aof;
    if skip_for_child {
        return;
    }
    match policy {
        AppendFsync::Always => {
            if let Err(e) = file.sync_data() {
                crate::log!(Warning, "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. Exiting...", e);
                std::process::exit(1);
            }
            aof.unsynced = false;
            aof.last_fsync_ms = now;
        }
        AppendFsync::EverySec => {
            if now.saturating_sub(aof.last_fsync_ms) >= 1000 && bio::pending_fsyncs() == 0 {
                aof.unsynced = false;
                aof.last_fsync_ms = now;
                bio::submit(bio::Job::Fsync(file));
            }
        }
        AppendFsync::No => {}
    }
}
// ANCHOR_END: flush

// ---------------------------------------------------------------------------
// Files and the manifest
// ---------------------------------------------------------------------------

/// Writes the manifest atomically (invariant 3): temp file, fsync, rename,
/// fsync the directory.
pub fn persist_manifest(srv: &Server) -> io::Result<()> {
    let dir = aof_dir(srv);
    let name = manifest_name(srv);
    let tmp = dir.join(format!("temp-{name}"));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(srv.aof.manifest.to_text().as_bytes())?;
        f.sync_all()?;
    }
    fs::rename(&tmp, dir.join(&name))?;
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// Opens a new incr file, makes it current and records it in the manifest.
fn open_new_incr(srv: &mut Server) -> io::Result<()> {
    let dir = aof_dir(srv);
    let prefix = srv.config.appendfilename.clone();
    let mut m = srv.aof.manifest.clone();
    let name = m.new_incr(&prefix);
    let f = open_append(&dir.join(&name))?;
    srv.aof.manifest = m;
    persist_manifest(srv)?;
    if let Some(old) = srv.aof.file.replace(Arc::new(f)) {
        bio::submit(bio::Job::Close(old));
    }
    srv.aof.selected_db = None; // invariant 4
    Ok(())
}

/// Sum of the sizes of the live files.
fn files_size(srv: &Server) -> u64 {
    let dir = aof_dir(srv);
    srv.aof
        .manifest
        .load_order()
        .iter()
        .filter_map(|f| fs::metadata(dir.join(&f.name)).ok())
        .map(|m| m.len())
        .sum()
}

// ANCHOR: open_on_start
/// Start-up with `appendonly yes`, after loading: makes sure there is an
/// AOF directory, a manifest and an incr file to append to.
pub fn open_on_start(srv: &mut Server) -> io::Result<()> {
    let dir = aof_dir(srv);
    fs::create_dir_all(&dir)?;
    if srv.aof.manifest.incrs.is_empty() {
        let name = srv
            .aof
            .manifest
            .new_incr(&srv.config.appendfilename.clone());
        crate::log!(Notice, "Creating AOF incr file {} on server start", name);
        persist_manifest(srv)?;
    }
    let last = srv
        .aof
        .manifest
        .incrs
        .last()
        .map(|f| f.name.clone())
        .unwrap_or_default();
    srv.aof.file = Some(Arc::new(open_append(&dir.join(last))?));
    srv.aof.status = Status::On;
    srv.aof.selected_db = None;
    srv.aof.current_size = files_size(srv);
    srv.aof.base_size = srv.aof.current_size;
    Ok(())
}
// ANCHOR_END: open_on_start

/// CONFIG SET appendonly yes: start a rewrite that writes the dataset as
/// the first base; writes go to a new incr file meanwhile.
pub fn turn_on(srv: &mut Server) -> Result<(), String> {
    if srv.aof.is_on() {
        return Ok(());
    }
    fs::create_dir_all(aof_dir(srv)).map_err(|e| e.to_string())?;
    if srv.child.as_ref().is_some_and(|c| c.kind == ChildKind::Rdb) {
        // The AOF child must wait for the RDB child: schedule it.
        srv.aof.status = Status::WaitRewrite;
        srv.aof.rewrite_scheduled = true;
        open_new_incr(srv).map_err(|e| e.to_string())?;
        return Ok(());
    }
    srv.aof.status = Status::WaitRewrite;
    if let Err(e) = rewrite_background(srv) {
        srv.aof.status = Status::Off;
        srv.aof.file = None;
        return Err(e);
    }
    Ok(())
}

/// CONFIG SET appendonly no: flush what is buffered, stop writing.
pub fn turn_off(srv: &mut Server) {
    if !srv.aof.is_on() {
        return;
    }
    flush(srv, true);
    if let Some(f) = srv.aof.file.take() {
        let _ = f.sync_data();
    }
    if srv.child.as_ref().is_some_and(|c| c.kind == ChildKind::Aof) {
        if let Some(exit) = child::kill(srv) {
            remove_temp_rewrite(srv, exit.pid);
        }
    }
    srv.aof.status = Status::Off;
    srv.aof.rewrite_scheduled = false;
    srv.aof.buf.clear();
    srv.aof.selected_db = None;
}

/// Flush and fsync everything (SHUTDOWN).
pub fn flush_for_shutdown(srv: &mut Server) {
    if !srv.aof.is_on() {
        return;
    }
    flush(srv, true);
    if let Some(f) = &srv.aof.file {
        let _ = f.sync_data();
    }
    bio::drain();
}

// ---------------------------------------------------------------------------
// Rewrite
// ---------------------------------------------------------------------------

fn temp_rewrite_path(srv: &Server, pid: i32) -> PathBuf {
    aof_dir(srv).join(format!("temp-rewriteaof-bg-{pid}.aof"))
}

fn remove_temp_rewrite(srv: &Server, pid: i32) {
    let _ = fs::remove_file(temp_rewrite_path(srv, pid));
}

// ANCHOR: rewrite_background
/// BGREWRITEAOF: a new incr file for the writes from now on, and a child
/// that writes the dataset as of now into a temp file.
pub fn rewrite_background(srv: &mut Server) -> Result<i32, String> {
    if srv.child.is_some() {
        return Err("child process already running".to_string());
    }
    fs::create_dir_all(aof_dir(srv)).map_err(|e| e.to_string())?;
    flush(srv, true);
    if srv.aof.is_on() {
        open_new_incr(srv).map_err(|e| format!("can't open a new incr AOF file: {e}"))?;
        srv.aof.rewrite_keep_from = srv.aof.manifest.incr_seq;
    } else {
        // Off: the new base replaces everything there was.
        srv.aof.rewrite_keep_from = srv.aof.manifest.incr_seq + 1;
    }
    let dir = aof_dir(srv);
    let preamble = srv.config.aof_use_rdb_preamble && super::rewrite::RDB_PREAMBLE_AVAILABLE;
    let pid = child::fork_child(srv, ChildKind::Aof, |srv| {
        let path = dir.join(format!("temp-rewriteaof-bg-{}.aof", std::process::id()));
        write_base_file(srv, &path, preamble).is_ok()
    })?;
    srv.aof.rewrite_scheduled = false;
    crate::log!(
        Notice,
        "Background append only file rewriting started by pid {}",
        pid
    );
    Ok(pid)
}
// ANCHOR_END: rewrite_background

/// Writes the whole dataset to `path` and fsyncs it: in a forked child,
/// or synchronously at start-up.
pub fn write_base_file(srv: &Server, path: &Path, rdb_preamble: bool) -> io::Result<()> {
    let f = File::create(path)?;
    let mut w = io::BufWriter::with_capacity(1 << 16, f);
    if rdb_preamble {
        super::rewrite::write_rdb_preamble(&mut w, srv)?;
    } else {
        super::rewrite::write_commands(&mut w, &srv.dbs, crate::server::unix_ms())?;
    }
    let f = w.into_inner().map_err(|e| e.into_error())?;
    f.sync_all()
}

// ANCHOR: rewrite_done
/// serverCron saw the rewrite child end: install its base, or clean up.
pub fn rewrite_done(srv: &mut Server, exit: &Exit) {
    srv.aof.last_rewrite_time_sec = (exit.elapsed_ms / 1000) as i64;
    srv.aof.last_cow_size = exit.cow_bytes;
    let temp = temp_rewrite_path(srv, exit.pid);
    if !exit.ok {
        remove_temp_rewrite(srv, exit.pid);
        srv.aof.last_rewrite_ok = false;
        srv.aof.rewrite_failures_in_a_row += 1;
        match exit.signal {
            Some(sig) => crate::log!(
                Warning,
                "Background AOF rewrite terminated by signal {}",
                sig
            ),
            None => crate::log!(Warning, "Background AOF rewrite terminated with error"),
        }
        return;
    }
    let dir = aof_dir(srv);
    let prefix = srv.config.appendfilename.clone();
    let seq = srv.aof.manifest.base_seq + 1;
    let rdb = srv.config.aof_use_rdb_preamble && super::rewrite::RDB_PREAMBLE_AVAILABLE;
    let base_name = Manifest::base_name(&prefix, seq, rdb);
    let installed = fs::rename(&temp, dir.join(&base_name)).and_then(|_| {
        let mut m = srv.aof.manifest.clone();
        m.install_base(base_name.clone(), seq, srv.aof.rewrite_keep_from);
        let old = std::mem::replace(&mut srv.aof.manifest, m);
        persist_manifest(srv).inspect_err(|_| srv.aof.manifest = old)
    });
    if let Err(e) = installed {
        crate::log!(
            Warning,
            "Error installing the rewritten AOF base file: {}",
            e
        );
        remove_temp_rewrite(srv, exit.pid);
        srv.aof.last_rewrite_ok = false;
        srv.aof.rewrite_failures_in_a_row += 1;
        return;
    }
    // History files are no longer listed as live: delete them.
    let history = std::mem::take(&mut srv.aof.manifest.history);
    for f in &history {
        if f.kind == FileKind::History {
            let _ = fs::remove_file(dir.join(&f.name));
        }
    }
    let _ = persist_manifest(srv);
    srv.aof.current_size = files_size(srv);
    srv.aof.base_size = srv.aof.current_size;
    srv.aof.last_rewrite_ok = true;
    srv.aof.rewrite_failures_in_a_row = 0;
    srv.aof.rewrites += 1;
    if srv.aof.status == Status::WaitRewrite {
        srv.aof.status = Status::On;
    }
    crate::log!(Notice, "Background AOF rewrite terminated with success");
    crate::log!(Notice, "Background AOF rewrite finished successfully");
}
// ANCHOR_END: rewrite_done

// ANCHOR: cron
/// serverCron's share: the everysec fsync, scheduled and automatic
/// rewrites.
pub fn cron(srv: &mut Server) {
    if !srv.aof.is_on() {
        return;
    }
    flush(srv, false);
    if srv.child.is_some() {
        return;
    }
    if srv.aof.rewrite_scheduled {
        if let Err(e) = rewrite_background(srv) {
            crate::log!(
                Warning,
                "Can't rewrite append only file in background: {}",
                e
            );
        }
        return;
    }
    let pct = srv.config.auto_aof_rewrite_percentage;
    let aof = &srv.aof;
    if aof.status == Status::On
        && pct > 0
        && aof.current_size > srv.config.auto_aof_rewrite_min_size
    {
        let base = aof.base_size.max(1);
        let growth = (aof.current_size.saturating_sub(base)) * 100 / base;
        if growth >= pct {
            crate::log!(
                Notice,
                "Starting automatic rewriting of AOF on {}% growth",
                growth
            );
            if let Err(e) = rewrite_background(srv) {
                crate::log!(
                    Warning,
                    "Can't rewrite append only file in background: {}",
                    e
                );
            }
        }
    }
}
// ANCHOR_END: cron

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_selects_the_db_once_and_writes_resp() {
        let mut srv = Server::new(crate::config::Config::default());
        srv.aof.status = Status::On;
        feed(
            &mut srv,
            0,
            &[b"SET".to_vec(), b"k".to_vec(), b"v".to_vec()],
        );
        feed(&mut srv, 0, &[b"DEL".to_vec(), b"k".to_vec()]);
        feed(&mut srv, 3, &[b"DEL".to_vec(), b"x".to_vec()]);
        assert_eq!(
            String::from_utf8_lossy(&srv.aof.buf),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n\
             *2\r\n$3\r\nDEL\r\n$1\r\nk\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*2\r\n$3\r\nDEL\r\n$1\r\nx\r\n"
        );
    }

    #[test]
    fn nothing_is_fed_while_off() {
        let mut srv = Server::new(crate::config::Config::default());
        feed(&mut srv, 0, &[b"SET".to_vec()]);
        assert!(srv.aof.buf.is_empty());
    }
}
