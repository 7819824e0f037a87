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

/// The one module of the workspace allowed `unsafe` code (AVX-512 intrinsics, GMP's `mpn`).
const UNSAFE_HOME: &str = "entente-group/src/modp/raw";

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    source_files(dir, &["rs"], &mut out);
    out
}

/// The files below `dir` with one of these extensions, outside `node_modules`, `target` and
/// hidden folders.
fn source_files(dir: &Path, extensions: &[&str], out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if path.is_dir() {
            if name != "node_modules" && name != "target" && !name.starts_with('.') {
                source_files(&path, extensions, out);
            }
        } else if path
            .extension()
            .is_some_and(|x| extensions.iter().any(|e| x == *e))
        {
            out.push(path);
        }
    }
}

/// `unsafe` lives in one module of one crate, and each block there carries the argument that
/// makes it sound (a `SAFETY` comment above it, or above the impl whose methods it is in).
#[test]
fn unsafe_code_is_confined_and_argued() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let files = rust_files(&crates);
    let mut blocks = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let home = file.parent().is_some_and(|dir| dir.ends_with(UNSAFE_HOME));
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
    assert!(blocks > 0, "the module of `unsafe` code was not found");
}

/// A crate's source files by module path (`["protocol", "kind"]` for `src/protocol/kind.rs`).
fn modules(src: &Path) -> Vec<(Vec<String>, std::path::PathBuf)> {
    rust_files(src)
        .into_iter()
        .filter_map(|file| {
            let rel = file.strip_prefix(src).ok()?.with_extension("");
            let mut path: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                path.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                path.pop();
            }
            Some((path, file))
        })
        .collect()
}

/// The code of a Rust file without its comments, string and character literals, as tokens:
/// identifiers, `::` and single punctuation characters.
fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && {
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                j += 1;
            }
            chars.get(j) == Some(&'"')
        } {
            // A raw string: ends at a quote followed by as many hashes as it opened with.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars[j] == '#' {
                hashes += 1;
                j += 1;
            }
            j += 1;
            while j < chars.len() {
                if chars[j] == '"' && (1..=hashes).all(|h| chars.get(j + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
            // A character literal (a lifetime has no closing quote two characters on).
            i += if next == Some('\\') { 3 } else { 2 };
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if c == ':' && next == Some(':') {
            out.push("::".into());
            i += 2;
        } else {
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
            i += 1;
        }
    }
    out
}

/// The paths a token stream names from position `i` on (at the first segment of a path, which
/// may continue into a `{…}` group): each as its segments.
fn path_tree(t: &[String], mut i: usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix;
    loop {
        match t.get(i).map(String::as_str) {
            Some("{") => {
                i += 1;
                loop {
                    match t.get(i).map(String::as_str) {
                        Some("}") => return i + 1,
                        Some(",") => i += 1,
                        Some(_) => i = path_tree(t, i, path.clone(), out),
                        None => return i,
                    }
                }
            }
            Some(seg) if seg.chars().all(|c| c.is_alphanumeric() || c == '_') => {
                if seg != "self" || path.is_empty() {
                    path.push(seg.to_owned());
                }
                i += 1;
                if t.get(i).map(String::as_str) == Some("::") {
                    i += 1;
                    continue;
                }
                out.push(path);
                return i;
            }
            _ => {
                out.push(path);
                return i;
            }
        }
    }
}

/// What one file names of its own crate, as absolute module paths with the item after them.
/// Inside an inline module (`mod tests { … }`), `self` and `super` are relative to it.
fn references(text: &str, file_module: &[String], children: &[String]) -> Vec<Vec<String>> {
    let t = tokens(text);
    let mut out = Vec::new();
    // The inline modules open at this point, with the brace depth inside each.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < t.len() {
        match t[i].as_str() {
            "{" => {
                depth += 1;
                if i >= 2 && t[i - 2] == "mod" {
                    inline.push((t[i - 1].clone(), depth));
                }
            }
            "}" => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth -= 1;
            }
            _ => {}
        }
        let mut module = file_module.to_vec();
        module.extend(inline.iter().map(|(m, _)| m.clone()));
        let after_path = i > 0 && (t[i - 1] == "::" || t[i - 1] == ".");
        let starts = !after_path && t.get(i + 1).map(String::as_str) == Some("::");
        if !starts {
            i += 1;
            continue;
        }
        let (base, skip): (Vec<String>, usize) = match t[i].as_str() {
            "crate" => (Vec::new(), 2),
            "self" => (module, 2),
            "super" => {
                let mut base = module;
                let mut j = i;
                while t.get(j).map(String::as_str) == Some("super")
                    && t.get(j + 1).map(String::as_str) == Some("::")
                {
                    base.pop();
                    j += 2;
                }
                (base, j - i)
            }
            name if inline.is_empty() && children.iter().any(|c| c == name) => (module, 0),
            _ => {
                i += 1;
                continue;
            }
        };
        let mut paths = Vec::new();
        i = path_tree(&t, i + skip, base, &mut paths);
        out.extend(paths);
    }
    out
}

