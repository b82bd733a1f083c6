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

    /// Answers every request that looked the same in `before` and now; returns the current look.
    fn answer_settled(
        &self,
        before: &BTreeMap<String, Look>,
        responder: &mut dyn Responder,
        stop: &AtomicBool,
        report: &mut dyn FnMut(&Event),
        totals: &mut Totals,
    ) -> io::Result<BTreeMap<String, Look>> {
        let now = self.look()?;
        for (name, look) in &now {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            if before.get(name) != Some(look) {
                continue;
            }
            if let Some(event) = self.answer_one(name, responder)? {
                match event {
                    Event::Answered { .. } => totals.answered += 1,
                    Event::Failed { .. } => totals.failed += 1,
                    Event::AlreadyAnswered { .. } => totals.already += 1,
                }
                report(&event);
                crash_hook(totals.answered + totals.failed);
                self.finish(name, &event)?;
            }
        }
        Ok(now)
    }

    /// Answers one request (or notices its answer exists). The request is moved by [`Spool::finish`]
    /// only after the event was reported.
    fn answer_one(&self, name: &str, responder: &mut dyn Responder) -> io::Result<Option<Event>> {
        let Some(answer) = answer_name(name) else {
            return Ok(None);
        };
        if self.res.join(&answer).exists() {
            return Ok(Some(Event::AlreadyAnswered {
                request: name.to_owned(),
                answer,
            }));
        }
        let bytes = match fs::read(self.req.join(name)) {
            Ok(b) => b,
            // Taken away since the look (the clinic system withdrew it).
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let reply = responder
            .respond(name, &bytes)
            .map_err(|e| io::Error::other(format!("cannot answer {name}: {e}")))?;
        write_atomically(&self.res, &answer, &reply.bytes)?;
        let request = name.to_owned();
        Ok(Some(if reply.failed {
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
        }))
    }

    /// Moves an answered request out of `req`.
    fn finish(&self, name: &str, event: &Event) -> io::Result<()> {
        let to = match event {
            Event::Failed { .. } => &self.failed,
            Event::Answered { .. } | Event::AlreadyAnswered { .. } => &self.done,
        };
        fs::rename(self.req.join(name), to.join(name))?;
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
    use super::*;

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
