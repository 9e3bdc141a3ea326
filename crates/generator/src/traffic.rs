//! Who talks to whom, how often, and how a conversation unfolds on the
//! wire. Each source owns its connection state and its own random stream
//! (see [`Rng::stream`]); the timing constants model a switched gigabit
//! LAN, Windows clients and embedded PLC stacks.

use std::io;

use crate::frame::{tcp_flags, udp_frame, Ipv4, Path};
use crate::plant::{HostId, OtProtocol, Plant, Plc, PortAllocator, LEVELS};
use crate::protocols::dnp3::Dnp3Dialogue;
use crate::protocols::enip::{self, EnipDialogue, Identity};
use crate::protocols::it::{self, ArpOp, LinkAddress, LldpAdvert, TlsRandoms};
use crate::protocols::modbus::ModbusDialogue;
use crate::protocols::s7::S7Dialogue;
use crate::protocols::{Dialogue, ProcessImage};
use crate::rng::Rng;
use crate::schedule::{Ctx, Outbox, Scratch, Source};
use crate::tcp::{Dir, TcpConn};

const MS: u64 = 1_000;
const SECOND: u64 = 1_000_000;

/// Windows' delayed-ACK timer (RFC 1122 §4.2.3.2 allows up to 500 ms):
/// a client with nothing to send acknowledges a response after 200 ms.
const DELAYED_ACK: u64 = 200 * MS;
/// LLDP msgTxInterval default (IEEE 802.1AB §9.2.5.7).
const LLDP_INTERVAL: u64 = 30 * SECOND;
/// ntpd's default minimum poll interval, 2^6 s (RFC 5905 §7.3).
const NTP_INTERVAL: u64 = 64 * SECOND;

/// Time for a PLC to answer a request: one or more scan cycles.
fn plc_turnaround(rng: &mut Rng) -> u64 {
    rng.range(MS, 5 * MS)
}

/// One-way latency plus stack time for a SYN-ACK or FIN answer on the LAN.
fn lan_reply(rng: &mut Rng) -> u64 {
    rng.range(150, 900)
}

fn reverse(dir: Dir) -> Dir {
    match dir {
        Dir::ToServer => Dir::ToClient,
        Dir::ToClient => Dir::ToServer,
    }
}

/// Three-way handshake (RFC 9293 §3.5); returns the time of the final ACK.
fn open(conn: &mut TcpConn, out: &mut Outbox, rng: &mut Rng, t: u64) -> u64 {
    out.emit(t, |f| conn.syn(f));
    let t = t + lan_reply(rng);
    out.emit(t, |f| conn.syn_ack(f));
    let t = t + rng.range(40, 250);
    out.emit(t, |f| conn.ack(f, Dir::ToServer));
    t
}

/// Orderly release: FIN from `initiator`, FIN|ACK back, final ACK.
fn close(conn: &mut TcpConn, out: &mut Outbox, rng: &mut Rng, t: u64, initiator: Dir) -> u64 {
    out.emit(t, |f| conn.fin(f, initiator));
    let t = t + lan_reply(rng);
    out.emit(t, |f| conn.fin(f, reverse(initiator)));
    let t = t + rng.range(40, 250);
    out.emit(t, |f| conn.ack(f, initiator));
    t
}

/// Sends one application message as MSS-sized segments, PSH on the last;
/// the receiver acknowledges every second full segment (RFC 1122
/// §4.2.3.2). Returns the time of the last segment.
fn transfer(
    conn: &mut TcpConn,
    out: &mut Outbox,
    rng: &mut Rng,
    t: u64,
    dir: Dir,
    data: &[u8],
) -> u64 {
    let mut t = t;
    let mut segments = data.chunks(conn.max_segment(dir)).peekable();
    let mut ack_due = false;
    while let Some(segment) = segments.next() {
        let last = segments.peek().is_none();
        let flags = if last {
            tcp_flags::PSH | tcp_flags::ACK
        } else {
            tcp_flags::ACK
        };
        out.emit(t, |f| conn.segment(f, dir, flags, segment));
        if !last {
            if ack_due {
                t += rng.range(40, 150);
                out.emit(t, |f| conn.ack(f, reverse(dir)));
            }
            ack_due = !ack_due;
            // Back-to-back frames on gigabit Ethernet are ~12 µs apart.
            t += rng.range(12, 60);
        }
    }
    t
}

