//! End to end: real `samenloop` processes, driven as a reviewer would from a shell.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_samenloop");
const PASS: &str = "e2e passphrase";

fn samenloop(home: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--home")
        .arg(home)
        .args(args)
        .env("SAMENLOOP_PASSPHRASE", PASS)
        .env_remove("SAMENLOOP_HOME")
        .stdin(Stdio::null())
        .output()
        .expect("run samenloop")
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn fails(out: Output) -> String {
    assert!(!out.status.success(), "unexpectedly succeeded: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: Output) -> Value {
    serde_json::from_str(&ok(out)).expect("JSON output")
}

struct RunningNode {
    child: Child,
}

impl RunningNode {
    fn start(home: &Path, extra: &[&str]) -> RunningNode {
        let _ = std::fs::remove_file(home.join("api.addr"));
        let child = Command::new(BIN)
            .arg("--home")
            .arg(home)
            .args(["node", "run", "--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns", "--api", "127.0.0.1:0"])
            .args(extra)
            .env("SAMENLOOP_PASSPHRASE", PASS)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn node");
        let started = Instant::now();
        while !home.join("api.addr").exists() {
            assert!(started.elapsed() < Duration::from_secs(30), "node did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        RunningNode { child }
    }

    /// Sends SIGTERM and waits for a clean exit.
    fn stop(mut self) {
        Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status().expect("kill");
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "node exited with {status} after SIGTERM");
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "node did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn two_nodes_init_run_publish_and_search() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("anna"), tmp.path().join("bram"));

    let init = json(samenloop(&a, &["init", "--name", "Anna Jansen", "--json"]));
    let anna_id = init["peer_id"].as_str().unwrap().to_string();
    assert!(anna_id.starts_with("12D3KooW"));
    assert_eq!(init["home"].as_str().unwrap(), a.to_str().unwrap());
    json(samenloop(&b, &["init", "--name", "Bram de Boer", "--json"]));

    let err = fails(samenloop(&a, &["node", "status"]));
    assert!(err.contains("no samenloop node is running") && err.contains("node run"), "{err}");

    let node_a = RunningNode::start(&a, &[]);
    let status = json(samenloop(&a, &["node", "status", "--json"]));
    assert_eq!(status["peer_id"], anna_id.as_str());
    let addr = status["listen_addrs"][0].as_str().unwrap().to_string();
    let node_b = RunningNode::start(&b, &["--bootstrap", &addr]);

    let set = json(samenloop(
        &a,
        &[
            "profile",
            "set",
            "--expertise",
            "GGZ",
            "--expertise",
            "jeugdbescherming",
            "--region",
            "Utrecht",
            "--language",
            "nl",
            "--hours-per-month",
            "16",
            "--available-from",
            "2026-01-01",
            "--available-until",
            "2030-12-31",
            "--accreditation",
            "accredited",
            "--affiliation",
            "GGZ Centraal:2015:2021",
            "--rate",
            "130",
            "--json",
        ],
    ));
    assert_eq!(set["name"], "Anna Jansen", "init's name is kept");
    assert_eq!(set["expertise"][0], "ggz", "tags are normalised");
    assert_eq!(set["accreditation"]["status"], "self-declared");
    ok(samenloop(&b, &["profile", "set", "--expertise", "jgz", "--language", "nl", "--hours-per-month", "8"]));
    let cleared = json(samenloop(&b, &["profile", "set", "--affiliation", "X:2020", "--json"]));
    assert_eq!(cleared["affiliations"].as_array().unwrap().len(), 1);
    let cleared = json(samenloop(&b, &["profile", "set", "--clear", "affiliation", "--json"]));
    assert_eq!(cleared["affiliations"].as_array().unwrap().len(), 0);
    assert_eq!(cleared["expertise"][0], "jgz", "other fields are kept");
    let err = fails(samenloop(&b, &["profile", "set", "--clear", "name"]));
    assert!(err.contains("--clear") && err.contains("name"), "{err}");

    // Bad arguments name the argument, and publish nothing.
    let err = fails(samenloop(&a, &["profile", "set", "--available-from", "2026-13-01"]));
    assert!(err.contains("--available-from") && err.contains("YYYY-MM-DD"), "{err}");
    let err = fails(samenloop(&a, &["profile", "set", "--accreditation", "expert"]));
    assert!(err.contains("--accreditation") && err.contains("expert"), "{err}");
    let err = fails(samenloop(&a, &["profile", "set", "--hours-per-month", "1000", "--language", "Dutch!"]));
    assert!(err.contains("hours-per-month") && err.contains("language"), "every problem is listed: {err}");

    // Bram finds Anna through his own node's directory.
    let started = Instant::now();
    let found = loop {
        let r = json(samenloop(&b, &["directory", "search", "--expertise", "ggz", "--region", "utrecht", "--json"]));
        if r["results"].as_array().is_some_and(|a| !a.is_empty()) {
            break r;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "Anna's profile did not reach Bram: {r}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(found["results"][0]["peer_id"], anna_id.as_str());
    assert_eq!(found["results"][0]["rate_eur"], 130.0);
    let none =
        json(samenloop(&b, &["directory", "search", "--expertise", "ggz", "--available-on", "2031-01-01", "--json"]));
    assert_eq!(none["results"].as_array().unwrap().len(), 0);
    let shown = json(samenloop(&b, &["profile", "show", &anna_id, "--json"]));
    assert_eq!(shown["affiliations"][0]["organisation"], "GGZ Centraal");
    let text = ok(samenloop(&b, &["directory", "search", "--text", "anna"]));
    assert!(text.contains("1 reviewer found") && text.contains("Anna Jansen"), "{text}");

    // The API wants the token, and answers only to its own name (DNS rebinding gets 403).
    let api = std::fs::read_to_string(a.join("api.addr")).unwrap();
    let ask = |host: &str| {
        let mut s = TcpStream::connect(api.trim()).unwrap();
        write!(s, "GET /v1/status HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        answer
    };
    let answer = ask(api.trim());
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    let answer = ask("rebind.example");
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&a.join("api.token")), 0o600);
        assert_eq!(mode(&a.join("identity.key")), 0o600);
        assert_eq!(mode(&a), 0o700, "the home is private to its owner");
    }

    node_b.stop();
    node_a.stop();
    assert!(!a.join("api.addr").exists(), "clean shutdown removes the API address");

    // A restarted node still has its directory.
    let node_b = RunningNode::start(&b, &[]);
    let r = json(samenloop(&b, &["directory", "search", "--json"]));
    assert_eq!(r["directory_size"], 2);
    node_b.stop();
}

#[test]
fn identity_is_never_overwritten_and_bad_key_files_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("h");
    ok(samenloop(&home, &["init", "--name", "Carla"]));
    let key = home.join("identity.key");
    let original = std::fs::read(&key).unwrap();

    let err = fails(samenloop(&home, &["init", "--name", "Someone else"]));
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read(&key).unwrap(), original);

    let wrong = Command::new(BIN)
        .arg("--home")
        .arg(&home)
        .args(["node", "run", "--no-mdns", "--api", "127.0.0.1:0"])
        .env("SAMENLOOP_PASSPHRASE", "not the passphrase")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = fails(wrong);
    assert!(err.contains("wrong passphrase"), "{err}");
    assert_eq!(std::fs::read(&key).unwrap(), original);

    std::fs::write(&key, &original[..90]).unwrap();
    let err = fails(samenloop(&home, &["node", "run", "--no-mdns", "--api", "127.0.0.1:0"]));
    assert!(err.contains("truncated"), "{err}");
    assert_eq!(std::fs::read(&key).unwrap(), &original[..90], "a bad key file is left untouched");

    let mut corrupt = original.clone();
    corrupt[64] ^= 0xff;
    std::fs::write(&key, &corrupt).unwrap();
    let err = fails(samenloop(&home, &["node", "run", "--no-mdns", "--api", "127.0.0.1:0"]));
    assert!(err.contains("corrupted"), "{err}");
    assert_eq!(std::fs::read(&key).unwrap(), corrupt);

    std::fs::write(&key, &original).unwrap();
    let err = fails(samenloop(&home, &["node", "run", "--no-mdns", "--api", "0.0.0.0:0"]));
    assert!(err.contains("loopback"), "{err}");

    let no_pass = Command::new(BIN)
        .arg("--home")
        .arg(tmp.path().join("fresh"))
        .args(["init", "--name", "X"])
        .env_remove("SAMENLOOP_PASSPHRASE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = fails(no_pass);
    assert!(err.contains("SAMENLOOP_PASSPHRASE"), "{err}");
}

#[test]
fn a_requester_refers_a_request_and_a_reviewer_accepts() {
    let tmp = tempfile::tempdir().unwrap();
    let (req, rev) = (tmp.path().join("gemeente"), tmp.path().join("reviewer"));
    ok(samenloop(&req, &["init", "--name", "Gemeente Utrecht"]));
    let reviewer_id =
        json(samenloop(&rev, &["init", "--name", "Anna", "--json"]))["peer_id"].as_str().unwrap().to_string();
    let node_req = RunningNode::start(&req, &[]);
    let addr = json(samenloop(&req, &["node", "status", "--json"]))["listen_addrs"][0].as_str().unwrap().to_string();
    let node_rev = RunningNode::start(&rev, &["--bootstrap", &addr]);
    ok(samenloop(
        &rev,
        &[
            "profile",
            "set",
            "--expertise",
            "ggz",
            "--region",
            "Utrecht",
            "--language",
            "nl",
            "--hours-per-month",
            "20",
            "--accreditation",
            "accredited",
        ],
    ));

    // Every missing field at once, by name.
    let err = fails(samenloop(&req, &["request", "new", "--reason", "x"]));
    for field in
        ["--learning-question", "--period-from", "--desired-start", "--budget-hours", "--organisation", "--contact"]
    {
        assert!(err.contains(field), "{field} missing from: {err}");
    }
    let err = fails(samenloop(&req, &["request", "new", "--organisation", "GI:hospital"]));
    assert!(err.contains("--organisation") && err.contains("hospital"), "{err}");

    let file = tmp.path().join("request.toml");
    std::fs::write(
        &file,
        samenloop_tests::shell::request_toml("canary-e2e-91b2: how did the chain lose sight of the child?"),
    )
    .unwrap();
    let id = json(samenloop(&req, &["request", "new", "--from", file.to_str().unwrap(), "--json"]))["id"]
        .as_str()
        .unwrap()
        .to_string();

    let started = Instant::now();
    let matched = loop {
        let m = json(samenloop(&req, &["request", "match", &id, "--json"]));
        if m["candidates"].as_array().is_some_and(|c| !c.is_empty()) {
            break m;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the reviewer never became a candidate: {m}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(matched["candidates"][0]["peer"], reviewer_id.as_str());
    assert!(matched["candidates"][0]["reasons"].as_array().unwrap().len() >= 2);

    ok(samenloop(&req, &["request", "refer", &id, "--to", &reviewer_id, "--respond-by", "2030-12-31"]));
    let started = Instant::now();
    let referral_id = loop {
        let list = json(samenloop(&rev, &["referral", "list", "--json"]));
        if let Some(r) = list.as_array().and_then(|a| a.first()) {
            break r["referral_id"].as_str().unwrap().to_string();
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the referral never arrived");
        std::thread::sleep(Duration::from_millis(100));
    };
    let shown = ok(samenloop(&rev, &["referral", "show", &referral_id]));
    assert!(shown.contains("canary-e2e-91b2"), "{shown}");
    let err = fails(samenloop(&rev, &["referral", "accept", &referral_id]));
    assert!(err.contains("--declare-no-conflict"), "{err}");
    ok(samenloop(&rev, &["referral", "accept", &referral_id, "--declare-no-conflict"]));
    let started = Instant::now();
    loop {
        let r = json(samenloop(&req, &["request", "show", &id, "--json"]));
        if r["referrals"][0]["state"]["state"] == "accepted" {
            assert!(r["history"].as_array().unwrap().iter().any(|h| h["event"] == "accepted"));
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the acceptance never reached the requester: {r}");
        std::thread::sleep(Duration::from_millis(100));
    }
    node_rev.stop();
    node_req.stop();
}

#[test]
fn a_reviewer_works_on_a_case_from_the_shell_and_exports_it() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("anna");
    ok(samenloop(&home, &["init", "--name", "Anna"]));
    let node = RunningNode::start(&home, &[]);
    let case = json(samenloop(&home, &["case", "open", "--title", "Case 2026-7", "--json"]))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let entry = ok(samenloop(
        &home,
        &["case", "timeline", "add", &case, "--date", "2024-03-02", "--what", "Home visit", "--set", "actor=GI-1"],
    ))
    .trim()
    .to_string();
    ok(samenloop(
        &home,
        &[
            "case",
            "timeline",
            "add",
            &case,
            "--date",
            "2024-03-01",
            "--set",
            "precision=month",
            "--what",
            "Some time in March",
        ],
    ));
    ok(samenloop(&home, &["case", "timeline", "edit", &case, "--id", &entry, "--set", "decision=No safety plan"]));
    ok(samenloop(&home, &["case", "note", "add", &case, "--title", "Interview M1", "--text", "notes text"]));
    ok(samenloop(
        &home,
        &["case", "episode", "add", &case, "--title", "The March visit", "--set", &format!("timeline_entries={entry}")],
    ));
    ok(samenloop(&home, &["case", "step", &case, "2", "--date", "2026-11-23"]));
    let list = json(samenloop(&home, &["case", "timeline", "list", &case, "--json"]));
    let whats: Vec<&str> = list.as_array().unwrap().iter().map(|e| e["what"].as_str().unwrap()).collect();
    assert_eq!(whats, ["Home visit", "Some time in March"], "time order, the month-level entry mid-month");
    assert_eq!(list[0]["decision"], "No safety plan");
    let text = ok(samenloop(&home, &["case", "timeline", "list", &case]));
    assert!(text.contains("Home visit") && text.contains("decision: No safety plan"), "{text}");

    // Comments beside the entity, then resolved by id alone.
    let comment = ok(samenloop(
        &home,
        &["case", "comment", &case, "--on", &entry, "--kind", "challenge", "--text", "Known then?"],
    ))
    .trim()
    .to_string();
    let text = ok(samenloop(&home, &["case", "timeline", "list", &case]));
    assert!(text.contains(&format!("comment {comment} [challenge]: Known then?")), "{text}");
    ok(samenloop(&home, &["case", "comment", "resolve", &comment]));
    let comments = json(samenloop(&home, &["case", "comments", &case, "--json"]));
    assert_eq!(comments[0]["resolved"], true);
    let err = fails(samenloop(&home, &["case", "comment", "resolve", "nope"]));
    assert!(err.contains("no comment nope"), "{err}");
    let err = fails(samenloop(&home, &["case", "comment", &case, "--kind", "question"]));
    assert!(err.contains("--text"), "{err}");

    // The final report: blocked by an identifier in a timeline entry until it is removed or allowed.
    let bsn = ok(samenloop(
        &home,
        &["case", "timeline", "add", &case, "--what", "Client BSN 111222333 was shared by e-mail"],
    ))
    .trim()
    .to_string();
    let report_md = tmp.path().join("report.md");
    let err = fails(samenloop(&home, &["case", "report", &case, "--out", report_md.to_str().unwrap()]));
    assert!(
        err.contains("not written")
            && err.contains("111222333")
            && err.contains(&format!("timeline entry {}", &bsn[..8])),
        "{err}"
    );
    assert!(!report_md.exists(), "nothing written");
    let allowed = samenloop(&home, &["case", "report", &case, "--format", "html", "--allow", "111222333"]);
    let said = String::from_utf8_lossy(&allowed.stderr).into_owned();
    assert!(said.contains("allowed by you") && said.contains("timeline entry"), "{said}");
    assert!(!said.contains("111222333"), "an allowed identifier's text is never printed: {said}");
    let html = ok(allowed);
    assert!(html.contains("<meta charset=\"utf-8\">") && html.contains("Case 2026-7"), "{html}");
    ok(samenloop(&home, &["case", "timeline", "remove", &case, "--id", &bsn]));
    // A real name recorded in the notes blocks the report wherever it appears in the report's text.
    ok(samenloop(&home, &["case", "real-name", &case, "GI-1", "Jan Jansen"]));
    let named =
        ok(samenloop(&home, &["case", "timeline", "add", &case, "--what", "Mevrouw Jansen belt"])).trim().to_string();
    let err = fails(samenloop(&home, &["case", "report", &case]));
    assert!(err.contains("real name") && err.contains("Jansen"), "{err}");
    ok(samenloop(&home, &["case", "timeline", "remove", &case, "--id", &named]));
    let clean = ok(samenloop(&home, &["case", "report", &case]));
    assert!(!clean.contains("Jansen"), "the name is gone from the report's text");
    ok(samenloop(
        &home,
        &["case", "report", &case, "--follow-up", "Evaluate in a year", "--out", report_md.to_str().unwrap()],
    ));
    let md = std::fs::read_to_string(&report_md).unwrap();
    for section in ["Case 2026-7", "Home visit", "The March visit", "Evaluate in a year", "Reviewer A"] {
        assert!(md.contains(section), "the report lacks `{section}`:\n{md}");
    }
    assert!(!md.contains("111222333"));

    // Import several at once from a file.
    let file = tmp.path().join("timeline.json");
    std::fs::write(
        &file,
        r#"[{"date": "2023-06-01", "precision": "year", "what": "Imported A"}, {"what": "Imported B"}]"#,
    )
    .unwrap();
    let ids = ok(samenloop(&home, &["case", "timeline", "import", &case, "--from", file.to_str().unwrap()]));
    assert_eq!(ids.lines().count(), 2);
    std::fs::write(&file, r#"[{"what": "x"}, 3]"#).unwrap();
    let err = fails(samenloop(&home, &["case", "timeline", "import", &case, "--from", file.to_str().unwrap()]));
    assert!(err.contains("item 2 is not an object"), "{err}");
    for id in ids.lines() {
        ok(samenloop(&home, &["case", "timeline", "remove", &case, "--id", id]));
    }

    // Bad input: clear errors, nothing changed.
    let err = fails(samenloop(&home, &["case", "timeline", "add", &case, "--set", "colour=red"]));
    assert!(err.contains("unknown field `colour`"), "{err}");
    let err = fails(samenloop(&home, &["case", "timeline", "add", &case, "--date", "2024-02-30"]));
    assert!(err.contains("date") || err.contains("day"), "{err}");
    let err = fails(samenloop(&home, &["case", "step", &case, "9"]));
    assert!(err.contains("1 to 6"), "{err}");
    let err = fails(samenloop(&home, &["case", "show", "00112233445566778899aabbccddeeff"]));
    assert!(err.contains("no case"), "{err}");
    assert_eq!(json(samenloop(&home, &["case", "timeline", "list", &case, "--json"])).as_array().unwrap().len(), 2);

    // Export both ways; the automerge file loads in the automerge crate with the same content as the JSON.
    let am = tmp.path().join("analysis.automerge");
    let js = tmp.path().join("analysis.json");
    ok(samenloop(
        &home,
        &["case", "export", &case, "--doc", "analysis", "--format", "automerge", "--out", am.to_str().unwrap()],
    ));
    ok(samenloop(
        &home,
        &["case", "export", &case, "--doc", "analysis", "--format", "json", "--out", js.to_str().unwrap()],
    ));
    let err = fails(samenloop(&home, &["case", "export", &case, "--format", "json", "--out", js.to_str().unwrap()]));
    assert!(err.contains("already exists"), "an export never replaces a file: {err}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&am).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let bytes = std::fs::read(&am).unwrap();
    let mut raw = automerge::AutoCommit::load(&bytes).expect("loads in the automerge crate");
    assert!(!raw.get_heads().is_empty());
    let doc = samenloop_protocol::cases::analysis::AnalysisDoc::load(&bytes, &[1; 32]).unwrap();
    let exported: Value = serde_json::from_slice(&std::fs::read(&js).unwrap()).unwrap();
    assert_eq!(doc.to_json().unwrap(), exported, "the same content in both formats");
    assert_eq!(exported["title"], "Case 2026-7");
    // The audit trail names each export and report, with the digest of the file written and the override.
    let audit = ok(samenloop(&home, &["case", "audit", &case, "--verify"]));
    for line in [
        "opened the case as lead",
        "exported the analysis document as automerge",
        "exported the analysis document as json",
        "overriding 1 identifier check(s): citizen service number (BSN) in timeline entry",
        "verified: ",
    ] {
        assert!(audit.contains(line), "the trail lacks `{line}`:\n{audit}");
    }
    assert!(!audit.contains("111222333"), "the overridden identifier is not in the trail");
    let trail = json(samenloop(&home, &["case", "audit", &case, "--json"]));
    let sha = |p: &std::path::Path| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()))
    };
    let digests: Vec<&str> =
        trail["entries"].as_array().unwrap().iter().filter_map(|e| e["detail"]["sha256"].as_str()).collect();
    for file in [&am, &js, &report_md] {
        assert!(digests.contains(&sha(file).as_str()), "{} is in the trail by its digest", file.display());
    }
    let summary = json(samenloop(&home, &["case", "show", &case, "--json"]));
    assert_eq!(summary["step"], 2);
    assert_eq!(summary["timeline_entries"], 2);
    node.stop();
}

#[test]
fn the_demo_runs_the_whole_flow() {
    let out =
        Command::new(BIN).arg("demo").env_remove("SAMENLOOP_HOME").stdin(Stdio::null()).output().expect("run demo");
    let text = ok(out);
    for expected in [
        "serves the network as relay and mailbox",
        "behind a router (not reachable from outside)",
        "relayed via",
        "relayed to",
        "through the relay named in her signed profile",
        "accepted, declaring no conflict of interest",
        "samenloop case open --referral",
        "learning question: How did the organisations",
        "Veilig Thuis receives a report from the school",
        "Family guardian visits; the mother cancels the follow-up",
        "comment",
        "[challenge]",
        "# Review for Gemeente Utrecht",
        "destroyed by",
        "drew up the final report as md",
        "confirmed the destruction on its node",
        "Demo finished",
    ] {
        assert!(text.contains(expected), "the demo did not show `{expected}`:\n{text}");
    }
    // The merged timeline is in time order: the February report before the March visit.
    let feb = text.rfind("Veilig Thuis receives a report").unwrap();
    let mar = text.rfind("Family guardian visits").unwrap();
    assert!(feb < mar);
}

/// The process ids whose command line holds `needle` (Linux: /proc).
#[cfg(target_os = "linux")]
fn pids_with(needle: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        if let Ok(cmd) = std::fs::read(entry.path().join("cmdline"))
            && String::from_utf8_lossy(&cmd).replace('\0', " ").contains(needle)
        {
            out.push(pid);
        }
    }
    out
}

#[test]
#[cfg(target_os = "linux")]
fn open_starts_the_node_in_the_background_and_prints_a_one_time_link() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("nieuw");
    std::fs::create_dir_all(&home).unwrap();
    // A free port, no mDNS: this test must not meet other nodes.
    std::fs::write(
        home.join("config.toml"),
        "api = \"127.0.0.1:0\"\nmdns = false\nlisten = [\"/ip4/127.0.0.1/tcp/0\"]\n",
    )
    .unwrap();

    let link = ok(samenloop(&home, &["open", "--print-link"])).trim().to_string();
    let api = std::fs::read_to_string(home.join("api.addr")).unwrap().trim().to_string();
    let token = link.strip_prefix(&format!("http://{api}/login/")).unwrap_or_else(|| panic!("{link} vs {api}"));
    assert!(token.len() == 64 && token.chars().all(|c| c.is_ascii_hexdigit()), "{link}");
    let node = pids_with(&format!("{} node run --wait-for-unlock", home.display()));
    assert_eq!(node.len(), 1, "one background node for the home");

    let get = |path: &str| {
        let mut s = TcpStream::connect(&api).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: {api}\r\nConnection: close\r\n\r\n").unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        answer
    };
    let path = format!("/login/{token}");
    let first = get(&path);
    assert!(first.starts_with("HTTP/1.1 303") && first.contains("samenloop_session="), "{first}");
    assert!(get(&path).starts_with("HTTP/1.1 401"), "a link works once");
    // No identity yet, no passphrase asked anywhere: the node waits for the first-run page.
    assert!(!home.join("identity.key").exists());

    // A second `open` reuses the running node.
    let again = ok(samenloop(&home, &["open", "--print-link"]));
    assert!(again.starts_with(&format!("http://{api}/login/")) && again.trim() != link, "{again}");
    assert_eq!(pids_with(&format!("{} node run --wait-for-unlock", home.display())), node);
    let log = std::fs::metadata(home.join("node.log")).unwrap();
    assert_eq!(log.permissions().mode() & 0o777, 0o600, "the node's log is private");

    Command::new("kill").arg("-TERM").arg(node[0].to_string()).status().unwrap();
    let started = Instant::now();
    while home.join("api.addr").exists() {
        assert!(started.elapsed() < Duration::from_secs(10), "the background node did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_closed_output_pipe_ends_the_program_quietly() {
    // The reader is gone before the program writes: as with `samenloop expertise --json | grep -q X`.
    for args in [&["expertise", "--json"][..], &["expertise"][..]] {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let out = Command::new(BIN)
            .args(args)
            .env_remove("SAMENLOOP_HOME")
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .expect("run samenloop");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: exit {:?}, stderr: {stderr}", out.status);
        assert!(stderr.is_empty(), "{args:?}: nothing is said on stderr: {stderr}");
    }
}

/// Every command path of `samenloop --help`, walked down to the leaves ("case timeline add").
fn command_paths(prefix: &[String], out: &mut Vec<Vec<String>>) {
    let help = Command::new(BIN).args(prefix).arg("--help").output().expect("run samenloop --help");
    let text = String::from_utf8_lossy(&help.stdout).into_owned();
    let mut subcommands = Vec::new();
    let mut in_commands = false;
    for line in text.lines() {
        if line == "Commands:" {
            in_commands = true;
            continue;
        }
        if in_commands {
            let Some(name) = line.strip_prefix("  ").and_then(|l| l.split_whitespace().next()) else { break };
            if name != "help" && !line.starts_with("   ") {
                subcommands.push(name.to_string());
            }
        }
    }
    if subcommands.is_empty() {
        out.push(prefix.to_vec());
    }
    for name in subcommands {
        let mut path = prefix.to_vec();
        path.push(name);
        command_paths(&path, out);
    }
}

#[test]
fn every_command_is_in_the_user_guides_command_table() {
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/user-guide.md")).expect("guide");
    let table = guide
        .split("**Commands**")
        .nth(1)
        .and_then(|rest| rest.split("**Environment variables**").next())
        .expect("the guide's reference has a command table");
    // The commands each row names, as words up to the first argument; `KIND` stands for every kind listed.
    let rows: Vec<Vec<&str>> =
        table.lines().filter(|l| l.starts_with("| `")).map(|row| row.split(" | ").collect()).collect();
    // The kinds `KIND` stands for, as the row that introduces it lists them.
    let kinds: Vec<String> = rows
        .iter()
        .find(|cells| cells[0].contains("KIND"))
        .and_then(|cells| cells.get(1))
        .map(|d| d.split('`').skip(1).step_by(2).map(str::to_string).collect())
        .unwrap_or_default();
    let mut documented: Vec<Vec<String>> = Vec::new();
    for cells in &rows {
        for command in cells[0].split('`').skip(1).step_by(2) {
            let words: Vec<String> = command
                .split_whitespace()
                .skip_while(|w| *w == "samenloop")
                .take_while(|w| {
                    *w == "KIND" || (!w.starts_with('-') && w.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
                })
                .map(str::to_string)
                .collect();
            if words.iter().any(|w| w == "KIND") {
                for kind in &kinds {
                    documented.push(words.iter().map(|w| if w == "KIND" { kind.clone() } else { w.clone() }).collect());
                }
            } else {
                documented.push(words);
            }
        }
    }
    let mut paths = Vec::new();
    command_paths(&[], &mut paths);
    assert!(paths.len() > 40, "the walk found the commands: {paths:?}");
    let missing: Vec<String> = paths.iter().filter(|p| !documented.contains(p)).map(|p| p.join(" ")).collect();
    assert!(missing.is_empty(), "commands missing from the user guide's command table (section 15): {missing:?}");
}
