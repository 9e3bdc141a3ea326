//! Alerts for SIEMs and log collectors: syslog (RFC 5424, with RFC 6587 octet counting over
//! TCP) and ArcSight CEF, and the senders for UDP and TCP.

use crate::{Alert, Severity};
use std::io::{self, Write};
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};
use std::time::Duration;

/// The structured-data id: `zonewarden@32473` (32473 is the private enterprise number RFC
/// 5612 reserves for documentation; a site with its own number can rewrite it on its
/// collector).
pub const SD_ID: &str = "zonewarden@32473";

/// RFC 5424 severity for an alert.
fn syslog_severity(s: Severity) -> u8 {
    match s {
        Severity::Critical => 2,
        Severity::High => 3,
        Severity::Medium => 4,
        Severity::Low => 5,
        Severity::Info => 6,
    }
}

/// Facility 13: log audit.
const FACILITY: u8 = 13;

fn sd_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        if !c.is_control() {
            out.push(c);
        }
    }
    out
}

fn printable(field: &str, max: usize) -> String {
    let cleaned: String = field
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if cleaned.is_empty() {
        "-".into()
    } else {
        cleaned
    }
}

/// One RFC 5424 message (no trailing newline). The timestamp is the alert's packet time.
pub fn syslog_5424(alert: &Alert, hostname: &str, message: &str) -> String {
    let pri = u16::from(FACILITY) * 8 + u16::from(syslog_severity(alert.severity));
    let mut sd = format!(
        "[{SD_ID} id=\"{}\" rule=\"{}\" attack=\"{}\" severity=\"{}\" score=\"{}\" count=\"{}\"",
        sd_escape(&alert.id),
        sd_escape(&alert.rule),
        sd_escape(&alert.attack),
        alert.severity.as_str(),
        alert.score,
        alert.count
    );
    for (key, value) in [
        ("assets", Some(alert.assets.join(","))),
        ("zone", alert.zone.clone()),
        ("src", alert.client.clone()),
        ("dst", alert.server.clone()),
        ("protocol", alert.protocol.clone()),
        ("operation", alert.operation.clone()),
    ] {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            sd.push_str(&format!(" {key}=\"{}\"", sd_escape(&v)));
        }
    }
    sd.push(']');
    // RFC 5424 allows at most six fraction digits.
    let time = match alert.time.split_once('.') {
        Some((secs, rest)) => {
            let digits: String = rest
                .chars()
                .take_while(char::is_ascii_digit)
                .take(6)
                .collect();
            let zone: String = rest.chars().skip_while(char::is_ascii_digit).collect();
            format!("{secs}.{digits}{zone}")
        }
        None => alert.time.clone(),
    };
    let message: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!(
        "<{pri}>1 {} {} zonewarden - {} {sd} {}",
        printable(&time, 64),
        printable(hostname, 255),
        printable(&alert.rule, 32),
        message
    )
}

