//! `oxidis-server`: read the configuration, prepare the process, serve.
//!
//! Chapter: chapters/introduction.md
//!
//! Usage is redis-server's: `oxidis-server [/path/to/redis.conf] [--directive value ...]`.
//! `oxidis-server --check-rdb FILE` checks an RDB file like redis-check-rdb.
//!
//! Not here: anything the server does once it runs (`server::run`).

use oxidis::config::{Config, ConfigEnum};

/// Every allocation is counted, so INFO `used_memory` is real.
#[global_allocator]
static ALLOC: oxidis::alloc::CountingAlloc = oxidis::alloc::CountingAlloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(first) = args.first() {
        match first.as_str() {
            "-v" | "--version" => {
                println!(
                    "oxidis server v={} (Redis {} compatible) bits={}",
                    env!("CARGO_PKG_VERSION"),
                    oxidis::server::info::REDIS_VERSION,
                    usize::BITS
                );
                return;
            }
            "--check-aof" => {
                let Some(file) = args.get(1) else {
                    eprintln!("Usage: oxidis-server --check-aof [--fix] <file.manifest|file.aof>");
                    std::process::exit(1);
                };
                let (fix, file) = match (file.as_str(), args.get(2)) {
                    ("--fix", Some(f)) => (true, f),
                    (_, Some(flag)) if flag == "--fix" => (true, file),
                    _ => (false, file),
                };
                std::process::exit(oxidis::persist::aof_load::check_main(file, fix));
            }
            "--check-rdb" => {
                // Like redis-check-rdb: a report on stdout, exit 0 if the
                // file loads cleanly, 1 otherwise.
                let Some(path) = args.get(1) else {
                    eprintln!("Usage: oxidis-server --check-rdb <rdb-file-name>");
                    std::process::exit(1);
                };
                let mut out = std::io::stdout();
                let ok =
                    oxidis::persist::rdb::check::check_file(std::path::Path::new(path), &mut out);
                std::process::exit(if ok { 0 } else { 1 });
            }
            "-h" | "--help" => {
                println!("Usage: oxidis-server [/path/to/redis.conf] [options]");
                println!("       oxidis-server -v or --version");
                println!("       oxidis-server -h or --help");
                println!("       oxidis-server --check-aof [--fix] <file.manifest|file.aof>");
                println!("       oxidis-server --check-rdb <file.rdb>");
                println!();
                println!("Examples:");
                println!("       oxidis-server (run the server with default config)");
                println!("       oxidis-server /etc/redis/6379.conf");
                println!("       oxidis-server --port 7777");
                println!("       oxidis-server /etc/myredis.conf --loglevel verbose");
                return;
            }
            _ => {}
        }
    }
    let config = match Config::from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", e);
            std::process::exit(1);
        }
    };
    std::process::exit(prepare_and_run(config));
}

fn prepare_and_run(config: Config) -> i32 {
    if let Some(level) = oxidis::log::Level::parse(config.loglevel.name()) {
        oxidis::log::set_level(level);
    }
    if let Err(e) = oxidis::log::set_file(&config.logfile) {
        eprintln!("Can't open the log file: {} ({})", config.logfile, e);
        return 1;
    }
    if !config.dir.is_empty() {
        if let Err(e) = std::env::set_current_dir(&config.dir) {
            oxidis::log!(Warning, "Can't chdir to '{}': {}", config.dir, e);
            return 1;
        }
    }
    if config.daemonize && !daemonize() {
        return 1;
    }
    if !config.pidfile.is_empty() || config.daemonize {
        let path = if config.pidfile.is_empty() {
            "/var/run/redis.pid".to_string()
        } else {
            config.pidfile.clone()
        };
        if let Err(e) = std::fs::write(&path, format!("{}\n", std::process::id())) {
            oxidis::log!(Warning, "Failed to write PID file {}: {}", path, e);
        }
    }
    if config.config_file.is_none() {
        oxidis::log!(
            Warning,
            "Warning: no config file specified, using the default config. In order to specify a config file use oxidis-server /path/to/redis.conf"
        );
    }
    oxidis::server::run(config)
}

/// Classic daemonisation: fork, let the parent
/// exit, start a new session, point stdio at /dev/null.
fn daemonize() -> bool {
    // SAFETY: called before any other thread exists, so the child has a
    // consistent copy of the whole process; the parent only exits.
    match unsafe { libc::fork() } {
        -1 => {
            eprintln!("fork failed: {}", std::io::Error::last_os_error());
            false
        }
        0 => {
            // SAFETY: setsid and dup2 on fds we own; /dev/null path is a
            // valid C string literal.
            unsafe {
                libc::setsid();
                let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
                if fd >= 0 {
                    libc::dup2(fd, 0);
                    libc::dup2(fd, 1);
                    libc::dup2(fd, 2);
                    if fd > 2 {
                        libc::close(fd);
                    }
                }
            }
            true
        }
        _ => std::process::exit(0),
    }
}
