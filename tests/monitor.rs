//! `monitor --follow`: capture files appearing in a directory are read once complete, their
//! alerts reach stdout and a real syslog receiver on loopback (TCP, RFC 6587 octet counting),
//! and SIGTERM stops the monitor cleanly.

// Test code: a failed expectation should stop the test loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn follow_reads_new_files_sends_syslog_and_stops_on_sigterm() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("zonewarden-monitor-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("tcp://{}", listener.local_addr().unwrap());
    let mut child = common::zonewarden()
        .args([
            "monitor",
            "--follow",
            dir.to_str().unwrap(),
            "--poll",
            "0.1",
            "--syslog",
            &target,
            "--wire",
            "cef",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    // A finished file, then a newer one: the first is complete because a newer one exists;
    // the newer one once it stops growing.
    std::fs::copy(
        pcaps.join("attacks/cip_stop_plc.pcap"),
        dir.join("a-0001.pcap"),
    )
    .unwrap();
    std::fs::copy(
        pcaps.join("attacks/gymgit_snap7_s300_stop.pcapng"),
        dir.join("a-0002.pcapng"),
    )
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while got.len() < 2 && Instant::now() < deadline {
        match lines.next() {
            Some(Ok(line)) => got.push(line),
            _ => break,
        }
    }
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got.iter().all(|l| l.contains("\"rule\":\"ZWD-101\"")),
        "{got:?}"
    );
    // SIGTERM: stops, flushes, says so.
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        err.contains("monitor stopped: 2 file(s) read, 2 alert(s)"),
        "{err}"
    );
    // The collector got two octet-counted RFC 5424 messages carrying CEF.
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut wire = String::new();
    let _ = conn.read_to_string(&mut wire);
    let mut rest = wire.as_str();
    let mut messages = Vec::new();
    while let Some((len, tail)) = rest.split_once(' ') {
        let n: usize = len.parse().unwrap();
        messages.push(&tail[..n]);
        rest = &tail[n..];
    }
    assert_eq!(messages.len(), 2, "{wire}");
    for m in messages {
        assert!(m.starts_with('<') && m.contains(">1 "), "{m}");
        assert!(m.contains("CEF:0|zonewarden|zonewarden|"), "{m}");
        assert!(m.contains("|ZWD-101|Controller stopped|"), "{m}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A learning period over the first file (whole files): the characterisation capture is
/// learned, the fake-command capture after it raises the injected write (ZWD-121) and
/// nothing from the learned file is reported.
#[test]
fn follow_learns_the_first_files_then_alerts() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("zonewarden-monitor-learn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        pcaps.join("attacks/modbus6rtu_characterization.pcap"),
        dir.join("a-0001.pcap"),
    )
    .unwrap();
    std::fs::copy(
        pcaps.join("attacks/modbus6rtu_send_a_fake_command.pcap"),
        dir.join("a-0002.pcap"),
    )
    .unwrap();
    let out = common::run(&[
        "monitor",
        "--follow",
        dir.to_str().unwrap(),
        "--once",
        "--learning-period",
        "100p",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("a-0001.pcap: learned; the learning period is over"),
        "{stderr}"
    );
    let alerts: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(alerts.iter().any(|a| a["rule"] == "ZWD-121"), "{alerts:?}");
    // The walk of the learned file is not reported.
    assert!(alerts.iter().all(|a| a["rule"] != "ZWD-302"), "{alerts:?}");
    std::fs::remove_dir_all(&dir).ok();
}
