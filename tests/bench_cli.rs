//! `zonewarden bench` end to end on a small generated plant: the table it prints, the packet
//! count it measures and the ratios it derives. Nothing here depends on how fast the machine
//! is: times are only checked to be positive.

// Test code: a failed expectation should stop the test loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

/// Every worker count of every stage gets one row, from rounds that alternate the counts, and
/// every row measured all of the capture's packets.
#[test]
fn bench_reports_each_stage_and_worker_count_over_every_packet() {
    let dir = std::env::temp_dir().join(format!("zonewarden-bench-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let capture = dir.join("plant.pcap");
    let out = common::run(&["generate", "--size", "2M", "-o", capture.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (scan, code) = common::scan_json(&[&capture]);
    assert_eq!(code, 0);
    let packets = scan["stats"]["packets"].as_u64().unwrap();
    assert!(packets > 1000, "{packets} packets generated");

    let out = common::run(&[
        "bench",
        capture.to_str().unwrap(),
        "--threads",
        "1,2,3",
        "--repeat",
        "2",
        "--stages",
        "flows,full",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines().next().is_some_and(|l| l.contains(&format!(
            "{} packets",
            zonewarden_report::thousands(packets)
        ))),
        "{text}"
    );
    for label in ["zonewarden flows", "zonewarden full+inventory"] {
        let rows: Vec<Vec<&str>> = text
            .lines()
            .filter_map(|l| l.strip_prefix(label))
            .filter(|rest| rest.starts_with(' '))
            .map(|rest| rest.split_whitespace().collect())
            .collect();
        let workers: Vec<&str> = rows.iter().map(|r| r[0]).collect();
        assert_eq!(workers, ["1", "2", "3"], "{label} rows in\n{text}");
        for row in &rows {
            let seconds: f64 = row[1].parse().unwrap();
            assert!(seconds > 0.0, "{label}: {row:?}");
            let rate: u64 = row[2].replace(',', "").parse().unwrap();
            // The rate is the packets over the time (printed to the millisecond): both came
            // from one run over all packets.
            let (fastest, slowest) = (
                packets as f64 / (seconds - 0.0005),
                packets as f64 / (seconds + 0.0005),
            );
            assert!(
                (slowest - 1.0..=fastest + 1.0).contains(&(rate as f64)),
                "{label}: {row:?} against {packets} packets"
            );
        }
        for n in [2, 3] {
            assert!(
                text.contains(&format!("{label}: {n} workers run ")),
                "{label} ratio for {n} workers missing in\n{text}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
