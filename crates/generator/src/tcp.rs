//! A simulated TCP connection: both endpoints' sequence state, so that every
//! segment carries the sequence and acknowledgement numbers a real exchange
//! would (RFC 9293 §3.4). Analysers flag captures with inconsistent numbers
//! as retransmissions or lost segments, which would pollute every demo.

use crate::frame::{tcp_flags, tcp_frame, Path, TcpHeader};

/// Direction of a segment relative to the side that opened the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    ToServer,
    ToClient,
}

/// One endpoint's parameters at connection setup.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    /// Addressing for segments this peer sends.
    pub path: Path,
    pub port: u16,
    /// Initial sequence number (RFC 9293 §3.4.1: must be unpredictable).
    pub isn: u32,
    /// Advertised receive window (no window scaling is negotiated).
    pub window: u16,
    /// Maximum segment size this peer can receive (announced in its SYN).
    pub mss: u16,
    /// Whether this peer offers SACK in its SYN (RFC 2018).
    pub sack_permitted: bool,
}

#[derive(Debug, Clone)]
struct Side {
    peer: Peer,
    /// SND.NXT: the sequence number of the next byte this side sends.
    next_seq: u32,
}

/// A connection between a client (active opener) and a server.
#[derive(Debug, Clone)]
pub struct TcpConn {
    client: Side,
    server: Side,
}

impl TcpConn {
    pub fn new(client: Peer, server: Peer) -> Self {
        Self {
            client: Side {
                next_seq: client.isn,
                peer: client,
            },
            server: Side {
                next_seq: server.isn,
                peer: server,
            },
        }
    }

    /// The client's SYN, announcing its MSS and (for PC stacks) SACK.
    pub fn syn(&mut self, buf: &mut Vec<u8>) {
        let (options, len) = syn_options(self.client.peer.mss, self.client.peer.sack_permitted);
        let side = &mut self.client;
        let header = TcpHeader {
            src_port: side.peer.port,
            dst_port: self.server.peer.port,
            seq: side.peer.isn,
            ack: 0,
            flags: tcp_flags::SYN,
            window: side.peer.window,
            options: options.get(..len).unwrap_or_default(),
        };
        tcp_frame(buf, &mut side.peer.path, &header, &[]);
        side.next_seq = side.peer.isn.wrapping_add(1);
    }

    /// The server's SYN-ACK; SACK is only echoed when the client offered it.
    pub fn syn_ack(&mut self, buf: &mut Vec<u8>) {
        let sack = self.server.peer.sack_permitted && self.client.peer.sack_permitted;
        let (options, len) = syn_options(self.server.peer.mss, sack);
        let side = &mut self.server;
        let header = TcpHeader {
            src_port: side.peer.port,
            dst_port: self.client.peer.port,
            seq: side.peer.isn,
            ack: self.client.next_seq,
            flags: tcp_flags::SYN | tcp_flags::ACK,
            window: side.peer.window,
            options: options.get(..len).unwrap_or_default(),
        };
        tcp_frame(buf, &mut side.peer.path, &header, &[]);
        side.next_seq = side.peer.isn.wrapping_add(1);
    }

    /// A pure acknowledgement (also the third step of the handshake).
    pub fn ack(&mut self, buf: &mut Vec<u8>, dir: Dir) {
        self.segment(buf, dir, tcp_flags::ACK, &[]);
    }

    /// FIN|ACK: FIN occupies one sequence number (RFC 9293 §3.4).
    pub fn fin(&mut self, buf: &mut Vec<u8>, dir: Dir) {
        self.segment(buf, dir, tcp_flags::FIN | tcp_flags::ACK, &[]);
    }

    /// Any segment after the handshake: SEQ is the sender's SND.NXT and ACK
    /// acknowledges everything the receiver has sent so far.
    pub fn segment(&mut self, buf: &mut Vec<u8>, dir: Dir, flags: u8, payload: &[u8]) {
        let (sender, receiver) = match dir {
            Dir::ToServer => (&mut self.client, &self.server),
            Dir::ToClient => (&mut self.server, &self.client),
        };
        let header = TcpHeader {
            src_port: sender.peer.port,
            dst_port: receiver.peer.port,
            seq: sender.next_seq,
            ack: receiver.next_seq,
            flags,
            window: sender.peer.window,
            options: &[],
        };
        tcp_frame(buf, &mut sender.peer.path, &header, payload);
        let fin = u32::from(flags & tcp_flags::FIN != 0);
        sender.next_seq = sender
            .next_seq
            .wrapping_add(payload.len() as u32)
            .wrapping_add(fin);
    }

