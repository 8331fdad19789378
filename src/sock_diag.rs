//! Listening sockets through netlink `sock_diag` (INET_DIAG), the way `ss`
//! reads them: the kernel answers with binary records of just the sockets in
//! the states asked for, where `/proc/net/tcp*` makes it format every socket of
//! the host as text (about 40 % of a process check's cpu on a busy host).
//!
//! [`listeners`] asks for TCP sockets in LISTEN and UDP sockets in CLOSE (bound,
//! unconnected) over IPv4 and IPv6, of the transports asked for (a TCP-only
//! check never has the kernel walk the UDP tables). Where netlink is not allowed (a seccomp
//! filter, an old container runtime), [`crate::procs::listeners`] falls back to
//! `/proc/net`.

use crate::procs::{Listener, Protocol};
use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_DUMP, NLM_F_REQUEST,
};
use netlink_packet_sock_diag::{
    constants::{AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP},
    inet::{ExtensionFlags, InetRequest, SocketId, StateFlags},
    SockDiagMessage,
};
use netlink_sys::{protocols::NETLINK_SOCK_DIAG, Socket, SocketAddr};
use std::io;

/// Every listening TCP socket and bound, unconnected UDP socket of the
/// `transports` given, v4 and v6.
pub fn listeners(transports: &[Protocol]) -> io::Result<Vec<Listener>> {
    let mut socket = Socket::new(NETLINK_SOCK_DIAG)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;
    let mut out = Vec::new();
    for (family, protocol, states) in [
        (AF_INET, IPPROTO_TCP, StateFlags::LISTEN),
        (AF_INET6, IPPROTO_TCP, StateFlags::LISTEN),
        (AF_INET, IPPROTO_UDP, StateFlags::CLOSE),
        (AF_INET6, IPPROTO_UDP, StateFlags::CLOSE),
    ] {
        let transport = if protocol == IPPROTO_TCP {
            Protocol::Tcp
        } else {
            Protocol::Udp
        };
        if transports.contains(&transport) {
            dump(&socket, family, protocol, states, &mut out)?;
        }
    }
    Ok(out)
}

fn dump(
    socket: &Socket,
    family: u8,
    protocol: u8,
    states: StateFlags,
    out: &mut Vec<Listener>,
) -> io::Result<()> {
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    let socket_id = if family == AF_INET {
        SocketId::new_v4()
    } else {
        SocketId::new_v6()
    };
    let mut request = NetlinkMessage::new(
        header,
        SockDiagMessage::InetRequest(InetRequest {
            family,
            protocol,
            extensions: ExtensionFlags::empty(),
            states,
            socket_id,
        })
        .into(),
    );
    request.finalize();
    let mut buf = vec![0; request.buffer_len()];
    request.serialize(&mut buf);
    socket.send(&buf, 0)?;

    let transport = if protocol == IPPROTO_TCP {
        Protocol::Tcp
    } else {
        Protocol::Udp
    };
    let mut receive = vec![0u8; 64 * 1024];
    loop {
        let size = socket.recv(&mut &mut receive[..], 0)?;
        if size == 0 {
            return Err(io::Error::other("netlink closed the dump early"));
        }
        let mut offset = 0;
        while offset < size {
            let message = NetlinkMessage::<SockDiagMessage>::deserialize(&receive[offset..size])
                .map_err(|e| io::Error::other(format!("bad sock_diag record: {e}")))?;
            let length = message.header.length as usize;
            match message.payload {
                NetlinkPayload::InnerMessage(SockDiagMessage::InetResponse(response)) => {
                    let id = &response.header.socket_id;
                    // A bound UDP socket that is not connected has no peer port.
                    if transport == Protocol::Tcp || id.destination_port == 0 {
                        out.push(Listener {
                            protocol: transport,
                            address: id.source_address,
                            port: id.source_port,
                            inode: u64::from(response.header.inode),
                        });
                    }
                }
                NetlinkPayload::Done(_) => return Ok(()),
                NetlinkPayload::Error(e) => return Err(e.to_io()),
                _ => {}
            }
            if length == 0 {
                break;
            }
            offset += length;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_this_test_opens_is_listed_as_procfs_lists_it() {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let udp = std::net::UdpSocket::bind("[::1]:0").unwrap();
        let tcp_port = tcp.local_addr().unwrap().port();
        let udp_port = udp.local_addr().unwrap().port();
        let both = [Protocol::Tcp, Protocol::Udp];
        let mut netlink = listeners(&both).expect("sock_diag answers on this machine");
        let mut procfs = crate::procs::listeners_from_proc(&both).unwrap();
        let key = |l: &Listener| (l.port, l.inode, l.address, l.protocol == Protocol::Tcp);
        for list in [&netlink, &procfs] {
            assert!(list
                .iter()
                .any(|l| l.port == tcp_port && l.protocol == Protocol::Tcp));
            assert!(list
                .iter()
                .any(|l| l.port == udp_port && l.protocol == Protocol::Udp));
        }
        // The two sources agree on our sockets (others may come and go meanwhile).
        netlink.retain(|l| [tcp_port, udp_port].contains(&l.port));
        procfs.retain(|l| [tcp_port, udp_port].contains(&l.port));
        netlink.sort_by_key(key);
        procfs.sort_by_key(key);
        assert_eq!(netlink, procfs);
        // TCP only: no UDP socket listed.
        let tcp_only = listeners(&[Protocol::Tcp]).unwrap();
        assert!(tcp_only.iter().any(|l| l.port == tcp_port));
        assert!(tcp_only.iter().all(|l| l.protocol == Protocol::Tcp));
    }
}