/// One request and its response; returns the time of the response.
fn exchange(
    conn: &mut TcpConn,
    dialogue: &mut dyn Dialogue,
    out: &mut Outbox,
    scratch: &mut Scratch,
    rng: &mut Rng,
    t: u64,
) -> u64 {
    dialogue.exchange(t, rng, &mut scratch.request, &mut scratch.response);
    let t = transfer(conn, out, rng, t, Dir::ToServer, &scratch.request);
    let t = t + plc_turnaround(rng);
    transfer(conn, out, rng, t, Dir::ToClient, &scratch.response)
}

/// Connection setup messages back to back after the handshake.
fn setup(
    conn: &mut TcpConn,
    dialogue: &mut dyn Dialogue,
    out: &mut Outbox,
    scratch: &mut Scratch,
    rng: &mut Rng,
    t: u64,
) -> u64 {
    let mut t = t;
    while dialogue.in_setup() {
        t += rng.range(300, 3 * MS);
        t = exchange(conn, dialogue, out, scratch, rng, t);
    }
    t
}

/// If the client stays silent long enough after a response, its delayed
/// ACK fires; otherwise the next request carries the acknowledgement.
fn idle_client(conn: &mut TcpConn, out: &mut Outbox, last_response: u64, next_request: u64) {
    if next_request > last_response + DELAYED_ACK + 5 * MS {
        out.emit(last_response + DELAYED_ACK, |f| conn.ack(f, Dir::ToServer));
    }
}

fn new_dialogue(
    plc: &Plc,
    master_address: u16,
    write_chance: f64,
    rng: &mut Rng,
) -> Box<dyn Dialogue> {
    match plc.protocol {
        OtProtocol::Modbus => Box::new(ModbusDialogue::new(plc.image, write_chance, rng)),
        OtProtocol::S7 => Box::new(S7Dialogue::new(plc.image, rng)),
        OtProtocol::Enip => Box::new(EnipDialogue::new(plc.image, rng)),
        OtProtocol::Dnp3 => {
            let outstation = 10 + plc.index as u16;
            Box::new(Dnp3Dialogue::new(
                plc.image,
                master_address,
                outstation,
                rng,
            ))
        }
    }
}

