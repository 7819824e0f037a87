//! What a record says it is: its JSON layout and its group, from its `constants.json`.
//!
//! egk's 2.0 records (and Entente's) write values as hex and `constants.json` as
//! `{large_prime, small_prime, cofactor, generator}`; egk-ec's "JSON 2.1" layout writes them
//! as base64 and `constants.json` as `{name, type, protocolVersion, constants: {…}}`, with
//! `type` "IntegerGroup" (the 4096-bit group) or "EllipticCurve" (P-256)
//! (`../shared/conformance/egk-ec/README.md`). Every reader takes the layout and the group from
//! here, never from a flag that could disagree with the record.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::RecordError;

/// A record's JSON layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// ElectionGuard 2.0 as egk and Entente write it: hex values.
    Json20,
    /// egk-ec's provisional "JSON 2.1": base64 values.
    Json21,
}

/// A record's group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKind {
    /// The standard 4096-bit group of spec 2.0 §3.1.1.
    P4096,
    /// NIST P-256 (egk-ec's extension).
    P256,
}

impl GroupKind {
    /// H_P of an election in this group: the standard one of spec 2.0 §3.1.2 for the
    /// 4096-bit group (egk-ec's 2.1 records of that group keep it), egk-ec's for P-256.
    pub fn parameter_base_hash(self) -> crate::HashValue {
        match self {
            GroupKind::P4096 => crate::params::standard_parameter_base_hash(),
            GroupKind::P256 => crate::params::p256_parameter_base_hash(),
        }
    }
}

/// A record's layout and group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordKind {
    /// Its JSON layout.
    pub layout: Layout,
    /// Its group.
    pub group: GroupKind,
}

impl RecordKind {
    /// What the record whose `constants.json` is `constants` is: an error names what does not
    /// fit either layout.
    pub fn of_constants(constants: &serde_json::Value) -> Result<Self, RecordError> {
        let bad = |why: String| RecordError::Json(format!("constants.json: {why}"));
        match constants.get("type").and_then(|t| t.as_str()) {
            None if constants.get("large_prime").is_some() => Ok(Self {
                layout: Layout::Json20,
                group: GroupKind::P4096,
            }),
            None => Err(bad(
                "neither the 2.0 layout (large_prime, …) nor the 2.1 one (name, type, constants)"
                    .into(),
            )),
            Some("IntegerGroup") => Ok(Self {
                layout: Layout::Json21,
                group: GroupKind::P4096,
            }),
            Some("EllipticCurve") => match constants.get("name").and_then(|n| n.as_str()) {
                Some("P-256") => Ok(Self {
                    layout: Layout::Json21,
                    group: GroupKind::P256,
                }),
                other => Err(bad(format!(
                    "the curve {other:?} is not one Entente knows (P-256)"
                ))),
            },
            Some(other) => Err(bad(format!(
                "type {other:?} is neither IntegerGroup nor EllipticCurve"
            ))),
        }
    }

    /// The record in `dir`: from its `constants.json`.
    pub fn of_record(dir: &std::path::Path) -> Result<Self, RecordError> {
        let path = dir.join("constants.json");
        let text = crate::files::read_file(&path)?;
        let value: serde_json::Value = serde_json::from_slice(&text)
            .map_err(|e| RecordError::Json(format!("{}: {e}", path.display())))?;
        Self::of_constants(&value)
    }
}

impl RecordKind {
    /// The kind of record Entente writes for an election in `group`: egk's 2.0 layout for the
    /// 4096-bit group (what egk and the specification's records use), egk-ec's 2.1 for P-256
    /// (the only layout that has P-256 records), so that each interoperates with the other
    /// implementation of its group.
    pub fn written_for(group: GroupKind) -> Self {
        Self {
            layout: match group {
                GroupKind::P4096 => Layout::Json20,
                GroupKind::P256 => Layout::Json21,
            },
            group,
        }
    }
}

/// A group a record can be in: ties the group's type to its [`GroupKind`], so that code generic
/// over the group can check that a record is of its group.
pub trait KnownGroup: entente_group::Group {
    /// This group's kind.
    const KIND: GroupKind;
}

