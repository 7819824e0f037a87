// Checks, in the reader's browser, what the board server claims: that an entry is in the log
// (RFC 9162 §2.1.3 inclusion proofs over SHA-256), that the log signed the checkpoint (C2SP
// signed-note, Ed25519) and which witnesses cosigned it (C2SP tlog-cosignature, cosignature/v1).
// SHA-256 and Ed25519 are the browser's own (WebCrypto); nothing here comes from elsewhere.
//
// Every function that checks something throws a CheckError saying, in plain words, what did
// not hold; the pages show that sentence.

export class CheckError extends Error {}

const te = new TextEncoder();
const td = new TextDecoder("utf-8", { fatal: true });

export function fromBase64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function utf8(bytes) {
  return td.decode(bytes);
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function haveCrypto() {
  return Boolean(globalThis.crypto && crypto.subtle);
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

// RFC 9162 §2.1.1: a leaf is hashed as SHA-256(0x00 ‖ entry), a node as SHA-256(0x01 ‖ l ‖ r).
export const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

// RFC 9162 §2.1.3.2: the root that `proof` leads to from `leaf` at `index` in a tree of `size`
// must be `root`.
export async function verifyInclusion(index, size, leaf, proof, root) {
  if (!(index < size)) throw new CheckError(`entry ${index} is beyond the tree of ${size}`);
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) throw new CheckError("the inclusion proof is too long");
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new CheckError("the inclusion proof is too short");
  if (!equal(r, root)) {
    throw new CheckError("the inclusion proof does not lead to the checkpoint's root hash");
  }
}

const ED25519 = 0x01;
const COSIGNATURE_V1 = 0x04;

// A signed-note verifier key `<name>+<hex key id>+<base64(type ‖ public key)>`, whose id must
// be SHA-256(name ‖ "\n" ‖ type ‖ key)[:4].
export async function parseKey(vkey, type) {
  // name+id+key, where the base64 key may itself hold '+'.
  const m = /^([^+\s]+)\+([0-9a-fA-F]{8})\+(\S+)$/.exec(vkey);
  if (!m) throw new CheckError(`${vkey} is not a verifier key`);
  const [, name, idHex, b64] = m;
  const typed = fromBase64(b64);
  if (typed.length !== 33 || typed[0] !== type) {
    throw new CheckError(`${name}'s key is not of the expected type`);
  }
  const pub = typed.slice(1);
  const digest = await sha256(concat(te.encode(name + "\n"), Uint8Array.of(type), pub));
  if (toHex(digest.slice(0, 4)) !== idHex.toLowerCase()) {
    throw new CheckError(`${name}'s key id does not match its key`);
  }
  const key = await crypto.subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
  return { name, id: digest.slice(0, 4), idHex: toHex(digest.slice(0, 4)), key };
}

export async function ed25519Verify(key, message, signature) {
  if (signature.length !== 64) return false;
  return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
}

// A signed note (C2SP signed-note): the text up to the last blank line, then lines
// "— <name> <base64(key id ‖ signature)>".
export function parseNote(note) {
  const split = note.lastIndexOf("\n\n");
  if (split < 0 || !note.endsWith("\n")) throw new CheckError("the checkpoint is not a signed note");
  const text = note.slice(0, split + 1);
  const signatures = [];
  for (const line of note.slice(split + 2, -1).split("\n")) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) throw new CheckError("the checkpoint has a malformed signature line");
    const raw = fromBase64(m[2]);
    signatures.push({ name: m[1], id: raw.slice(0, 4), sig: raw.slice(4) });
  }
  return { text, signatures };
}

// A C2SP checkpoint body: origin, size, base64 root hash.
export function parseCheckpoint(text) {
  const lines = text.split("\n");
  if (lines.length < 4 || !/^(0|[1-9][0-9]*)$/.test(lines[1])) {
    throw new CheckError("the checkpoint is malformed");
  }
  const root = fromBase64(lines[2]);
  if (root.length !== 32) throw new CheckError("the checkpoint's root hash is not 32 bytes");
  return { origin: lines[0], size: Number(lines[1]), root };
}

