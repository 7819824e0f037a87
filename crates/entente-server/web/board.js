// The board page: the election at a glance, every part fetched from the log and proven in the
// checkpoint (the log's signature and the witnesses' cosignatures checked here): the manifest,
// the guardians and their parties, how far the protocol is, the number of ballots, and the
// result with a chart once it is published.

import * as log from "./log.js";

const { el } = log;
log.keepPins();
log.showProvenance();
const board = document.getElementById("board");

function section(title, ...children) {
  return el("section", {}, el("h2", {}, title), ...children);
}

function dl(rows) {
  const d = el("dl");
  for (const [term, value] of rows) d.append(el("dt", {}, term), el("dd", {}, value));
  return d;
}

const body = (entry) => log.writeBody(entry);

async function proven(cp, indices) {
  return Promise.all((indices || []).map((i) => log.provenEntry(cp, i)));
}

// Where the protocol is, from the steps in the log.
function phase(steps, verdicts) {
  if (steps.result) return "Decrypted: the result is published.";
  if (steps["encrypted-tally"]) return "Voting closed: the guardians are decrypting the tally.";
  if (steps.close) return "Voting closed: the tally is being computed.";
  if (steps["election-initialized"]) return "Voting is open.";
  if (steps["ceremony-stop"])
    return "The key ceremony stopped: the administrator left out guardians who held it up (see below).";
  // A complaint is settled when the accused publishes the disputed share (spec 2.0 §3.2.2).
  const settled = (steps["share-reveal"] || []).length;
  const complaints = verdicts.reduce((n, v) => n + v.complaints.length, 0);
  if (complaints > settled)
    return "Key ceremony: a guardian complained about a share; the accused must publish it (see below).";
  if (steps.election) return "Key ceremony: the guardians are making the election key.";
  return "Not set up yet.";
}

async function render() {
  if (!log.haveCrypto()) {
    board.replaceChildren(
      el(
        "p",
        { class: "headline bad", role: "alert" },
        "This browser cannot check the proofs here: open the page over https in an up-to-date browser.",
      ),
    );
    return;
  }
  const keys = await log.serverKeys();
  const cp = await log.checkpointFor(keys);
  const steps = await log.stepsIn(cp);
  const [roles, election, guardianKeys, verdictEntries, results] = await Promise.all([
    proven(cp, (steps.roles || []).slice(-1)),
    proven(cp, (steps.election || []).slice(0, 1)),
    proven(cp, steps["guardian-key"]),
    proven(cp, steps["share-verdict"]),
    proven(cp, (steps.result || []).slice(0, 1)),
  ]);
  const rolesFile = roles.length ? JSON.parse(log.utf8(roles[0].data)) : { guardians: [], parties: {} };
  const out = [];
  if (keys.changed) out.push(log.keysChangedWarning());
  const verdicts = verdictEntries.map(body);
  const stepCount = Object.values(steps).reduce((n, l) => n + l.length, 0);
  let names = null;
  let config = null;
  if (election.length) {
    const e = body(election[0]);
    names = log.manifestNames(JSON.parse(e.manifest));
    config = JSON.parse(e.election_config);
    document.getElementById("title").textContent = names.title;
    document.title = `${names.title} · Entente`;
  }
  out.push(
    dl([
      ["Status", phase(steps, verdicts)],
      ["Ballots on the board (cast and challenged)", String(steps.election ? cp.size - stepCount : 0)],
      [
        "Guardians",
        config
          ? `${config.number_of_guardians}; any ${config.quorum} of them can decrypt, fewer cannot`
          : "not yet named",
      ],
      [
        "Election dates",
        names
          ? `${names.manifest.start_date || "?"} to ${names.manifest.end_date || "?"}`
          : "not yet published",
      ],
    ]),
  );

  if (results.length && names) out.push(resultSection(names, JSON.parse(body(results[0]).tally)));

  // The guardians, in the roles' order (their index), with what each did in the ceremony.
  const posted = new Set(guardianKeys.map((e) => log.openEnvelope(e.data, e.body).author));
  const rows = (rolesFile.guardians || []).map((vkey, i) => {
    const name = vkey.split("+")[0];
    const v = verdicts.find((x) => x.guardian === i + 1);
    const verdict = !v
      ? "not yet"
      : v.complaints.length
        ? `complained about guardian ${v.complaints.map((c) => c.sender).join(", ")}: ${v.complaints.map((c) => c.reason).join("; ")}`
        : "all shares checked";
    return el(
      "tr",
      {},
      el("th", { scope: "row" }, name),
      el("td", {}, log.partyOf(rolesFile, name)),
      el("td", {}, posted.has(name) ? "published" : "not yet"),
      el("td", {}, verdict),
    );
  });
  out.push(
    section(
      "Guardians",
      el(
        "table",
        {},
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            ...["Guardian", "Party", "Public key", "Shares received"].map((h) =>
              el("th", { scope: "col" }, h),
            ),
          ),
        ),
        el("tbody", {}, ...rows),
      ),
    ),
  );

  if (names) {
    const contests = [...names.contests.values()].sort((a, b) => a.order - b.order);
    out.push(
      section(
        "On the ballot",
        ...contests.map((c) =>
          el(
            "div",
            { class: "contest" },
            el("h3", {}, c.name),
            el("ul", {}, ...[...c.selections.values()].map((s) => el("li", {}, s))),
          ),
        ),
      ),
    );
  }

  const cosigners = cp.witnesses.map((w) =>
    el(
      "li",
      { class: w.missing ? "pending" : "pass" },
      el("span", { class: "mark", "aria-hidden": "true" }, w.missing ? "…" : "✓"),
      w.missing
        ? `${log.withParty(rolesFile, w.name)}: not yet cosigned (key ${w.idHex})`
        : `${log.withParty(rolesFile, w.name)}: cosigned on ${log.when(w.time)} (key ${w.idHex})`,
    ),
  );
  out.push(
    section(
      "The log's checkpoint",
      dl([
        ["Log", cp.origin],
        ["Entries", String(cp.size)],
        ["Root hash", el("span", { class: "code" }, log.toHex(cp.root))],
        ["Signed by the log", `key ${cp.logKey.idHex} (checked in this browser)`],
        ...(keys.pins.length ? [["Keys your link pins", `${keys.pins.length}, all among the server's`]] : []),
      ]),
      el("h3", {}, "Witnesses"),
      el("ul", { class: "checks" }, ...cosigners),
      el(
        "p",
        {},
        `Every part of this page is an entry of this checkpoint, each proven in this browser (${roles.length + election.length + guardianKeys.length + verdictEntries.length + results.length} entries).`,
      ),
    ),
  );
  board.replaceChildren(...out);
}

