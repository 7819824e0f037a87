//! What the server checks of each write before it is appended: the protocol's table (see the
//! module above), step by step.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use entente_core::keys::{
    GuardianPublicKey, JointKey, KeyContext, Quorum, SharesJson, VerifiedGuardianKey,
};
use entente_group::Group;
use entente_record::ballot::chain::BallotChainJson;
use entente_record::election::{
    ElectionConfigured, ElectionInitializedJson, ElectionSetup, GuardianJson, parse_json,
};
use entente_record::tally::EncryptedTallyJson;
use entente_record::{GroupKind, with_group};
use serde::Deserialize;

use crate::election::Election;
use entente_roles::protocol::{
    CeremonyStopJson, DecryptionSetJson, ElectionBody, ExclusionJson, PrintRunJson, ResultJson,
    RevealJson, Role, Roles, RolesFile, VerdictJson, definition_hash,
};
use entente_roles::protocol::{ceremony_blocking, kind};

use super::{Change, Effect, Workflow};
use crate::election::ServerGroup;
use crate::error::{WorkflowError, invalid, out_of_order};

/// The kinds of the protocol's entries.
/// The fields of a guardian's decryption messages that the server checks.
#[derive(Deserialize)]
struct DecryptionMessage {
    guardian: u32,
}

/// An election's definition of who writes (spec 2.0 leaves it to the election; Entente fixes
/// it on the log): the same authors as the roles in force, n guardians, and every device with
/// at least one ballot style of the manifest.
fn check_definition(
    definition: &RolesFile,
    roles: &RolesFile,
    configured: &ElectionConfigured,
) -> Result<(), WorkflowError> {
    if let Some(field) = roles.differs_from(definition) {
        return Err(invalid(format!(
            "the election's definition names other {field} than the roles in force"
        )));
    }
    Roles::new(definition).map_err(invalid)?;
    let n = configured.config.number_of_guardians as usize;
    if definition.guardians.len() != n {
        return Err(invalid(format!(
            "election_config.json: number_of_guardians is {n}, the definition names {} guardians",
            definition.guardians.len()
        )));
    }
    let mut names = BTreeSet::new();
    for key in &definition.devices {
        let name = entente_board::note::NoteVerifier::parse(key)
            .map_err(invalid)?
            .name()
            .to_owned();
        let styles = definition.styles.get(&name).filter(|s| !s.is_empty());
        let styles = styles.ok_or_else(|| {
            invalid(format!(
                "the definition gives device {name:?} no ballot style to issue"
            ))
        })?;
        if let Some(s) = styles
            .iter()
            .find(|s| !configured.manifest.styles.contains_key(s.as_str()))
        {
            return Err(invalid(format!(
                "the definition lets device {name:?} issue {s:?}, which is not a ballot style of \
                 the manifest"
            )));
        }
        names.insert(name);
    }
    if let Some(d) = definition.styles.keys().find(|d| !names.contains(*d)) {
        return Err(invalid(format!(
            "the definition gives ballot styles to {d:?}, which is not one of its devices"
        )));
    }
    if let Some(d) = definition.scanners.iter().find(|d| !names.contains(*d)) {
        return Err(invalid(format!(
            "the definition makes {d:?} a scanning station, which is not one of its devices"
        )));
    }
    Ok(())
}

