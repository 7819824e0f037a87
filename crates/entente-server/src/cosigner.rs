//! The log's side of tlog-witness: after each new checkpoint, ask every witness of the
//! election for its cosignature (with the consistency proof from the size it holds) and add
//! what they return to the board, so that the checkpoint becomes published. Runs on its own
//! thread; a witness that is down or refuses is retried, and never blocks ballot submission.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::state::AppState;

/// What the log knows of one witness.
struct Witness {
    url: String,
    /// The size the witness holds, as far as the log knows (None: not asked yet).
    held: Option<u64>,
    /// When to ask again after a failure, and the wait that doubles with each failure (a
    /// witness that is down is not asked five times a second, nor its failure logged so).
    retry_at: Instant,
    backoff: Duration,
}

/// The first wait after a failure, and the longest.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The least time between two rounds of asks: under load a new checkpoint comes with every
/// batch, and asking for each would cost every witness a durable write, and the board a
/// transaction, per batch and per server; the latest checkpoint a few times a second publishes
/// every acknowledged ballot as soon (a receipt never waits for it).
const PACE: Duration = Duration::from_millis(250);

/// Starts the cosigner over `state` for the witnesses at `urls` (their submission prefixes).
/// It stops when the service's state is dropped. A URL that this process may not use (plain
/// HTTP without `--insecure-http`) is refused here, before anything is served.
pub fn spawn(state: &Arc<AppState>, urls: Vec<String>) -> std::io::Result<()> {
    if urls.is_empty() {
        return Ok(());
    }
    for u in &urls {
        entente_roles::net::check_url(u)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
    }
    let weak = Arc::downgrade(state);
    std::thread::Builder::new()
        .name("cosigner".into())
        .spawn(move || run(weak, urls))?;
    Ok(())
}

fn run(state: Weak<AppState>, urls: Vec<String>) {
    let agent = entente_roles::net::agent(Duration::from_secs(10));
    let mut witnesses: Vec<Witness> = urls
        .into_iter()
        .map(|u| Witness {
            url: format!("{}/add-checkpoint", u.trim_end_matches('/')),
            held: None,
            retry_at: Instant::now(),
            backoff: FIRST_BACKOFF,
        })
        .collect();
    loop {
        let round = Instant::now();
        let Some(st) = state.upgrade() else { return };
        let latest = st.latest_checkpoint();
        let mut progress = false;
        if let Ok(Some((size, note))) = latest {
            for w in &mut witnesses {
                if w.held == Some(size) || Instant::now() < w.retry_at {
                    continue;
                }
                match ask(&agent, &st, w, size, &note) {
                    Ok(asked) => {
                        progress |= asked;
                        w.backoff = FIRST_BACKOFF;
                    }
                    Err(e) => {
                        tracing::warn!(witness = %w.url, retry_in = ?w.backoff, "{e}");
                        w.retry_at = Instant::now() + w.backoff;
                        w.backoff = (w.backoff * 2).min(MAX_BACKOFF);
                    }
                }
            }
        }
        drop(st);
        let pause = if progress {
            PACE
        } else {
            Duration::from_millis(200)
        };
        std::thread::sleep(pause.saturating_sub(round.elapsed()));
    }
}

/// One add-checkpoint request; Ok(true) when the witness cosigned or told its size.
fn ask(
    agent: &ureq::Agent,
    st: &AppState,
    w: &mut Witness,
    size: u64,
    note: &str,
) -> Result<bool, String> {
    let old = w.held.unwrap_or(0).min(size);
    let proof = if old > 0 && old < size {
        st.consistency_proof(old, size)?
    } else {
        Vec::new()
    };
    let mut body = format!("old {old}\n");
    for h in proof {
        body.push_str(&B64.encode(h));
        body.push('\n');
    }
    body.push('\n');
    body.push_str(note);
    let mut resp = agent
        .post(&w.url)
        .send(body.as_bytes())
        .map_err(|e| entente_roles::net::failed(e, "POST", &w.url, "10 s").to_string())?;
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .read_to_string()
        .map_err(|e| e.to_string())?;
    match status {
        200 => {
            let added = st.add_cosignatures(format!("{note}{text}"))?;
            tracing::info!(witness = %w.url, size, ?added, "cosigned");
            w.held = Some(size);
            Ok(true)
        }
        409 if resp_is_size(&text) => {
            // The witness holds another size: ask again with the proof from it.
            w.held = text.trim().parse().ok();
            Ok(w.held.is_some_and(|h| h <= size))
        }
        _ => Err(format!("the witness answered {status}: {}", text.trim())),
    }
}

fn resp_is_size(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
}