// Checks a checkpoint note: the log's signature must verify (else CheckError); each witness's
// cosignature is reported as { name, idHex, time } when valid, or { name, idHex, missing }.
export async function openCheckpoint(note, keys) {
  const parsed = parseNote(note);
  const log = await parseKey(keys.log, ED25519);
  const own = parsed.signatures.find((s) => s.name === log.name && equal(s.id, log.id));
  if (!own || !(await ed25519Verify(log.key, te.encode(parsed.text), own.sig))) {
    throw new CheckError(`the checkpoint is not signed by the log's key (${log.name})`);
  }
  const cp = parseCheckpoint(parsed.text);
  if (cp.origin !== keys.origin) throw new CheckError("the checkpoint is of another log");
  const witnesses = [];
  for (const vkey of keys.witnesses) {
    const w = await parseKey(vkey, COSIGNATURE_V1);
    const line = parsed.signatures.find((s) => s.name === w.name && equal(s.id, w.id));
    let ok = false;
    let time = 0;
    if (line && line.sig.length === 8 + 64) {
      time = Number(new DataView(line.sig.buffer, line.sig.byteOffset, 8).getBigUint64(0));
      // cosignature/v1 signs "cosignature/v1\ntime <t>\n" and the checkpoint body.
      const message = te.encode(`cosignature/v1\ntime ${time}\n${parsed.text}`);
      ok = await ed25519Verify(w.key, message, line.sig.slice(8));
    }
    witnesses.push(
      ok ? { name: w.name, idHex: w.idHex, time } : { name: w.name, idHex: w.idHex, missing: true },
    );
  }
  return { ...cp, logKey: log, witnesses, note };
}

// What a party baked into the copy of the pages it serves (`entente pages export`): the board
// they read, the log's key, the keys it pins and who serves the copy. None on the board's own
// pages, which read their own server.
function meta(name) {
  // Outside a page (the library under node) there is nothing baked in.
  if (typeof document === "undefined") return "";
  const m = document.querySelector(`meta[name="${name}"]`);
  return m ? m.getAttribute("content") || "" : "";
}
export const exported = {
  board: meta("entente-board").replace(/\/+$/, ""),
  log: meta("entente-log"),
  pins: meta("entente-pins").toLowerCase().split(",").filter(Boolean),
  servedBy: meta("entente-served-by"),
};

// The board's URL for a read (its path from the board's root).
export function boardUrl(path) {
  return exported.board + path;
}

// Who serves this page, and what that warrants: only a page that a party other than the
// board's operator serves can say that it does not depend on the operator.
export function provenance() {
  const here = location.host;
  if (!exported.board) {
    return `This page is served by the board's operator (${here}). The checks run in your browser, but the page's own code comes from the operator: to check without relying on the operator, use the page your party publishes.`;
  }
  const board = new URL(exported.board).host;
  const who = exported.servedBy ? `${exported.servedBy} (${here})` : here;
  return `This page is served by ${who}, not by the board's operator, and checks the board at ${board}: you do not have to trust the board, the checks run in your browser with this page's own code.`;
}

export function showProvenance() {
  const p = document.getElementById("provenance");
  if (p) p.textContent = provenance();
}

export async function getJson(path) {
  const r = await fetch(boardUrl(path), { cache: "no-store" });
  if (!r.ok) {
    let why = `${r.status}`;
    try {
      why = (await r.json()).error || why;
    } catch (_) {
      // not JSON: keep the status
    }
    const e = new Error(why);
    e.status = r.status;
    throw e;
  }
  return r.json();
}

async function getText(path) {
  const r = await fetch(boardUrl(path), { cache: "no-store" });
  if (!r.ok) {
    const e = new Error(`${path}: ${r.status}`);
    e.status = r.status;
    throw e;
  }
  return r.text();
}

// The fingerprint of a verifier key, as a party pins it in the link it hands out: the first 16
// bytes of SHA-256 of the key's line, in hex (128 bits: unlike a 4-byte key id, nobody can
// grind a key to match it).
export async function fingerprint(vkey) {
  return toHex((await sha256(te.encode(vkey))).slice(0, 16));
}

