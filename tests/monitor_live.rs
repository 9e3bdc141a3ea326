//! `monitor --interface` (the `live` feature) raises the same alerts as offline analysis of
//! the same captures: a veth pair, the monitor capturing on one end, tcpreplay sending the
//! attack captures into the other, SIGTERM, then a comparison with `detect` on the files.
//! Needs root (veth), tcpreplay and libpcap: CI installs them; elsewhere the test skips with
//! the reason when they are missing.

#![cfg(feature = "live")]
// Test code: a failed expectation should stop the test loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

fn skip(reason: &str) {
    if common::is_ci() {
        panic!("{reason}");
    }
    eprintln!("SKIPPED: {reason}");
}

struct Veth(String);

impl Drop for Veth {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["link", "del", &self.0]).status();
    }
}

fn key(a: &Value) -> (String, String, String, String) {
    let s = |k: &str| a[k].as_str().unwrap_or("").to_string();
    (s("rule"), s("client"), s("server"), s("operation"))
}

#[test]
fn live_monitor_raises_the_same_alerts_as_offline_detection() {
    let Some(pcaps) = common::shared_pcaps() else {
        return;
    };
    if !Command::new("tcpreplay")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return skip("tcpreplay is not installed (.ci/run installs it)");
    }
    let pid = std::process::id() % 100_000;
    let (a, b) = (format!("zwa{pid}"), format!("zwb{pid}"));
    let created = Command::new("ip")
        .args(["link", "add", &a, "type", "veth", "peer", "name", &b])
        .status()
        .is_ok_and(|s| s.success());
    if !created {
        return skip("cannot create a veth pair (needs root)");
    }
    let _guard = Veth(a.clone());
    for dev in [&a, &b] {
        assert!(Command::new("ip")
            .args(["link", "set", dev, "up"])
            .status()
            .unwrap()
            .success());
        // No IPv6 chatter from the new links.
        let _ = Command::new("sysctl")
            .args(["-qw", &format!("net.ipv6.conf.{dev}.disable_ipv6=1")])
            .status();
    }
    let captures = [
        "attacks/cip_stop_plc.pcap",
        "attacks/gymgit_snap7_s300_stop.pcapng",
        "attacks/ChangeIPUsingDCP.pcap",
        "attacks/malcolm_port_scan.pcap",
        "attacks/quickdraw_CL5000EIP-Firmware_Change.pcap",
    ];
    let mut monitor = common::zonewarden()
        .args([
            "monitor",
            "--interface",
            &b,
            "--rotate",
            "600",
            "--poll",
            "0.2",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    for c in captures {
        let status = Command::new("tcpreplay")
            .args([
                "-q",
                "--pps",
                "5000",
                "-i",
                &a,
                pcaps.join(c).to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "tcpreplay {c}");
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert!(Command::new("kill")
        .args(["-TERM", &monitor.id().to_string()])
        .status()
        .unwrap()
        .success());
    let exit = monitor.wait().unwrap();
    let mut out = String::new();
    monitor
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let mut err = String::new();
    monitor
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(exit.success(), "{exit:?} {err}");
    assert!(err.contains("0 dropped (buffer)"), "kernel drops: {err}");
    let live: BTreeSet<_> = out
        .lines()
        .map(|l| key(&serde_json::from_str(l).unwrap()))
        .collect();
    // Offline: the same captures, one file each (the live run put them in one file: alerts
    // are per pair and operation either way).
    let mut offline = BTreeSet::new();
    for c in captures {
        let o = common::run(&[
            "detect",
            "--format",
            "jsonl",
            pcaps.join(c).to_str().unwrap(),
        ]);
        for l in String::from_utf8(o.stdout).unwrap().lines() {
            offline.insert(key(&serde_json::from_str(l).unwrap()));
        }
    }
    assert!(!offline.is_empty());
    assert_eq!(
        live, offline,
        "live alerts (left) vs offline (right); stderr: {err}"
    );
}