    /// Largest payload a segment in direction `dir` may carry: the MSS the
    /// receiver announced in its SYN.
    pub fn max_segment(&self, dir: Dir) -> usize {
        let receiver = match dir {
            Dir::ToServer => &self.server,
            Dir::ToClient => &self.client,
        };
        usize::from(receiver.peer.mss.max(1))
    }
}

/// SYN options: MSS (RFC 9293 §3.7.1), optionally NOP NOP SACK-permitted
/// (RFC 2018 §2), keeping the option block a multiple of four bytes.
fn syn_options(mss: u16, sack: bool) -> ([u8; 8], usize) {
    let [hi, lo] = mss.to_be_bytes();
    let options = [0x02, 0x04, hi, lo, 0x01, 0x01, 0x04, 0x02];
    (options, if sack { 8 } else { 4 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::tests::verify_checksums;

    const PSH_ACK: u8 = tcp_flags::PSH | tcp_flags::ACK;

    fn peer(ip: u8, port: u16, isn: u32, sack: bool) -> Peer {
        Peer {
            path: Path {
                src_mac: [0, 0, 0, 0, 0, ip],
                dst_mac: [0, 0, 0, 0, 0, 1],
                src_ip: [10, 0, 0, ip],
                dst_ip: [10, 0, 0, if ip == 2 { 3 } else { 2 }],
                ttl: 64,
                ip_id: 0,
            },
            port,
            isn,
            window: 8192,
            mss: 1460,
            sack_permitted: sack,
        }
    }

    fn seq_ack_flags(frame: &[u8]) -> (u32, u32, u8) {
        let tcp = &frame[34..];
        (
            u32::from_be_bytes([tcp[4], tcp[5], tcp[6], tcp[7]]),
            u32::from_be_bytes([tcp[8], tcp[9], tcp[10], tcp[11]]),
            tcp[13],
        )
    }

    #[test]
    fn sequence_numbers_progress_like_a_real_exchange() {
        let mut conn = TcpConn::new(
            peer(2, 50_000, 1000, true),
            peer(3, 502, u32::MAX - 1, false),
        );
        let mut buf = Vec::new();
        conn.syn(&mut buf);
        verify_checksums(&buf);
        assert_eq!(seq_ack_flags(&buf), (1000, 0, tcp_flags::SYN));
        assert_eq!(buf[46] >> 4, 7); // 20 + 8 option bytes

        conn.syn_ack(&mut buf);
        assert_eq!(
            seq_ack_flags(&buf),
            (u32::MAX - 1, 1001, tcp_flags::SYN | tcp_flags::ACK)
        );
        assert_eq!(buf[46] >> 4, 6); // MSS only: the server did not offer SACK

        conn.ack(&mut buf, Dir::ToServer);
        assert_eq!(seq_ack_flags(&buf), (1001, u32::MAX, tcp_flags::ACK));

        conn.segment(&mut buf, Dir::ToServer, PSH_ACK, &[0; 12]);
        verify_checksums(&buf);
        assert_eq!(
            seq_ack_flags(&buf),
            (1001, u32::MAX, tcp_flags::PSH | tcp_flags::ACK)
        );
        // The server's sequence space wraps around 2^32.
        conn.segment(&mut buf, Dir::ToClient, PSH_ACK, &[0; 5]);
        assert_eq!(seq_ack_flags(&buf).0, u32::MAX);
        assert_eq!(seq_ack_flags(&buf).1, 1013);

        conn.fin(&mut buf, Dir::ToServer);
        assert_eq!(
            seq_ack_flags(&buf),
            (1013, 4, tcp_flags::FIN | tcp_flags::ACK)
        );
        conn.fin(&mut buf, Dir::ToClient);
        assert_eq!(
            seq_ack_flags(&buf),
            (4, 1014, tcp_flags::FIN | tcp_flags::ACK)
        );
        conn.ack(&mut buf, Dir::ToServer);
        assert_eq!(seq_ack_flags(&buf), (1014, 5, tcp_flags::ACK));
    }

    #[test]
    fn max_segment_is_the_receivers_mss() {
        let mut server = peer(3, 80, 1, false);
        server.mss = 536;
        let conn = TcpConn::new(peer(2, 40_000, 1, true), server);
        assert_eq!(conn.max_segment(Dir::ToServer), 536);
        assert_eq!(conn.max_segment(Dir::ToClient), 1460);
    }
}
