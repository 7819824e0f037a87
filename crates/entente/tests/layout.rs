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
        "entente-conformance",
        &["entente-group", "entente-record", "entente-core"],
    ),
    // The roles: never the server, whose clients they are (the server takes the protocol's
    // messages from here). The verifier is the observer's and the demo's last step.
    (
        "entente-roles",
        &[
            "entente-group",
            "entente-record",
            "entente-core",
            "entente-verify",
            "entente-board",
        ],
    ),
    (
        "entente-server",
        &[
            "entente-group",
            "entente-record",
            "entente-core",
            "entente-board",
            "entente-roles",
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
            "entente-roles",
            "entente-server",
            "entente-conformance",
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

/// The one file of the workspace allowed `unsafe` code (AVX-512 intrinsics).
const UNSAFE_HOME: &str = "entente-group/src/modp/simd.rs";

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n != "node_modules" && n != "target")
            {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `unsafe` lives in one module of one crate, and each block there carries the argument that
/// makes it sound (a `SAFETY` comment above it, or above the impl whose methods it is in).
#[test]
fn unsafe_code_is_confined_and_argued() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    rust_files(&crates, &mut files);
    let mut blocks = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let home = file.ends_with(UNSAFE_HOME);
        let mut argued = false;
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if line.trim_start().starts_with("// SAFETY") {
                argued = true;
            }
            // Spelled in two pieces so that this line does not count itself.
            let (block, function) = (concat!("unsafe", " {"), concat!("unsafe", " fn"));
            let uses = code.contains(block) || code.contains(function);
            if !uses {
                continue;
            }
            assert!(
                home,
                "{}:{}: `unsafe` outside {UNSAFE_HOME}",
                file.display(),
                n + 1
            );
            assert!(
                argued || code.contains(function),
                "{}:{}: an unsafe block without a SAFETY argument above it",
                file.display(),
                n + 1
            );
            blocks += 1;
        }
    }
    assert!(blocks > 0, "the AVX-512 module was not found");
}
