//! Sealed bundles and case documents, on one core. A bench binary that prints figures.
//!
//! - seal/open: `SealedBundle::seal` + chain hash (+ the author's signed head), and parse + chain check +
//!   `open` (+ head verification), against plain XChaCha20-Poly1305 on the same data in the same run, for
//!   1 KiB, 16 KiB and 1 MiB. Heads are reported both per bundle (a single interactive edit) and amortised over
//!   runs of 64 bundles (catch-up, bulk import). Target: ratio at least 0.8 at 16 KiB and above.
//! - a case whose timeline has 10 000 entries by two authors (one bundle per entry): bytes a fresh member
//!   downloads as bundles and as a snapshot, against Automerge's own sync protocol for the same document;
//!   time to verify, decrypt and apply everything; time to load the document from a sealed snapshot (what a
//!   restart does). Targets: at most 1.2x Automerge's bytes; load at most 500 ms.
//! - the final report for that case: identifier check and rendering (Markdown, HTML), time and peak memory.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use samenloop_protocol::cases::analysis::{AnalysisDoc, Precision, TimelineEntry};
use samenloop_protocol::cases::bundle::{
    BundleHeader, BundleKey, SealedBundle, SealedSnapshot, SignedHead, verify_run,
};
use samenloop_protocol::cases::doc_log::check_changes;
use samenloop_protocol::cases::ledger::{CaseId, DocKind, EpochKey};
use samenloop_protocol::ed25519_dalek::SigningKey;
use zeroize::Zeroizing;

const CASE: CaseId = CaseId([3; 16]);

fn time<F: FnMut()>(iters: usize, mut f: F) -> Duration {
    f();
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed() / iters as u32
}

fn bundle_key() -> BundleKey {
    BundleKey::derive(&EpochKey(Zeroizing::new([9; 32])), &CASE, DocKind::Analysis, 1)
}

fn seal_open(size: usize, signer: &SigningKey) {
    let data = vec![0x5au8; size];
    let iters = (64 * 1024 * 1024 / size).clamp(200, 20_000);
    let cipher = XChaCha20Poly1305::new(&chacha20poly1305::Key::from([9u8; 32]));
    let nonce = XNonce::from([1u8; 24]);
    let mut buf = data.clone();
    let plain_seal = time(iters, || {
        buf.copy_from_slice(&data);
        black_box(cipher.encrypt_inout_detached(&nonce, b"aad", buf.as_mut_slice().into()).unwrap());
    });
    let tag = cipher.encrypt_inout_detached(&nonce, b"aad", buf.as_mut_slice().into()).unwrap();
    let ct = buf.clone();
    let plain_open = time(iters, || {
        buf.copy_from_slice(&ct);
        cipher.decrypt_inout_detached(&nonce, b"aad", buf.as_mut_slice().into(), &tag).unwrap();
    });

    let key = bundle_key();
    let author = signer.verifying_key().to_bytes();
    let header = BundleHeader { case: CASE, doc: DocKind::Analysis, epoch: 1, author, seq: 1, prev: [0; 32] };
    let seal_chain = time(iters, || {
        let b = SealedBundle::seal(&key, header, &data, [2; 24]).unwrap();
        black_box(b.chain_hash());
    });
    let sign = time(iters.min(2_000), || {
        black_box(SignedHead::sign(signer, CASE, DocKind::Analysis, 1, [7; 32]));
    });
    let bundle = SealedBundle::seal(&key, header, &data, [2; 24]).unwrap();
    let head = SignedHead::sign(signer, CASE, DocKind::Analysis, 1, bundle.chain_hash());
    let wire = bundle.bytes().to_vec();
    let head_wire = head.encode();
    // Parsing takes ownership of the received bytes (no copy); opening copies the ciphertext once and
    // decrypts in place, as the plain baseline does.
    let parsed = SealedBundle::parse(wire.clone()).unwrap();
    let open_chain = time(iters, || {
        verify_run(0, &[0; 32], std::slice::from_ref(&parsed), &head).unwrap();
        black_box(parsed.open(&key).unwrap());
    });
    let verify = time(iters.min(2_000), || {
        black_box(SignedHead::decode(&head_wire).unwrap());
    });
    let ratio = |plain: Duration, ours: Duration| plain.as_secs_f64() / ours.as_secs_f64();
    let amortised = |d: Duration| d / 64;
    let label = match size {
        s if s >= 1 << 20 => format!("{} MiB", s >> 20),
        s => format!("{} KiB", s >> 10),
    };
    println!(
        "  {label:>6}: seal {:>9.1?} (plain {:>9.1?})  ratio amortised {:.2}, per-edit head {:.2} | open {:>9.1?} (plain {:>9.1?})  ratio amortised {:.2}, per-edit head {:.2}",
        seal_chain + amortised(sign),
        plain_seal,
        ratio(plain_seal, seal_chain + amortised(sign)),
        ratio(plain_seal, seal_chain + sign),
        open_chain + amortised(verify),
        plain_open,
        ratio(plain_open, open_chain + amortised(verify)),
        ratio(plain_open, open_chain + verify),
    );
}

