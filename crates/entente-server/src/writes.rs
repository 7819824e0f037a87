//! The signed writes: ballots from devices and the protocol's steps from the administrator and the guardians, each checked, appended durably and answered with its inclusion proof.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use entente_board::Entry;
use entente_board::note::{Checkpoint, SignedNote};
use entente_group::P4096;
use entente_record::ballot::json::EncryptedBallotJson;
use rand::TryRngCore;

use entente_roles::protocol::kind;
use entente_roles::protocol::{Envelope, Role};
use entente_roles::protocol::{InclusionJson, Receipt};

use crate::proofs::inclusion_of;
use crate::respond::{ApiError, ApiResult, blocking};
use crate::state::{AppState, STEP_AUTHORS};

type G = P4096;

/// Appends through the sequencer (durable on return), then signs a checkpoint that covers the
/// entry and proves its inclusion in it.
fn append_and_prove(st: &AppState, entry: Entry) -> ApiResult<(u64, String, InclusionJson)> {
    let index = st
        .sequencer
        .append(vec![entry])
        .map_err(ApiError::internal)?;
    let note = st.sequencer.checkpoint().map_err(ApiError::internal)?;
    let size = SignedNote::parse(&note)
        .ok()
        .and_then(|n| Checkpoint::parse(&n.text).ok())
        .map(|c| c.size)
        .ok_or_else(|| ApiError::internal("the log signed an unreadable checkpoint"))?;
    let proof = st.read(|b| inclusion_of(b, index, size))?;
    Ok((index, note, proof))
}

/// Removes reserved keys from the pending set when dropped (also on an early return).
struct Reserved<'a> {
    st: &'a AppState,
    keys: Vec<String>,
}

impl Drop for Reserved<'_> {
    fn drop(&mut self) {
        if let Ok(mut p) = self.st.pending.lock() {
            for k in &self.keys {
                p.remove(k);
            }
        }
    }
}

/// POST /ballots: an encrypted ballot from a registered device, in a signed envelope. The
/// ballot's proofs, election, style and uniqueness are checked before it is appended; the
/// answer is its index, confirmation code and inclusion proof in a signed checkpoint. A bad
/// ballot gets a 4xx naming what failed and is not stored.
pub(crate) async fn submit_ballot(
    State(st): State<Arc<AppState>>,
    Json(env): Json<Envelope>,
) -> ApiResult<Json<Receipt>> {
    if env.kind != "ballot" {
        return Err(ApiError::bad(
            "POST /ballots takes writes of kind \"ballot\"",
        ));
    }
    let (_, body) = st.roles.check(&st.origin, &env, &[Role::Device])?;
    blocking(move || {
        // A signed write's nonce is spent whether or not the write is then accepted, so that
        // nobody can hold a refused write and submit it later.
        st.take_nonce(&env.author, env.nonce, false)?;
        // Held while the ballot is checked and appended: the ballot box cannot close meanwhile.
        let workflow = st.workflow.read().map_err(ApiError::internal)?;
        let election = workflow.open_election()?;
        let json: EncryptedBallotJson = serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad(format!("the ballot is not an encrypted ballot: {e}")))?;
        let invalid = |what: String| ApiError(StatusCode::UNPROCESSABLE_ENTITY, what);
        // Read for range here; the subgroup membership of its elements is proven by the
        // exponentiations its proofs need (`UncheckedBallot::check`).
        let ballot = json
            .read_unchecked::<G>()
            .map_err(|e| invalid(format!("ballot {}: {e}", json.ballot_id)))?;
        workflow.check_device_open(&env.author)?;
        workflow.check_style(&env.author, ballot.ballot_style_id())?;
        let code = ballot.confirmation_code().to_hex().to_ascii_lowercase();
        let id = ballot.ballot_id().to_owned();
        entente_core::tally::verify_ballot(
            &election.h_e,
            &election.key,
            &election.manifest,
            ballot,
            &mut rand::rngs::OsRng.unwrap_err(),
        )
        .map_err(|e| invalid(e.to_string()))?;
        // Unique id and code: reserved while in flight, then checked against the log.
        let keys = vec![format!("id:{id}"), format!("code:{code}")];
        {
            let mut pending = st.pending.lock().map_err(ApiError::internal)?;
            if keys.iter().any(|k| pending.contains(k)) {
                return Err(ApiError(
                    StatusCode::CONFLICT,
                    format!("ballot {id} is being submitted already"),
                ));
            }
            pending.extend(keys.iter().cloned());
        }
        let _reserved = Reserved { st: &st, keys };
        st.read(|b| {
            if !b
                .find("ballot_id", &id)
                .map_err(ApiError::internal)?
                .is_empty()
            {
                return Err(ApiError(
                    StatusCode::CONFLICT,
                    format!("ballot id {id} is on the board already"),
                ));
            }
            if !b
                .find("confirmation_code", &code)
                .map_err(ApiError::internal)?
                .is_empty()
            {
                return Err(ApiError(
                    StatusCode::CONFLICT,
                    format!("confirmation code {code} is on the board already"),
                ));
            }
            Ok(())
        })?;
        let data = serde_json::to_vec(&env).map_err(ApiError::internal)?;
        let entry = Entry::new("ballot", data)
            .with_key("author", env.author.clone())
            .with_key("ballot_id", id)
            .with_key("confirmation_code", code.clone());
        let (index, checkpoint, inclusion) = append_and_prove(&st, entry)?;
        drop(workflow);
        Ok(Json(Receipt {
            index,
            confirmation_code: Some(code),
            checkpoint,
            inclusion,
        }))
    })
    .await
}

/// POST /entries: a step of the election's protocol (see [`crate::workflow`]) from the
/// administrator or a guardian, in a signed envelope, checked against the protocol's state
/// before it is appended.
pub(crate) async fn submit_entry(
    State(st): State<Arc<AppState>>,
    Json(env): Json<Envelope>,
) -> ApiResult<Json<Receipt>> {
    let (role, body) = st.roles.check(&st.origin, &env, &STEP_AUTHORS)?;
    blocking(move || {
        let mut workflow = st.workflow.write().map_err(ApiError::internal)?;
        // Spent even if the step is refused: see submit_ballot.
        st.take_nonce(&env.author, env.nonce, true)?;
        let guardian = st.roles.guardian_index(&env.author);
        let change = workflow.check(
            &env.kind,
            (&env.author, role, guardian),
            &body,
            &st.roles_file,
        )?;
        // What only the log can tell: checked against the ballots on it.
        match env.kind.as_str() {
            kind::DEVICE_CLOSE => st.check_device_chain(&env.author, &body)?,
            kind::ENCRYPTED_TALLY => st.check_tally(&body)?,
            kind::RESULT => st.check_logged_result(&workflow, &body)?,
            _ => {}
        }
        let data = serde_json::to_vec(&env).map_err(ApiError::internal)?;
        let mut entry = Entry::new(env.kind.clone(), data)
            .with_key("author", env.author.clone())
            .with_key("step", env.kind.clone());
        for (k, v) in &change.keys {
            entry = entry.with_key(k.clone(), v.clone());
        }
        let (index, checkpoint, inclusion) = append_and_prove(&st, entry)?;
        workflow.apply(change);
        tracing::info!(
            index,
            kind = env.kind,
            author = env.author,
            "protocol step logged"
        );
        Ok(Json(Receipt {
            index,
            confirmation_code: None,
            checkpoint,
            inclusion,
        }))
    })
    .await
}