/// Builds every source of the plant with its first firing time.
pub fn sources(plant: &Plant, seed: u64, start_us: u64) -> io::Result<Vec<(u64, Box<dyn Source>)>> {
    let mut list: Vec<(u64, Box<dyn Source>)> = Vec::new();
    let mut stream = 0u64;
    let mut next_rng = || {
        stream += 1;
        Rng::stream(seed, stream)
    };

    // SCADA polling: one long-lived connection per (HMI, PLC), opened in
    // the first two seconds as the HMI runtime starts its drivers.
    for (hmi_index, &hmi) in plant.hmis.iter().enumerate() {
        let mut ports = PortAllocator::new(&plant.host(hmi)?.stack, &mut next_rng());
        for plc in &plant.plcs {
            let mut rng = next_rng();
            let client = plant.tcp_peer(hmi, plc.host, ports.next_port(), &mut rng)?;
            let server = plant.tcp_peer(plc.host, hmi, plc.protocol.port(), &mut rng)?;
            // Operators change a few setpoints per minute per PLC.
            let write_chance = (3.0 * plc.poll_period_us as f64 / (60 * SECOND) as f64).min(0.5);
            let dialogue = new_dialogue(plc, 1 + hmi_index as u16, write_chance, &mut rng);
            let first = start_us + rng.below(2 * SECOND);
            list.push((
                first,
                Box::new(ScadaPoll {
                    conn: TcpConn::new(client, server),
                    dialogue,
                    period_us: plc.poll_period_us,
                    connected: false,
                    rng,
                }),
            ));
        }

        // The HMI's collector forwards data to the level 3 historian.
        let mut rng = next_rng();
        let client = plant.tcp_peer(hmi, plant.historian, ports.next_port(), &mut rng)?;
        let server = plant.tcp_peer(plant.historian, hmi, it::HTTPS_PORT, &mut rng)?;
        list.push((
            start_us + rng.range(2 * SECOND, 10 * SECOND),
            Box::new(HistorianUplink {
                conn: TcpConn::new(client, server),
                connected: false,
                rng,
            }),
        ));
    }

    for (ews_index, &ews) in plant.engineering_stations.iter().enumerate() {
        // STEP 7 and Unity Pro sessions; other PLCs only when the plant has
        // neither Siemens nor Schneider controllers.
        let mut targets: Vec<usize> = (0..plant.plcs.len())
            .filter(|&i| {
                plant
                    .plcs
                    .get(i)
                    .is_some_and(|p| matches!(p.protocol, OtProtocol::S7 | OtProtocol::Modbus))
            })
            .collect();
        if targets.is_empty() {
            targets = (0..plant.plcs.len()).collect();
        }
        if !targets.is_empty() {
            let mut rng = next_rng();
            let ports = PortAllocator::new(&plant.host(ews)?.stack, &mut rng);
            let first = start_us + rng.range(5 * SECOND, 20 * SECOND);
            list.push((
                first,
                Box::new(EngineeringSessions {
                    ews,
                    master_address: 100 + ews_index as u16,
                    targets,
                    ports,
                    rng,
                }),
            ));
        }

        let mut rng = next_rng();
        let mut responders = Vec::new();
        for plc in plant.plcs.iter().filter(|p| p.protocol == OtProtocol::Enip) {
            let host = plant.host(plc.host)?;
            let path = plant.path(plc.host, ews, &mut rng)?;
            responders.push((path, enip::logix_5571(host.seed as u32)));
            if let Some(adapter) = plc.io_adapter {
                let path = plant.path(adapter, ews, &mut rng)?;
                let serial = plant.host(adapter)?.seed as u32;
                responders.push((path, enip::point_io_adapter(serial)));
            }
        }
        if !responders.is_empty() {
            let mut ports = PortAllocator::new(&plant.host(ews)?.stack, &mut rng);
            list.push((
                start_us + rng.range(SECOND, 10 * SECOND),
                Box::new(Discovery {
                    request: plant.path_to(ews, [10, 10, 1, 255], &mut rng)?,
                    port: ports.next_port(),
                    responders,
                    context: 0,
                    rng,
                }),
            ));
        }
    }

    // Class 1 implicit I/O between each EtherNet/IP PLC and its adapter.
    for plc in &plant.plcs {
        let Some(adapter) = plc.io_adapter else {
            continue;
        };
        let mut rng = next_rng();
        let rpi_us = MS * rng.pick(&[10, 20, 25, 50]).copied().unwrap_or(20);
        list.push((
            start_us + rng.below(rpi_us) + 500 * MS,
            Box::new(ImplicitIo {
                o2t: plant.path(plc.host, adapter, &mut rng)?,
                t2o: plant.path(adapter, plc.host, &mut rng)?,
                o2t_id: rng.next_u32(),
                t2o_id: rng.next_u32(),
                o2t_seq: 0,
                t2o_seq: 0,
                rpi_us,
                phase_us: rng.range(100, rpi_us / 2),
                image: ProcessImage::new(plant.host(adapter)?.seed),
                rng,
            }),
        ));
    }

    for &ws in &plant.workstations {
        let stack = plant.host(ws)?.stack;
        let mut rng = next_rng();
        list.push((
            start_us + rng.below(15 * SECOND),
            Box::new(DnsClient {
                query: plant.path(ws, plant.dns_server, &mut rng)?,
                answer: plant.path(plant.dns_server, ws, &mut rng)?,
                ports: PortAllocator::new(&stack, &mut rng),
                rng,
            }),
        ));
        let mut rng = next_rng();
        list.push((
            start_us + rng.range(2 * SECOND, 30 * SECOND),
            Box::new(WebBrowsing {
                client: ws,
                ports: PortAllocator::new(&stack, &mut rng),
                rng,
            }),
        ));
        let mut rng = next_rng();
        list.push((
            start_us + rng.below(NTP_INTERVAL),
            Box::new(NtpClient {
                query: plant.path(ws, plant.dns_server, &mut rng)?,
                answer: plant.path(plant.dns_server, ws, &mut rng)?,
                // ntpd and w32time both send from the NTP port itself.
                port: it::NTP_PORT,
                rng,
            }),
        ));
    }

    let mut rng = next_rng();
    list.push((
        start_us + rng.range(100 * MS, 3 * SECOND),
        Box::new(ArpChatter::new(plant, rng)?),
    ));
    let mut rng = next_rng();
    list.push((
        start_us + rng.range(500 * MS, 5 * SECOND),
        Box::new(LldpBeacons {
            chassis: plant.host(plant.router)?.mac,
            rng,
        }),
    ));
    Ok(list)
}

