//! The folders a clinic system and the terminal exchange files through, and the rules that make the
//! exchange safe:
//!
//! - A request is a file in `req` named `OQS<kind>req_<id>.xml` (not a dot-file). Anything else there
//!   — a vendor's temporary name (`.x.xml`, `x.xml.tmp`, `x.part`) — is left alone. A request is
//!   read only once its size and modification time are the same on two looks one poll apart, so a
//!   file written in place is not read half-written (renaming into `req` is still the convention).
//! - The answer `OQS<kind>res_<id>.xml` is written to `res/.<answer>.tmp`, flushed to disk, then
//!   renamed into place: a clinic system never sees half an answer.
//! - Only after that is the request moved to `req/done` (answered) or `req/failed` (malformed, with
//!   an error answer in `res`). A request whose answer already exists in `res` — the server stopped
//!   between the rename and the move — is moved without a second answer: every request is answered
//!   exactly once across crashes, as long as one server serves a folder and the clinic system takes
//!   each answer away before it reuses a request name.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

/// The answer to one request.
pub(crate) struct Answer {
    /// The answer file's bytes.
    pub(crate) bytes: Vec<u8>,
    /// Whether the request was malformed (it is moved to `req/failed`).
    pub(crate) failed: bool,
    /// One line for the log: what was answered, or why it failed.
    pub(crate) summary: String,
}

/// Something that answers requests: request file name and bytes in, answer out. An error means
/// nothing can be answered now (the server stops and the request stays pending); a malformed
/// request is an answer (with `failed`).
pub(crate) trait Responder {
    fn respond(&mut self, name: &str, request: &[u8]) -> Result<Answer, String>;
}

impl<F: FnMut(&str, &[u8]) -> Result<Answer, String>> Responder for F {
    fn respond(&mut self, name: &str, request: &[u8]) -> Result<Answer, String> {
        self(name, request)
    }
}

/// What happened to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    /// Answered.
    Answered {
        request: String,
        answer: String,
        summary: String,
    },
    /// Malformed: an error answer was written and the request moved to `req/failed`.
    Failed {
        request: String,
        answer: String,
        summary: String,
    },
    /// Its answer was already in `res` (written before a stop): moved without a second answer.
    AlreadyAnswered { request: String, answer: String },
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Answered {
                request,
                answer,
                summary,
            } => write!(f, "answered {request} -> {answer}: {summary}"),
            Event::Failed {
                request,
                answer,
                summary,
            } => write!(f, "failed {request} -> {answer}: {summary}"),
            Event::AlreadyAnswered { request, answer } => {
                write!(f, "already answered {request} -> {answer}")
            }
        }
    }
}

/// Counts of one run.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Totals {
    pub(crate) answered: usize,
    pub(crate) failed: usize,
    pub(crate) already: usize,
}

/// The answer's file name for a request's (`OQS<kind>req_<id>.xml` → `OQS<kind>res_<id>.xml`);
/// `None` when `name` is not a request's.
pub(crate) fn answer_name(name: &str) -> Option<String> {
    kazasu_onshi::names::answer_file_name(name).ok()
}

/// Writes `bytes` to `dir/name` so no reader ever sees part of it: a dot-named temporary file in the
/// same folder, flushed, renamed, and the folder flushed so the rename survives a power loss.
pub(crate) fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let temp = dir.join(format!(".{name}.tmp"));
    let mut file = File::create(&temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temp, dir.join(name))?;
    sync_dir(dir)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    // Folders cannot be opened for syncing here; the rename itself is atomic.
    Ok(())
}

/// How many requests are answered, flushed and moved together.
const BATCH: usize = 64;

/// Size and modification time: a request is read once two looks agree.
type Look = (u64, Option<SystemTime>);

/// The terminal's folders under one directory.
pub(crate) struct Spool {
    req: PathBuf,
    res: PathBuf,
    done: PathBuf,
    failed: PathBuf,
}

/// A test hook: `KAZASU_ONSHI_CRASH_AFTER=N` aborts the process right after the N-th answer is
/// renamed into `res`, before its request is moved — the window crash recovery has to handle.
const CRASH_KNOB: &str = "KAZASU_ONSHI_CRASH_AFTER";

