//! The workspace's structural rules (DESIGN.md, "Layout"): dependencies between Entente's
//! crates only point down, and the verifier can reach the group and the record but never the
//! crate that encrypts and decrypts. A new crate must be given its place here.

use std::path::Path;

/// Each crate and the Entente crates it may depend on.
const ALLOWED: &[(&str, &[&str])] = &[
    ("entente-group", &[]),
    ("entente-record", &["entente-group"]),
    ("entente-core", &["entente-group", "entente-record"]),
    ("entente-verify", &["entente-group", "entente-record"]),
    ("entente-board", &[]),
    (
        "entente-server",
        &[
            "entente-group",
            "entente-record",
            "entente-core",
            "entente-board",
        ],
    ),
    (
        "entente",
        &[
            "entente-group",
            "entente-record",
            "entente-core",
            "entente-verify",
            "entente-board",
            "entente-server",
        ],
    ),
];

fn entente_deps(manifest: &toml::Table) -> Vec<String> {
    ["dependencies", "build-dependencies"]
        .iter()
        .filter_map(|section| manifest.get(*section).and_then(|d| d.as_table()))
        .flat_map(|deps| deps.keys().cloned())
        .filter(|name| name.starts_with("entente"))
        .collect()
}

#[test]
fn dependencies_point_down() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut seen = 0;
    for entry in std::fs::read_dir(&crates).unwrap() {
        let path = entry.unwrap().path().join("Cargo.toml");
        if !path.is_file() {
            continue;
        }
        let manifest: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
        let name = manifest["package"]["name"].as_str().unwrap().to_owned();
        let allowed = ALLOWED
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("crate {name} has no place in the layout rules"))
            .1;
        for dep in entente_deps(&manifest) {
            assert!(
                allowed.contains(&dep.as_str()),
                "{name} must not depend on {dep} (DESIGN.md: arrows point down; the verifier \
                 depends on group and record only)"
            );
        }
        seen += 1;
    }
    assert!(
        seen >= 4,
        "found only {seen} crates under {}",
        crates.display()
    );
}