/// An HMI polling one PLC over a long-lived connection.
#[derive(Debug)]
struct ScadaPoll {
    conn: TcpConn,
    dialogue: Box<dyn Dialogue>,
    period_us: u64,
    connected: bool,
    rng: Rng,
}

impl Source for ScadaPoll {
    fn fire(&mut self, now_us: u64, ctx: &mut Ctx<'_>) -> io::Result<u64> {
        let rng = &mut self.rng;
        let (last_response, next) = if self.connected {
            let t = exchange(
                &mut self.conn,
                self.dialogue.as_mut(),
                ctx.out,
                ctx.scratch,
                rng,
                now_us,
            );
            (t, now_us + rng.jitter(self.period_us, 0.03))
        } else {
            self.connected = true;
            let t = open(&mut self.conn, ctx.out, rng, now_us);
            let t = setup(
                &mut self.conn,
                self.dialogue.as_mut(),
                ctx.out,
                ctx.scratch,
                rng,
                t,
            );
            (t, t + rng.range(self.period_us / 4, self.period_us))
        };
        idle_client(&mut self.conn, ctx.out, last_response, next);
        Ok(next)
    }
}

/// An HMI's historian collector: one long-lived HTTPS (TLS 1.3) connection
/// to the level 3 historian carrying a batch of values every 5–15 s, the
/// typical level 2 to level 3 conduit.
#[derive(Debug)]
struct HistorianUplink {
    conn: TcpConn,
    connected: bool,
    rng: Rng,
}

/// Appends to `buf` one TLS record of `len` random bytes standing in for
/// ciphertext (`body` is scratch space).
fn encrypted_record(buf: &mut Vec<u8>, body: &mut Vec<u8>, len: u64, rng: &mut Rng) {
    body.clear();
    body.resize(len as usize, 0);
    rng.fill(body);
    it::tls_application_data(buf, body);
}

impl HistorianUplink {
    /// TLS 1.3 full handshake; returns the time of the last server record.
    fn handshake(&mut self, now_us: u64, out: &mut Outbox, scratch: &mut Scratch) -> u64 {
        let rng = &mut self.rng;
        let conn = &mut self.conn;
        let mut random_block = || {
            let mut block = [0u8; 32];
            rng.fill(&mut block);
            block
        };
        let randoms = TlsRandoms {
            client_random: random_block(),
            server_random: random_block(),
            session_id: random_block(),
            client_share: random_block(),
            server_share: random_block(),
        };
        let Scratch {
            request,
            response,
            body,
        } = scratch;

        let t = open(conn, out, rng, now_us) + rng.range(100, 500);
        request.clear();
        it::tls_client_hello(request, &randoms, "historian.plant.local");
        let t = transfer(conn, out, rng, t, Dir::ToServer, request);

        // ServerHello, ChangeCipherSpec, then EncryptedExtensions,
        // Certificate (a two-certificate chain), CertificateVerify and
        // Finished, all encrypted.
        response.clear();
        it::tls_server_hello(response, &randoms);
        let certificates = rng.range(2_200, 3_200);
        encrypted_record(response, body, certificates, rng);
        let t = t + rng.range(MS, 4 * MS);
        let t = transfer(conn, out, rng, t, Dir::ToClient, response);

        // Client ChangeCipherSpec and Finished (32-byte MAC + type + tag).
        request.clear();
        it::tls_change_cipher_spec(request);
        encrypted_record(request, body, 53, rng);
        let t = t + rng.range(MS, 3 * MS);
        let t = transfer(conn, out, rng, t, Dir::ToServer, request);

        // Two NewSessionTicket messages.
        response.clear();
        encrypted_record(response, body, rng.range(230, 260), rng);
        encrypted_record(response, body, rng.range(230, 260), rng);
        let t = t + rng.range(200, 800);
        transfer(conn, out, rng, t, Dir::ToClient, response)
    }
}

