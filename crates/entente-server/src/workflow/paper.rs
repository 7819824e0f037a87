//! Paper ballots on the log: the print runs the administrator commits, and the rule that ties
//! each ballot a scanning station records to one of them.
//!
//! A scanning station holds the print run's nonces, so it could pre-encrypt and record ballots
//! nobody printed (ballot stuffing with codes of its own). The board takes a ballot recorded
//! from a pre-encrypted one only from a scanner of the election's definition, only if its id,
//! style and confirmation code were committed in a print run before it, and only once (the id
//! is unique on the board). A booth may not take a printed id, nor submit a pre-encrypted
//! ballot. What stays possible, a scanner recording an unused printed ballot, is what paper
//! reconciliation catches: the board says how many ballots of each run were recorded.

use std::collections::BTreeSet;

use entente_roles::protocol::PrintRunJson;

use super::{Printed, Workflow};
use crate::election::Election;
use crate::error::{WorkflowError, invalid};

/// The most ballots one print-run write may commit (each is about 150 bytes of JSON, so the
/// write stays within the server's limit for a protocol step).
pub const MAX_PRINT_RUN: usize = 100_000;

impl Workflow {
    /// Checks a print run: for this election, ids fit to name a file, each id and code new
    /// (within the run and on the log), styles of the manifest, codes 32 bytes of hex.
    pub(super) fn check_print_run(
        &self,
        election: &Election,
        run: PrintRunJson,
    ) -> Result<Vec<(String, Printed)>, WorkflowError> {
        if !run.election.eq_ignore_ascii_case(&election.h_e.to_hex()) {
            return Err(invalid(
                "the print run is for another election: its H_E is not this election's",
            ));
        }
        if run.ballots.is_empty() || run.ballots.len() > MAX_PRINT_RUN {
            return Err(invalid(format!(
                "a print run commits 1 to {MAX_PRINT_RUN} ballots, not {}",
                run.ballots.len()
            )));
        }
        let (mut ids, mut codes) = (BTreeSet::new(), BTreeSet::new());
        let mut out = Vec::with_capacity(run.ballots.len());
        for b in run.ballots {
            let id = b.ballot_id;
            if id.is_empty() || id.contains(['/', '\\']) || id.starts_with('.') {
                return Err(invalid(format!("ballot id {id:?} cannot name a file")));
            }
            if !election
                .manifest
                .styles
                .contains_key(b.ballot_style.as_str())
            {
                return Err(invalid(format!(
                    "ballot {id}: {:?} is not a ballot style of the manifest",
                    b.ballot_style
                )));
            }
            let code = b.confirmation_code.to_ascii_lowercase();
            if code.len() != 64 || !code.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(invalid(format!(
                    "ballot {id}: the confirmation code is not 64 hex digits"
                )));
            }
            if self.printed.contains_key(&id) || !ids.insert(id.clone()) {
                return Err(invalid(format!("ballot {id} is printed twice")));
            }
            if self.printed_codes.contains(&code) || !codes.insert(code.clone()) {
                return Err(invalid(format!(
                    "ballot {id}: confirmation code {code} is printed twice"
                )));
            }
            out.push((
                id,
                Printed {
                    style: b.ballot_style,
                    code,
                },
            ));
        }
        Ok(out)
    }

    /// Refuses a ballot that does not fit the paper rules: a pre-encrypted one (`paper`) must
    /// come from a scanning station of the definition and be a committed ballot of a print
    /// run, with its style and code; any other may not come from a scanning station nor take
    /// a printed id. (That the id is new on the board is checked against the log.)
    pub fn check_paper(
        &self,
        device: &str,
        (id, style, code): (&str, &str, &str),
        paper: bool,
    ) -> Result<(), WorkflowError> {
        let scanner = self.scanners.contains(device);
        let printed = self.printed.get(id);
        if !paper {
            if scanner {
                return Err(WorkflowError::NotYours(format!(
                    "device {device:?} is a scanning station: it records pre-encrypted paper \
                     ballots only"
                )));
            }
            if printed.is_some() {
                return Err(invalid(format!(
                    "ballot id {id} belongs to a committed print run: only its paper ballot \
                     may take it"
                )));
            }
            return Ok(());
        }
        if !scanner {
            return Err(WorkflowError::NotYours(format!(
                "device {device:?} is not a scanning station of the election's definition: it \
                 records no pre-encrypted ballot"
            )));
        }
        let printed = printed.ok_or_else(|| {
            invalid(format!(
                "ballot {id} is in no print run committed on the board: a scanning station \
                 records only ballots that were printed"
            ))
        })?;
        if printed.style != style {
            return Err(invalid(format!(
                "ballot {id} was printed in style {:?}, not {style:?}",
                printed.style
            )));
        }
        if !printed.code.eq_ignore_ascii_case(code) {
            return Err(invalid(format!(
                "ballot {id}: its confirmation code is not the one its print run committed \
                 ({}): these are not the encryptions printed on it",
                printed.code
            )));
        }
        Ok(())
    }

    /// How many ballots the print runs committed.
    pub fn printed(&self) -> usize {
        self.printed.len()
    }
}