impl Spool {
    /// The folders under `dir` (`req`, `res`, `req/done`, `req/failed`), created when missing.
    pub(crate) fn open(dir: &Path) -> io::Result<Self> {
        let spool = Self {
            req: dir.join("req"),
            res: dir.join("res"),
            done: dir.join("req").join("done"),
            failed: dir.join("req").join("failed"),
        };
        for d in [&spool.req, &spool.res, &spool.done, &spool.failed] {
            fs::create_dir_all(d)?;
        }
        Ok(spool)
    }

    /// Removes temporary answers a stopped server left in `res` (their requests are still in `req`
    /// and get answered again).
    pub(crate) fn recover(&self) -> io::Result<usize> {
        let mut removed = 0;
        for entry in fs::read_dir(&self.res)? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') && name.ends_with(".tmp") && entry.file_type()?.is_file() {
                fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        if removed > 0 {
            sync_dir(&self.res)?;
        }
        Ok(removed)
    }

    /// The requests in `req` now, by name.
    fn look(&self) -> io::Result<BTreeMap<String, Look>> {
        let mut found = BTreeMap::new();
        for entry in fs::read_dir(&self.req)? {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if answer_name(&name).is_none() {
                continue;
            }
            // Gone between the listing and the look: someone else's business.
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            if meta.is_file() {
                found.insert(name, (meta.len(), meta.modified().ok()));
            }
        }
        Ok(found)
    }

    /// Answers every request that looked the same in `before` and now, in batches of [`BATCH`];
    /// returns the current look.
    fn answer_settled(
        &self,
        before: &BTreeMap<String, Look>,
        responder: &mut dyn Responder,
        stop: &AtomicBool,
        report: &mut dyn FnMut(&Event),
        totals: &mut Totals,
    ) -> io::Result<BTreeMap<String, Look>> {
        let now = self.look()?;
        let settled: Vec<&String> = now
            .iter()
            .filter(|(name, look)| before.get(*name) == Some(look))
            .map(|(name, _)| name)
            .collect();
        for batch in settled.chunks(BATCH) {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            self.answer_batch(batch, responder, report, totals)?;
        }
        Ok(now)
    }

