//! `kazasu onshi`: the terminal's file interface as clinic systems use it — requests into `req`,
//! answers out of `res`, card visits into `face` — including malformed and half-written files, a
//! crash between answering and moving a request, and a burst of requests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use serde_json::Value;

/// The sandbox clinic, and a fixed clock so qualifications and ages do not move.
const FACILITY: &str = "1310000019";
const AT: &str = "2026-11-26T10:00:00+09:00";
/// 山田 花子 (virtual card seed 0) in the sandbox: employees' insurance 06139992, 記号 12, 番号 3456.
const HANAKO: Insured = Insured {
    insurer: "06139992",
    symbol: "12",
    number: "3456",
    branch: "00",
    birth: "19850412",
};
/// Nobody in the sandbox.
const NOBODY: Insured = Insured {
    birth: "19990101",
    ..HANAKO
};

#[derive(Clone, Copy)]
struct Insured {
    insurer: &'static str,
    symbol: &'static str,
    number: &'static str,
    branch: &'static str,
    birth: &'static str,
}

impl Insured {
    fn fields(&self) -> String {
        format!(
            "<InsurerNumber>{}</InsurerNumber><InsuredCardSymbol>{}</InsuredCardSymbol>\
             <InsuredIdentificationNumber>{}</InsuredIdentificationNumber>\
             <InsuredBranchNumber>{}</InsuredBranchNumber><Birthdate>{}</Birthdate>",
            self.insurer, self.symbol, self.number, self.branch, self.birth
        )
    }
}

