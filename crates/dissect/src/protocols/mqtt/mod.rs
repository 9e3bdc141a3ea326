//! MQTT 3.1, 3.1.1 and 5.0.
//!
//! References: OASIS MQTT Version 3.1.1 (fixed header §2.2, remaining length §2.2.3, control
//! packets §3); OASIS MQTT Version 5.0 (variable byte integer §1.5.5, properties §2.2.2,
//! reason codes §2.4, AUTH §3.15); IBM MQTT V3.1 Protocol Specification (protocol name
//! "MQIsdp", level 3).
//!
//! Port 1883 is a hint only; recognition is by content (a CONNECT naming MQTT is certain,
//! other consistent fixed headers are left to the port).
//!
//! Supported: the fixed header (type, flags checked per type, remaining length of at most four
//! octets), every packet type as an operation with the packet type as code (as tshark's
//! `mqtt.msgtype`), CONNECT (protocol name and level, client identifier, whether user name and
//! password are present), CONNACK return/reason codes (refusals are exceptions), PUBLISH (topic,
//! QoS, packet identifier), SUBSCRIBE/UNSUBSCRIBE topic filters, acknowledgements paired with
//! their requests by packet identifier and direction (PUBACK, PUBREC→PUBREL→PUBCOMP, SUBACK,
//! UNSUBACK, CONNACK, PINGRESP), 5.0 failure reason codes as exceptions.
//!
//! Facts: about the client, `mqtt_client_id`, `mqtt_version` and `mqtt_credentials` (whether a
//! user name and password travel in clear — never their values: a user name is sensitive too);
//! about the broker, `mqtt_topic` for the first 16 distinct topics published or subscribed per
//! connection (a sample, not an inventory).
//!
//! Not supported: MQTT over WebSocket or TLS, MQTT-SN (UDP), decoding of 5.0 properties
//! (skipped by length), payload contents. Bodies larger than 4 KiB are read up to 4 KiB (all
//! fields used here sit at the start) and the rest is skipped without buffering.

mod parser;
mod pdu;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::{packet_name, PacketType};

use crate::{Confidence, Dissector, Protocol, Session, TCP};
use zonewarden_model::Direction;

/// The MQTT dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mqtt;

impl Dissector for Mqtt {
    fn protocol(&self) -> Protocol {
        Protocol::Mqtt
    }

    fn transports(&self) -> &'static [u8] {
        TCP
    }

    fn ports(&self) -> &'static [u16] {
        &[1883]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::MqttSession>::default()
    }
}