impl KnownGroup for entente_group::P4096 {
    const KIND: GroupKind = GroupKind::P4096;
}

impl KnownGroup for entente_group::P256 {
    const KIND: GroupKind = GroupKind::P256;
}

/// Evaluates `$body` with the type `$G` the group of `$group` (a [`GroupKind`]): the one place
/// where a group known only at run time (from a record's `constants.json`, or the election on
/// a log) becomes a type, e.g. `with_group!(kind.group, |G| run::<G>(dir))` runs
/// `run::<P4096>` or `run::<P256>`.
#[macro_export]
macro_rules! with_group {
    ($group:expr, |$G:ident| $body:expr) => {
        match $group {
            $crate::GroupKind::P4096 => {
                type $G = ::entente_group::P4096;
                $body
            }
            $crate::GroupKind::P256 => {
                type $G = ::entente_group::P256;
                $body
            }
        }
    };
}

/// Parses a record file (`name` for messages) of `layout` into the 2.0 form the readers take
/// ([`to_20`] first for 2.1; `votes_allowed` gives a contest's limit by id, which 2.1 omits).
/// Errors name the file and the JSON path.
pub fn parse_in<T: serde::de::DeserializeOwned>(
    name: &str,
    bytes: &[u8],
    layout: Layout,
    votes_allowed: &dyn Fn(&str) -> Option<u32>,
) -> Result<T, RecordError> {
    match layout {
        Layout::Json20 => crate::files::parse_json(name, bytes),
        Layout::Json21 => {
            let mut value: serde_json::Value = crate::files::parse_json(name, bytes)?;
            to_20(&mut value, votes_allowed)
                .map_err(|e| RecordError::Json(format!("{name}: {e}")))?;
            crate::files::from_value(name, value)
        }
    }
}

/// [`parse_in`] with each contest's limit from `manifest`.
pub fn parse_for<T: serde::de::DeserializeOwned>(
    name: &str,
    bytes: &[u8],
    layout: Layout,
    manifest: &crate::manifest::Manifest,
) -> Result<T, RecordError> {
    parse_in(name, bytes, layout, &|id| {
        manifest.contest(id).map(|c| c.limit)
    })
}

/// The JSON of a record file (of the 2.0 form the writers build) as `layout` writes it:
/// [`to_21`] applied for 2.1; indented when `pretty`.
pub fn write_in<T: serde::Serialize>(
    value: &T,
    layout: Layout,
    pretty: bool,
) -> Result<Vec<u8>, RecordError> {
    fn bytes<T: serde::Serialize + ?Sized>(v: &T, pretty: bool) -> Result<Vec<u8>, RecordError> {
        if pretty {
            serde_json::to_vec_pretty(v)
        } else {
            serde_json::to_vec(v)
        }
        .map_err(|e| RecordError::Json(e.to_string()))
    }
    match layout {
        Layout::Json20 => bytes(value, pretty),
        Layout::Json21 => {
            let mut v =
                serde_json::to_value(value).map_err(|e| RecordError::Json(e.to_string()))?;
            to_21(&mut v)?;
            bytes(&v, pretty)
        }
    }
}

impl Layout {
    /// The bytes of a value as this layout writes it: hex (either case) in 2.0, standard
    /// base64 (with padding) in 2.1.
    pub fn bytes(self, text: &str) -> Result<Vec<u8>, String> {
        match self {
            Layout::Json20 => ::hex::decode(text).map_err(|e| format!("not hex: {e}")),
            Layout::Json21 => B64.decode(text).map_err(|e| format!("not base64: {e}")),
        }
    }

    /// `bytes` as this layout writes a value: upper-case hex in 2.0, standard base64 (with
    /// padding) in 2.1.
    pub fn text(self, bytes: &[u8]) -> String {
        match self {
            Layout::Json20 => entente_group::hex::encode(bytes),
            Layout::Json21 => B64.encode(bytes),
        }
    }

    /// The version string `config_version` holds in this layout.
    pub fn config_version(self) -> &'static str {
        match self {
            Layout::Json20 => "2.0.0",
            Layout::Json21 => "2.1.0",
        }
    }
}