// The fingerprints a link pins after "#pin=" (comma-separated). The fragment never reaches the
// server.
// A party's copy of the pages also pins the keys it was exported with.
export function pinned() {
  const m = /(?:^#|&)pin=([0-9a-fA-F,]+)/.exec(location.hash);
  const linked = m ? m[1].toLowerCase().split(",").filter(Boolean) : [];
  return [...new Set([...exported.pins, ...linked])];
}

// The links between the pages keep the pins of the address they were reached by.
export function keepPins() {
  if (!pinned().length) return;
  for (const a of document.querySelectorAll("nav a")) a.hash = location.hash;
}

// The keys this server names. Keys the reader's link pins must all be among them, or nothing
// is believed; others are remembered in this browser the first time, and a change afterwards is
// reported (the reader should then ask the parties which keys are theirs).
export async function serverKeys() {
  const keys = await getJson("/keys");
  if (exported.log && keys.log !== exported.log) {
    throw new CheckError(
      "the board's log key is not the one this page was published with: it is not the election's board, or the board has changed its key",
    );
  }
  const pins = pinned();
  if (pins.length) {
    const have = await Promise.all([keys.log, ...keys.witnesses].map(fingerprint));
    const missing = pins.filter((p) => !have.includes(p));
    if (missing.length) {
      throw new CheckError(
        `the server's keys are not the ones your link names (none has the fingerprint ${missing.join(", ")})`,
      );
    }
  }
  const store = `entente.keys.${keys.origin}`;
  const seen = JSON.stringify({ log: keys.log, witnesses: keys.witnesses });
  let changed = false;
  try {
    const before = localStorage.getItem(store);
    if (before === null) localStorage.setItem(store, seen);
    else changed = before !== seen;
  } catch (_) {
    // storage refused (private mode): nothing to compare with
  }
  return { ...keys, changed, pins };
}

// What a page says when the server's keys are not those this browser saw before.
export function keysChangedWarning() {
  return el(
    "p",
    { class: "warn", role: "alert" },
    "The keys this server uses are not the ones this browser saw before. Compare the key ids below with those the parties publish.",
  );
}

// The checkpoint to prove `index` in: the latest one every witness cosigned if it covers the
// entry, else the latest the log signed (whose cosignatures may still be coming).
export async function checkpointFor(keys, index) {
  let note = null;
  try {
    note = await getText("/checkpoint/published");
  } catch (e) {
    if (e.status !== 404) throw e;
  }
  let cp = note === null ? null : await openCheckpoint(note, keys);
  if (cp === null || (index !== undefined && index >= cp.size)) {
    cp = await openCheckpoint(await getText("/checkpoint"), keys);
  }
  return cp;
}

// Checks that `data` (the entry's bytes) is entry `index` of the checkpoint's tree.
export async function proveEntry(cp, index, data) {
  const proof = await getJson(`/proof/inclusion?index=${index}&size=${cp.size}`);
  const hashes = proof.hashes.map(fromBase64);
  await verifyInclusion(index, cp.size, await leafHash(data), hashes, cp.root);
}

// Checks that `body` (bytes, or null when the server sent none) is the one the logged write
// `data` names by its SHA-256: the log keeps each signed write as { author, kind, nonce,
// digest, signature } and its body beside it, so that every entry fits a tlog-tiles bundle.
export async function checkBody(data, body) {
  const env = JSON.parse(utf8(data));
  if (env.digest === undefined) return;
  if (body === null || toHex(await sha256(body)) !== env.digest) {
    throw new CheckError("the entry's body is not the one it names by SHA-256");
  }
}

// Entry `index`, fetched and proven in the checkpoint, with the body kept beside it (checked
// against the entry): { index, data, body, appendedAt }.
export async function provenEntry(cp, index) {
  const e = await getJson(`/entries/${index}`);
  const data = fromBase64(e.data);
  const body = e.body === undefined || e.body === null ? null : fromBase64(e.body);
  await proveEntry(cp, index, data);
  await checkBody(data, body);
  return { index, data, body, appendedAt: e.appended_at };
}

// A signed write as logged, with its body (checked by `checkBody`): { author, kind, nonce,
// signature, bodyBytes }. An entry of a log written before bodies were kept beside entries
// holds the body itself, base64.
export function openEnvelope(data, body) {
  const env = JSON.parse(utf8(data));
  if (env.digest !== undefined) {
    if (body === null || body === undefined) throw new CheckError("a logged write without its body");
    return { ...env, bodyBytes: body };
  }
  return { ...env, bodyBytes: fromBase64(env.body) };
}

// The body of a signed write in the log (an entry as `provenEntry` returns it), parsed as JSON.
export function writeBody(entry) {
  return JSON.parse(utf8(openEnvelope(entry.data, entry.body).bodyBytes));
}

// The message of a signed write to the log of `origin`:
// "entente write v2\n<origin>\n<author>\n<kind>\n<nonce>\n<hex SHA-256 of body>\n",
// signed with the author's Ed25519 key from the election's definition.
export async function checkWriter(env, vkey, origin) {
  const key = await parseKey(vkey, ED25519);
  if (key.name !== env.author) return false;
  const digest = toHex(await sha256(env.bodyBytes));
  const message = te.encode(
    `entente write v2\n${origin}\n${env.author}\n${env.kind}\n${env.nonce}\n${digest}\n`,
  );
  return ed25519Verify(key.key, message, fromBase64(env.signature));
}

// The steps of the protocol, by kind, in log order, that the checkpoint covers.
export async function stepsIn(cp) {
  const steps = await getJson("/steps");
  const by = {};
  for (const s of steps) {
    if (s.index < cp.size) (by[s.kind] ||= []).push(s.index);
  }
  return by;
}

export function fromHex(hex, width) {
  const clean = hex.length % 2 ? `0${hex}` : hex;
  if (!/^[0-9a-fA-F]*$/.test(clean)) throw new CheckError("a value is not hexadecimal");
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  if (width === undefined) return bytes;
  if (bytes.length > width) throw new CheckError("a value is wider than its field");
  const out = new Uint8Array(width);
  out.set(bytes, width - bytes.length);
  return out;
}

// H(key; data) = HMAC-SHA-256, spec 2.0 §5.2 eq. (105).
async function hmac(key, data) {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data));
}