/// The modules a file declares (`mod x;`), whose paths it may name without `self::`.
fn declared_children(text: &str) -> Vec<String> {
    let t = tokens(text);
    t.windows(3)
        .filter(|w| w[0] == "mod" && w[2] == ";")
        .map(|w| w[1].clone())
        .collect()
}

/// The items a file re-exports (`pub use a::b::Name;`): name → the absolute path it names.
fn reexports(text: &str, module: &[String], children: &[String]) -> Vec<(String, Vec<String>)> {
    let t = tokens(text);
    let mut out = Vec::new();
    for i in 0..t.len() {
        if t[i] != "use" || i == 0 || !(t[i - 1] == "pub" || t[i - 1] == ")") {
            continue;
        }
        let Some(first) = t.get(i + 1) else { continue };
        let (base, skip) = match first.as_str() {
            "crate" => (Vec::new(), 3),
            "self" => (module.to_vec(), 3),
            "super" => {
                let mut base = module.to_vec();
                base.pop();
                (base, 3)
            }
            name if children.iter().any(|c| c == name) => (module.to_vec(), 1),
            _ => continue,
        };
        let mut paths = Vec::new();
        path_tree(&t, i + skip, base, &mut paths);
        out.extend(
            paths
                .into_iter()
                .filter_map(|p| Some((p.last()?.clone(), p))),
        );
    }
    out
}

/// The circles among a crate's files (module path → its text): each group of files that reach
/// each other, as the imports between them.
fn find_circles(texts: &std::collections::BTreeMap<Vec<String>, String>) -> Vec<String> {
    use std::collections::BTreeMap;
    let children: BTreeMap<&Vec<String>, Vec<String>> = texts
        .iter()
        .map(|(m, text)| (m, declared_children(text)))
        .collect();
    let exports: BTreeMap<&Vec<String>, Vec<(String, Vec<String>)>> = texts
        .iter()
        .map(|(m, text)| (m, reexports(text, m, &children[m])))
        .collect();
    // The file a path names: its longest prefix that is a module, followed through the
    // re-exports of the item after it.
    let resolve = |path: &[String]| -> Option<Vec<String>> {
        let mut path = path.to_vec();
        for _ in 0..8 {
            let n = (0..=path.len())
                .rev()
                .find(|&n| texts.contains_key(&path[..n]))?;
            let module = path[..n].to_vec();
            let Some(item) = path.get(n) else {
                return Some(module);
            };
            match exports[&module].iter().find(|(name, _)| name == item) {
                Some((_, target)) if target.as_slice() != path.as_slice() => {
                    let mut next = target.clone();
                    next.extend_from_slice(&path[n + 1..]);
                    path = next;
                }
                _ => return Some(module),
            }
        }
        None
    };
    let mut edges: BTreeMap<&Vec<String>, Vec<Vec<String>>> = BTreeMap::new();
    for (m, text) in texts {
        let mut to: Vec<Vec<String>> = references(text, m, &children[m])
            .iter()
            .filter_map(|p| resolve(p))
            .filter(|target| target != m)
            .collect();
        to.sort();
        to.dedup();
        edges.insert(m, to);
    }
    // Files on a circle are those that reach each other; each group is reported with the
    // imports between its files.
    let reach = |from: &Vec<String>| {
        let mut seen = std::collections::BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(m) = todo.pop() {
            for next in edges.get(&m).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&Vec<String>, std::collections::BTreeSet<Vec<String>>> =
        texts.keys().map(|m| (m, reach(m))).collect();
    let name = |m: &Vec<String>| match m.is_empty() {
        true => "<root>".to_owned(),
        false => m.join("::"),
    };
    let mut placed = std::collections::BTreeSet::new();
    let mut circles = Vec::new();
    for m in texts.keys() {
        if placed.contains(m) || !reached[m].contains(m) {
            continue;
        }
        let group: Vec<&Vec<String>> = texts
            .keys()
            .filter(|o| reached[m].contains(*o) && reached[*o].contains(m))
            .collect();
        let imports: Vec<String> = group
            .iter()
            .flat_map(|from| {
                edges[*from]
                    .iter()
                    .filter(|to| group.contains(to))
                    .map(move |to| format!("{} -> {}", name(from), name(to)))
            })
            .collect();
        placed.extend(group.iter().map(|g| (*g).clone()));
        circles.push(imports.join(", "));
    }
    circles
}

/// No file of a crate names another that names it back, directly or through others: a circle
/// means two files that cannot be read, changed or moved one without the other. A name that a
/// module re-exports counts as the file that defines it.
#[test]
fn no_file_imports_one_that_imports_it_back() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut checked = 0;
    let mut circles = Vec::new();
    for entry in std::fs::read_dir(&crates).unwrap() {
        let src = entry.unwrap().path().join("src");
        if !src.is_dir() {
            continue;
        }
        let texts = modules(&src)
            .into_iter()
            .map(|(m, f)| (m, std::fs::read_to_string(f).unwrap()))
            .collect();
        for circle in find_circles(&texts) {
            circles.push(format!("{}: {circle}", src.display()));
        }
        checked += texts.len();
    }
    assert!(checked > 50, "only {checked} files were checked");
    assert!(
        circles.is_empty(),
        "files that import each other in a circle:\n{}",
        circles.join("\n")
    );
}

/// The circle finder finds circles: through `use` groups, `super`, a child named without
/// `self::`, a re-export and a path in code; and none where the arrows only point down.
#[test]
fn the_circle_finder_sees_each_way_of_naming_a_file() {
    let crate_of = |files: &[(&str, &str)]| {
        files
            .iter()
            .map(|(m, text)| {
                let path = m
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                (path, (*text).to_owned())
            })
            .collect::<std::collections::BTreeMap<Vec<String>, String>>()
    };
    let root = "mod a; mod b; mod c; pub use a::Thing;";
    let down = crate_of(&[
        ("", root),
        ("a", "use crate::{b::{self, X}, c::Y};"),
        (
            "b",
            "use super::c::Z; // crate::a::W in a comment\nconst S: &str = \"crate::a\";",
        ),
        ("c", "pub struct Y; pub struct Z;"),
    ]);
    assert_eq!(find_circles(&down), Vec::<String>::new());
    for (name, b) in [
        ("a use group", "use crate::{c::Z, a::{Thing}};"),
        ("super", "fn f() { super::a::g() }"),
        ("a path in code", "fn f() -> u8 { crate::a::N }"),
        ("a re-export", "use crate::Thing;"),
    ] {
        let files = crate_of(&[
            ("", root),
            ("a", "use crate::b::X; pub struct Thing;"),
            ("b", b),
            ("c", ""),
        ]);
        let circles = find_circles(&files);
        assert_eq!(circles, ["a -> b, b -> a"], "{name}");
    }
    // A module and a child it names without `self::`, which names the module's own item back.
    let files = crate_of(&[
        ("", "mod p;"),
        ("p", "mod k; pub const N: u8 = k::M;"),
        ("p::k", "pub const M: u8 = super::N;"),
    ]);
    assert_eq!(find_circles(&files), ["p -> p::k, p::k -> p"]);
    // A file's own test module names the file, not its parent.
    let files = crate_of(&[
        ("", "mod p;"),
        ("p", "mod k; pub const N: u8 = k::M;"),
        (
            "p::k",
            "pub const M: u8 = 1;\nmod tests { use super::*; const C: char = '\\''; }",
        ),
    ]);
    assert_eq!(find_circles(&files), Vec::<String>::new());
}

/// Files a reader takes in at one sitting: none of the workspace's sources is longer than 800
/// lines (Rust, and the pages' scripts, styles and markup).
#[test]
fn no_source_file_is_longer_than_800_lines() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    source_files(&crates, &["rs", "js", "mjs", "html", "css"], &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > 800).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    assert!(files.len() > 100, "only {} source files found", files.len());
    assert!(long.is_empty(), "files longer than 800 lines: {long:?}");
}