/// `constants.json` of a record of `kind`: in 2.0 the standard group as egk's conformance
/// records write it (upper-case hex); in 2.1 egk-ec's shape, `{name, type, protocolVersion,
/// constants}` with values in lower-case hex without leading zeros, and egk-ec's own names and
/// versions (`"P-256"`, `"v2.1.0"`; `"Integer4096 (low memory use)"`, `"v2.0.0"`), since a
/// reader of that layout may know a group by its name.
pub fn constants_json(kind: RecordKind) -> serde_json::Value {
    let hex = entente_group::hex::encode;
    // 2.1's hex: lower case, no leading zeros ("1", not "0…01").
    let short = |bytes: &[u8]| {
        let text = hex(bytes).to_ascii_lowercase();
        match text.trim_start_matches('0') {
            "" => "0".to_owned(),
            t => t.to_owned(),
        }
    };
    match (kind.layout, kind.group) {
        (Layout::Json20, GroupKind::P4096) => {
            let c = entente_group::P4096::constants();
            serde_json::json!({
                "name": "ElectionGuard 2.0 standard group, 4096 bits",
                "large_prime": hex(&c.p_bytes()),
                "small_prime": hex(&c.q_bytes()),
                "cofactor": hex(&c.r_bytes()),
                "generator": hex(&c.g_bytes()),
            })
        }
        (_, GroupKind::P4096) => {
            let c = entente_group::P4096::constants();
            serde_json::json!({
                "name": "Integer4096 (low memory use)",
                "type": "IntegerGroup",
                "protocolVersion": "v2.0.0",
                "constants": {
                    "largePrime": short(&c.p_bytes()),
                    "smallPrime": short(&c.q_bytes()),
                    "cofactor": short(&c.r_bytes()),
                    "generator": short(&c.g_bytes()),
                },
            })
        }
        (_, GroupKind::P256) => {
            let c = entente_group::p256::constants();
            serde_json::json!({
                "name": "P-256",
                "type": "EllipticCurve",
                "protocolVersion": "v2.1.0",
                "constants": {
                    "a": short(&c.a),
                    "b": short(&c.b),
                    "primeModulus": short(&c.p),
                    "order": short(&c.n),
                    "g.x": short(&c.g_x),
                    "g.y": short(&c.g_y),
                    "h": short(&c.h),
                },
            })
        }
    }
}

/// The keys whose values egk-ec's 2.1 layout writes in base64 where 2.0 writes hex (`code_baux`
/// stays hex in both). egk-ec publishes no pre-encrypted ballot; their hashes and primary nonce
/// are written in base64 as its other hashes are.
const BASE64_KEYS: [&str; 15] = [
    "pad",
    "data",
    "challenge",
    "response",
    "contest_hash",
    "confirmation_code",
    "election_id",
    "c0",
    "c1",
    "c2",
    "b_over_m",
    "beta",
    "preencryption_hash",
    "selection_hash",
    "primary_nonce",
];

/// The keys whose values are lists of such values.
const BASE64_LIST_KEYS: [&str; 1] = ["all_selection_hashes"];

/// The keys of the setup files (`election_config.json`, `election_initialized.json`) whose
/// values 2.1 writes in base64 where 2.0 writes hex; no ballot, tally or decryption has them.
const SETUP_BASE64_KEYS: [&str; 6] = [
    "parameter_base_hash",
    "manifest_hash",
    "election_base_hash",
    "joint_public_key",
    "extended_base_hash",
    "public_key",
];