// How an election's record files write their values, from the constants.json of its
// `election` entry (the record says what it is, as every other reader takes it): egk's 2.0
// layout writes hex and the 4096-bit group's elements as b(x, l_p), 512 bytes (spec 2.0
// §5.1.1); egk-ec's 2.1 layout writes base64, and P-256's elements as 33-byte compressed
// points. `value(text, width)` is the bytes of a value of that width, or a CheckError.
export function recordFormat(constantsText) {
  let c;
  try {
    c = JSON.parse(constantsText);
  } catch (_) {
    throw new CheckError("the election's constants.json does not read");
  }
  const base64 = (text, width) => {
    let bytes;
    try {
      bytes = fromBase64(text);
    } catch (_) {
      throw new CheckError("a value is not base64");
    }
    // One text per value: padded standard base64 of exactly the field's width.
    if (bytes.length !== width || btoa(String.fromCharCode(...bytes)) !== text) {
      throw new CheckError("a value is not the base64 of its field");
    }
    return bytes;
  };
  if (c && c.type === "EllipticCurve" && c.name === "P-256") return { elementBytes: 33, value: base64 };
  if (c && c.type === "IntegerGroup") return { elementBytes: 512, value: base64 };
  if (c && typeof c.large_prime === "string") return { elementBytes: 512, value: fromHex };
  throw new CheckError("the election's constants are of no group this page knows");
}

// Whether the ballot's confirmation code is the hash of its encryptions: each contest hash
// χ_l = H(H_E; 0x23, ind_c(Λ_l), K, α_1, β_1, …, α_m, β_m) (spec 2.0 §3.4.1 eq. (57)), then
// H(B) = H(H_E; 0x24, χ_1, …, χ_m, B_aux) (§3.4.2 eq. (58)). A contest is labelled by its
// sequence order in 4 bytes (2.0.0), or by its id in UTF-8 under the draft layout of egk's
// records. Returns null when it holds, else what does not.
export async function checkConfirmationCode(ballot, hE, jointKey, format) {
  const value = format.value;
  const size = format.elementBytes;
  const key = value(hE, 32);
  const k = value(jointKey, size);
  const chis = [];
  for (const c of ballot.contests) {
    const cts = c.selections.flatMap((s) => [
      value(s.encrypted_vote.pad, size),
      value(s.encrypted_vote.data, size),
    ]);
    const chi = await contestHash(key, 0x23, c, [k, ...cts], value(c.contest_hash, 32));
    if (chi === null) return `the hash of contest ${c.contest_id} does not match its encryptions`;
    chis.push(chi);
  }
  // A pre-encrypted ballot's code is over its pre-encryption hashes (eq. (95)), not the
  // contest hashes (eq. (58)).
  let separator = 0x24;
  let hashed = chis;
  if (ballot.is_preencrypt) {
    const pre = await preEncryptionHashes(ballot, key, k, format);
    if (typeof pre === "string") return pre;
    separator = 0x42;
    hashed = pre;
  }
  const code = await hmac(key, concat(Uint8Array.of(separator), ...hashed, fromHex(ballot.code_baux)));
  if (!equal(code, value(ballot.confirmation_code, 32))) {
    return ballot.is_preencrypt
      ? "the confirmation code is not the hash of the ballot's pre-encryptions"
      : "the confirmation code is not the hash of the ballot's encryptions";
  }
  return null;
}

