// The voter's page: looks up a confirmation code and checks, in this browser, that the ballot is
// in the log, that the log signed the checkpoint and which witnesses cosigned it, and that the
// ballot's device signed it. A challenged ballot's choices are shown from the decryption the
// guardians published, itself proven in the log.

import * as log from "./log.js";

const { el } = log;

// How long after an entry is added a missing cosignature stops being a wait and is a failure.
const COSIGNATURE_OVERDUE_SECONDS = 600;
log.keepPins();
log.showProvenance();
const answer = document.getElementById("answer");
const form = document.getElementById("lookup");
const input = document.getElementById("code");

// The record's JSON calls a challenged ballot SPOILED (the 1.9 serialization); 2.0 says
// CHALLENGED.
function challengedState(state) {
  return state === "CHALLENGED" || state === "SPOILED";
}

// A code as a receipt prints it: any case, spaces or dashes between groups.
function normalise(code) {
  return code.replace(/[\s-]+/g, "").toLowerCase();
}

function show(...nodes) {
  answer.replaceChildren(...nodes);
  answer.focus();
}

function headline(kind, text) {
  return el("p", { class: `headline ${kind}`, role: kind === "ok" ? "status" : "alert" }, text);
}

// One check: whether it held, and (for a witness yet to cosign) whether failing it is only
// "not yet".
function check(ok, text, pending = false) {
  return { ok, text, pending };
}

function checkItem(c) {
  const [cls, mark, label] = c.ok
    ? ["pass", "✓", "Checked: "]
    : c.pending
      ? ["pending", "…", "Not yet: "]
      : ["fail", "✗", "Failed: "];
  return el(
    "li",
    { class: cls },
    el("span", { class: "mark", "aria-hidden": "true" }, mark),
    el("span", { class: "sr" }, label),
    c.text,
  );
}

function row(term, ...value) {
  return [el("dt", {}, term), el("dd", {}, ...value)];
}

async function lookup(raw) {
  const code = normalise(raw);
  if (!/^[0-9a-f]{64}$/.test(code)) {
    const wrong = code.replace(/[0-9a-f]/g, "");
    show(
      headline("bad", "That is not a confirmation code."),
      el(
        "p",
        {},
        wrong.length
          ? `A code has only the digits 0 to 9 and the letters a to f; yours also has “${[...new Set(wrong)].join(" ")}”. `
          : `A code has 64 letters and digits; yours has ${code.length}. `,
        "Check it against your receipt and type it again.",
      ),
    );
    return;
  }
  if (!log.haveCrypto()) {
    show(
      headline("bad", "This browser cannot check the proofs here."),
      el("p", {}, "Open this page over https (or on the machine that serves it) in an up-to-date browser."),
    );
    return;
  }
  show(el("p", { class: "working" }, "Checking…"));
  try {
    show(...(await checkBallot(code)));
  } catch (e) {
    show(
      headline("bad", "The check could not be completed."),
      el(
        "p",
        {},
        e instanceof log.CheckError
          ? e.message
          : `The server's answer could not be read (${e.message}). Try again in a moment.`,
      ),
    );
  }
}

