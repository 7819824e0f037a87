//! `entente witness follow`: a witness that follows a log by itself. It polls the log's latest
//! checkpoint, fetches a consistency proof from the size it cosigned last, cosigns only a tree
//! that extends what it saw (checked by its own state, as `witness cosign` does), and hands the
//! cosignature back to the board (`POST /cosignatures`, where only a cosignature that verifies
//! under a witness key of the board's policy is kept). A log that shows it two histories is
//! refused, with both signed notes kept in STATE/evidence/. Nothing depends on the server
//! pushing checkpoints to the witness, so an operator cannot starve it of the ones it would
//! not like cosigned: it would have to stop serving them to everyone.

use std::path::Path;
use std::time::Duration;

use entente_board::note::{Checkpoint, SignedNote};

use crate::board::{self, Cosigned, Key};
use crate::error::{Context, Result, ensure};
use crate::net;
use crate::protocol::ConsistencyJson;

/// What one look at the log came to.
#[derive(Debug)]
pub enum Followed {
    /// The log's checkpoint of this size is cosigned (now or before) and the board took the
    /// cosignatures of these witnesses.
    Cosigned { size: u64, added: Vec<String> },
    /// The log has not grown since this witness cosigned it.
    Unchanged { size: u64 },
    /// A split view: refused, the evidence kept in this file.
    SplitView {
        reason: String,
        evidence: std::path::PathBuf,
    },
}

/// The largest answer read from the log for a checkpoint or a proof.
const MAX_ANSWER: u64 = 1 << 20;

/// An answer's status and text (at most [`MAX_ANSWER`] bytes); `what` names the request.
fn answer(mut resp: ureq::http::Response<ureq::Body>, what: &str) -> Result<(u16, String)> {
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER)
        .read_to_string()
        .with_context(|| what.to_owned())?;
    Ok((status, text))
}

fn get(agent: &ureq::Agent, url: &str, timeout: Duration) -> Result<String> {
    let resp = agent
        .get(url)
        .call()
        .map_err(|e| net::failed(e, "GET", url, &format!("--timeout {}", timeout.as_secs())))?;
    let (status, text) = answer(resp, &format!("GET {url}"))?;
    ensure!(status == 200, "GET {url}: {status} {}", text.trim());
    Ok(text)
}

/// Looks at the log at `server` once and cosigns what extends this witness's view.
pub fn follow_once(
    state: &Path,
    key: &Key,
    logs: &[String],
    server: &str,
    timeout: Duration,
) -> Result<Followed> {
    net::check_url(server)?;
    let server = server.trim_end_matches('/');
    let agent = net::agent(timeout);
    let note = get(&agent, &format!("{server}/checkpoint"), timeout)?;
    let cp = SignedNote::parse(&note)
        .and_then(|n| Checkpoint::parse(&n.text))
        .with_context(|| format!("{server}/checkpoint is not a checkpoint"))?;
    let held = board::witness_held(state, key, logs, &cp.origin)?;
    let mine = format!("\u{2014} {} ", key.name);
    if cp.size == held && note.lines().any(|l| l.starts_with(&mine)) {
        return Ok(Followed::Unchanged { size: cp.size });
    }
    // From the size cosigned last: the log must prove that its tree extends that one (the
    // first checkpoint of a log is taken on first sight).
    let proof = if held == 0 || cp.size <= held {
        None
    } else {
        let url = format!("{server}/proof/consistency?from={held}&to={}", cp.size);
        let proof: ConsistencyJson = serde_json::from_str(&get(&agent, &url, timeout)?)
            .with_context(|| format!("{url} is not a consistency proof"))?;
        ensure!(
            proof.from == held && proof.to == cp.size,
            "{url} answered a proof from {} to {}",
            proof.from,
            proof.to
        );
        Some((proof, url))
    };
    let signing = key.signing.clone();
    let own = Key {
        name: key.name.clone(),
        role: key.role,
        signing,
    };
    match board::witness_cosign_with(state, own, logs, &note, proof)? {
        Cosigned::SplitView { reason, evidence } => Ok(Followed::SplitView { reason, evidence }),
        Cosigned::Note(cosigned) => {
            let url = format!("{server}/cosignatures");
            let resp = agent
                .post(&url)
                .header("content-type", "text/plain; charset=utf-8")
                .send(cosigned.as_bytes())
                .map_err(|e| net::failed(e, "POST", &url, "--timeout"))?;
            let (status, text) = answer(resp, &format!("POST {url}"))?;
            ensure!(status == 200, "POST {url}: {status} {}", text.trim());
            let added: Vec<String> = serde_json::from_str(&text)
                .with_context(|| format!("POST {url} answered {text:?}"))?;
            Ok(Followed::Cosigned {
                size: cp.size,
                added,
            })
        }
    }
}