impl Workflow {
    /// Checks a write of `kind` by `author` with `role` (and guardian index if a guardian),
    /// under the roles in force.
    pub fn check(
        &self,
        kind: &str,
        (author, role, guardian): (&str, Role, Option<u32>),
        body: &[u8],
        roles: &RolesFile,
    ) -> Result<Change, WorkflowError> {
        let need = |wanted: Role| {
            if role == wanted {
                Ok(())
            } else {
                Err(WorkflowError::NotYours(format!(
                    "{kind} is written by the {wanted:?}, not a {role:?}"
                )))
            }
        };
        let change = |effect| {
            Ok(Change {
                effect,
                keys: Vec::new(),
            })
        };
        if let Some(why) = &self.stopped
            && kind != kind::SHARE_VERDICT
        {
            return Err(WorkflowError::Stopped(why.clone()));
        }
        match kind {
            kind::ELECTION => {
                need(Role::Administrator)?;
                if self.configured.is_some() || self.election.is_some() {
                    return Err(out_of_order("the election is created already"));
                }
                let b: ElectionBody = parse_json("election", body).map_err(invalid)?;
                // The constants must be a group's own, and say the record's layout and group.
                let configured = ElectionConfigured::from_bytes(
                    b.manifest.as_bytes(),
                    b.election_config.as_bytes(),
                    b.constants.as_bytes(),
                )
                .map_err(invalid)?;
                let n = configured.config.number_of_guardians;
                Quorum::new(n, configured.config.quorum).map_err(invalid)?;
                check_definition(&b.definition, roles, &configured)?;
                let hash = definition_hash(body);
                change(Effect::Election(Box::new(configured), Box::new(b), hash))
            }
            kind::GUARDIAN_KEY => {
                need(Role::Guardian)?;
                let quorum = self
                    .quorum
                    .ok_or_else(|| out_of_order("the election is not created yet"))?;
                let i = guardian.ok_or_else(|| invalid("the author is no guardian"))?;
                if self.keys.contains_key(&i) {
                    return Err(out_of_order(format!(
                        "guardian {i} has published its key already"
                    )));
                }
                let json: GuardianJson = parse_json("guardian key", body).map_err(invalid)?;
                if json.x_coordinate != i {
                    return Err(invalid(format!(
                        "the key is for guardian {}, its author is guardian {i}",
                        json.x_coordinate
                    )));
                }
                with_group!(self.group()?, |G| verified_key::<G>(&json, quorum)
                    .map(drop))
                .map_err(invalid)?;
                change(Effect::Key(i, Box::new(json)))
            }
            kind::KEY_SHARES => {
                need(Role::Guardian)?;
                let n = self.guardians()?;
                let i = guardian.ok_or_else(|| invalid("the author is no guardian"))?;
                if self.keys.len() != n {
                    return Err(out_of_order(format!(
                        "{} of {n} guardian keys are published: shares come after all",
                        self.keys.len()
                    )));
                }
                if self.shares.contains(&i) {
                    return Err(out_of_order(format!(
                        "guardian {i} has sent its shares already"
                    )));
                }
                let json: SharesJson = parse_json("key shares", body).map_err(invalid)?;
                if json.guardian != i {
                    return Err(invalid(format!(
                        "the shares are from guardian {}, their author is guardian {i}",
                        json.guardian
                    )));
                }
                with_group!(self.group()?, |G| json.read::<G>().map(drop)).map_err(invalid)?;
                let to: BTreeSet<u32> = json.shares.iter().map(|s| s.recipient).collect();
                let others: BTreeSet<u32> = (1..=n as u32).filter(|&l| l != i).collect();
                if to != others || json.shares.len() != others.len() {
                    return Err(invalid(format!(
                        "guardian {i} must send exactly one share to each other guardian ({others:?})"
                    )));
                }
                change(Effect::Shares(i, Box::new(json)))
            }
            kind::SHARE_VERDICT => {
                need(Role::Guardian)?;
                let n = self.guardians()?;
                let l = guardian.ok_or_else(|| invalid("the author is no guardian"))?;
                if self.shares.len() != n {
                    return Err(out_of_order(format!(
                        "{} of {n} guardians have sent their shares: verdicts come after all",
                        self.shares.len()
                    )));
                }
                if self.verdicts.contains(&l) {
                    return Err(out_of_order(format!(
                        "guardian {l} has given its verdict already"
                    )));
                }
                let json: VerdictJson = parse_json("share verdict", body).map_err(invalid)?;
                if json.guardian != l {
                    return Err(invalid(format!(
                        "the verdict is guardian {}'s, its author is guardian {l}",
                        json.guardian
                    )));
                }
                let defined = self.definition.as_ref().map(|(_, h)| h.as_str());
                if defined != Some(json.election.as_str()) {
                    return Err(invalid(format!(
                        "guardian {l}'s verdict names election {:?}, not the definition on the \
                         log ({})",
                        json.election,
                        defined.unwrap_or("none")
                    )));
                }
                if let Some(c) = json
                    .complaints
                    .iter()
                    .find(|c| c.sender == l || c.sender == 0 || c.sender as usize > n)
                {
                    return Err(invalid(format!(
                        "guardian {l} cannot complain about guardian {}",
                        c.sender
                    )));
                }
                let accused: BTreeSet<u32> = json.complaints.iter().map(|c| c.sender).collect();
                if accused.len() != json.complaints.len() {
                    return Err(invalid(format!(
                        "guardian {l} complains twice about one guardian"
                    )));
                }
                let mut out = Change {
                    effect: Effect::Verdict(l, accused.into_iter().collect()),
                    keys: Vec::new(),
                };
                for c in &json.complaints {
                    out.keys.push(("accused".into(), c.sender.to_string()));
                }
                Ok(out)
            }
            kind::SHARE_REVEAL => {
                need(Role::Guardian)?;
                let i = guardian.ok_or_else(|| invalid("the author is no guardian"))?;
                let json: RevealJson = parse_json("share reveal", body).map_err(invalid)?;
                if json.guardian != i {
                    return Err(invalid(format!(
                        "the reveal is guardian {}'s, its author is guardian {i}",
                        json.guardian
                    )));
                }
                let l = json.recipient;
                if !self.disputes.contains(&(i, l)) {
                    return Err(out_of_order(format!(
                        "no complaint of guardian {l} against guardian {i} is open"
                    )));
                }
                with_group!(self.group()?, |G| check_reveal::<G>(self, &json)).map_err(|e| {
                    invalid(format!(
                        "guardian {i}'s share for guardian {l} does not settle the complaint: {e}"
                    ))
                })?;
                change(Effect::Reveal(i, l))
            }
            kind::CEREMONY_STOP => {
                need(Role::Administrator)?;
                let n = self.guardians()?;
                if self.election.is_some() {
                    return Err(out_of_order("the election is initialized already"));
                }
                let json: CeremonyStopJson = parse_json("ceremony stop", body).map_err(invalid)?;
                if json.guardians.is_empty() {
                    return Err(invalid("the stop names no guardian"));
                }
                let blocking = self.blocking(n);
                let mut why = Vec::new();
                for g in &json.guardians {
                    let Some(what) = blocking.get(&g.guardian) else {
                        return Err(invalid(format!(
                            "guardian {} does not block the ceremony",
                            g.guardian
                        )));
                    };
                    why.push(format!("guardian {} {what} ({})", g.guardian, g.reason));
                }
                change(Effect::CeremonyStop(why.join("; ")))
            }
            kind::ELECTION_INITIALIZED => {
                need(Role::Administrator)?;
                let n = self.guardians()?;
                if self.election.is_some() {
                    return Err(out_of_order("the election is initialized already"));
                }
                if let Some((i, l)) = self.disputes.iter().next() {
                    return Err(out_of_order(format!(
                        "guardian {l}'s complaint against guardian {i} is not settled: guardian \
                         {i} must publish its share (spec 2.0 §3.2.2)"
                    )));
                }
                if self.verdicts.len() != n {
                    return Err(out_of_order(format!(
                        "{} of {n} guardians have accepted their shares",
                        self.verdicts.len()
                    )));
                }
                let group = self.group()?;
                let election = with_group!(group, |G| initialized::<G>(self, body))?;
                change(Effect::Initialized(Arc::new(election)))
            }
            kind::PRINT_RUN => {
                need(Role::Administrator)?;
                let election = self.open_election()?;
                let run: PrintRunJson = parse_json("print run", body).map_err(invalid)?;
                change(Effect::PrintRun(self.check_print_run(&election, run)?))
            }
            kind::DEVICE_CLOSE => {
                need(Role::Device)?;
                if self.election.is_none() {
                    return Err(out_of_order("the election is not open yet"));
                }
                if self.devices_closed.contains(author) {
                    return Err(out_of_order(format!(
                        "device {author:?} has closed its chain already"
                    )));
                }
                let chain: BallotChainJson =
                    parse_json("ballot_chain.json", body).map_err(invalid)?;
                if chain.encrypting_device != author {
                    return Err(invalid(format!(
                        "the chain is device {:?}'s, its author is {author:?}",
                        chain.encrypting_device
                    )));
                }
                let mut out = Change {
                    effect: Effect::DeviceClose(author.to_owned()),
                    keys: Vec::new(),
                };
                out.keys.push(("device".into(), author.to_owned()));
                Ok(out)
            }
            kind::CLOSE => {
                need(Role::Administrator)?;
                if self.election.is_none() {
                    return Err(out_of_order("the election is not open yet"));
                }
                if self.closed {
                    return Err(out_of_order("the ballot box is closed already"));
                }
                change(Effect::Close)
            }
            kind::ENCRYPTED_TALLY => {
                need(Role::Administrator)?;
                if !self.closed {
                    return Err(out_of_order("the ballot box is not closed"));
                }
                if self.tally {
                    return Err(out_of_order("the encrypted tally is published already"));
                }
                let election = self
                    .election
                    .as_ref()
                    .ok_or_else(|| out_of_order("the election is not open"))?;
                let json: EncryptedTallyJson = election
                    .parse("encrypted_tally.json", body)
                    .map_err(invalid)?;
                let election_id = with_group!(election.kind.group, |G| json
                    .read::<G>()
                    .map(|t| t.election_id))
                .map_err(invalid)?;
                if election_id != election.h_e {
                    return Err(invalid(
                        "encrypted_tally.json: election_id is not this election's H_E",
                    ));
                }
                change(Effect::Tally)
            }
            kind::DECRYPTION_COMMIT => {
                need(Role::Guardian)?;
                let i = guardian.ok_or_else(|| invalid("the author is no guardian"))?;
                if !self.tally {
                    return Err(out_of_order("there is no encrypted tally to decrypt yet"));
                }
                if self.set.is_some() {
                    return Err(out_of_order("the decrypting guardians are chosen already"));
                }
                if let Some(why) = self.excluded.get(&i) {
                    return Err(WorkflowError::NotYours(format!(
                        "guardian {i} was left out of the decryption: {why}"
                    )));
                }
                if self.commits.contains(&i) {
                    return Err(out_of_order(format!("guardian {i} has committed already")));
                }
                self.own_message(body, i)?;
                change(Effect::Commit(i))
            }
            kind::DECRYPTION_SET => {
                need(Role::Administrator)?;
                let k = self.quorum.map_or(0, |q| q.quorum() as usize);
                if self.set.is_some() {
                    return Err(out_of_order("the decrypting guardians are chosen already"));
                }
                let json: DecryptionSetJson =
                    parse_json("decryption set", body).map_err(invalid)?;
                let set: BTreeSet<u32> = json.guardians.iter().copied().collect();
                if set.len() != json.guardians.len() || set.len() < k {
                    return Err(invalid(format!(
                        "the set needs at least k = {k} distinct guardians"
                    )));
                }
                if let Some(g) = set.iter().find(|g| !self.commits.contains(g)) {
                    return Err(invalid(format!("guardian {g} has not committed")));
                }
                change(Effect::Set(set.into_iter().collect()))
            }
            kind::DECRYPTION_RESPONSE => {
                need(Role::Guardian)?;
                let i = guardian.ok_or_else(|| invalid("the author is no guardian"))?;
                let set = self
                    .set
                    .as_ref()
                    .ok_or_else(|| out_of_order("the decrypting guardians are not chosen yet"))?;
                if !set.contains(&i) {
                    return Err(WorkflowError::NotYours(format!(
                        "guardian {i} is not among the decrypting guardians {set:?}"
                    )));
                }
                if self.responses.contains(&i) {
                    return Err(out_of_order(format!("guardian {i} has responded already")));
                }
                self.own_message(body, i)?;
                change(Effect::Response(i))
            }
            kind::DECRYPTION_EXCLUDE => {
                need(Role::Administrator)?;
                let set = self
                    .set
                    .as_ref()
                    .ok_or_else(|| out_of_order("the decrypting guardians are not chosen yet"))?;
                if self.result {
                    return Err(out_of_order("the result is published already"));
                }
                let json: ExclusionJson = parse_json("exclusion", body).map_err(invalid)?;
                if json.round != self.round {
                    return Err(invalid(format!(
                        "the exclusion ends round {}, the decryption is in round {}",
                        json.round, self.round
                    )));
                }
                let mut out = BTreeMap::new();
                for e in &json.excluded {
                    if !set.contains(&e.guardian) {
                        return Err(invalid(format!(
                            "guardian {} is not among the decrypting guardians {set:?}",
                            e.guardian
                        )));
                    }
                    if e.reason.trim().is_empty()
                        || out.insert(e.guardian, e.reason.clone()).is_some()
                    {
                        return Err(invalid(format!(
                            "guardian {} is excluded twice or without a reason",
                            e.guardian
                        )));
                    }
                }
                if out.is_empty() {
                    return Err(invalid("the exclusion leaves out nobody"));
                }
                let (n, k) = self
                    .quorum
                    .map_or((0, 0), |q| (q.guardians() as usize, q.quorum() as usize));
                let left = n.saturating_sub(self.excluded.len() + out.len());
                if left < k {
                    return Err(invalid(format!(
                        "leaving out guardians {:?} leaves {left} guardians, fewer than the \
                         quorum k = {k}: the decryption cannot go on without them",
                        out.keys().collect::<Vec<_>>()
                    )));
                }
                change(Effect::Exclude(out))
            }
            kind::RESULT => {
                need(Role::Administrator)?;
                let set = self
                    .set
                    .as_ref()
                    .ok_or_else(|| out_of_order("the decryption has not begun"))?;
                if self.responses.len() != set.len() {
                    return Err(out_of_order(format!(
                        "{} of {} responses are in",
                        self.responses.len(),
                        set.len()
                    )));
                }
                if self.result {
                    return Err(out_of_order("the result is published already"));
                }
                let json: ResultJson = parse_json("result", body).map_err(invalid)?;
                if let Some(f) = json.challenged.iter().find(|f| {
                    !f.name.starts_with("dballot-")
                        || !f.name.ends_with(".json")
                        || f.name.contains(['/', '\\'])
                }) {
                    return Err(invalid(format!(
                        "{:?} is not a decrypted ballot's file name",
                        f.name
                    )));
                }
                change(Effect::Result)
            }
            kind::BALLOT => Err(WorkflowError::UnknownKind(
                "ballots go to POST /ballots".into(),
            )),
            other => Err(WorkflowError::UnknownKind(other.to_owned())),
        }
    }