async function checkBallot(code) {
  const keys = await log.serverKeys();
  let found;
  try {
    found = await log.getJson(`/lookup?confirmation_code=${code}`);
  } catch (e) {
    if (e.status === 404) {
      return [
        headline("bad", "No ballot with this code is on the board."),
        el(
          "p",
          {},
          "Check the code against your receipt. If it is right, tell the election officials and an observer of any party: every ballot cast or challenged must be on the board.",
        ),
        el("p", { class: "code" }, spaced(code)),
      ];
    }
    throw e;
  }
  const index = found.index;
  const data = log.fromBase64(found.data);
  const body = found.body === undefined || found.body === null ? null : log.fromBase64(found.body);
  const cp = await log.checkpointFor(keys, index);
  const checks = [];
  if (keys.pins.length) {
    checks.push(check(true, `The server's keys include the ${keys.pins.length} your link pins.`));
  }
  checks.push(
    check(true, `The log's signature on its checkpoint (${cp.size} entries; key ${cp.logKey.idHex}).`),
  );

  let included = true;
  let why = "";
  try {
    await log.proveEntry(cp, index, data);
  } catch (e) {
    included = false;
    why = e instanceof log.CheckError ? e.message : `the proof could not be fetched (${e.message})`;
  }
  checks.push(
    check(
      included,
      included
        ? `Your ballot is entry ${index + 1} of the ${cp.size} in that checkpoint (inclusion proof).`
        : `The inclusion proof fails: ${why}.`,
    ),
  );

  // The log names the ballot by its SHA-256; the server gives the ballot beside the entry.
  let env = null;
  let ballot = null;
  let bodyMatches = true;
  try {
    await log.checkBody(data, body);
  } catch (_) {
    bodyMatches = false;
    checks.push(check(false, "The ballot the server gave is not the one its log entry names (SHA-256)."));
  }
  try {
    if (bodyMatches) {
      env = log.openEnvelope(data, body);
      ballot = JSON.parse(log.utf8(env.bodyBytes));
    }
  } catch (_) {
    // reported below
  }
  // How the election's files write values (hex in 2.0, base64 in 2.1), from its constants.
  const steps = await log.stepsIn(cp);
  const electionAt = (steps.election || [])[0];
  let format = null;
  let electionBody = null;
  try {
    if (electionAt !== undefined && electionAt < index) {
      electionBody = log.writeBody(await log.provenEntry(cp, electionAt));
      format = log.recordFormat(electionBody.constants);
    }
  } catch (_) {
    format = null;
  }
  const stated = (text) => {
    try {
      return log.toHex(format.value(text, 32));
    } catch (_) {
      return null;
    }
  };
  const codeMatches =
    ballot !== null &&
    format !== null &&
    typeof ballot.confirmation_code === "string" &&
    stated(ballot.confirmation_code) === code &&
    env.kind === "ballot";
  checks.push(
    check(
      codeMatches,
      codeMatches
        ? "The entry is the ballot with your confirmation code."
        : "The entry the server gave is not a ballot with your code.",
    ),
  );

  // The receipt's code is the hash of this ballot's encryptions under the election's key.
  const initializedAt = (steps["election-initialized"] || []).find((i) => i < index);
  if (codeMatches) {
    let problem = "the election's key is not on the board before the ballot";
    if (initializedAt !== undefined) {
      try {
        const init = log.writeBody(await log.provenEntry(cp, initializedAt));
        problem = await log.checkConfirmationCode(
          ballot,
          init.extended_base_hash,
          init.joint_public_key,
          format,
        );
      } catch (e) {
        problem = e instanceof log.CheckError ? e.message : `the ballot cannot be read (${e.message})`;
      }
    }
    checks.push(
      check(
        problem === null,
        problem === null
          ? ballot.is_preencrypt
            ? "Your confirmation code is the hash of this paper ballot's pre-encryptions under the election's key (ElectionGuard 2.0 §4.4)."
            : "Your confirmation code is the hash of this ballot's encryptions under the election's key (ElectionGuard 2.0 §3.4)."
          : `The code does not check: ${problem}.`,
      ),
    );
  }

  // Who may sign ballots is the election's definition, signed by its administrator and
  // agreed to by every guardian (never a roles entry of the board's operator); each key's
  // party is for readers, from the operator's last roles entry before the ballot.
  const rolesAt = (steps.roles || []).filter((i) => i < index).pop();
  let roles = null;
  let definition = null;
  try {
    if (rolesAt !== undefined) roles = JSON.parse(log.utf8((await log.provenEntry(cp, rolesAt)).data));
    if (electionBody !== null) definition = electionBody.definition || null;
  } catch (_) {
    definition = null;
  }
  if (env !== null) {
    const vkey = definition && (definition.devices || []).find((k) => k.split("+")[0] === env.author);
    const signed = Boolean(vkey) && (await log.checkWriter(env, vkey, cp.origin));
    checks.push(
      check(
        signed,
        signed
          ? `Signed by the voting device ${env.author}, whose key the election's definition lists.`
          : `The entry is not signed by a voting device the election's definition lists (${env.author}).`,
      ),
    );
    // Paper ballots come from the scanning stations the definition names, and only they.
    const scanner = Boolean(definition) && (definition.scanners || []).includes(env.author);
    const paper = ballot !== null && Boolean(ballot.is_preencrypt);
    if (paper || scanner) {
      checks.push(
        check(
          paper && scanner,
          paper && scanner
            ? `${env.author} is a scanning station of the election's definition, which records paper ballots.`
            : paper
              ? `${env.author} is not a scanning station of the election's definition: it may not record a paper ballot.`
              : `${env.author} is a scanning station: it records paper ballots only, and this ballot is not one.`,
        ),
      );
    }
  }
  // A paper ballot must be one that was printed: its id and code committed on the board, in
  // a print run the administrator signed, before the scanning station recorded it.
  if (ballot !== null && ballot.is_preencrypt) {
    const printedAt = await printRunOf(cp, steps, index, definition, ballot.ballot_id, code);
    checks.push(
      check(
        printedAt !== null,
        printedAt !== null
          ? `Your paper ballot was printed: its id and confirmation code are in a print run the election's administrator committed on the board (entry ${printedAt + 1}) before it was recorded.`
          : "Your paper ballot's id and confirmation code are in no print run committed on the board before it: nobody printed this ballot.",
      ),
    );
  }
  const cosigned = cp.witnesses.filter((w) => !w.missing);
  // A witness cosigns within seconds; one still missing long after the entry was added is a
  // failure, not a wait (the server may be hiding the entry from that party's witness).
  const overdue = Date.now() / 1000 - found.appended_at > COSIGNATURE_OVERDUE_SECONDS;
  for (const w of cp.witnesses) {
    const who = log.withParty(roles, w.name);
    checks.push(
      check(
        !w.missing,
        w.missing
          ? overdue
            ? `Still not cosigned by the witness ${who}, key ${w.idHex}, ${Math.round(COSIGNATURE_OVERDUE_SECONDS / 60)} minutes after the entry was added.`
            : `Not yet cosigned by the witness ${who}, key ${w.idHex}.`
          : `Cosigned by the witness ${who}, key ${w.idHex}, on ${log.when(w.time)}.`,
        !overdue,
      ),
    );
  }
  // The witnesses that count are the election's definition's, not the server's list.
  if (definition) {
    const shown = new Set(keys.witnesses);
    for (const vkey of definition.witnesses || []) {
      if (!shown.has(vkey)) {
        checks.push(
          check(
            false,
            `The election's definition names the witness ${vkey.split("+")[0]}, whose cosignature this server does not show.`,
          ),
        );
      }
    }
  }

  const ok = checks.every((c) => c.ok || c.pending);
  const out = [];
  if (!included) {
    out.push(headline("bad", "The proof fails: this page cannot confirm that your ballot is in the log."));
    out.push(
      el(
        "p",
        {},
        "The server's answer does not match the log it signed. Keep your receipt and tell the election officials and an observer of any party.",
      ),
    );
  } else if (!ok) {
    out.push(headline("bad", "Your ballot's entry does not check out."));
  } else {
    out.push(
      headline(
        "ok",
        challengedState(ballot.state)
          ? "Your challenged ballot is on the board."
          : "Your ballot is on the board.",
      ),
    );
  }
  if (keys.changed) out.push(log.keysChangedWarning());
  if (ballot !== null) {
    const dl = el("dl", {});
    const challenged = challengedState(ballot.state);
    dl.append(
      ...row(
        "Status",
        challenged
          ? "Challenged: not counted. It is decrypted so that you can see what the device recorded."
          : "Cast: it is counted in the tally.",
      ),
    );
    dl.append(...row("Ballot", ballot.ballot_id));
    dl.append(
      ...(ballot.is_preencrypt
        ? row("Recorded", `${log.when(Number(ballot.timestamp))} by the scanning station ${ballot.encrypting_device}`)
        : row("Encrypted", `${log.when(Number(ballot.timestamp))} by the device ${ballot.encrypting_device}`)),
    );
    dl.append(
      ...row(
        "Place in the log",
        `Entry ${index + 1} (added ${log.when(found.appended_at)}, by the server's clock)`,
      ),
    );
    dl.append(...row("Confirmation code", el("span", { class: "code" }, spaced(code))));
    // A paper ballot: the short codes the scanner recorded, for the voter to compare with those
    // they kept (codes not printed on their ballot stand for votes they did not make).
    for (const { contest, codes } of log.recordedShortCodes(ballot)) {
      dl.append(...row(`Short codes recorded, ${contest}`, el("span", { class: "code" }, codes.join("  "))));
    }
    dl.append(...row("Witnesses", cosigned.length ? cosigned.map((w) => w.name).join(", ") : "none yet"));
    // What failed its checks is shown as the server's word only.
    if (!ok) out.push(el("h2", {}, "What the server's answer says (not confirmed)"));
    out.push(dl);
    if (ballot.is_preencrypt) {
      out.push(
        el(
          "p",
          {},
          "Compare the short codes with those you kept from your paper ballot: they must be the codes printed beside the options you marked. A code that is not printed on your ballot stands for a vote you did not make. If a code differs, tell the election officials and an observer of any party.",
        ),
      );
    }
  }
  out.push(
    el("h2", {}, "What this browser checked"),
    el("ul", { class: "checks" }, ...checks.map(checkItem)),
  );
  if (ballot !== null && challengedState(ballot.state) && included) {
    out.push(...(await challengedChoices(cp, steps, ballot, format)));
  }
  return out;
}