    /// Answers a batch: every answer written to its temporary file, each flushed to disk, all
    /// renamed into `res` and the folder flushed — only then reported and their requests moved.
    /// Flushing after all writes lets the disk take the batch in one go.
    fn answer_batch(
        &self,
        batch: &[&String],
        responder: &mut dyn Responder,
        report: &mut dyn FnMut(&Event),
        totals: &mut Totals,
    ) -> io::Result<()> {
        let mut events = Vec::with_capacity(batch.len());
        let mut staged = Vec::new();
        for name in batch {
            let Some(answer) = answer_name(name) else {
                continue;
            };
            if self.res.join(&answer).exists() {
                events.push(Event::AlreadyAnswered {
                    request: (*name).clone(),
                    answer,
                });
                continue;
            }
            let bytes = match fs::read(self.req.join(name)) {
                Ok(b) => b,
                // Taken away since the look (the clinic system withdrew it).
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let reply = responder
                .respond(name, &bytes)
                .map_err(|e| io::Error::other(format!("cannot answer {name}: {e}")))?;
            let temp = self.res.join(format!(".{answer}.tmp"));
            let mut file = File::create(&temp)?;
            file.write_all(&reply.bytes)?;
            staged.push((file, temp, answer.clone()));
            let request = (*name).clone();
            events.push(if reply.failed {
                Event::Failed {
                    request,
                    answer,
                    summary: reply.summary,
                }
            } else {
                Event::Answered {
                    request,
                    answer,
                    summary: reply.summary,
                }
            });
        }
        for (file, _, _) in &staged {
            file.sync_all()?;
        }
        for (file, temp, answer) in staged {
            drop(file);
            fs::rename(&temp, self.res.join(answer))?;
        }
        sync_dir(&self.res)?;
        for event in &events {
            let (name, to) = match event {
                Event::Answered { request, .. } => {
                    totals.answered += 1;
                    (request, &self.done)
                }
                Event::Failed { request, .. } => {
                    totals.failed += 1;
                    (request, &self.failed)
                }
                Event::AlreadyAnswered { request, .. } => {
                    totals.already += 1;
                    (request, &self.done)
                }
            };
            report(event);
            if !matches!(event, Event::AlreadyAnswered { .. }) {
                crash_hook(totals.answered + totals.failed);
            }
            // A move lost to a crash is redone on restart (the answer exists), so the folder is
            // flushed once per batch, not per move.
            fs::rename(self.req.join(name), to.join(name))?;
        }
        sync_dir(&self.req)
    }

    /// Answers what is pending (`once`) or serves until `stop`, looking every `interval`.
    pub(crate) fn serve(
        &self,
        responder: &mut dyn Responder,
        interval: Duration,
        once: bool,
        stop: &Arc<AtomicBool>,
        report: &mut dyn FnMut(&Event),
    ) -> io::Result<Totals> {
        let mut totals = Totals::default();
        let mut before = self.look()?;
        loop {
            std::thread::sleep(interval);
            if stop.load(Ordering::Relaxed) {
                break;
            }
            before = self.answer_settled(&before, responder, stop, report, &mut totals)?;
            if once || stop.load(Ordering::Relaxed) {
                break;
            }
        }
        Ok(totals)
    }
}

fn crash_hook(count: usize) {
    if let Some(n) = std::env::var(CRASH_KNOB)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        && count >= n
    {
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_request_is_read_only_once_two_looks_agree() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        let request = dir.path().join("req/OQSsiqcf01req_1.xml");
        fs::write(&request, b"<XmlMsg>").unwrap();
        let mut seen = Vec::new();
        let mut responder = |name: &str, bytes: &[u8]| {
            seen.push((name.to_owned(), bytes.to_vec()));
            Ok(Answer {
                bytes: b"answer".to_vec(),
                failed: false,
                summary: String::new(),
            })
        };
        let stop = AtomicBool::new(false);
        let mut events = Vec::new();
        let mut totals = Totals::default();
        // Not there at the first look: not read at the second.
        let first = spool
            .answer_settled(
                &BTreeMap::new(),
                &mut responder,
                &stop,
                &mut |e| events.push(e.clone()),
                &mut totals,
            )
            .unwrap();
        // Still being written between two looks: not read.
        fs::write(&request, b"<XmlMsg></XmlMsg>").unwrap();
        let second = spool
            .answer_settled(
                &first,
                &mut responder,
                &stop,
                &mut |e| events.push(e.clone()),
                &mut totals,
            )
            .unwrap();
        assert!(events.is_empty());
        assert!(!dir.path().join("res/OQSsiqcf01res_1.xml").exists());
        // Unchanged since the last look: read whole, answered, moved.
        spool
            .answer_settled(
                &second,
                &mut responder,
                &stop,
                &mut |e| events.push(e.clone()),
                &mut totals,
            )
            .unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(
            seen,
            [(
                "OQSsiqcf01req_1.xml".to_owned(),
                b"<XmlMsg></XmlMsg>".to_vec()
            )]
        );
        assert_eq!(
            fs::read(dir.path().join("res/OQSsiqcf01res_1.xml")).unwrap(),
            b"answer"
        );
        assert!(dir.path().join("req/done/OQSsiqcf01req_1.xml").exists());
        assert!(!request.exists());
    }

    #[test]
    fn answer_names_follow_the_request_names() {
        assert_eq!(
            answer_name("OQSsiimm01req_20261130-0001.xml").as_deref(),
            Some("OQSsiimm01res_20261130-0001.xml")
        );
        assert_eq!(
            answer_name("OQSmuimm01req_A1.xml").as_deref(),
            Some("OQSmuimm01res_A1.xml")
        );
        for not_a_request in [
            ".OQSsiimm01req_1.xml",
            "OQSsiimm01req_1.xml.tmp",
            "OQSsiimm01req_1.part",
            "OQSsiimm01res_1.xml",
            "OQSreq_1.xml",
            "OQSsiimm01req_.xml",
            "OQSsiimm01req_../x.xml",
            "notes.xml",
        ] {
            assert_eq!(answer_name(not_a_request), None, "{not_a_request}");
        }
    }
}