fn kazasu(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kazasu"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(input) = stdin {
        pipe.write_all(input.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn serve_once(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let d = dir.to_str().unwrap();
    let mut args = vec!["onshi", "serve", "--dir", d, "--once", "--at", AT];
    args.extend_from_slice(extra);
    kazasu(&args, None, env)
}

fn header(id: &str, facility: &str, code: &str) -> String {
    format!(
        "<MessageHeader><QualificationConfirmationDate>20261126</QualificationConfirmationDate>\
         <MedicalInstitutionCode>{facility}</MedicalInstitutionCode>\
         <ArbitraryFileIdentifier>{id}</ArbitraryFileIdentifier>{code}</MessageHeader>"
    )
}

fn document(encoding: &str, header: &str, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"{encoding}\" standalone=\"no\"?>\n\
         <XmlMsg>{header}<MessageBody>{body}</MessageBody></XmlMsg>\n"
    )
}

fn confirmation(id: &str, who: Insured) -> String {
    document(
        "UTF-8",
        &header(id, FACILITY, ""),
        &format!(
            "<QualificationConfirmSearchInfo>{}</QualificationConfirmSearchInfo>",
            who.fields()
        ),
    )
}

fn registration(id: &str, who: Insured, reference: &str) -> String {
    document(
        "UTF-8",
        &header(id, FACILITY, ""),
        &format!(
            "{}<ReferenceNumber>{reference}</ReferenceNumber>",
            who.fields()
        ),
    )
}

fn bulk(id: &str, units: &[(Insured, &str)]) -> String {
    let units: String = units
        .iter()
        .map(|(who, reference)| {
            format!(
                "<ReferenceNumberRegistrationInfo>{}<ReferenceNumber>{reference}</ReferenceNumber>\
                 </ReferenceNumberRegistrationInfo>",
                who.fields()
            )
        })
        .collect();
    document("UTF-8", &header(id, FACILITY, ""), &units)
}

/// As vendors deliver a request: written under a temporary name, then renamed into `req`.
fn deliver(dir: &Path, name: &str, content: &[u8]) {
    let req = dir.join("req");
    fs::create_dir_all(&req).unwrap();
    let temp = req.join(format!(".{name}.part"));
    fs::write(&temp, content).unwrap();
    fs::rename(&temp, req.join(name)).unwrap();
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().unwrap().is_file())
            .map(|e| e.file_name().into_string().unwrap())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

fn parse_json(path: &Path) -> Value {
    let out = kazasu(
        &["onshi", "parse", "--json", path.to_str().unwrap()],
        None,
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `XmlMsg` of a parsed result file.
fn result(path: &Path) -> Value {
    let v = parse_json(path);
    assert_eq!(v["message"]["kind"], "Result", "{v}");
    v["message"]["XmlMsg"].clone()
}

/// Request name → how many times each run's log said it was answered (or failed), and how many
/// times it was found already answered.
fn tally(logs: &[&Output]) -> (BTreeMap<String, usize>, BTreeMap<String, usize>) {
    let mut answered = BTreeMap::new();
    let mut already = BTreeMap::new();
    for out in logs {
        for line in text(&out.stdout).lines() {
            let (map, rest) = if let Some(r) = line.strip_prefix("answered ") {
                (&mut answered, r)
            } else if let Some(r) = line.strip_prefix("failed ") {
                (&mut answered, r)
            } else if let Some(r) = line.strip_prefix("already answered ") {
                (&mut already, r)
            } else {
                panic!("unexpected line {line:?}");
            };
            let name = rest.split(' ').next().unwrap().to_owned();
            *map.entry(name).or_insert(0) += 1;
        }
    }
    (answered, already)
}

#[test]
fn serve_once_answers_every_request_kind() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Names sort in processing order: the bulk and the single registration before the confirmations.
    deliver(
        d,
        "OQSmuimm01req_0001.xml",
        bulk("0001", &[(HANAKO, "P-000123"), (NOBODY, "P-000999")]).as_bytes(),
    );
    deliver(
        d,
        "OQSsiimm01req_0002.xml",
        registration("0002", HANAKO, "P-000124").as_bytes(),
    );
    deliver(
        d,
        "OQSsiqcf01req_0003.xml",
        confirmation("0003", HANAKO).as_bytes(),
    );
    // Shift_JIS, said by the declaration and by CharacterCodeIdentifier `1` (the request is ASCII,
    // which Shift_JIS shares; the answer carries kanji).
    let sjis = document(
        "Shift_JIS",
        &header(
            "0004",
            FACILITY,
            "<CharacterCodeIdentifier>1</CharacterCodeIdentifier>",
        ),
        &format!(
            "<QualificationConfirmSearchInfo>{}</QualificationConfirmSearchInfo>",
            HANAKO.fields()
        ),
    );
    deliver(d, "OQSsiqcf01req_0004.xml", sjis.as_bytes());
    deliver(
        d,
        "OQSsiqcf01req_0005.xml",
        confirmation("0005", NOBODY).as_bytes(),
    );
    let other = document(
        "UTF-8",
        &header("0006", "1319999999", ""),
        &format!(
            "<QualificationConfirmSearchInfo>{}</QualificationConfirmSearchInfo>",
            HANAKO.fields()
        ),
    );
    deliver(d, "OQSsiqcf01req_0006.xml", other.as_bytes());

    let out = serve_once(d, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (answered, already) = tally(&[&out]);
    assert_eq!(answered.len(), 6, "{}", text(&out.stdout));
    assert!(answered.values().all(|n| *n == 1));
    assert!(already.is_empty());
    assert_eq!(files(&d.join("req")), Vec::<String>::new());
    assert_eq!(
        files(&d.join("req/done")),
        [
            "OQSmuimm01req_0001.xml",
            "OQSsiimm01req_0002.xml",
            "OQSsiqcf01req_0003.xml",
            "OQSsiqcf01req_0004.xml",
            "OQSsiqcf01req_0005.xml"
        ]
    );
    assert_eq!(files(&d.join("req/failed")), ["OQSsiqcf01req_0006.xml"]);
    assert_eq!(files(&d.join("res")).len(), 6);

    // Bulk: one unit per patient, each with its own outcome.
    let bulk = result(&d.join("res/OQSmuimm01res_0001.xml"));
    assert_eq!(bulk["MessageHeader"]["ArbitraryFileIdentifier"], "0001");
    assert_eq!(bulk["MessageHeader"]["SegmentOfResult"], "1");
    let units = bulk["MessageBody"]["BulkConfirmUnit"].as_array().unwrap();
    assert_eq!(units.len(), 2, "{bulk}");
    assert_eq!(units[0]["ProcessingResultStatus"], "1");
    assert_eq!(units[0]["ReferenceNumber"], "P-000123");
    assert_eq!(units[1]["ProcessingResultStatus"], "2");
    assert_eq!(units[1]["ProcessingResultCode"], "S0002");

    let single = result(&d.join("res/OQSsiimm01res_0002.xml"));
    assert_eq!(
        single["MessageBody"]["ProcessingResultStatus"], "1",
        "{single}"
    );

    // Confirmation by insurance-card data: valid, and the 照会番号 registered last comes back.
    let confirmed = result(&d.join("res/OQSsiqcf01res_0003.xml"));
    let header = &confirmed["MessageHeader"];
    assert_eq!(header["ArbitraryFileIdentifier"], "0003");
    assert_eq!(header["MedicalInstitutionCode"], FACILITY);
    assert_eq!(header["ReferenceClassification"], "2");
    assert_eq!(header["SegmentOfResult"], "1");
    assert_eq!(header["ProcessExecutionTime"], "20261126100000");
    let body = &confirmed["MessageBody"];
    assert_eq!(body["ProcessingResultStatus"], "1");
    assert_eq!(body["QualificationValidity"], "1");
    assert_eq!(
        body["QualificationConfirmSearchInfo"]["Birthdate"],
        HANAKO.birth
    );
    let entry = &body["ResultList"]["ResultOfQualificationConfirmation"][0];
    assert_eq!(entry["Name"], "山田\u{3000}花子");
    assert_eq!(entry["InsurerNumber"], HANAKO.insurer);
    assert_eq!(entry["ReferenceNumber"], "P-000124");

    // The Shift_JIS request is answered in Shift_JIS.
    let raw = fs::read(d.join("res/OQSsiqcf01res_0004.xml")).unwrap();
    assert!(String::from_utf8(raw.clone()).is_err());
    assert!(text(&raw).contains("encoding=\"Shift_JIS\""));
    let sjis = parse_json(&d.join("res/OQSsiqcf01res_0004.xml"));
    assert_eq!(sjis["encoding"], "ShiftJis");
    let xml = &sjis["message"]["XmlMsg"];
    assert_eq!(xml["MessageHeader"]["CharacterCodeIdentifier"], "1");
    assert_eq!(
        xml["MessageBody"]["ResultList"]["ResultOfQualificationConfirmation"][0]["Name"],
        "山田\u{3000}花子"
    );

    // Nobody matches: answered, with no qualification.
    let nobody = result(&d.join("res/OQSsiqcf01res_0005.xml"));
    assert_eq!(nobody["MessageBody"]["ProcessingResultStatus"], "1");
    assert_eq!(nobody["MessageBody"]["QualificationValidity"], "4");
    assert!(nobody["MessageBody"]["ResultList"].is_null());

    // Another facility's request is refused and moved aside.
    let refused = result(&d.join("res/OQSsiqcf01res_0006.xml"));
    assert_eq!(refused["MessageHeader"]["SegmentOfResult"], "9");
    assert_eq!(refused["MessageHeader"]["ErrorCode"], "S0001");
    assert_eq!(refused["MessageBody"]["ProcessingResultStatus"], "2");
}

#[test]
fn malformed_requests_are_moved_aside_with_an_error_answer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    deliver(d, "OQSsiqcf01req_garbage.xml", b"\x00\xffnot xml at all");
    let truncated = confirmation("t", HANAKO);
    deliver(
        d,
        "OQSsiqcf01req_truncated.xml",
        &truncated.as_bytes()[..truncated.len() / 2],
    );
    let no_birthdate = document(
        "UTF-8",
        &header("nb", FACILITY, ""),
        "<QualificationConfirmSearchInfo><InsurerNumber>06139992</InsurerNumber>\
         <InsuredCardSymbol>12</InsuredCardSymbol>\
         <InsuredIdentificationNumber>3456</InsuredIdentificationNumber>\
         </QualificationConfirmSearchInfo>",
    );
    deliver(d, "OQSsiqcf01req_nobirth.xml", no_birthdate.as_bytes());
    // A registration under a confirmation's name: name and content disagree.
    deliver(
        d,
        "OQSsiqcf01req_wrongkind.xml",
        registration("wk", HANAKO, "P-1").as_bytes(),
    );
    // And one good request among them is still answered.
    deliver(
        d,
        "OQSsiqcf01req_good.xml",
        confirmation("good", HANAKO).as_bytes(),
    );

    let out = serve_once(d, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let log = text(&out.stdout);
    assert_eq!(files(&d.join("req")), Vec::<String>::new());
    assert_eq!(files(&d.join("req/done")), ["OQSsiqcf01req_good.xml"]);
    assert_eq!(
        files(&d.join("req/failed")),
        [
            "OQSsiqcf01req_garbage.xml",
            "OQSsiqcf01req_nobirth.xml",
            "OQSsiqcf01req_truncated.xml",
            "OQSsiqcf01req_wrongkind.xml"
        ]
    );
    for (id, code) in [
        ("garbage", None),
        ("truncated", Some("O0004")),
        ("nobirth", Some("O0005")),
        ("wrongkind", Some("O0006")),
    ] {
        assert!(
            log.contains(&format!("failed OQSsiqcf01req_{id}.xml")),
            "{log}"
        );
        let answer = result(&d.join(format!("res/OQSsiqcf01res_{id}.xml")));
        assert_eq!(answer["MessageHeader"]["SegmentOfResult"], "9", "{answer}");
        assert_eq!(answer["MessageBody"]["ProcessingResultStatus"], "2");
        let error = answer["MessageHeader"]["ErrorCode"].as_str().unwrap();
        assert!(error.starts_with('O'), "{answer}");
        if let Some(code) = code {
            assert_eq!(error, code, "{answer}");
        }
        assert!(
            !answer["MessageHeader"]["ErrorMessage"]
                .as_str()
                .unwrap()
                .is_empty()
        );
    }
    // What could be read of a request is echoed.
    let wrong = result(&d.join("res/OQSsiqcf01res_nobirth.xml"));
    assert_eq!(wrong["MessageHeader"]["ArbitraryFileIdentifier"], "nb");
    let good = result(&d.join("res/OQSsiqcf01res_good.xml"));
    assert_eq!(good["MessageBody"]["QualificationValidity"], "1");
}

#[test]
fn half_written_and_temporary_files_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let req = d.join("req");
    fs::create_dir_all(&req).unwrap();
    let whole = confirmation("0001", HANAKO);
    let half = &whole.as_bytes()[..whole.len() / 2];
    // The temporary names vendors write under before renaming into place.
    for temp in [
        ".OQSsiqcf01req_0001.xml",
        "OQSsiqcf01req_0001.xml.tmp",
        "OQSsiqcf01req_0001.part",
        "~OQSsiqcf01req_0001.xml",
    ] {
        fs::write(req.join(temp), half).unwrap();
    }
    let out = serve_once(d, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(files(&d.join("res")), Vec::<String>::new());
    assert_eq!(files(&req).len(), 4);

    // Finished and renamed into place: answered.
    fs::write(req.join(".OQSsiqcf01req_0001.xml"), &whole).unwrap();
    fs::rename(
        req.join(".OQSsiqcf01req_0001.xml"),
        req.join("OQSsiqcf01req_0001.xml"),
    )
    .unwrap();
    let out = serve_once(d, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("answered OQSsiqcf01req_0001.xml"),
        "{}",
        text(&out.stdout)
    );
    let answer = result(&d.join("res/OQSsiqcf01res_0001.xml"));
    assert_eq!(answer["MessageBody"]["QualificationValidity"], "1");
    assert_eq!(files(&req).len(), 3);
}

/// The identity of each answer file: a second answer would be a new file (written under a
/// temporary name and renamed over the first), so a new inode.
fn answer_inodes(dir: &Path) -> BTreeMap<String, u64> {
    use std::os::unix::fs::MetadataExt;
    files(&dir.join("res"))
        .into_iter()
        .map(|f| {
            let ino = fs::metadata(dir.join("res").join(&f)).unwrap().ino();
            (f, ino)
        })
        .collect()
}

#[test]
fn a_crash_between_answer_and_move_never_answers_twice() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let names: Vec<String> = (1..=6)
        .map(|i| format!("OQSsiqcf01req_{i:04}.xml"))
        .collect();
    for (i, name) in names[..5].iter().enumerate() {
        deliver(
            d,
            name,
            confirmation(&format!("{:04}", i + 1), HANAKO).as_bytes(),
        );
    }
    // The test hook aborts the server right after the second answer is reported, before its
    // request leaves `req`.
    let crashed = serve_once(d, &[], &[("KAZASU_ONSHI_CRASH_AFTER", "2")]);
    assert!(!crashed.status.success(), "the server should have crashed");
    let (answered, _) = tally(&[&crashed]);
    assert_eq!(answered.keys().collect::<Vec<_>>(), [&names[0], &names[1]]);
    assert_eq!(files(&d.join("req/done")), [names[0].clone()]);
    assert_eq!(files(&d.join("req")), names[1..5]);
    let before = answer_inodes(d);
    assert!(before.contains_key("OQSsiqcf01res_0001.xml"));
    assert!(before.contains_key("OQSsiqcf01res_0002.xml"));
    // A crash while an answer was being written leaves only its temporary file.
    deliver(d, &names[5], confirmation("0006", HANAKO).as_bytes());
    fs::write(d.join("res/.OQSsiqcf01res_0006.xml.tmp"), b"<XmlMsg><Mess").unwrap();

    let restarted = serve_once(d, &[], &[]);
    assert_eq!(
        restarted.status.code(),
        Some(0),
        "{}",
        text(&restarted.stderr)
    );
    assert!(
        text(&restarted.stderr).contains("removed 1 unfinished answer"),
        "{}",
        text(&restarted.stderr)
    );
    let (again, already) = tally(&[&restarted]);
    for name in &names[1..] {
        let answer = name.replace("req_", "res_");
        let answered_before = before.contains_key(&answer);
        // Answered after the restart exactly when there was no answer before it; found answered
        // otherwise.
        assert_eq!(
            again.get(name).copied(),
            (!answered_before).then_some(1),
            "{name}"
        );
        assert_eq!(
            already.get(name).copied(),
            answered_before.then_some(1),
            "{name}"
        );
    }
    assert!(again.contains_key(&names[5]));
    // The answers written before the crash are the ones the clinic reads: never written again.
    let after = answer_inodes(d);
    for (answer, ino) in &before {
        assert_eq!(after.get(answer), Some(ino), "{answer} was written again");
    }
    assert_eq!(after.len(), 6);
    assert_eq!(files(&d.join("req")), Vec::<String>::new());
    assert_eq!(files(&d.join("req/done")), names);
    let sixth = result(&d.join("res/OQSsiqcf01res_0006.xml"));
    assert_eq!(sixth["MessageBody"]["QualificationValidity"], "1");
}

/// How many requests the burst test sends (`KAZASU_ONSHI_BURST` overrides).
fn burst_size() -> usize {
    std::env::var("KAZASU_ONSHI_BURST")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

#[test]
fn a_burst_of_requests_is_answered_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let d: PathBuf = dir.path().to_owned();
    let n = burst_size();
    let names: Vec<String> = (0..n)
        .map(|i| format!("OQSsiqcf01req_b{i:05}.xml"))
        .collect();
    // They arrive while a server runs, which is then killed at an arbitrary point (perhaps in the
    // middle of an answer); a second server answers the rest.
    let mut server = Command::new(env!("CARGO_BIN_EXE_kazasu"))
        .args(["onshi", "serve", "--dir", d.to_str().unwrap(), "--at", AT])
        .args(["--poll-ms", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Ready once it says where it answers.
    let mut ready = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stderr.take().unwrap()),
        &mut ready,
    )
    .unwrap();
    assert!(ready.contains("answering requests in"), "{ready}");
    let send = |range: std::ops::Range<usize>| {
        for i in range {
            deliver(
                &d,
                &names[i],
                confirmation(&format!("b{i:05}"), HANAKO).as_bytes(),
            );
        }
    };
    send(0..n / 2);
    // Let it get to work (the outcome does not depend on how far it got), then send the rest.
    let waiting = Instant::now();
    while files(&d.join("req/done")).is_empty() && waiting.elapsed().as_secs() < 30 {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    send(n / 2..n);
    server.kill().unwrap();
    let killed = server.wait_with_output().unwrap();

    let started = Instant::now();
    let rest = serve_once(&d, &[], &[]);
    let elapsed = started.elapsed();
    assert_eq!(rest.status.code(), Some(0), "{}", text(&rest.stderr));
    eprintln!(
        "burst: {n} requests, {} answered while arriving, the rest by serve --once in {} ms ({})",
        text(&killed.stdout).lines().count(),
        elapsed.as_millis(),
        text(&rest.stderr).trim()
    );

    let (answered, already) = tally(&[&killed, &rest]);
    for name in &names {
        let times = answered.get(name).copied().unwrap_or(0);
        let found = already.get(name).copied().unwrap_or(0);
        // Killed between the answer's rename and the log line: found answered on restart.
        assert!(
            (times == 1 && found <= 1) || (times == 0 && found == 1),
            "{name}: answered {times}, found answered {found}"
        );
    }
    let seen: std::collections::BTreeSet<&String> = answered.keys().chain(already.keys()).collect();
    assert_eq!(seen.len(), n);
    assert_eq!(files(&d.join("req")), Vec::<String>::new());
    assert_eq!(files(&d.join("req/done")), names);
    assert_eq!(files(&d.join("req/failed")), Vec::<String>::new());
    let answers = files(&d.join("res"));
    assert_eq!(answers.len(), n);
    assert!(answers.iter().all(|a| !a.starts_with('.')));
    // Each answer is its own request's.
    for i in [0, n / 2, n - 1] {
        let answer = result(&d.join(format!("res/OQSsiqcf01res_b{i:05}.xml")));
        assert_eq!(
            answer["MessageHeader"]["ArbitraryFileIdentifier"],
            format!("b{i:05}")
        );
        assert_eq!(answer["MessageBody"]["QualificationValidity"], "1");
    }
}

#[test]
fn parse_prints_json_and_exits_2_on_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let request = d.join("OQSsiimm01req_7.xml");
    fs::write(&request, registration("7", HANAKO, "P-7")).unwrap();
    let v = parse_json(&request);
    assert_eq!(v["message"]["kind"], "RegistrationRequest");
    assert_eq!(
        v["message"]["XmlMsg"]["MessageBody"]["ReferenceNumber"],
        "P-7"
    );
    assert_eq!(
        v["message"]["XmlMsg"]["MessageHeader"]["ArbitraryFileIdentifier"],
        "7"
    );
    // Without --json: the same object, indented.
    let pretty = kazasu(&["onshi", "parse", request.to_str().unwrap()], None, &[]);
    assert_eq!(pretty.status.code(), Some(0));
    let again: Value = serde_json::from_slice(&pretty.stdout).unwrap();
    assert_eq!(again, v);
    assert!(text(&pretty.stdout).lines().count() > 5);

    let garbage = d.join("garbage.xml");
    fs::write(&garbage, b"\x89PNG\r\n\x1a\n garbage").unwrap();
    let wrong_kind = d.join("OQSmuimm01req_1.xml");
    fs::write(&wrong_kind, registration("1", HANAKO, "P-1")).unwrap();
    let missing = d.join("missing.xml");
    for bad in [&garbage, &wrong_kind, &missing] {
        let out = kazasu(
            &["onshi", "parse", "--json", bad.to_str().unwrap()],
            None,
            &[],
        );
        assert_eq!(out.status.code(), Some(2), "{}", bad.display());
        assert!(out.stdout.is_empty());
        assert!(text(&out.stderr).starts_with("kazasu: "));
    }
}

#[test]
fn touch_writes_a_face_result() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let dir_arg = d.to_str().unwrap();
    let store = d.join("eligibility.sqlite");
    let store_arg = store.to_str().unwrap();
    let shared = ["--store", store_arg, "--at", AT];
    // A 照会番号 registered by file comes back with the card visit (one store under both).
    deliver(
        d,
        "OQSsiimm01req_r1.xml",
        registration("r1", HANAKO, "P-000555").as_bytes(),
    );
    let out = serve_once(d, &["--store", store_arg], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let mut args = vec!["onshi", "touch", "--dir", dir_arg, "--pin-stdin"];
    args.extend_from_slice(&shared);
    let out = kazasu(&args, Some("1234\n"), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let face = files(&d.join("face"));
    assert_eq!(face.len(), 1, "{face:?}");
    assert!(
        face[0].starts_with("OQSsifce01res_20261126100000-") && face[0].ends_with(".xml"),
        "{face:?}"
    );
    assert!(text(&out.stdout).contains(&face[0]));
    let visit = result(&d.join("face").join(&face[0]));
    let header = &visit["MessageHeader"];
    assert_eq!(header["ReferenceClassification"], "1");
    assert_eq!(header["MedicalInstitutionCode"], FACILITY);
    assert_eq!(header["SegmentOfResult"], "1");
    let body = &visit["MessageBody"];
    assert_eq!(body["ProcessingResultStatus"], "1");
    assert_eq!(body["QualificationValidity"], "1");
    let entry = &body["ResultList"]["ResultOfQualificationConfirmation"][0];
    assert_eq!(entry["Name"], "山田\u{3000}花子");
    assert_eq!(entry["Birthdate"], HANAKO.birth);
    assert_eq!(entry["ReferenceNumber"], "P-000555");
    // With the PIN, the reader consent is the reader's to give: no flag says it cannot be obtained.
    assert!(entry["PharmacistsInfoConsFlg"].is_null(), "{entry}");

    // A wrong PIN leaves no result (the reader asks again).
    let out = kazasu(&args, Some("9999\n"), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("tries left"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(files(&d.join("face")).len(), 1);

    // Staff checked the person (no PIN): answered too, as staff-checked.
    let mut staff = vec!["onshi", "touch", "--dir", dir_arg, "--staff", "nurse-07"];
    staff.extend_from_slice(&shared);
    let out = kazasu(&staff, None, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The same second and process id would collide: the staff visit is another process.
    let face = files(&d.join("face"));
    assert_eq!(face.len(), 2, "{face:?}");
    let staff_visit = face
        .iter()
        .map(|f| result(&d.join("face").join(f)))
        .find(|v| {
            v["MessageHeader"]["ArbitraryFileIdentifier"] != header["ArbitraryFileIdentifier"]
        })
        .unwrap();
    assert_eq!(staff_visit["MessageBody"]["QualificationValidity"], "1");
    assert_eq!(
        files(&d.join("face"))
            .iter()
            .filter(|f| f.starts_with('.'))
            .count(),
        0
    );
}