/// Rewrites a record file of the 2.1 layout (a ballot, a tally, a decryption, a setup file) into the 2.0 one
/// that the readers take: each base64 value as upper-case hex, and each contest's
/// `votes_allowed` (which 2.1 omits) from the manifest's contest of that id. (2.1's
/// `ballot_count`, which egk-ec never fills in, is left for the readers to ignore.) An error
/// names what does not fit.
pub fn to_20(
    value: &mut serde_json::Value,
    votes_allowed: &dyn Fn(&str) -> Option<u32>,
) -> Result<(), RecordError> {
    recode(value, "", Layout::Json21, Layout::Json20)?;
    // `election_config.json`: B_aux,0 as an array of bytes, 2.0's version.
    if let Some(obj) = value.as_object_mut()
        && obj.contains_key("config_version")
    {
        if let Some(serde_json::Value::String(text)) = obj.get("baux0") {
            let bytes = Layout::Json21
                .bytes(text)
                .map_err(|e| RecordError::Json(format!("baux0: {e}")))?;
            obj.insert("baux0".into(), bytes.into());
        }
        obj.insert("config_version".into(), crate::params::SPEC_VERSION.into());
    }
    if let Some(contests) = value.get_mut("contests").and_then(|c| c.as_array_mut()) {
        for (i, c) in contests.iter_mut().enumerate() {
            let Some(obj) = c.as_object_mut() else {
                return Err(RecordError::Json(format!("contests[{i}] is not an object")));
            };
            if obj.contains_key("votes_allowed") {
                continue;
            }
            let id = obj
                .get("contest_id")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            let limit = votes_allowed(id).ok_or_else(|| {
                RecordError::Json(format!(
                    "contests[{i}]: contest {id:?} is not in the manifest"
                ))
            })?;
            obj.insert("votes_allowed".into(), limit.into());
        }
    }
    Ok(())
}

/// Rewrites a record file of the 2.0 layout (a ballot, a tally, a decryption) into egk-ec's 2.1
/// one, the inverse of [`to_20`]: each value of the keys 2.1 writes in base64 as the base64 of
/// its bytes, each contest without `votes_allowed` (2.1 takes it from the manifest), and a
/// ballot's state `SPOILED` as 2.1's `CHALLENGED`. (2.1's contest `ballot_count`, which egk-ec
/// never fills in and no reader checks, is not added.) An error names what does not fit.
pub fn to_21(value: &mut serde_json::Value) -> Result<(), RecordError> {
    recode(value, "", Layout::Json20, Layout::Json21)?;
    if let Some(obj) = value.as_object_mut()
        && obj.contains_key("config_version")
    {
        if let Some(serde_json::Value::Array(items)) = obj.get("baux0") {
            let bytes = items
                .iter()
                .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(|| RecordError::Json("baux0: not an array of bytes".into()))?;
            obj.insert("baux0".into(), Layout::Json21.text(&bytes).into());
        }
        obj.insert(
            "config_version".into(),
            Layout::Json21.config_version().into(),
        );
    }
    if let Some(state) = value.get_mut("state")
        && state.as_str() == Some("SPOILED")
    {
        *state = "CHALLENGED".into();
    }
    if let Some(contests) = value.get_mut("contests").and_then(|c| c.as_array_mut()) {
        for c in contests.iter_mut() {
            if let Some(obj) = c.as_object_mut() {
                obj.remove("votes_allowed");
            }
        }
    }
    Ok(())
}