    /// The guardians who hold the key ceremony up: see [`ceremony_blocking`].
    fn blocking(&self, n: usize) -> BTreeMap<u32, String> {
        let keys: BTreeSet<u32> = self.keys.keys().copied().collect();
        ceremony_blocking(n, [&keys, &self.shares, &self.verdicts], &self.disputes)
    }

    /// The election's group, once it is created.
    fn group(&self) -> Result<GroupKind, WorkflowError> {
        self.configured
            .as_ref()
            .map(|c| c.kind.group)
            .ok_or_else(|| out_of_order("the election is not created yet"))
    }

    fn guardians(&self) -> Result<usize, WorkflowError> {
        self.quorum
            .map(|q| q.guardians() as usize)
            .ok_or_else(|| out_of_order("the election is not created yet"))
    }

    fn own_message(&self, body: &[u8], i: u32) -> Result<(), WorkflowError> {
        let m: DecryptionMessage = parse_json("decryption message", body).map_err(invalid)?;
        if m.guardian != i {
            return Err(invalid(format!(
                "the message is guardian {}'s, its author is guardian {i}",
                m.guardian
            )));
        }
        Ok(())
    }
}

/// A guardian's key in the election's group, its proofs checked (Verification 2).
fn verified_key<G: ServerGroup>(
    json: &GuardianJson,
    quorum: Quorum,
) -> Result<VerifiedGuardianKey<G>, entente_core::CoreError> {
    GuardianPublicKey::<G>::from_json(json)?.verify(&KeyContext::of_group(G::KIND), quorum)
}