fn entry(i: usize) -> TimelineEntry {
    TimelineEntry {
        date: Some(samenloop_protocol::CalendarDate::from_days_since_epoch(19_000 + (i % 900) as i64)),
        precision: Some(if i.is_multiple_of(7) { Precision::Month } else { Precision::Day }),
        actor: format!("GI-{}", i % 12),
        agency: ["GI Midden", "Veilig Thuis", "Wijkteam Oost", "School"][i % 4].into(),
        what: format!("Contact {i}: home visit, the mother says the child slept at a friend's place"),
        known_then: "Earlier reports of neglect were known to the wijkteam, not to the school".into(),
        decision: "Follow up next week".into(),
        ..TimelineEntry::default()
    }
}

fn big_case() {
    const ENTRIES: usize = 10_000;
    let a = SigningKey::from_bytes(&[1; 32]);
    let b = SigningKey::from_bytes(&[2; 32]);
    let key = bundle_key();
    let mut doc_a = AnalysisDoc::new("Case of 10 000 entries", &a.verifying_key().to_bytes()).unwrap();
    let mut runs: Vec<(SigningKey, Vec<SealedBundle>)> = vec![(a.clone(), Vec::new()), (b.clone(), Vec::new())];
    // The lead's first bundle holds the document's creation.
    let mut prev = [[0u8; 32]; 2];
    let mut seal = |who: usize, changes: &[u8], runs: &mut Vec<(SigningKey, Vec<SealedBundle>)>| {
        let author = runs[who].0.verifying_key().to_bytes();
        let seq = runs[who].1.len() as u64 + 1;
        let header = BundleHeader { case: CASE, doc: DocKind::Analysis, epoch: 1, author, seq, prev: prev[who] };
        let bundle = SealedBundle::seal(&key, header, changes, [seq as u8; 24]).unwrap();
        prev[who] = bundle.chain_hash();
        runs[who].1.push(bundle);
    };
    let first = doc_a.save_after(&[]);
    seal(0, &first, &mut runs);
    let mut doc_b = doc_a.fork(&b.verifying_key().to_bytes());
    let started = Instant::now();
    for i in 0..ENTRIES {
        let (who, doc) = if i.is_multiple_of(2) { (0, &mut doc_a) } else { (1, &mut doc_b) };
        let before = doc.heads();
        doc.add_timeline_entry(&format!("{i:08x}"), &entry(i)).unwrap();
        let changes = doc.save_after(&before);
        seal(who, &changes, &mut runs);
    }
    doc_a.merge(&mut doc_b).unwrap();
    println!("  built {ENTRIES} entries as {} bundles in {:.1?}", runs[0].1.len() + runs[1].1.len(), started.elapsed());
    let heads: Vec<SignedHead> = runs
        .iter()
        .map(|(k, r)| SignedHead::sign(k, CASE, DocKind::Analysis, r.len() as u64, r.last().unwrap().chain_hash()))
        .collect();

    // A fresh member applies every bundle: verify the chains, check and decrypt, apply.
    let bundle_bytes: usize = runs.iter().flat_map(|(_, r)| r.iter().map(|b| b.bytes().len())).sum::<usize>() + 2 * 154;
    let started = Instant::now();
    let mut fresh = AnalysisDoc::blank(&[9; 32]);
    for ((signer, run), head) in runs.iter().zip(&heads) {
        let head = SignedHead::decode(&head.encode()).unwrap();
        verify_run(0, &[0; 32], run, &head).unwrap();
        for bundle in run {
            let changes = bundle.open(&key).unwrap();
            check_changes(&changes, &signer.verifying_key().to_bytes()).unwrap();
            fresh.apply(&changes).unwrap();
        }
    }
    let apply_bundles = started.elapsed();
    assert_eq!(fresh.heads(), doc_a.heads());

    // The same member from a snapshot.
    let saved = doc_a.save();
    let snapshot = SealedSnapshot::seal(&key, &a, CASE, DocKind::Analysis, 1, Vec::new(), &saved, [4; 24]).unwrap();
    let snapshot_bytes = snapshot.bytes().len();
    // The median of five loads: the machine is shared, and one run alone is noisy.
    let mut loads = Vec::new();
    let mut loaded = None;
    for _ in 0..5 {
        let started = Instant::now();
        let decoded = SealedSnapshot::decode(snapshot.bytes().to_vec()).unwrap();
        let plain = decoded.open(&key).unwrap();
        loaded = Some(AnalysisDoc::load(&plain, &[9; 32]).unwrap());
        loads.push(started.elapsed());
    }
    loads.sort();
    let load = loads[2];
    let mut loaded = loaded.unwrap();
    let plain = SealedSnapshot::decode(snapshot.bytes().to_vec()).unwrap().open(&key).unwrap();
    assert_eq!(loaded.heads(), doc_a.heads());
    assert_eq!(loaded.timeline().unwrap().len(), ENTRIES);

    // Automerge's own sync protocol from an empty document.
    let whole = doc_a.save_whole().unwrap();
    let mut full = automerge::AutoCommit::load(&whole).unwrap();
    let mut empty = automerge::AutoCommit::new();
    let (mut s1, mut s2) = (automerge::sync::State::new(), automerge::sync::State::new());
    let mut sync_bytes = 0usize;
    let mut messages = 0;
    use automerge::sync::SyncDoc;
    loop {
        let mut progressed = false;
        if let Some(m) = full.sync().generate_sync_message(&mut s1) {
            let enc = m.encode();
            sync_bytes += enc.len();
            messages += 1;
            empty.sync().receive_sync_message(&mut s2, automerge::sync::Message::decode(&enc).unwrap()).unwrap();
            progressed = true;
        }
        if let Some(m) = empty.sync().generate_sync_message(&mut s2) {
            let enc = m.encode();
            sync_bytes += enc.len();
            messages += 1;
            full.sync().receive_sync_message(&mut s1, automerge::sync::Message::decode(&enc).unwrap()).unwrap();
            progressed = true;
        }
        if !progressed {
            break;
        }
    }
    assert_eq!(empty.get_heads(), full.get_heads());
    println!(
        "  fresh member, bundles: {bundle_bytes} bytes ({:.2}x automerge sync), verify+decrypt+apply {apply_bundles:.1?}",
        bundle_bytes as f64 / sync_bytes as f64
    );
    println!(
        "  fresh member, snapshot: {snapshot_bytes} bytes ({:.2}x automerge sync)",
        snapshot_bytes as f64 / sync_bytes as f64
    );
    println!("  automerge sync from empty: {sync_bytes} bytes in {messages} messages");
    println!(
        "  load from a sealed snapshot (decrypt + load + checks): median of 5 {load:.1?} (fastest {:.1?}, slowest \
         {:.1?}; target <= 500 ms)",
        loads[0], loads[4]
    );
    // The same content as one Automerge document (the export), loaded on one core.
    let raw = time(3, || {
        black_box(automerge::AutoCommit::load(&whole).unwrap());
    });
    let unchecked = time(3, || {
        let opts = automerge::LoadOptions::new().verification_mode(automerge::VerificationMode::DontCheck);
        black_box(automerge::AutoCommit::load_with_options(&whole, opts).unwrap());
    });
    let into_blank = time(3, || {
        let mut d = AnalysisDoc::blank(&[9; 32]);
        d.apply(&plain).unwrap();
        black_box(d);
    });
    println!(
        "    parts applied to a blank document (the node's path) {into_blank:.1?}; the same as one Automerge \
         document: load {raw:.1?}, without hash verification {unchecked:.1?} (ratio {:.2})",
        into_blank.as_secs_f64() / raw.as_secs_f64()
    );

    // The final report for the same case, in a child process of its own so that its peak memory is the
    // report's and the case's alone, not this process's history.
    drop((loaded, fresh, full, empty, doc_a, doc_b, runs));
    let path = std::env::temp_dir().join(format!("samenloop-bench-case-{}.automerge", std::process::id()));
    std::fs::write(&path, &plain).unwrap();
    let out =
        std::process::Command::new(std::env::current_exe().unwrap()).arg(REPORT_CHILD).arg(&path).output().unwrap();
    let _ = std::fs::remove_file(&path);
    print!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(out.status.success(), "report child failed: {}", String::from_utf8_lossy(&out.stderr));
}