/// Rewrites every value of [`BASE64_KEYS`] under `value` (at JSON path `path`) from the
/// encoding of layout `from` to that of `to`.
fn recode(
    value: &mut serde_json::Value,
    path: &str,
    from: Layout,
    to: Layout,
) -> Result<(), RecordError> {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let here = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match v {
                    serde_json::Value::String(text)
                        if BASE64_KEYS.contains(&k.as_str())
                            || SETUP_BASE64_KEYS.contains(&k.as_str()) =>
                    {
                        let bytes = from
                            .bytes(text)
                            .map_err(|e| RecordError::Json(format!("{here}: {e}")))?;
                        *text = to.text(&bytes);
                    }
                    serde_json::Value::Array(items) if BASE64_LIST_KEYS.contains(&k.as_str()) => {
                        for (i, item) in items.iter_mut().enumerate() {
                            let serde_json::Value::String(text) = item else {
                                return Err(RecordError::Json(format!(
                                    "{here}[{i}]: not a string"
                                )));
                            };
                            let bytes = from
                                .bytes(text)
                                .map_err(|e| RecordError::Json(format!("{here}[{i}]: {e}")))?;
                            *text = to.text(&bytes);
                        }
                    }
                    other => recode(other, &here, from, to)?,
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                recode(v, &format!("{path}[{i}]"), from, to)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every ballot, tally and decryption of egk-ec's records, read into 2.0 and written back
    /// in 2.1, is the file egk-ec wrote, value for value.
    #[test]
    fn writing_2_1_undoes_reading_it() {
        let records = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/conformance/egk-ec/records");
        let mut files = Vec::new();
        for rec in std::fs::read_dir(&records).unwrap() {
            let rec = rec.unwrap().path();
            files.push(rec.join("encrypted_tally.json"));
            files.push(rec.join("tally.json"));
            for sub in ["challenged_ballots", "encrypted_ballots"] {
                let mut stack = vec![rec.join(sub)];
                while let Some(d) = stack.pop() {
                    for e in std::fs::read_dir(d).unwrap() {
                        let p = e.unwrap().path();
                        if p.is_dir() {
                            stack.push(p);
                        } else if p.extension().is_some_and(|x| x == "json") {
                            files.push(p);
                        }
                    }
                }
            }
        }
        assert!(files.len() > 100, "{} files", files.len());
        for f in files {
            let original: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
            let mut value = original.clone();
            to_20(&mut value, &|_| Some(1)).unwrap();
            assert_ne!(value, original, "{}", f.display());
            to_21(&mut value).unwrap();
            assert_eq!(value, original, "{}", f.display());
        }
    }

    /// The 2.1 `constants.json` of each group is egk-ec's, value for value, and says what it
    /// is; the 2.0 one reads as the 4096-bit group.
    #[test]
    fn constants_json_is_what_each_layout_writes() {
        let conformance =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance");
        for (rec, group) in [
            ("egk-ec/records/allAvailableEc", GroupKind::P256),
            ("egk-ec/records/allAvailable", GroupKind::P4096),
        ] {
            let kind = RecordKind {
                layout: Layout::Json21,
                group,
            };
            let theirs: serde_json::Value = serde_json::from_slice(
                &std::fs::read(conformance.join(rec).join("constants.json")).unwrap(),
            )
            .unwrap();
            assert_eq!(constants_json(kind), theirs, "{rec}");
            assert_eq!(
                RecordKind::of_constants(&constants_json(kind)).unwrap(),
                kind
            );
        }
        let ours = RecordKind {
            layout: Layout::Json20,
            group: GroupKind::P4096,
        };
        assert_eq!(
            RecordKind::of_constants(&constants_json(ours)).unwrap(),
            ours
        );
    }

    #[test]
    fn writing_2_1_names_challenged_ballots_and_drops_the_limits() {
        let mut v = serde_json::json!({
            "state": "SPOILED",
            "confirmation_code": "00FF",
            "contests": [{"votes_allowed": 2, "contest_hash": "0A"}],
        });
        to_21(&mut v).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "state": "CHALLENGED",
                "confirmation_code": "AP8=",
                "contests": [{"contest_hash": "Cg=="}],
            })
        );
        let mut bad = serde_json::json!({"contests": [{"data": "not hex"}]});
        let e = to_21(&mut bad).unwrap_err().to_string();
        assert!(
            e.contains("contests[0].data") && e.contains("not hex"),
            "{e}"
        );
    }

    #[test]
    fn the_layout_and_group_come_from_constants_json() {
        let conformance =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance");
        let kind = |rel: &str| RecordKind::of_record(&conformance.join(rel)).unwrap();
        assert_eq!(
            kind("egk-ec/records/allAvailableEc"),
            RecordKind {
                layout: Layout::Json21,
                group: GroupKind::P256
            }
        );
        assert_eq!(
            kind("egk-ec/records/allAvailable"),
            RecordKind {
                layout: Layout::Json21,
                group: GroupKind::P4096
            }
        );
        assert_eq!(
            kind("egk/records/allAvailableJson"),
            RecordKind {
                layout: Layout::Json20,
                group: GroupKind::P4096
            }
        );
        for bad in [
            serde_json::json!({}),
            serde_json::json!({"type": "EllipticCurve", "name": "secp256k1"}),
            serde_json::json!({"type": "Lattice"}),
        ] {
            assert!(RecordKind::of_constants(&bad).is_err(), "{bad}");
        }
        assert_eq!(Layout::Json21.bytes("AAE=").unwrap(), vec![0, 1]);
        assert_eq!(Layout::Json20.bytes("0001").unwrap(), vec![0, 1]);
        assert!(Layout::Json21.bytes("0001!").is_err());
    }
}