// The result: per contest a table of the counts, with a bar for each (the numbers are in the
// table; the bars only draw them).
function resultSection(names, tally) {
  const parts = [];
  const contests = [...tally.contests].sort(
    (a, b) => (names.contests.get(a.contest_id)?.order ?? 0) - (names.contests.get(b.contest_id)?.order ?? 0),
  );
  for (const contest of contests) {
    const info = names.contests.get(contest.contest_id);
    const total = contest.selections.reduce((n, s) => n + s.tally, 0);
    const max = Math.max(1, ...contest.selections.map((s) => s.tally));
    const rows = [...contest.selections]
      .sort((a, b) => b.tally - a.tally)
      .map((s) => {
        const bar = el("span", { class: "bar", "aria-hidden": "true" });
        bar.style.width = `${(100 * s.tally) / max}%`;
        const share = total ? `${((100 * s.tally) / total).toFixed(1)}%` : "–";
        return el(
          "tr",
          {},
          el("th", { scope: "row" }, (info && info.selections.get(s.selection_id)) || s.selection_id),
          el("td", { class: "num" }, String(s.tally)),
          el("td", { class: "num" }, share),
          el("td", { class: "chart" }, bar),
        );
      });
    parts.push(
      el(
        "table",
        { class: "result" },
        el("caption", {}, info ? info.name : contest.contest_id),
        el(
          "thead",
          {},
          el("tr", {}, ...["Choice", "Votes", "Share", "Chart"].map((h) => el("th", { scope: "col" }, h))),
        ),
        el("tbody", {}, ...rows),
      ),
    );
  }
  return section(
    "Result",
    el(
      "p",
      {},
      "Decrypted by the guardians from the encrypted tally of every cast ballot. The proofs are checked in the verification report.",
    ),
    ...parts,
  );
}

render().catch((e) => {
  board.replaceChildren(
    el(
      "p",
      { class: "headline bad", role: "alert" },
      e instanceof log.CheckError
        ? `The board does not check out: ${e.message}.`
        : `The board could not be read (${e.message}). Try again in a moment.`,
    ),
  );
});
