//! Listening sockets: TCP on each `bind` address at `port`, and the
//! optional `unixsocket`.
//!
//! Chapter: chapters/03-clients.md
//!
//! We create TCP listeners with raw `socket`/`bind`/`listen` calls rather
//! than `std::net::TcpListener::bind` because std hides the listen backlog
//! (`tcp-backlog`) and the IPv6-only option Redis sets.
//!
//! Invariants:
//! 1. Every listener is non-blocking and registered READABLE in the event
//!    loop; accepting never blocks the loop.
//! 2. `port 0` opens no TCP listener at all (Redis's meaning), and an
//!    address written with a leading `-` is optional: failing to bind it is
//!    logged, not fatal.
//!
//! Not here: accepting and serving connections (`networking.rs`).

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::os::unix::io::{AsRawFd, FromRawFd, RawFd};
use std::os::unix::net::UnixListener;

use super::Server;
use crate::event::{EventLoop, READABLE};

pub enum Listener {
    Tcp(TcpListener, String),
    Unix(UnixListener, String),
}

impl Listener {
    pub fn fd(&self) -> RawFd {
        match self {
            Listener::Tcp(l, _) => l.as_raw_fd(),
            Listener::Unix(l, _) => l.as_raw_fd(),
        }
    }
}

/// Opens the TCP listeners for the configured `bind` and `port`. All or
/// nothing: on error the ones opened so far are dropped (closed).
fn open_tcp(srv: &Server) -> Result<Vec<Listener>, String> {
    let port = srv.config.port;
    let mut out = Vec::new();
    if port == 0 {
        return Ok(out); // invariant 2
    }
    let backlog = srv.config.tcp_backlog as i32;
    for spec in &srv.config.bind {
        let (optional, addr) = match spec.strip_prefix('-') {
            Some(a) => (true, a),
            None => (false, spec.as_str()),
        };
        let addrs = resolve(addr, port);
        if addrs.is_empty() {
            if optional {
                continue;
            }
            return Err(format!("Invalid bind address '{}'", addr));
        }
        for sa in addrs {
            match listen_tcp(sa, backlog) {
                Ok(l) => {
                    crate::log!(Notice, "Listening on {}", sa);
                    out.push(Listener::Tcp(l, sa.to_string()));
                }
                Err(e) if optional && is_unavailable(&e) => {
                    crate::log!(Verbose, "Skipping optional bind {}: {}", sa, e);
                }
                Err(e) => {
                    return Err(format!(
                        "Failed listening on port {} (tcp), aborting. ({})",
                        port, e
                    ));
                }
            }
        }
    }
    Ok(out)
}

/// CONFIG SET port/bind: opens the new TCP listeners now, so a failure can
/// be reported to the client, and hands the old ones to `sync_with_loop`,
/// which unregisters and closes them before the loop waits again.
pub fn rebind_tcp(srv: &mut Server) -> Result<(), String> {
    let fresh = open_tcp(srv).inspect_err(|e| crate::log!(Warning, "{}", e))?;
    let (old, keep): (Vec<Listener>, Vec<Listener>) = srv
        .listeners
        .drain(..)
        .partition(|l| matches!(l, Listener::Tcp(..)));
    srv.listeners = keep;
    srv.retired_listeners.extend(old);
    srv.new_listener_fds.extend(fresh.iter().map(Listener::fd));
    srv.listeners.extend(fresh);
    srv.tcp_port = srv.config.port;
    Ok(())
}

/// Brings the event loop up to date after `rebind_tcp`: the loop must
/// forget an fd before it is closed, or a reused fd number would confuse
/// its bookkeeping.
pub fn sync_with_loop(srv: &mut Server, el: &mut EventLoop) {
    for l in srv.retired_listeners.drain(..) {
        el.unregister(l.fd(), READABLE);
        // Dropping `l` closes the socket.
    }
    for fd in srv.new_listener_fds.drain(..) {
        if let Err(e) = el.register(fd, READABLE) {
            crate::log!(Warning, "Cannot watch new listener: {}", e);
        }
    }
}

/// Opens every configured listener, or explains why it could not.
pub fn open_all(srv: &mut Server, el: &mut EventLoop) -> Result<(), String> {
    let tcp = open_tcp(srv)?;
    srv.listeners.extend(tcp);
    srv.tcp_port = srv.config.port;
    if !srv.config.unixsocket.is_empty() {
        let path = srv.config.unixsocket.clone();
        let _ = std::fs::remove_file(&path);
        let l = UnixListener::bind(&path)
            .map_err(|e| format!("Failed opening Unix socket: {} ({})", path, e))?;
        if srv.config.unixsocketperm != 0 {
            use std::os::unix::fs::PermissionsExt;
            let perm = std::fs::Permissions::from_mode(srv.config.unixsocketperm);
            std::fs::set_permissions(&path, perm)
                .map_err(|e| format!("Failed setting permissions on {}: {}", path, e))?;
        }
        l.set_nonblocking(true)
            .map_err(|e| format!("Unix socket {}: {}", path, e))?;
        crate::log!(Notice, "Listening on unix socket {}", path);
        srv.listeners.push(Listener::Unix(l, path));
    }
    if srv.listeners.is_empty() {
        crate::log!(Warning, "Configured to not listen anywhere, exiting.");
        return Err("No listening sockets".to_string());
    }
    for l in &srv.listeners {
        el.register(l.fd(), READABLE)
            .map_err(|e| format!("Cannot watch listener: {}", e))?;
    }
    Ok(())
}