impl Source for HistorianUplink {
    fn fire(&mut self, now_us: u64, ctx: &mut Ctx<'_>) -> io::Result<u64> {
        let last = if self.connected {
            let rng = &mut self.rng;
            let Scratch {
                request,
                response,
                body,
            } = &mut *ctx.scratch;
            request.clear();
            encrypted_record(request, body, rng.range(300, 2_500), rng);
            let t = transfer(&mut self.conn, ctx.out, rng, now_us, Dir::ToServer, request);
            response.clear();
            encrypted_record(response, body, rng.range(40, 120), rng);
            let t = t + rng.range(2 * MS, 10 * MS);
            transfer(&mut self.conn, ctx.out, rng, t, Dir::ToClient, response)
        } else {
            self.connected = true;
            self.handshake(now_us, ctx.out, ctx.scratch)
        };
        let next = now_us + self.rng.range(5 * SECOND, 15 * SECOND);
        idle_client(&mut self.conn, ctx.out, last, next);
        Ok(next)
    }
}

/// An engineer going online with a PLC every 20–40 s: connect, identify,
/// browse a few values, disconnect.
#[derive(Debug)]
struct EngineeringSessions {
    ews: HostId,
    master_address: u16,
    targets: Vec<usize>,
    ports: PortAllocator,
    rng: Rng,
}

impl Source for EngineeringSessions {
    fn fire(&mut self, now_us: u64, ctx: &mut Ctx<'_>) -> io::Result<u64> {
        let rng = &mut self.rng;
        let next = now_us + rng.range(20 * SECOND, 40 * SECOND);
        let Some(plc) = rng.pick(&self.targets).and_then(|&i| ctx.plant.plcs.get(i)) else {
            return Ok(next);
        };
        let client = ctx
            .plant
            .tcp_peer(self.ews, plc.host, self.ports.next_port(), rng)?;
        let server = ctx
            .plant
            .tcp_peer(plc.host, self.ews, plc.protocol.port(), rng)?;
        let mut conn = TcpConn::new(client, server);
        let mut dialogue = new_dialogue(plc, self.master_address, 0.15, rng);

        let t = open(&mut conn, ctx.out, rng, now_us);
        let mut last = setup(&mut conn, dialogue.as_mut(), ctx.out, ctx.scratch, rng, t);
        for _ in 0..rng.range(3, 8) {
            let request_at = last + rng.range(50 * MS, 600 * MS);
            idle_client(&mut conn, ctx.out, last, request_at);
            last = exchange(
                &mut conn,
                dialogue.as_mut(),
                ctx.out,
                ctx.scratch,
                rng,
                request_at,
            );
        }
        let mut t = last + rng.range(20 * MS, 150 * MS);
        if dialogue.farewell(&mut ctx.scratch.request) {
            t = transfer(
                &mut conn,
                ctx.out,
                rng,
                t,
                Dir::ToServer,
                &ctx.scratch.request,
            );
            t += rng.range(100, 2 * MS);
        }
        let end = close(&mut conn, ctx.out, rng, t, Dir::ToServer);
        Ok(next.max(end + SECOND))
    }
}

/// RSLinx-style browsing: a ListIdentity directed broadcast into the
/// controller subnet and a unicast reply from every EtherNet/IP device.
#[derive(Debug)]
struct Discovery {
    request: Path,
    port: u16,
    responders: Vec<(Path, Identity)>,
    context: u64,
    rng: Rng,
}

