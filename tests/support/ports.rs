//! Free loopback ports for the servers the tests start.
//!
//! A port is found by binding port 0 and closing the socket again, so two
//! callers can be handed the same port by the kernel; tests run in parallel
//! threads of one process, so each port is handed out once per process. A port
//! is free for TCP and UDP on 127.0.0.1 and, where IPv6 is up, on ::1 (SIP
//! listens on both transports, stand-in daemons on both families).
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::net::{TcpListener, UdpSocket};
use std::sync::Mutex;

pub fn free_port() -> u16 {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    let ipv6 = TcpListener::bind("[::1]:0").is_ok();
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("bind a loopback port")
            .local_addr()
            .unwrap()
            .port();
        let free = UdpSocket::bind(("127.0.0.1", port)).is_ok()
            && (!ipv6 || TcpListener::bind(("::1", port)).is_ok());
        if free && GIVEN.lock().unwrap_or_else(|e| e.into_inner()).insert(port) {
            return port;
        }
    }
}