// H(H_E; separator, label, ...parts) for contest c equal to `stated`, or null. The contest's
// label is its index in 4 bytes (spec 2.0.0) or its id (egk's draft): whichever the record used.
async function contestHash(key, separator, c, parts, stated) {
  const i = c.sequence_order;
  const labels = [Uint8Array.of(i >>> 24, (i >>> 16) & 255, (i >>> 8) & 255, i & 255), te.encode(c.contest_id)];
  for (const label of labels) {
    const h = await hmac(key, concat(Uint8Array.of(separator), label, ...parts));
    if (equal(h, stated)) return h;
  }
  return null;
}

// Ω as egk writes short codes: the first five hex digits of ψ, upper case.
function shortCode(psi) {
  return toHex(psi).slice(0, 5).toUpperCase();
}

// A ballot recorded from a pre-encrypted one (spec 2.0 §4.4): each published vector hashes to
// its selection hash (eq. (92)), which is among the contest's and gives its short code; each
// contest's pre-encryption hash is that of its sorted selection hashes (eq. (94)). Returns those
// hashes, over which the printed code is (eq. (95)), or what does not hold.
// (That the vectors multiply to the selections is the verifier's to check: it needs the group.)
async function preEncryptionHashes(ballot, key, k, format) {
  const value = format.value;
  const size = format.elementBytes;
  const chis = [];
  for (const c of ballot.contests) {
    const pre = c.pre_encryption;
    if (!pre) return `contest ${c.contest_id} of a pre-encrypted ballot has no pre-encryption`;
    const hashes = pre.all_selection_hashes.map((h) => value(h, 32));
    for (let i = 1; i < hashes.length; i++) {
      if (toHex(hashes[i - 1]) >= toHex(hashes[i])) {
        return `the selection hashes of contest ${c.contest_id} are not in increasing order`;
      }
    }
    for (const v of pre.selected_vectors) {
      const cts = v.encryptions.flatMap((e) => [value(e.pad, size), value(e.data, size)]);
      const psi = await hmac(key, concat(Uint8Array.of(0x40), k, ...cts));
      if (!equal(psi, value(v.selection_hash, 32))) {
        return `a vector of contest ${c.contest_id} does not hash to its selection hash`;
      }
      if (!hashes.some((h) => equal(h, psi))) {
        return `a vector of contest ${c.contest_id} is not one of its pre-encryptions`;
      }
      if (v.short_code !== shortCode(psi)) {
        return `short code ${v.short_code} of contest ${c.contest_id} is not that of its vector`;
      }
    }
    const chi = await contestHash(key, 0x41, c, [k, ...hashes], value(pre.preencryption_hash, 32));
    if (chi === null) {
      return `the pre-encryption hash of contest ${c.contest_id} does not match its selection hashes`;
    }
    chis.push(chi);
  }
  return chis;
}

// The short codes a ballot recorded from a pre-encrypted one publishes, per contest: those of
// the options the voter marked, and those of null votes (not printed) for votes not made.
export function recordedShortCodes(ballot) {
  if (!ballot.is_preencrypt) return [];
  return ballot.contests.map((c) => ({
    contest: c.contest_id,
    codes: (c.pre_encryption ? c.pre_encryption.selected_vectors : []).map((v) => v.short_code),
  }));
}

// The party a roles file (as logged) says answers for a key name, or "".
export function partyOf(roles, name) {
  return (roles && roles.parties && roles.parties[name]) || "";
}

// A key name with its party, for people: "witness.harbour.example (harbour)".
export function withParty(roles, name) {
  const party = partyOf(roles, name);
  return party ? `${name} (${party})` : name;
}

// A manifest's names: contest id → name, selection id → candidate's name.
export function manifestNames(manifest) {
  const text = (t) => {
    if (typeof t === "string") return t;
    if (t && Array.isArray(t.text) && t.text.length) return t.text[0].value;
    return null;
  };
  const candidates = new Map(
    (manifest.candidates || []).map((c) => [c.object_id, text(c.name) || c.object_id]),
  );
  const contests = new Map();
  for (const c of manifest.contests || []) {
    const selections = new Map(
      (c.ballot_selections || []).map((s) => [
        s.object_id,
        candidates.get(s.candidate_id) || s.candidate_id || s.object_id,
      ]),
    );
    contests.set(c.object_id, {
      name: text(c.name) || c.ballot_title || c.object_id,
      selections,
      order: c.sequence_order,
    });
  }
  return { title: text(manifest.name) || manifest.election_scope_id, contests, manifest };
}

// Small DOM helpers for the pages.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function when(seconds) {
  return new Date(seconds * 1000).toLocaleString(undefined, { dateStyle: "long", timeStyle: "medium" });
}
