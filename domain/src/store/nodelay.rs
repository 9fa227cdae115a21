//! TCP_NODELAY on the connections to PostgreSQL.
//!
//! sqlx 0.9.0 opens its sockets without TCP_NODELAY (a regression, transact-rs/sqlx#4335; the
//! fix, #4336, is merged but not yet released). Without it, a message larger than what the socket
//! takes in one write — a hand-off's routing decision with a few hundred candidates, an outbox
//! insert for a crowded queue — leaves its tail behind Nagle's algorithm until the server's
//! delayed acknowledgement, 40 ms later. Measured on loopback: a 31 KB insert in 43 ms without
//! the option, 1 ms with it.
//!
//! sqlx gives no access to its socket, so each new connection finds its own: the process's open
//! sockets whose peer is the database get the option (setting it twice is harmless). Remove this
//! module when sqlx sets the option itself again.

use std::net::SocketAddr;

/// The addresses `url`'s host resolves to, for [`set_on_sockets_to`]; empty for a Unix socket or
/// a host that does not resolve (connecting then fails with its own error).
pub(super) async fn database_addresses(url: &str) -> Vec<SocketAddr> {
    let Ok(url) = url::Url::parse(url) else {
        return Vec::new();
    };
    let Some(host) = url.host_str().filter(|host| !host.is_empty()) else {
        return Vec::new();
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = url.port().unwrap_or(5432);
    match tokio::net::lookup_host((host, port)).await {
        Ok(addresses) => addresses.collect(),
        Err(_) => Vec::new(),
    }
}

/// Sets TCP_NODELAY on every socket of this process connected to one of `peers`.
#[cfg(target_os = "linux")]
pub(super) fn set_on_sockets_to(peers: &[SocketAddr]) {
    use std::os::fd::{BorrowedFd, RawFd};
    if peers.is_empty() {
        return;
    }
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<RawFd>().ok())
        else {
            continue;
        };
        // SAFETY: the descriptor is only named in two socket calls (getpeername, setsockopt),
        // which touch no memory of ours. Were it closed meanwhile, they fail with EBADF; were its
        // number reused, the option lands on another socket to the database, which it suits too.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        let socket = socket2::SockRef::from(&fd);
        let connected_to_database = socket
            .peer_addr()
            .ok()
            .and_then(|address| address.as_socket())
            .is_some_and(|address| peers.contains(&address));
        if connected_to_database && let Err(error) = socket.set_tcp_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY on a database connection");
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub(super) fn set_on_sockets_to(_peers: &[SocketAddr]) {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::net::{TcpListener, TcpStream};

    use super::*;

    #[test]
    fn only_the_sockets_to_the_database_get_the_option() {
        let database = TcpListener::bind("127.0.0.1:0").unwrap();
        let elsewhere = TcpListener::bind("127.0.0.1:0").unwrap();
        let to_database = TcpStream::connect(database.local_addr().unwrap()).unwrap();
        let to_elsewhere = TcpStream::connect(elsewhere.local_addr().unwrap()).unwrap();
        assert!(!to_database.nodelay().unwrap());

        set_on_sockets_to(&[database.local_addr().unwrap()]);

        assert!(to_database.nodelay().unwrap());
        assert!(!to_elsewhere.nodelay().unwrap());
    }

    #[tokio::test]
    async fn the_database_addresses_come_from_the_url() {
        assert_eq!(
            database_addresses("postgres://u:p@127.0.0.1:6543/db").await,
            vec!["127.0.0.1:6543".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            database_addresses("postgres://[::1]/db").await,
            vec!["[::1]:5432".parse::<SocketAddr>().unwrap()]
        );
        assert!(
            database_addresses("postgres:///db?host=/var/run/postgresql")
                .await
                .is_empty()
        );
    }
}