const REPORT_CHILD: &str = "report-child";

/// The child: loads the saved case, then checks and renders the report; prints time and memory.
fn report_child(path: &str) {
    use samenloop_protocol::report::{ReportFormat, ReportInput, ReportMember, check_report, render_report};
    let rss_start = rss_kib("VmRSS:");
    let plain = std::fs::read(path).unwrap();
    let loaded = AnalysisDoc::load(&plain, &[9; 32]).unwrap();
    drop(plain);
    // As the node does after loading (node/src/freed_memory.rs): hand back what the parallel load freed.
    // SAFETY: malloc_trim takes no pointers and only walks the allocator's own free lists.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::malloc_trim(0);
    }
    let rss_loaded = rss_kib("VmRSS:");
    // Reset the peak (Linux: "5" to clear_refs), so the peak below is the report's on top of the loaded case.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let input = ReportInput {
        analysis: &loaded,
        members: vec![ReportMember { role: "lead".into(), pseudonym: "Reviewer A".into() }],
        follow_up: "Evaluate in a year".into(),
        generated_on: samenloop_protocol::CalendarDate::from_days_since_epoch(20_415),
    };
    let names = vec![("GI-1".to_string(), "Jan Jansen".to_string())];
    let started = Instant::now();
    let hits = check_report(&input, &names, &[]).unwrap();
    let check = started.elapsed();
    let started = Instant::now();
    let md = render_report(&input, ReportFormat::Markdown).unwrap();
    let render_md = started.elapsed();
    let started = Instant::now();
    let html = render_report(&input, ReportFormat::Html).unwrap();
    let render_html = started.elapsed();
    let peak = rss_kib("VmHWM:");
    println!(
        "  report for the 10 000-entry case (own process): identifier check {check:.1?} ({} hits), Markdown \
         {render_md:.1?} ({} KB), HTML {render_html:.1?} ({} KB)",
        hits.len(),
        md.len() / 1024,
        html.len() / 1024,
    );
    println!(
        "    memory: process at start {:.1} MB, with the case loaded {:.1} MB, peak while checking and rendering \
         {:.1} MB{} (so the report itself takes at most {:.1} MB on top of the loaded case)",
        rss_start as f64 / 1024.0,
        rss_loaded as f64 / 1024.0,
        peak as f64 / 1024.0,
        if reset { "" } else { " (peak not reset: includes loading)" },
        peak.saturating_sub(rss_loaded) as f64 / 1024.0,
    );
}

/// A line of /proc/self/status (VmRSS, VmHWM), in KiB; 0 where /proc is not available.
fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(REPORT_CHILD) {
        report_child(&args[2]);
        return;
    }
    let signer = SigningKey::from_bytes(&[5; 32]);
    println!("seal/open vs plain XChaCha20-Poly1305 (amortised: one head per 64 bundles):");
    for size in [1 << 10, 16 << 10, 1 << 20] {
        seal_open(size, &signer);
    }
    println!("a case with a 10 000-entry timeline by two authors:");
    big_case();
}
