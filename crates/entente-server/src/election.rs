//! The election whose ballots the server takes: its setup, checked once when the server starts or when the log initializes it.

use std::path::Path;

use entente_group::P4096;
use entente_record::HashValue;
use entente_record::ballot::PublicKey;
use entente_record::election::ElectionSetup;
use entente_record::manifest::Manifest;

use entente_roles::protocol::SETUP_FILES;

type G = P4096;

/// What a ballot is checked against.
pub struct Election {
    /// H_E.
    pub h_e: HashValue,
    /// K.
    pub key: PublicKey<G>,
    /// The manifest.
    pub manifest: Manifest,
    /// The setup files as published, for devices: (name, bytes).
    pub files: Vec<(String, Vec<u8>)>,
}

impl Election {
    /// The election of a record directory: its setup, checked (spec 2.0 1.F–1.H, 4.A), and the
    /// setup files as they are, served to devices at GET /election/<file>.
    pub fn read(dir: &Path) -> Result<Self, String> {
        let setup = ElectionSetup::<G>::read(dir).map_err(|e| e.to_string())?;
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        for name in SETUP_FILES {
            let path = dir.join(name);
            match std::fs::read(&path) {
                Ok(bytes) => files.push((name.to_owned(), bytes)),
                Err(e) if name == "constants.json" && e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("{}: {e}", path.display())),
            }
        }
        Ok(Self::from_setup(setup, files))
    }

    /// The election of a checked setup, with its files as published.
    pub fn from_setup(setup: ElectionSetup<G>, files: Vec<(String, Vec<u8>)>) -> Self {
        Self {
            h_e: setup.h_e,
            key: PublicKey::new(setup.joint_key),
            manifest: setup.manifest,
            files,
        }
    }
}
