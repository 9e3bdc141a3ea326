//! One MQTT connection: framing per direction, the protocol level from CONNECT, requests
//! paired with their acknowledgements, facts about the client (identifier, whether credentials
//! travel in clear) and a capped sample of the topics used.

use super::parser::{Event, Framer};
use super::pdu::{Ack, Connect, FixedHeader, Publish, Subscribe};
use super::types::{connack_v3_name, packet_name, protocol_level_name, reason_name, PacketType};
use crate::{MessageKind, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

/// Requests awaiting acknowledgement per connection (QoS 1/2 flows, subscriptions, pings).
/// Brokers limit in-flight messages (5.0 Receive Maximum defaults to 65535, typical clients use
/// tens); a peer that never acknowledges must not grow this table.
const MAX_PENDING: usize = 64;
/// Distinct topics recorded as facts about the broker per connection: a sample that shows what
/// the connection is about, not an inventory (a busy connection uses thousands).
const MAX_TOPICS: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    /// The packet type that answers.
    answer: u8,
    /// The direction of the request.
    dir: Direction,
    packet_id: u16,
}

#[derive(Debug, Default)]
pub(crate) struct MqttSession {
    to_server: Framer,
    to_client: Framer,
    /// Protocol level from CONNECT (3, 4 or 5); unknown when the capture starts later.
    level: Option<u8>,
    pending: Vec<Pending>,
    overflow_reported: bool,
    topics: Vec<Vec<u8>>,
}

pub(crate) fn operation(packet_type: u8) -> Operation {
    let (name, class) = packet_name(packet_type);
    Operation {
        protocol: Protocol::Mqtt,
        code: u16::from(packet_type),
        subcode: None,
        name,
        class,
    }
}

impl MqttSession {
    fn v5(&self) -> bool {
        self.level == Some(5)
    }

    fn expect(&mut self, p: Pending, offset: u64, out: &mut Output<'_>) {
        if self.pending.len() >= MAX_PENDING {
            self.pending.remove(0);
            if !self.overflow_reported {
                self.overflow_reported = true;
                out.anomaly(
                    p.dir,
                    offset,
                    format_args!("more than {MAX_PENDING} requests without an acknowledgement; the oldest are forgotten"),
                );
            }
        }
        self.pending.push(p);
    }

    /// Pairs an acknowledgement with its request: same packet identifier, opposite direction.
    fn answered(&mut self, answer: u8, dir: Direction, packet_id: u16) -> MessageKind {
        let request_dir = dir.reverse();
        match self
            .pending
            .iter()
            .position(|p| p.answer == answer && p.dir == request_dir && p.packet_id == packet_id)
        {
            Some(i) => {
                self.pending.remove(i);
                MessageKind::Response
            }
            None => MessageKind::UnmatchedResponse,
        }
    }

    fn topic(&mut self, topic: &[u8], out: &mut Output<'_>) {
        if topic.is_empty() || self.topics.len() >= MAX_TOPICS {
            return;
        }
        if self.topics.iter().any(|t| t == topic) {
            return;
        }
        self.topics.push(topic.to_vec());
        out.identity(
            false,
            "mqtt_topic",
            String::from_utf8_lossy(topic).into_owned(),
        );
    }