fn cef_header(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn cef_value(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('=', "\\=")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

/// One CEF:0 record. Severity 0-10 from the score.
pub fn cef(alert: &Alert) -> String {
    // From the severity, so that a maintenance downgrade shows.
    let severity = match alert.severity {
        Severity::Critical => 10,
        Severity::High => 8,
        Severity::Medium => 5,
        Severity::Low => 3,
        Severity::Info => 1,
    };
    let mut ext = vec![format!("rt={}", cef_value(&alert.time))];
    if let Some(c) = &alert.client {
        ext.push(format!("src={}", cef_value(c)));
    }
    if let Some(s) = &alert.server {
        ext.push(format!("dst={}", cef_value(s)));
    }
    ext.push(format!("cnt={}", alert.count));
    ext.push(format!("cs1Label=attack cs1={}", cef_value(&alert.attack)));
    if let Some(z) = &alert.zone {
        ext.push(format!("cs2Label=zone cs2={}", cef_value(z)));
    }
    if let Some(p) = &alert.protocol {
        ext.push(format!("app={}", cef_value(p)));
    }
    if let Some(o) = &alert.operation {
        ext.push(format!("act={}", cef_value(o)));
    }
    ext.push(format!("externalId={}", cef_value(&alert.id)));
    ext.push(format!("msg={}", cef_value(&alert.summary)));
    format!(
        "CEF:0|zonewarden|zonewarden|{}|{}|{}|{}|{}",
        cef_header(env!("CARGO_PKG_VERSION")),
        cef_header(&alert.rule),
        cef_header(&alert.name),
        severity,
        ext.join(" ")
    )
}

fn tcp_connect(addr: std::net::SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    Ok(stream)
}

/// Where alerts go over the network: `udp://host:port` or `tcp://host:port`.
#[derive(Debug)]
pub enum Sender {
    Udp(UdpSocket),
    /// The stream, and the address to reconnect to when the collector restarts.
    Tcp(TcpStream, std::net::SocketAddr),
}

impl Sender {
    pub fn connect(target: &str) -> io::Result<Sender> {
        let bad = || {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{target}: use udp://host:port or tcp://host:port"),
            )
        };
        let (scheme, address) = target.split_once("://").ok_or_else(bad)?;
        let addr = address.to_socket_addrs()?.next().ok_or_else(bad)?;
        match scheme {
            "udp" => {
                let local = if addr.is_ipv4() {
                    "0.0.0.0:0"
                } else {
                    "[::]:0"
                };
                let socket = UdpSocket::bind(local)?;
                socket.connect(addr)?;
                Ok(Sender::Udp(socket))
            }
            "tcp" => Ok(Sender::Tcp(tcp_connect(addr)?, addr)),
            _ => Err(bad()),
        }
    }

    /// Sends one message: a datagram over UDP; RFC 6587 octet counting over TCP, with one
    /// reconnection when the collector dropped the connection.
    pub fn send(&mut self, message: &str) -> io::Result<()> {
        match self {
            Sender::Udp(socket) => socket.send(message.as_bytes()).map(|_| ()),
            Sender::Tcp(stream, addr) => {
                let framed = format!("{} {message}", message.len());
                if stream
                    .write_all(framed.as_bytes())
                    .and_then(|()| stream.flush())
                    .is_ok()
                {
                    return Ok(());
                }
                *stream = tcp_connect(*addr)?;
                stream.write_all(framed.as_bytes())?;
                stream.flush()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert() -> Alert {
        Alert {
            id: "0123456789abcdef".into(),
            rule: "ZWD-101".into(),
            name: "Controller stopped".into(),
            severity: Severity::Critical,
            score: 40,
            attack: "T0858".into(),
            time: "2026-01-01T00:00:01.500000000Z".into(),
            last_time: None,
            assets: vec!["mac:00:1b:1b:01:02:03".into()],
            zone: Some("cell \"1\"]".into()),
            client: Some("10.0.0.5".into()),
            server: Some("10.0.1.7".into()),
            protocol: Some("s7comm".into()),
            operation: Some("PLC Stop".into()),
            count: 1,
            summary: "s7comm PLC Stop from 10.0.0.5 to 10.0.1.7 | a=b".into(),
            evidence: None,
            block: None,
            block_rules: None,
            evidence_pcap: None,
        }
    }

    #[test]
    fn syslog_lines_follow_rfc_5424() {
        let line = syslog_5424(&alert(), "sensor-1", "Controller stopped");
        // PRI = 13 × 8 + 2 (critical).
        assert!(line.starts_with("<106>1 2026-01-01T00:00:01.500000Z sensor-1 zonewarden - ZWD-101 [zonewarden@32473 "), "{line}");
        // Quotes and brackets in values are escaped.
        assert!(line.contains(r#"zone="cell \"1\"\]""#), "{line}");
        assert!(line.ends_with("] Controller stopped"));
        assert!(!line.contains('\n'));
    }

    #[test]
    fn cef_records_escape_their_fields() {
        let line = cef(&alert());
        assert!(line.starts_with("CEF:0|zonewarden|zonewarden|"), "{line}");
        assert!(line.contains("|ZWD-101|Controller stopped|10|"), "{line}");
        assert!(line.contains("src=10.0.0.5 dst=10.0.1.7"));
        assert!(
            line.contains(r"msg=s7comm PLC Stop from 10.0.0.5 to 10.0.1.7 | a\=b"),
            "{line}"
        );
        assert!(line.contains("cs1Label=attack cs1=T0858"));
    }

    #[test]
    fn senders_reach_a_receiver_on_loopback() {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut sender = Sender::connect(&format!("udp://{}", udp.local_addr().unwrap())).unwrap();
        sender.send("hello").unwrap();
        let mut buf = [0u8; 64];
        let n = udp.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"hello");

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut sender =
            Sender::connect(&format!("tcp://{}", listener.local_addr().unwrap())).unwrap();
        let (mut conn, _) = listener.accept().unwrap();
        sender.send("one").unwrap();
        sender.send("second message").unwrap();
        drop(sender);
        let mut got = String::new();
        std::io::Read::read_to_string(&mut conn, &mut got).unwrap();
        assert_eq!(got, "3 one14 second message");
        assert!(Sender::connect("http://127.0.0.1:1").is_err());
    }
}

/// An HTTP webhook: each alert POSTed as JSON to `http://host:port/path`, retried with
/// exponential back-off (plain HTTP; put a TLS-terminating relay in front for HTTPS).
#[derive(Debug, Clone)]
pub struct Webhook {
    host: String,
    address: String,
    path: String,
    pub retries: u32,
    pub first_backoff: Duration,
}

impl Webhook {
    pub fn new(url: &str) -> io::Result<Webhook> {
        let bad = || {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{url}: use http://host[:port]/path"),
            )
        };
        let rest = url.strip_prefix("http://").ok_or_else(bad)?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (rest.get(..i).unwrap_or(rest), rest.get(i..).unwrap_or("/")),
            None => (rest, "/"),
        };
        if authority.is_empty() {
            return Err(bad());
        }
        let address = if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        Ok(Webhook {
            host: authority.to_string(),
            address,
            path: path.to_string(),
            retries: 4,
            first_backoff: Duration::from_millis(500),
        })
    }

    fn post_once(&self, body: &str) -> io::Result<u16> {
        let addr = self
            .address
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, self.address.clone()))?;
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        stream.set_write_timeout(Some(Duration::from_secs(10)))?;
        write!(
            stream,
            "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: zonewarden/{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.path,
            self.host,
            env!("CARGO_PKG_VERSION"),
            body.len()
        )?;
        stream.flush()?;
        let mut reader = io::BufReader::new(stream);
        let mut status_line = String::new();
        io::BufRead::read_line(&mut reader, &mut status_line)?;
        status_line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("no HTTP status: {status_line:?}"),
                )
            })
    }

    /// Posts the alert; a connection failure or a 5xx/429 answer is retried after
    /// `first_backoff`, doubling each time; any other 4xx is final.
    pub fn post(&self, alert: &Alert) -> io::Result<()> {
        let body = serde_json::to_string(alert).map_err(io::Error::other)?;
        let mut wait = self.first_backoff;
        let mut last = io::Error::other("not sent");
        for attempt in 0..=self.retries {
            if attempt > 0 {
                std::thread::sleep(wait);
                wait = wait.saturating_mul(2);
            }
            match self.post_once(&body) {
                Ok(code) if (200..300).contains(&code) => return Ok(()),
                Ok(code) if code == 429 || code >= 500 => {
                    last = io::Error::other(format!("HTTP {code}"));
                }
                Ok(code) => return Err(io::Error::other(format!("HTTP {code}: not retried"))),
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

#[cfg(test)]
mod webhook_tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read};

    /// A receiver that answers 503 first, then 200: the post is retried once.
    #[test]
    fn webhook_posts_json_and_retries_after_a_server_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/alerts", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let mut bodies = Vec::new();
            for answer in ["503 Service Unavailable", "200 OK"] {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap();
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0u8; length];
                reader.read_exact(&mut body).unwrap();
                bodies.push((request_line, String::from_utf8(body).unwrap()));
                let mut s = stream;
                write!(s, "HTTP/1.1 {answer}\r\nContent-Length: 0\r\n\r\n").unwrap();
            }
            bodies
        });
        let mut hook = Webhook::new(&url).unwrap();
        hook.first_backoff = Duration::from_millis(10);
        hook.post(&tests_alert()).unwrap();
        let bodies = server.join().unwrap();
        assert_eq!(bodies.len(), 2);
        assert!(bodies[0].0.starts_with("POST /alerts HTTP/1.1"));
        let json: serde_json::Value = serde_json::from_str(&bodies[1].1).unwrap();
        assert_eq!(json["rule"], "ZWD-101");
        assert!(Webhook::new("https://x/").is_err());
    }

    fn tests_alert() -> Alert {
        Alert {
            id: "1".into(),
            rule: "ZWD-101".into(),
            name: "Controller stopped".into(),
            severity: Severity::High,
            score: 30,
            attack: "T0858".into(),
            time: "2026-01-01T00:00:00.000000000Z".into(),
            last_time: None,
            assets: Vec::new(),
            zone: None,
            client: None,
            server: None,
            protocol: None,
            operation: None,
            count: 1,
            summary: String::new(),
            evidence: None,
            block: None,
            block_rules: None,
            evidence_pcap: None,
        }
    }
}