/// The command line holds arguments and output, not the work: at most 3,000 lines of code
/// outside its tests.
#[test]
fn the_command_line_stays_small() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = rust_files(&src);
    let mut lines = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        // A file's tests start at its `#[cfg(test)]` module, by this project's layout.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        lines += code.lines().count();
    }
    assert!(lines > 500, "only {lines} lines found in {}", src.display());
    assert!(
        lines <= 3000,
        "the command line has {lines} lines of code: move the work into a library"
    );
}

/// Each library crate has one error type, an enum (thiserror), so that a caller matches on one
/// type per crate; the command line adds context with anyhow instead.
#[test]
fn each_library_has_one_error_enum() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut libraries = 0;
    for entry in std::fs::read_dir(&crates).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join("src/lib.rs").is_file() {
            continue;
        }
        libraries += 1;
        let files = rust_files(&dir.join("src"));
        let mut errors = Vec::new();
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (n, line) in lines.iter().enumerate() {
                let derives_error = line.trim_start().starts_with("#[derive(")
                    && line
                        .split(|c: char| !c.is_alphanumeric())
                        .any(|w| w == "Error");
                if !derives_error {
                    continue;
                }
                // The item the derive is on: the next line that is not an attribute.
                if let Some(item) = lines[n + 1..]
                    .iter()
                    .find(|l| !l.trim_start().starts_with("#["))
                {
                    errors.push(format!("{}: {}", f.display(), item.trim()));
                }
            }
        }
        assert!(
            errors.len() == 1 && errors[0].contains(" enum "),
            "{} must have one error enum, not {errors:#?}",
            dir.display()
        );
    }
    assert!(libraries >= 8, "only {libraries} library crates found");
}