    fn packet(
        &mut self,
        dir: Direction,
        offset: u64,
        header: FixedHeader,
        body: &[u8],
        truncated: bool,
        out: &mut Output<'_>,
    ) {
        let code = header.packet_type.0;
        let op = operation(code);
        let malformed = |reason: &str, out: &mut Output<'_>| {
            out.malformed(dir, offset, format_args!("malformed {}: {reason}", op.name));
        };
        let client_only = matches!(
            code,
            PacketType::CONNECT
                | PacketType::SUBSCRIBE
                | PacketType::UNSUBSCRIBE
                | PacketType::PINGREQ
        );
        let server_only = matches!(
            code,
            PacketType::CONNACK | PacketType::SUBACK | PacketType::UNSUBACK | PacketType::PINGRESP
        );
        if (client_only && dir == Direction::ToClient)
            || (server_only && dir == Direction::ToServer)
        {
            out.anomaly(
                dir,
                offset,
                format_args!("{} sent in the wrong direction", op.name),
            );
        }
        // Identifier-based pairing: a request remembered, an answer matched.
        let (kind, exception) = match code {
            PacketType::CONNECT => {
                match Connect::parse(body) {
                    Ok(c) => {
                        self.level = Some(c.level);
                        out.identity(
                            true,
                            "mqtt_client_id",
                            String::from_utf8_lossy(c.client_id).into_owned(),
                        );
                        let credentials = match (c.username, c.password) {
                            (true, true) => "username and password in clear",
                            (true, false) => "username in clear",
                            (false, true) => "password in clear",
                            (false, false) => "none",
                        };
                        out.identity(true, "mqtt_credentials", credentials.to_string());
                        out.identity(
                            true,
                            "mqtt_version",
                            protocol_level_name(c.level).to_string(),
                        );
                    }
                    Err(reason) if !truncated => malformed(reason, out),
                    Err(_) => {}
                }
                self.pending.retain(|p| p.answer != PacketType::CONNACK);
                self.expect(
                    Pending {
                        answer: PacketType::CONNACK,
                        dir,
                        packet_id: 0,
                    },
                    offset,
                    out,
                );
                (MessageKind::Request, false)
            }
            PacketType::CONNACK => {
                let code = body.get(1).copied();
                let failed = match code {
                    Some(0) => false,
                    Some(c) => {
                        let reason = if self.v5() {
                            reason_name(c)
                        } else {
                            connack_v3_name(c)
                        };
                        out.anomaly(
                            dir,
                            offset,
                            format_args!("connection refused: {reason} ({c})"),
                        );
                        true
                    }
                    None => {
                        malformed("shorter than acknowledge flags and return code", out);
                        false
                    }
                };
                (self.answered(PacketType::CONNACK, dir, 0), failed)
            }
            PacketType::PUBLISH => {
                match Publish::parse(header.flags, body) {
                    Ok(p) => {
                        self.topic(p.topic, out);
                        if let Some(id) = p.packet_id {
                            let answer = if p.qos == 1 {
                                PacketType::PUBACK
                            } else {
                                PacketType::PUBREC
                            };
                            self.expect(
                                Pending {
                                    answer,
                                    dir,
                                    packet_id: id,
                                },
                                offset,
                                out,
                            );
                        }
                    }
                    Err(reason) => malformed(reason, out),
                }
                (MessageKind::Request, false)
            }
            PacketType::PUBREL => {
                match Ack::parse(body) {
                    Ok(a) => self.expect(
                        Pending {
                            answer: PacketType::PUBCOMP,
                            dir,
                            packet_id: a.packet_id,
                        },
                        offset,
                        out,
                    ),
                    Err(reason) => malformed(reason, out),
                }
                (MessageKind::Request, false)
            }
            PacketType::PUBACK | PacketType::PUBREC | PacketType::PUBCOMP => match Ack::parse(body)
            {
                Ok(a) => (self.answered(code, dir, a.packet_id), a.reason >= 0x80),
                Err(reason) => {
                    malformed(reason, out);
                    (MessageKind::UnmatchedResponse, false)
                }
            },
            PacketType::SUBSCRIBE | PacketType::UNSUBSCRIBE => {
                let options = code == PacketType::SUBSCRIBE;
                let parsed = match self.level {
                    Some(level) => Subscribe::parse(body, options, level == 5),
                    // Level unknown: try 3.1.1, then 5.0 (properties before the filters).
                    None => Subscribe::parse(body, options, false)
                        .or_else(|_| Subscribe::parse(body, options, true)),
                };
                match parsed {
                    Ok(s) => {
                        for filter in &s.filters {
                            self.topic(filter, out);
                        }
                        let answer = if options {
                            PacketType::SUBACK
                        } else {
                            PacketType::UNSUBACK
                        };
                        self.expect(
                            Pending {
                                answer,
                                dir,
                                packet_id: s.packet_id,
                            },
                            offset,
                            out,
                        );
                    }
                    Err(reason) if !truncated => malformed(reason, out),
                    Err(_) => {}
                }
                (MessageKind::Request, false)
            }
            PacketType::SUBACK | PacketType::UNSUBACK => {
                // 3.1.1 UNSUBACK carries no codes; 3.1.1 SUBACK fails with 0x80.
                let v5 = self.v5();
                match Ack::parse_list(body, v5) {
                    Ok(a) => {
                        let failed = (code == PacketType::SUBACK || v5) && a.reason >= 0x80;
                        (self.answered(code, dir, a.packet_id), failed)
                    }
                    Err(reason) => {
                        malformed(reason, out);
                        (MessageKind::UnmatchedResponse, false)
                    }
                }
            }
            PacketType::PINGREQ => {
                self.expect(
                    Pending {
                        answer: PacketType::PINGRESP,
                        dir,
                        packet_id: 0,
                    },
                    offset,
                    out,
                );
                (MessageKind::Request, false)
            }
            PacketType::PINGRESP => (self.answered(code, dir, 0), false),
            PacketType::DISCONNECT | PacketType::AUTH => {
                // 5.0 reason code; absent (and always in 3.1.1) means normal.
                let reason = body.first().copied().unwrap_or(0);
                let failed = self.v5() && reason >= 0x80;
                if failed {
                    out.anomaly(
                        dir,
                        offset,
                        format_args!(
                            "{} with reason {} (0x{reason:02x})",
                            op.name,
                            reason_name(reason)
                        ),
                    );
                }
                (MessageKind::Request, failed)
            }
            _ => (MessageKind::Request, false),
        };
        if matches!(code, PacketType::PINGREQ | PacketType::PINGRESP) && header.remaining != 0 {
            malformed("keep-alive packet with a body", out);
        }
        out.operation(op, kind, exception, None);
    }
}

impl Session for MqttSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let mut framer = std::mem::take(match dir {
            Direction::ToServer => &mut self.to_server,
            Direction::ToClient => &mut self.to_client,
        });
        framer.push(data, &mut |event| match event {
            Event::Packet {
                offset,
                header,
                body,
                truncated,
            } => self.packet(dir, offset, header, body, truncated, out),
            Event::Garbage { offset, len } => out.anomaly(
                dir,
                offset,
                format_args!("{len} bytes that are not MQTT skipped"),
            ),
        });
        match dir {
            Direction::ToServer => self.to_server = framer,
            Direction::ToClient => self.to_client = framer,
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Output<'_>) {
        match dir {
            Direction::ToServer => self.to_server.gap(len),
            Direction::ToClient => self.to_client.gap(len),
        }
    }
}
