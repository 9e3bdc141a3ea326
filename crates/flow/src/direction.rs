//! Who is the client.
//!
//! Decided once, when a flow is created, from the best evidence in its first packet:
//! 1. a TCP SYN without ACK comes from the client (`syn`);
//! 2. a TCP SYN+ACK comes from the server (`syn_ack`);
//! 3. otherwise the port heuristic below (`port`);
//! 4. otherwise the sender of the first packet is the client (`first_packet`).
//!
//! Port heuristic, in order: a port in the list of known service ports marks the server when
//! the other is not in the list; then a port below 1024 marks the server when the other is not
//! below 1024; then a port below 32768 marks the server when the other is in the ephemeral range
//! (32768 and up, the range Linux, Windows and the BSDs draw client ports from).

/// What decided which side is the client; stored in every flow so that users can judge it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DirectionSource {
    Syn,
    SynAck,
    Port,
    FirstPacket,
}

impl DirectionSource {
    pub const fn as_str(self) -> &'static str {
        match self {
            DirectionSource::Syn => "syn",
            DirectionSource::SynAck => "syn_ack",
            DirectionSource::Port => "port",
            DirectionSource::FirstPacket => "first_packet",
        }
    }
}

/// Server ports of the industrial and IT services zonewarden meets in plants.
const KNOWN_SERVICE_PORTS: &[u16] = &[
    20, 21, 22, 23, 25, 53, 67, 69, 80, 102, 110, 123, 135, 137, 138, 139, 143, 161, 162, 389, 443,
    445, 502, 514, 636, 789, 1089, 1090, 1091, 1433, 1883, 1911, 1962, 2222, 2404, 2455, 3389,
    4000, 4840, 4843, 5007, 5020, 5094, 5432, 5450, 8080, 8443, 8883, 9600, 18245, 18246, 20000,
    20547, 34962, 34963, 34964, 44818, 47808, 48898,
];

fn is_known_service(port: u16) -> bool {
    KNOWN_SERVICE_PORTS.binary_search(&port).is_ok()
}

/// Decides the client for a flow whose first packet went from `src_port` to `dst_port`.
///
/// Returns `(sender_is_client, source)`. `syn`/`syn_ack` carry the TCP flags of that packet.
pub fn decide(src_port: u16, dst_port: u16, syn: bool, ack: bool) -> (bool, DirectionSource) {
    if syn && !ack {
        return (true, DirectionSource::Syn);
    }
    if syn && ack {
        return (false, DirectionSource::SynAck);
    }
    let rules: [fn(u16) -> bool; 3] = [is_known_service, |p| p < 1024, |p| p < 32768];
    for rule in rules {
        let (src_like_server, dst_like_server) = (rule(src_port), rule(dst_port));
        // Exactly one side looks like a server (for the last rule: the other side is in the
        // ephemeral range).
        if src_like_server != dst_like_server {
            return (dst_like_server, DirectionSource::Port);
        }
    }
    (true, DirectionSource::FirstPacket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_ports_are_sorted_for_binary_search() {
        assert!(KNOWN_SERVICE_PORTS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn handshake_decides_first() {
        assert_eq!(
            decide(502, 40000, true, false),
            (true, DirectionSource::Syn)
        );
        assert_eq!(
            decide(40000, 502, true, true),
            (false, DirectionSource::SynAck)
        );
    }

    #[test]
    fn port_heuristic_finds_the_server() {
        // Response from a Modbus server picked up mid-stream.
        assert_eq!(
            decide(502, 51000, false, true),
            (false, DirectionSource::Port)
        );
        assert_eq!(
            decide(51000, 502, false, true),
            (true, DirectionSource::Port)
        );
        // Unknown low port against a high port.
        assert_eq!(
            decide(700, 40000, false, false),
            (false, DirectionSource::Port)
        );
        // Registered-range service against an ephemeral port.
        assert_eq!(
            decide(45000, 9000, false, false),
            (true, DirectionSource::Port)
        );
        // DHCP: 67 is a known service, 68 is not.
        assert_eq!(decide(68, 67, false, false), (true, DirectionSource::Port));
    }

    #[test]
    fn ties_fall_back_to_first_packet() {
        assert_eq!(
            decide(47808, 47808, false, false),
            (true, DirectionSource::FirstPacket)
        );
        assert_eq!(
            decide(50000, 50001, false, false),
            (true, DirectionSource::FirstPacket)
        );
    }
}
