//! `entente export`: the election record from the log, as anyone may take it, with the log
//! itself as tlog-tiles beside it.

use std::path::Path;
use std::time::Duration;

use crate::error::{Result, ensure};

use crate::client::{Client, LOG_DIR, cosigners};
use crate::files::materialize;

/// What an export holds.
pub struct Exported {
    /// The log's size at the exported checkpoint.
    pub size: u64,
    /// The record files written.
    pub files: usize,
    /// The witnesses whose cosignatures the checkpoint carries.
    pub cosigned_by: Vec<String>,
}

/// `entente export`: the election record from the log, under `dir`, with the log itself as
/// tlog-tiles under `dir/log/`. Waits (up to `timeout`) for a checkpoint of the whole log
/// cosigned by every witness of the roles file on the log.
pub fn export(client: &Client, dir: &Path, timeout: Duration) -> Result<Exported> {
    let log_dir = dir.join(LOG_DIR);
    let (m, size, cosigned_by) = client.wait_for(
        &log_dir,
        "a checkpoint of the whole log cosigned by every witness",
        timeout,
        |m| {
            let (status, body) = client.get("/status")?;
            ensure!(status == 200, "GET /status: {status}");
            let st: serde_json::Value = serde_json::from_slice(&body)?;
            let whole = st["size"].as_u64() == Some(m.size);
            let cosigners = cosigners(&m.note, &m.view.roles.witnesses)?;
            Ok((whole && cosigners.len() == m.view.roles.witnesses.len())
                .then(|| (m.view.clone(), m.size, cosigners)))
        },
    )?;
    let files = materialize(&m, dir)?;
    crate::files::write_atomically(
        &log_dir.join(crate::client::LOG_KEY_FILE),
        format!("{}\n", client.log_key()).as_bytes(),
    )?;
    // The mirror and the record were written without a sync per file; the export is handed
    // on, so it is on disk before this returns.
    crate::files::sync_tree(dir)?;
    Ok(Exported {
        size,
        files,
        cosigned_by,
    })
}
