//! The election whose ballots the server takes: its setup, checked once when the server starts or when the log initializes it.
//!
//! The server learns the election's group with the election (its `constants.json`), after it
//! has started: the group-dependent part is K, held for whichever group it is, and every check
//! that needs it runs generic over the group ([`Election::key`], `with_group!`).

use std::path::Path;

use entente_group::{P256, P4096};
use entente_record::ballot::PublicKey;
use entente_record::ballot::json::EncryptedBallotJson;
use entente_record::election::ElectionSetup;
use entente_record::manifest::Manifest;
use entente_record::{HashValue, KnownGroup, RecordError, RecordKind, with_group};

use entente_roles::protocol::SETUP_FILES;

/// K with its fixed-base table, in the election's group (held by an [`Election`]).
pub enum ElectionKey {
    /// In the 4096-bit group (boxed: its fixed-base table is large).
    P4096(Box<PublicKey<P4096>>),
    /// On P-256.
    P256(PublicKey<P256>),
}

/// A group whose key an [`Election`] may hold.
pub trait ServerGroup: KnownGroup {
    /// The key, if the election is in this group.
    #[doc(hidden)]
    fn key_of(key: &ElectionKey) -> Option<&PublicKey<Self>>;
    /// The key of this group as an election holds it.
    #[doc(hidden)]
    fn hold(key: PublicKey<Self>) -> ElectionKey;
}

impl ServerGroup for P4096 {
    fn key_of(key: &ElectionKey) -> Option<&PublicKey<Self>> {
        match key {
            ElectionKey::P4096(k) => Some(k.as_ref()),
            ElectionKey::P256(_) => None,
        }
    }
    fn hold(key: PublicKey<Self>) -> ElectionKey {
        ElectionKey::P4096(Box::new(key))
    }
}

impl ServerGroup for P256 {
    fn key_of(key: &ElectionKey) -> Option<&PublicKey<Self>> {
        match key {
            ElectionKey::P256(k) => Some(k),
            ElectionKey::P4096(_) => None,
        }
    }
    fn hold(key: PublicKey<Self>) -> ElectionKey {
        ElectionKey::P256(key)
    }
}

/// What a ballot is checked against.
pub struct Election {
    /// What the election's record is: its layout and group.
    pub kind: RecordKind,
    /// H_E.
    pub h_e: HashValue,
    /// K.
    key: ElectionKey,
    /// The manifest.
    pub manifest: Manifest,
    /// The setup files as published, for devices: (name, bytes).
    pub files: Vec<(String, Vec<u8>)>,
}

impl Election {
    /// The election of a record directory: its setup, checked (spec 2.0 1.F–1.H, 4.A), and the
    /// setup files as they are, served to devices at GET /election/<file>.
    pub fn read(dir: &Path) -> Result<Self, String> {
        let kind = RecordKind::of_record(dir).map_err(|e| e.to_string())?;
        with_group!(kind.group, |G| read_in::<G>(dir))
    }

    /// The election of a checked setup, with its files as published.
    pub fn from_setup<G: ServerGroup>(
        setup: ElectionSetup<G>,
        files: Vec<(String, Vec<u8>)>,
    ) -> Self {
        Self {
            kind: setup.kind,
            h_e: setup.h_e,
            key: G::hold(PublicKey::new(setup.joint_key)),
            manifest: setup.manifest,
            files,
        }
    }

    /// K, in the election's group `G`; an error if the election is in another group.
    pub fn key<G: ServerGroup>(&self) -> Result<&PublicKey<G>, String> {
        G::key_of(&self.key).ok_or_else(|| {
            format!(
                "the election is in the group {:?}, not {:?}",
                self.kind.group,
                G::KIND
            )
        })
    }

    /// A record file of this election (a ballot, a tally, a decryption; `name` for messages)
    /// read into the 2.0 form the readers take, whatever the election's layout.
    pub fn parse<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
        bytes: &[u8],
    ) -> Result<T, RecordError> {
        entente_record::layout::parse_for(name, bytes, self.kind.layout, &self.manifest)
    }

    /// A logged ballot's body, read.
    pub fn parse_ballot(&self, bytes: &[u8]) -> Result<EncryptedBallotJson, RecordError> {
        self.parse("ballot", bytes)
    }
}

fn read_in<G: ServerGroup>(dir: &Path) -> Result<Election, String> {
    let setup = ElectionSetup::<G>::read(dir).map_err(|e| e.to_string())?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for name in SETUP_FILES {
        let path = dir.join(name);
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        files.push((name.to_owned(), bytes));
    }
    Ok(Election::from_setup(setup, files))
}