/// Closes listeners and removes the unix socket file (shutdown).
pub fn close_all(srv: &mut Server) {
    for l in srv.listeners.drain(..) {
        if let Listener::Unix(_, path) = &l {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// `*` means every IPv4 address, `::*` every IPv6 address (Redis syntax).
fn resolve(addr: &str, port: u16) -> Vec<SocketAddr> {
    let ip: Option<IpAddr> = match addr {
        "*" => Some(IpAddr::from([0, 0, 0, 0])),
        "::*" => Some(IpAddr::from([0u16; 8])),
        "localhost" => Some(IpAddr::from([127, 0, 0, 1])),
        a => a.parse().ok(),
    };
    ip.map(|ip| vec![SocketAddr::new(ip, port)])
        .unwrap_or_default()
}

fn is_unavailable(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EADDRNOTAVAIL) | Some(libc::EAFNOSUPPORT) | Some(libc::EPROTONOSUPPORT)
    )
}

// ANCHOR: listen_tcp
/// socket() + SO_REUSEADDR + bind() + listen(backlog), non-blocking.
fn listen_tcp(sa: SocketAddr, backlog: i32) -> io::Result<TcpListener> {
    let domain = if sa.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    };
    // SAFETY: plain syscall with constant arguments; the result is checked.
    let fd = unsafe { libc::socket(domain, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // From here on the fd is owned by `listener`, so every early return
    // closes it.
    // SAFETY: `fd` is a fresh socket we own exclusively.
    let listener = unsafe { TcpListener::from_raw_fd(fd) };
    let one: libc::c_int = 1;
    // SAFETY: `one` outlives the call and the length matches its type.
    set_opt(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, &one)?;
    if sa.is_ipv6() {
        // As Redis: a v6 socket serves v6 only; `*` covers IPv4 separately.
        set_opt(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, &one)?;
    }
    let rc = match sa {
        SocketAddr::V4(a) => {
            // SAFETY: sockaddr_in is plain data; we fill the fields we use.
            let mut s: libc::sockaddr_in = unsafe { std::mem::zeroed() };
            s.sin_family = libc::AF_INET as libc::sa_family_t;
            s.sin_port = a.port().to_be();
            s.sin_addr = libc::in_addr {
                s_addr: u32::from_ne_bytes(a.ip().octets()),
            };
            // SAFETY: pointer and length describe `s`, alive for the call.
            unsafe {
                libc::bind(
                    fd,
                    &s as *const _ as *const libc::sockaddr,
                    std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                )
            }
        }
        SocketAddr::V6(a) => {
            // SAFETY: sockaddr_in6 is plain data; we fill the fields we use.
            let mut s: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
            s.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            s.sin6_port = a.port().to_be();
            s.sin6_addr = libc::in6_addr {
                s6_addr: a.ip().octets(),
            };
            // SAFETY: pointer and length describe `s`, alive for the call.
            unsafe {
                libc::bind(
                    fd,
                    &s as *const _ as *const libc::sockaddr,
                    std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
                )
            }
        }
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a bound stream socket.
    if unsafe { libc::listen(fd, backlog) } < 0 {
        return Err(io::Error::last_os_error());
    }
    listener.set_nonblocking(true)?;
    Ok(listener)
}
// ANCHOR_END: listen_tcp

pub fn set_opt(fd: RawFd, level: i32, name: i32, value: &libc::c_int) -> io::Result<()> {
    // SAFETY: `value` points to a live c_int and the length says so.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            value as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// SO_KEEPALIVE plus the idle time before probes (`tcp-keepalive`).
pub fn set_keepalive(fd: RawFd, interval_secs: i32) {
    if interval_secs <= 0 {
        return;
    }
    let one: libc::c_int = 1;
    let _ = set_opt(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE, &one);
    #[cfg(target_os = "linux")]
    {
        let idle: libc::c_int = interval_secs;
        let _ = set_opt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, &idle);
        let intvl: libc::c_int = (interval_secs / 3).max(1);
        let _ = set_opt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, &intvl);
        let cnt: libc::c_int = 3;
        let _ = set_opt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPCNT, &cnt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_and_colon_star_mean_any_address() {
        assert_eq!(resolve("*", 1).len(), 1);
        assert!(resolve("::*", 1)[0].is_ipv6());
        assert!(resolve("not an ip", 1).is_empty());
    }

    #[test]
    fn listen_tcp_honours_the_address_and_accepts() {
        let sa: SocketAddr = "127.0.0.1:0".parse().expect("addr");
        let l = listen_tcp(sa, 16).expect("listen");
        let port = l.local_addr().expect("addr").port();
        assert!(port > 0);
        let _c = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    }
}
