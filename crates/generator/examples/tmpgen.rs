fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = &args[1];
    let mut spec = zonewarden_generator::PlantSpec::default();
    if let Some(s) = args.get(2) {
        spec.target_bytes = Some(zonewarden_generator::parse_size(s).unwrap());
        spec.duration_secs = None;
    }
    if let Some(s) = args.get(3) {
        spec.seed = s.parse().unwrap();
    }
    let t = std::time::Instant::now();
    let f = std::fs::File::create(path).unwrap();
    let s = zonewarden_generator::write_pcap(&spec, f).unwrap();
    let e = t.elapsed().as_secs_f64();
    eprintln!(
        "{s:?} in {e:.3}s = {:.1} MB/s",
        s.bytes_written as f64 / e / 1e6
    );
}