impl Source for Discovery {
    fn fire(&mut self, now_us: u64, ctx: &mut Ctx<'_>) -> io::Result<u64> {
        self.context = self.context.wrapping_add(1);
        let payload = &mut ctx.scratch.request;
        payload.clear();
        enip::list_identity_request(payload, self.context);
        ctx.out.emit(now_us, |f| {
            udp_frame(f, &mut self.request, self.port, enip::PORT, payload);
        });
        for (path, identity) in &mut self.responders {
            let at = now_us + self.rng.range(500, 15 * MS);
            payload.clear();
            enip::list_identity_reply(payload, self.context, identity, path.src_ip);
            ctx.out
                .emit(at, |f| udp_frame(f, path, enip::PORT, self.port, payload));
        }
        Ok(now_us + self.rng.jitter(30 * SECOND, 0.05))
    }
}

/// Cyclic class 1 I/O: the PLC (originator) sends outputs with a run/idle
/// header, the adapter (target) answers with inputs, both every RPI.
#[derive(Debug)]
struct ImplicitIo {
    o2t: Path,
    t2o: Path,
    o2t_id: u32,
    t2o_id: u32,
    o2t_seq: u32,
    t2o_seq: u32,
    rpi_us: u64,
    phase_us: u64,
    image: ProcessImage,
    rng: Rng,
}

impl Source for ImplicitIo {
    fn fire(&mut self, now_us: u64, ctx: &mut Ctx<'_>) -> io::Result<u64> {
        let data = &mut ctx.scratch.body;
        let payload = &mut ctx.scratch.request;

        self.o2t_seq = self.o2t_seq.wrapping_add(1);
        data.clear();
        for word in 0..4 {
            data.extend_from_slice(&self.image.word(0x00d0_0000 + word, now_us).to_le_bytes());
        }
        payload.clear();
        enip::io_datagram(
            payload,
            self.o2t_id,
            self.o2t_seq,
            self.o2t_seq as u16,
            Some(1),
            data,
        );
        ctx.out.emit(now_us, |f| {
            udp_frame(f, &mut self.o2t, enip::IO_PORT, enip::IO_PORT, payload);
        });

        let at = now_us + self.phase_us + self.rng.below(200);
        self.t2o_seq = self.t2o_seq.wrapping_add(1);
        data.clear();
        for word in 0..8 {
            data.extend_from_slice(&self.image.word(0x00d1_0000 + word, at).to_le_bytes());
        }
        payload.clear();
        enip::io_datagram(
            payload,
            self.t2o_id,
            self.t2o_seq,
            self.t2o_seq as u16,
            None,
            data,
        );
        ctx.out.emit(at, |f| {
            udp_frame(f, &mut self.t2o, enip::IO_PORT, enip::IO_PORT, payload);
        });
        Ok(now_us + self.rng.jitter(self.rpi_us, 0.01))
    }
}

/// Names workstations resolve: the plant's own zone (authoritative) and a
/// few external names the server recurses for.
const DNS_NAMES: [(&str, Option<Ipv4>, bool); 7] = [
    ("historian.plant.local", Some([10, 10, 3, 10]), true),
    ("intranet.plant.local", Some([10, 10, 4, 20]), true),
    ("dc01.plant.local", Some([10, 10, 4, 10]), true),
    ("wpad.plant.local", None, true),
    ("update.vendor.example", Some([203, 0, 113, 50]), false),
    ("mail.corp.example", Some([198, 51, 100, 25]), false),
    ("login.corp.example", Some([198, 51, 100, 80]), false),
];

#[derive(Debug)]
struct DnsClient {
    query: Path,
    answer: Path,
    ports: PortAllocator,
    rng: Rng,
}

impl Source for DnsClient {
    fn fire(&mut self, now_us: u64, ctx: &mut Ctx<'_>) -> io::Result<u64> {
        let rng = &mut self.rng;
        let (name, address, local) = rng.pick(&DNS_NAMES).copied().unwrap_or(DNS_NAMES[0]);
        let id = rng.next_u16();
        let port = self.ports.next_port();
        let payload = &mut ctx.scratch.request;
        payload.clear();
        it::dns_query(payload, id, name);
        ctx.out.emit(now_us, |f| {
            udp_frame(f, &mut self.query, port, it::DNS_PORT, payload)
        });

        let delay = if local {
            rng.range(150, 1_500)
        } else {
            rng.range(8 * MS, 40 * MS)
        };
        let ttl = if local { 3_600 } else { 300 };
        payload.clear();
        it::dns_response(payload, id, name, address, local, ttl);
        ctx.out.emit(now_us + delay, |f| {
            udp_frame(f, &mut self.answer, it::DNS_PORT, port, payload)
        });
        Ok(now_us + rng.range(5 * SECOND, 45 * SECOND))
    }
}