/// A share revealed for a dispute against the encryption its sender logged (§3.2.2).
fn check_reveal<G: ServerGroup>(w: &Workflow, json: &RevealJson) -> Result<(), String> {
    let (i, l) = (json.guardian, json.recipient);
    let quorum = w.quorum.ok_or("the election is not created yet")?;
    let shares = w
        .share_messages
        .get(&i)
        .ok_or("its share message is not on the log")?
        .read::<G>()
        .map_err(|e| e.to_string())?;
    let share = shares
        .iter()
        .find(|s| s.recipient == l)
        .ok_or("its share message holds no share for the accuser")?;
    let key = |g: u32| {
        w.keys
            .get(&g)
            .ok_or(format!("guardian {g}'s key is not on the log"))
            .and_then(|j| verified_key::<G>(j, quorum).map_err(|e| e.to_string()))
    };
    let scalar = |what: &str, hex: &str| {
        <<G as Group>::Scalar as entente_group::Scalar>::from_hex(hex)
            .map_err(|e| format!("{what}: {e}"))
    };
    let revealed = entente_core::keys::RevealedShare::<G> {
        sender: i,
        recipient: l,
        value: scalar("share", &json.share)?,
        nonce: scalar("nonce", &json.nonce)?,
    };
    share
        .check_reveal(
            &KeyContext::of_group(G::KIND),
            &key(i)?,
            &key(l)?,
            &revealed,
        )
        .map_err(|e| e.to_string())
}