// The choices a challenged ballot encrypted: from the guardians' decryption in the `result`
// entry, proven in the same checkpoint, matched selection by selection to this ballot's own
// encryptions, and named from the manifest in the `election` entry.
// The entry index of the first print run before `index`, signed by the administrator of the
// election's definition, that commits ballot `id` with the confirmation code `code` (lower-case
// hex); null if none does or one cannot be read.
async function printRunOf(cp, steps, index, definition, id, code) {
  const admin = definition && definition.administrator;
  if (!admin) return null;
  for (const at of (steps["print-run"] || []).filter((i) => i < index)) {
    try {
      const entry = await log.provenEntry(cp, at);
      const env = log.openEnvelope(entry.data, entry.body);
      if (env.kind !== "print-run" || !(await log.checkWriter(env, admin, cp.origin))) continue;
      const run = JSON.parse(log.utf8(env.bodyBytes));
      if (run.ballots.some((b) => b.ballot_id === id && b.confirmation_code.toLowerCase() === code)) {
        return at;
      }
    } catch (_) {
      // A print run that does not read commits nothing.
    }
  }
  return null;
}

async function challengedChoices(cp, steps, ballot, format) {
  const head = el("h2", {}, "What your challenged ballot says");
  const resultAt = (steps.result || [])[0];
  const electionAt = (steps.election || [])[0];
  if (resultAt === undefined || electionAt === undefined) {
    return [
      head,
      el(
        "p",
        {},
        "The guardians decrypt challenged ballots when voting closes. Come back after the result is published.",
      ),
    ];
  }
  const [result, election] = await Promise.all([
    log.provenEntry(cp, resultAt),
    log.provenEntry(cp, electionAt),
  ]);
  const body = log.writeBody(result);
  const names = log.manifestNames(JSON.parse(log.writeBody(election).manifest));
  const file = body.challenged.map((f) => JSON.parse(f.text)).find((d) => d.id === ballot.ballot_id);
  if (!file) {
    return [
      head,
      el(
        "p",
        { class: "warn" },
        "The published result has no decryption of this challenged ballot. Tell the election officials and an observer of any party.",
      ),
    ];
  }
  // The same encryption, byte for byte (as the election's layout writes values).
  const same = (x, y) => {
    try {
      const n = format.elementBytes;
      return log.toHex(format.value(x, n)) === log.toHex(format.value(y, n));
    } catch (_) {
      return false;
    }
  };
  const sameCiphertext = (a, b) => a && b && same(a.pad, b.pad) && same(a.data, b.data);
  const out = [
    head,
    el(
      "p",
      {},
      "Decrypted by the guardians; the decryption is of this very ballot. The proofs of the decryption are checked by the verification report.",
    ),
  ];
  for (const contest of file.contests) {
    const mine = (ballot.contests || []).find((c) => c.contest_id === contest.contest_id);
    const info = names.contests.get(contest.contest_id);
    const table = el(
      "table",
      {},
      el("caption", {}, info ? info.name : contest.contest_id),
      el(
        "thead",
        {},
        el("tr", {}, el("th", { scope: "col" }, "Choice"), el("th", { scope: "col" }, "Marked")),
      ),
    );
    const tbody = el("tbody");
    for (const s of contest.selections) {
      const enc = mine && mine.selections.find((x) => x.selection_id === s.selection_id);
      if (!sameCiphertext(enc && enc.encrypted_vote, s.encrypted_vote)) {
        return [
          head,
          el(
            "p",
            { class: "warn" },
            `The published decryption is not of this ballot (selection ${s.selection_id} differs). Tell the election officials and an observer of any party.`,
          ),
        ];
      }
      const name = (info && info.selections.get(s.selection_id)) || s.selection_id;
      tbody.append(el("tr", {}, el("th", { scope: "row" }, name), el("td", {}, s.tally > 0 ? "Yes" : "No")));
    }
    table.append(tbody);
    out.push(table);
  }
  return out;
}

// A code in groups of eight, as receipts print it.
function spaced(code) {
  return code.match(/.{1,8}/g).join(" ");
}

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const code = normalise(input.value);
  if (/^[0-9a-f]{64}$/.test(code)) {
    // A party's static copy has no /ballot/ route: its address carries the code as a query.
    const to = log.exported.board ? `?code=${code}` : `/ballot/${code}`;
    history.pushState(null, "", `${to}${location.hash}`);
  }
  lookup(input.value);
});

function fromAddress() {
  const m = /^\/ballot\/([^/]+)$/.exec(location.pathname);
  const q = new URLSearchParams(location.search).get("code");
  const code = m ? decodeURIComponent(m[1]) : q;
  if (code) {
    input.value = code;
    lookup(code);
  } else {
    answer.replaceChildren();
  }
}

window.addEventListener("popstate", fromAddress);
fromAddress();