/// A user opening intranet or historian pages: one short HTTP/1.1
/// connection per page, closed by the server.
#[derive(Debug)]
struct WebBrowsing {
    client: HostId,
    ports: PortAllocator,
    rng: Rng,
}

impl Source for WebBrowsing {
    fn fire(&mut self, now_us: u64, ctx: &mut Ctx<'_>) -> io::Result<u64> {
        let rng = &mut self.rng;
        let plant = ctx.plant;
        let historian = rng.chance(0.3);
        let (server, host_name, server_name) = if historian {
            (
                plant.historian,
                "historian.plant.local",
                "Microsoft-IIS/10.0",
            )
        } else {
            (plant.web_server, "intranet.plant.local", "nginx/1.24.0")
        };
        let client = plant.tcp_peer(self.client, server, self.ports.next_port(), rng)?;
        let server_peer = plant.tcp_peer(server, self.client, it::HTTP_PORT, rng)?;
        let mut conn = TcpConn::new(client, server_peer);

        let scratch = &mut *ctx.scratch;
        let body_len = rng.range(300, 4_000) as usize;
        let unix_secs = now_us / SECOND;
        scratch.body.clear();
        scratch.request.clear();
        let content_type = if historian {
            let path = *rng
                .pick(&[
                    "/api/v1/points/latest",
                    "/api/v1/trends?tag=FIC-101&range=1h",
                ])
                .unwrap_or(&"/");
            it::http_get(&mut scratch.request, host_name, path);
            let base = rng.below(1_000);
            it::json_points(&mut scratch.body, body_len, unix_secs, |n| {
                base + n * 13 % 97
            });
            "application/json"
        } else {
            let (path, title) = *rng
                .pick(&[
                    ("/", "Plant Intranet"),
                    ("/reports/shift.html", "Shift report"),
                    ("/maintenance/orders", "Maintenance orders"),
                    ("/safety/permits", "Work permits"),
                ])
                .unwrap_or(&("/", "Plant Intranet"));
            it::http_get(&mut scratch.request, host_name, path);
            let seed = rng.next_u64();
            it::html_page(&mut scratch.body, title, body_len, |n| {
                crate::rng::mix64(seed ^ n) % 1_000
            });
            "text/html; charset=utf-8"
        };
        scratch.response.clear();
        it::http_ok(
            &mut scratch.response,
            server_name,
            content_type,
            unix_secs,
            &scratch.body,
        );

        let t = open(&mut conn, ctx.out, rng, now_us);
        let t = t + rng.range(100, 600);
        let t = transfer(&mut conn, ctx.out, rng, t, Dir::ToServer, &scratch.request);
        let t = t + rng.range(MS, 8 * MS);
        let t = transfer(&mut conn, ctx.out, rng, t, Dir::ToClient, &scratch.response);
        // The server closes right after the body, as "Connection: close" asks.
        let t = t + rng.range(20, 80);
        close(&mut conn, ctx.out, rng, t, Dir::ToClient);
        Ok(now_us + rng.range(10 * SECOND, 90 * SECOND))
    }
}

#[derive(Debug)]
struct NtpClient {
    query: Path,
    answer: Path,
    port: u16,
    rng: Rng,
}