/// `election_initialized.json` against the log: K the product of the logged keys (eq. (8)),
/// the guardians those keys, H_E right (Verification 3.B, 4.A); the election that ballots are
/// then checked against.
fn initialized<G: ServerGroup>(w: &Workflow, body: &[u8]) -> Result<Election, WorkflowError> {
    let configured = w
        .configured
        .as_ref()
        .ok_or_else(|| out_of_order("no election"))?;
    let quorum = w
        .quorum
        .ok_or_else(|| out_of_order("the election is not created yet"))?;
    let json: ElectionInitializedJson = entente_record::layout::parse_in(
        "election_initialized.json",
        body,
        configured.kind.layout,
        &|_| None,
    )
    .map_err(invalid)?;
    let keys = w
        .keys
        .values()
        .map(|j| verified_key::<G>(j, quorum))
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    let joint = JointKey::<G>::combine(&KeyContext::of_group(G::KIND), &configured.h_b, keys)
        .map_err(invalid)?;
    if !json
        .joint_public_key
        .eq_ignore_ascii_case(&G::element_to_hex(&joint.key))
    {
        return Err(invalid(
            "joint_public_key is not the product of the guardians' keys on the log (eq. (8))",
        ));
    }
    let logged: Vec<&GuardianJson> = w.keys.values().collect();
    let stated: Vec<&GuardianJson> = json.guardians.iter().collect();
    if logged != stated {
        return Err(invalid(
            "guardians are not the keys the guardians published on the log",
        ));
    }
    let file = |name: &str| {
        w.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
            .unwrap_or_default()
    };
    let setup = ElectionSetup::<G>::initialized(
        ElectionConfigured::from_bytes(
            file("manifest.json"),
            file("election_config.json"),
            file("constants.json"),
        )
        .map_err(invalid)?,
        json,
    )
    .map_err(invalid)?;
    let mut files = w.files.clone();
    files.push(("election_initialized.json".into(), body.to_vec()));
    Ok(Election::from_setup(setup, files))
}