impl Source for NtpClient {
    fn fire(&mut self, now_us: u64, ctx: &mut Ctx<'_>) -> io::Result<u64> {
        let rng = &mut self.rng;
        // The client clock is a few milliseconds off; that is what NTP fixes.
        let client_clock = now_us + rng.range(0, 8 * MS);
        let transmit = it::ntp_timestamp(client_clock);
        let payload = &mut ctx.scratch.request;
        payload.clear();
        it::ntp_request(payload, transmit);
        ctx.out.emit(now_us, |f| {
            udp_frame(f, &mut self.query, self.port, it::NTP_PORT, payload)
        });

        let received = now_us + rng.range(60, 300);
        let answered = received + rng.range(20, 80);
        payload.clear();
        it::ntp_response(
            payload,
            transmit,
            it::ntp_timestamp(received),
            it::ntp_timestamp(answered),
            [192, 0, 2, 123],
        );
        ctx.out.emit(answered + rng.range(60, 300), |f| {
            udp_frame(f, &mut self.answer, it::NTP_PORT, self.port, payload);
        });
        Ok(now_us + NTP_INTERVAL + rng.range(0, 20 * MS))
    }
}

/// ARP cache refreshes: stations asking for their gateway or same-subnet
/// peers, and the router asking for stations.
#[derive(Debug)]
struct ArpChatter {
    /// (asker, target) pairs.
    pairs: Vec<(LinkAddress, LinkAddress)>,
    rng: Rng,
}

impl ArpChatter {
    fn new(plant: &Plant, rng: Rng) -> io::Result<Self> {
        let mut pairs = Vec::new();
        let dns = plant.host(plant.dns_server)?;
        let web = plant.host(plant.web_server)?;
        for (id, host) in plant.hosts() {
            if id == plant.router {
                continue;
            }
            let gateway = plant.gateway(host.subnet())?;
            let me = (host.mac, host.ip);
            pairs.push((me, gateway));
            pairs.push((gateway, me));
        }
        for &ws in &plant.workstations {
            let host = plant.host(ws)?;
            pairs.push(((host.mac, host.ip), (dns.mac, dns.ip)));
            pairs.push(((host.mac, host.ip), (web.mac, web.ip)));
        }
        for plc in &plant.plcs {
            if let Some(adapter) = plc.io_adapter {
                let a = plant.host(plc.host)?;
                let b = plant.host(adapter)?;
                pairs.push(((a.mac, a.ip), (b.mac, b.ip)));
            }
        }
        Ok(Self { pairs, rng })
    }
}

impl Source for ArpChatter {
    fn fire(&mut self, now_us: u64, ctx: &mut Ctx<'_>) -> io::Result<u64> {
        let rng = &mut self.rng;
        if let Some(&(asker, target)) = rng.pick(&self.pairs) {
            ctx.out
                .emit(now_us, |f| it::arp_frame(f, ArpOp::Request, asker, target));
            let at = now_us + rng.range(50, 400);
            ctx.out
                .emit(at, |f| it::arp_frame(f, ArpOp::Reply, target, asker));
        }
        Ok(now_us + rng.range(2 * SECOND, 12 * SECOND))
    }
}

/// The router's LLDP advertisements, one per routed port.
#[derive(Debug)]
struct LldpBeacons {
    chassis: [u8; 6],
    rng: Rng,
}

impl Source for LldpBeacons {
    fn fire(&mut self, now_us: u64, ctx: &mut Ctx<'_>) -> io::Result<u64> {
        const PORTS: [(&str, &str); 4] = [
            ("Gi1/1", "Level 1 - Control LAN"),
            ("Gi1/2", "Level 2 - Supervisory LAN"),
            ("Gi1/3", "Level 3 - Operations LAN"),
            ("Gi1/4", "Level 4 - Enterprise LAN"),
        ];
        let mut t = now_us;
        for (if_index, (level, (port_id, port_description))) in
            (1u32..).zip(LEVELS.into_iter().zip(PORTS))
        {
            let advert = LldpAdvert {
                chassis: self.chassis,
                port_id,
                port_description,
                system_name: "plant-core-01.plant.local",
                system_description: "Cisco IOS Software, IE4000 Software (ie4000-UNIVERSALK9-M), \
                                     Version 15.2(7)E8, RELEASE SOFTWARE (fc3)",
                management_ip: [10, 10, level, 1],
                if_index,
            };
            ctx.out.emit(t, |f| it::lldp_frame(f, &advert));
            t += self.rng.range(100, 400);
        }
        Ok(now_us + LLDP_INTERVAL + self.rng.range(0, 10 * MS))
    }
}
