// End-to-end checks of Entente's pages in Debian's chromium (headless), driven by
// playwright-core. Run by tests/browser.rs against a board that `entente demo --serve` keeps
// running:
//
//   node pages.mjs URL CAST_CODE CHALLENGED_CODE SCREENSHOT_DIR [PINS]
//
// ENTENTE_TRUST_SPKI: base64 SHA-256 of the board's public key (the demo prints it), the only
// certificate key Chromium is told to accept beyond its own roots.
//
// PINS: the fingerprints of the log's and witnesses' keys, as the demo prints them in its
// pinned link (comma-separated); without them, the cases of pinned links fail.
//
// Each case prints "ok <name>" or throws; the exit status is 0 only when every case held. Every
// page is also audited for accessibility (axe-core, WCAG 2.1 A and AA).

import { chromium } from "playwright-core";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

// axe-core, Deque's accessibility checker, audits every page against WCAG 2.1 A and AA.
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const [url, castCode, challengedCode, shots, pins] = process.argv.slice(2);
if (!shots) {
  console.error("usage: node pages.mjs URL CAST_CODE CHALLENGED_CODE SCREENSHOT_DIR [PINS]");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    // The demo's board is served over TLS by a throw-away CA: trust that board's key alone,
    // never certificate errors wholesale.
    `--ignore-certificate-errors-spki-list=${process.env.ENTENTE_TRUST_SPKI || ""}`,
  ],
});

const failures = [];
let current = null; // the page of the case running, shown when it fails
function expect(ok, what) {
  if (!ok) throw new Error(what);
}

// Each party's own copy of the pages, served by its witness on another origin.
const parties = (process.env.ENTENTE_PARTY_PAGES || "").split(",").filter(Boolean);

// A fresh page that records every request that leaves the server (and, for a party's copy,
// the board it reads) and every script error.
async function newPage(viewport = { width: 1000, height: 900 }, allowed = [url]) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.outside = [];
  page.errors = [];
  page.on("request", (r) => {
    if (!allowed.some((a) => r.url().startsWith(a)) && !r.url().startsWith("data:")) page.outside.push(r.url());
  });
  page.on("pageerror", (e) => page.errors.push(String(e)));
  current = page;
  return page;
}

async function headline(page) {
  const h = page.locator("#answer .headline");
  await h.waitFor({ timeout: 30000 });
  return (await h.textContent()).trim();
}

// The page's WCAG 2.1 A/AA violations found by axe. The checker is served as if from the
// page's own server, so that the page's Content Security Policy stays in force.
async function audit(page, name) {
  const at = `${new URL(page.url()).origin}/assets/axe-under-test.js`;
  await page.route(at, (route) => route.fulfill({ contentType: "text/javascript", body: axeSource }));
  await page.addScriptTag({ url: at });
  const violations = await page.evaluate(async () => {
    const r = await globalThis.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    });
    return r.violations.map(
      (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
    );
  });
  expect(violations.length === 0, `${name}: accessibility: ${violations.join("; ")}`);
}

async function done(page, name, { scriptless = false } = {}) {
  if (scriptless) {
    // A page whose policy allows no script at all is audited in a copy that ignores it.
    const context = await browser.newContext({ bypassCSP: true });
    const copy = await context.newPage();
    await copy.goto(page.url());
    await audit(copy, name);
    await context.close();
  } else {
    await audit(page, name);
  }
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  expect(
    page.outside.length === 0,
    `${name}: the page reached outside its server: ${page.outside.join(", ")}`,
  );
  expect(page.errors.length === 0, `${name}: script errors: ${page.errors.join("; ")}`);
  await page.context().close();
  console.log(`ok ${name}`);
}

// The code as a receipt might print it: capitals, groups of eight with spaces and dashes.
function asPrinted(code) {
  return code
    .toUpperCase()
    .match(/.{8}/g)
    .map((g, i) => (i % 2 ? `- ${g} ` : g))
    .join(" ");
}

// A lookup's answer as a server that changes the ballot would give it: the ballot (the body
// beside the entry) changed by `change`, and the entry's SHA-256 of it made to match.
function rewrite(found, change) {
  const env = JSON.parse(Buffer.from(found.data, "base64").toString("utf8"));
  const ballot = JSON.parse(Buffer.from(found.body, "base64").toString("utf8"));
  change(ballot);
  const body = Buffer.from(JSON.stringify(ballot));
  env.digest = createHash("sha256").update(body).digest("hex");
  found.body = body.toString("base64");
  found.data = Buffer.from(JSON.stringify(env)).toString("base64");
}

// One encryption of the ballot changed (its pad's last hex digit).
function flipPad(ballot) {
  const vote = ballot.contests[0].selections[0].encrypted_vote;
  vote.pad = vote.pad.slice(0, -1) + (vote.pad.endsWith("0") ? "1" : "0");
}

const cases = {
  // A voter types a cast ballot's code with the keyboard alone.
  async "voter-cast"() {
    const page = await newPage();
    await page.goto(`${url}/`);
    // Through the navigation's links to the field, by the keyboard.
    for (let i = 0; i < 8 && !(await page.evaluate(() => document.activeElement.id === "code")); i++) {
      await page.keyboard.press("Tab");
    }
    expect(await page.evaluate(() => document.activeElement.id === "code"), "Tab never reaches the field");
    await page.keyboard.type(asPrinted(castCode));
    const start = Date.now();
    await page.keyboard.press("Enter");
    const h = await headline(page);
    console.log(`  the voter's page checked the ballot in ${Date.now() - start} ms`);
    expect(h === "Your ballot is on the board.", `headline: ${h}`);
    const text = await page.locator("#answer").textContent();
    expect(text.includes("Cast: it is counted"), "no cast status");
    expect(text.includes("riverside-booth-1"), "no device");
    expect(
      text.includes("Your confirmation code is the hash of this ballot's encryptions"),
      "the code was not recomputed",
    );
    expect(/Entry \d+/.test(text), "no log position");
    for (const w of ["witness.harbour.example", "witness.highland.example"]) {
      expect(text.includes(`Cosigned by the witness ${w}`), `no cosignature by ${w}`);
    }
    expect((await page.locator("#answer li.fail").count()) === 0, "a check failed");
    expect(new URL(page.url()).pathname === `/ballot/${castCode}`, `address ${page.url()}`);
    // The operator's own page never claims not to depend on the operator.
    const said = await page.locator("#provenance").textContent();
    expect(said.includes("served by the board's operator"), `provenance: ${said}`);
    expect(!/do not have to trust/.test(await page.locator("body").textContent()), "the operator's page claims independence");
    await done(page, "voter-cast");
    // The same on a phone's screen.
    const phone = await newPage({ width: 390, height: 844 });
    await phone.goto(`${url}/ballot/${castCode}`);
    expect((await headline(phone)) === "Your ballot is on the board.", "phone");
    await done(phone, "voter-cast-phone");
  },

  // A challenged ballot's code: its status, and the choices it encrypted.
  async "voter-challenged"() {
    const page = await newPage();
    await page.goto(`${url}/ballot/${encodeURIComponent(asPrinted(challengedCode))}`);
    const h = await headline(page);
    expect(h === "Your challenged ballot is on the board.", `headline: ${h}`);
    const choices = page.locator("#answer table");
    await choices.first().waitFor({ timeout: 30000 });
    expect((await choices.count()) >= 1, "no choices");
    const text = await page.locator("#answer").textContent();
    expect(text.includes("Challenged: not counted"), "no challenged status");
    expect(text.includes("the decryption is of this very ballot"), "decryption not matched to the ballot");
    expect((await page.locator("#answer td", { hasText: "Yes" }).count()) >= 1, "no choice marked");
    await done(page, "voter-challenged");
  },

  // A hand-marked paper ballot: its printed code recomputed from its pre-encryptions, its
  // print run found on the board, and the short codes the scanner recorded shown to compare.
  async "voter-paper"() {
    const paper = process.env.ENTENTE_PAPER_CODE;
    const shortCodes = (process.env.ENTENTE_PAPER_SHORT_CODES || "").split(",").filter(Boolean);
    expect(Boolean(paper) && shortCodes.length > 0, "the test gave no paper ballot");
    const page = await newPage();
    await page.goto(`${url}/ballot/${paper}`);
    const h = await headline(page);
    expect(h === "Your ballot is on the board.", `headline: ${h}`);
    const text = await page.locator("#answer").textContent();
    expect(text.includes("by the scanning station riverside-scanner-1"), "no scanning station");
    expect(text.includes("hash of this paper ballot's pre-encryptions"), "the printed code was not recomputed");
    expect(text.includes("Your paper ballot was printed"), "no print run found");
    expect(text.includes("is a scanning station of the election's definition"), "the station's role unchecked");
    expect(text.includes("Short codes recorded"), "no short codes shown");
    for (const c of shortCodes) expect(text.includes(c), `short code ${c} not shown`);
    expect(text.includes("Compare the short codes with those you kept"), "no advice to compare");
    expect((await page.locator("#answer li.fail").count()) === 0, "a check failed");
    await done(page, "voter-paper");
  },

  // A code that is on no ballot, and one mistyped.
  async "voter-unknown"() {
    const page = await newPage();
    await page.goto(`${url}/`);
    // The cast code with its first digit changed: a well-formed code on no ballot.
    const unknown = (castCode[0] === "0" ? "1" : "0") + castCode.slice(1);
    await page.fill("#code", unknown);
    await page.press("#code", "Enter");
    let h = await headline(page);
    expect(h === "No ballot with this code is on the board.", `headline: ${h}`);
    await done(page, "voter-unknown");
    const typo = await newPage();
    await typo.goto(`${url}/`);
    await typo.fill("#code", `${castCode.slice(0, 40)} ${castCode.slice(41)}`);
    await typo.press("#code", "Enter");
    h = await headline(typo);
    expect(h === "That is not a confirmation code.", `headline: ${h}`);
    expect((await typo.locator("#answer").textContent()).includes("yours has 63"), "no length given");
    await done(typo, "voter-mistyped");
  },

  // The server tampers with the entry it returns (the ballot's time and one encryption, with
  // the entry's SHA-256 of it made to match): the proof, the device's signature and the
  // confirmation code must fail.
  async "voter-tampered"() {
    const page = await newPage();
    await page.route("**/lookup?*", async (route) => {
      const response = await route.fetch();
      const found = await response.json();
      rewrite(found, (ballot) => {
        ballot.timestamp += 3600;
        // …and one encryption: the receipt's code no longer hashes what the entry holds.
        flipPad(ballot);
      });
      await route.fulfill({ response, json: found });
    });
    await page.goto(`${url}/ballot/${castCode}`);
    const h = await headline(page);
    expect(h.startsWith("The proof fails"), `headline: ${h}`);
    expect((await page.locator("#answer li.fail").count()) >= 3, "not every failed check listed");
    expect(
      (await page.locator("#answer").textContent()).includes("The code does not check"),
      "the changed encryption went unnoticed",
    );
    await done(page, "voter-tampered");
  },

  // The server gives another body beside the true entry: the page names the mismatch.
  async "voter-body-swapped"() {
    const page = await newPage();
    await page.route("**/lookup?*", async (route) => {
      const response = await route.fetch();
      const found = await response.json();
      const ballot = JSON.parse(Buffer.from(found.body, "base64").toString("utf8"));
      ballot.timestamp += 1;
      found.body = Buffer.from(JSON.stringify(ballot)).toString("base64");
      await route.fulfill({ response, json: found });
    });
    await page.goto(`${url}/ballot/${castCode}`);
    const h = await headline(page);
    expect(h === "Your ballot's entry does not check out.", `headline: ${h}`);
    expect(
      (await page.locator("#answer").textContent()).includes("not the one its log entry names"),
      "the swapped body went unnoticed",
    );
    await done(page, "voter-body-swapped");
  },

  // This browser saw other keys for this log before (the server changed them): a warning.
  async "voter-keys-changed"() {
    const page = await newPage();
    const origin = (await (await page.request.get(`${url}/keys`)).json()).origin;
    await page.addInitScript(
      (store) => localStorage.setItem(store, JSON.stringify({ log: "other", witnesses: [] })),
      `entente.keys.${origin}`,
    );
    await page.goto(`${url}/ballot/${castCode}`);
    await headline(page);
    const warning = page.locator("#answer .warn");
    expect((await warning.count()) === 1, "no warning that the keys changed");
    expect((await warning.textContent()).includes("not the ones this browser saw before"), "wrong warning");
    await done(page, "voter-keys-changed");
  },

  // A party's link pins the keys: the page names the pins it checked, and keeps them when the
  // reader follows a link to the board.
  async "voter-pinned"() {
    expect(pins, "no pins given");
    const page = await newPage();
    await page.goto(`${url}/ballot/${castCode}#pin=${pins}`);
    const h = await headline(page);
    expect(h === "Your ballot is on the board.", `headline: ${h}`);
    const n = pins.split(",").length;
    expect(
      (await page.locator("#answer").textContent()).includes(
        `The server's keys include the ${n} your link pins.`,
      ),
      "the pins are not named",
    );
    await page.locator("nav a", { hasText: "The board" }).press("Enter");
    await page.locator("#board table.result").first().waitFor({ timeout: 30000 });
    expect(page.url().endsWith(`/board#pin=${pins}`), `the board lost the pins: ${page.url()}`);
    expect(
      (await page.locator("#board").textContent()).includes("all among the server's"),
      "no pins on the board",
    );
    await done(page, "voter-pinned");
  },

  // A link that pins a key the server does not have: nothing is believed.
  async "voter-pinned-other-key"() {
    expect(pins, "no pins given");
    const other = pins.replace(/^./, (c) => (c === "0" ? "1" : "0"));
    const page = await newPage();
    await page.goto(`${url}/ballot/${castCode}#pin=${other}`);
    const h = await headline(page);
    expect(h === "The check could not be completed.", `headline: ${h}`);
    expect(
      (await page.locator("#answer").textContent()).includes("not the ones your link names"),
      "the wrong pin is not named",
    );
    await done(page, "voter-pinned-other-key");
  },

  // The server forges its checkpoint (another root hash): the log's signature must fail.
  async "voter-forged-checkpoint"() {
    const page = await newPage();
    await page.route(/\/checkpoint(\/published)?$/, async (route) => {
      const response = await route.fetch();
      const lines = (await response.text()).split("\n");
      lines[2] = Buffer.alloc(32, 7).toString("base64");
      await route.fulfill({ response, body: lines.join("\n") });
    });
    await page.goto(`${url}/ballot/${castCode}`);
    const h = await headline(page);
    expect(h === "The check could not be completed.", `headline: ${h}`);
    expect(
      (await page.locator("#answer").textContent()).includes("not signed by the log's key"),
      "no signature failure named",
    );
    await done(page, "voter-forged-checkpoint");
  },

  // The board: the election, the guardians and their parties, the ballots, the result.
  async board() {
    const page = await newPage();
    const start = Date.now();
    await page.goto(`${url}/board`);
    await page.locator("#board table.result").first().waitFor({ timeout: 30000 });
    console.log(`  the board page loaded and checked its entries in ${Date.now() - start} ms`);
    const text = await page.locator("#board").textContent();
    expect(text.includes("Decrypted: the result is published."), "no status");
    for (const w of [
      "guardian-harbour-1",
      "guardian-highland-1",
      "harbour",
      "highland",
      "Result",
      "Ballots on the board",
    ]) {
      expect(text.includes(w), `board lacks ${w}`);
    }
    expect((await page.locator("#board .bar").count()) >= 2, "no chart");
    expect((await page.locator("#board li.pass").count()) === 2, "witnesses not both cosigned");
    await done(page, "board");
  },

  // The verification report of the record, served by the board.
  // A party's copy of the voter's page, on its witness's origin, checks a cast ballot on the
  // board, and says who serves it.
  async "party-cast"() {
    const page = await newPage(undefined, [parties[0], url]);
    await page.goto(`${parties[0]}?code=${castCode}`);
    const h = await headline(page);
    expect(h === "Your ballot is on the board.", `headline: ${h}`);
    const said = await page.locator("#provenance").textContent();
    expect(
      said.includes("served by witness.harbour.example") && said.includes("not by the board's operator"),
      `provenance: ${said}`,
    );
    expect(
      (await page.locator("#answer").textContent()).includes("The server's keys include the 2 your link pins."),
      "the party's baked pins are not named",
    );
    await done(page, "party-cast");
  },

  async "party-challenged"() {
    const page = await newPage(undefined, [parties[1], url]);
    await page.goto(`${parties[1]}`);
    await page.locator("#code").fill(challengedCode);
    await page.keyboard.press("Enter");
    const h = await headline(page);
    expect(h === "Your challenged ballot is on the board.", `headline: ${h}`);
    expect(page.url().includes(`?code=${challengedCode}`), `address: ${page.url()}`);
    const text = await page.locator("#answer").textContent();
    expect(text.includes("Challenged"), "no challenged status");
    await done(page, "party-challenged");
  },

  // The board serves a script that would claim every ballot is there, and tampers with the
  // entry it returns: the party's page runs its own code, and the proof fails.
  async "party-board-script-tampered"() {
    const page = await newPage(undefined, [parties[0], url]);
    const evil = 'document.body.textContent = "Your ballot is on the board.";';
    await page.route(`${url}/assets/*.js`, (route) =>
      route.fulfill({ contentType: "text/javascript", body: evil }),
    );
    await page.route(`${url}/lookup?*`, async (route) => {
      const response = await route.fetch();
      const found = await response.json();
      rewrite(found, flipPad);
      await route.fulfill({ response, json: found });
    });
    await page.goto(`${parties[0]}?code=${castCode}`);
    const h = await headline(page);
    expect(h.startsWith("The proof fails"), `headline: ${h}`);
    expect(
      (await page.locator("#answer").textContent()).includes("The code does not check"),
      "the changed encryption went unnoticed",
    );
    await done(page, "party-board-script-tampered");
  },

  // The board forges its checkpoint: the party's page, with the log's key baked in, refuses it.
  async "party-forged-checkpoint"() {
    const page = await newPage(undefined, [parties[0], url]);
    await page.route(/\/checkpoint(\/published)?$/, async (route) => {
      const response = await route.fetch();
      const lines = (await response.text()).split("\n");
      lines[2] = Buffer.alloc(32, 7).toString("base64");
      await route.fulfill({ response, body: lines.join("\n") });
    });
    await page.goto(`${parties[0]}?code=${castCode}`);
    const h = await headline(page);
    expect(h === "The check could not be completed.", `headline: ${h}`);
    expect(
      (await page.locator("#answer").textContent()).includes("not signed by the log's key"),
      "no signature failure named",
    );
    await done(page, "party-forged-checkpoint");
  },

  // The party's copy of the board page.
  async "party-board"() {
    const page = await newPage(undefined, [parties[1], url]);
    await page.goto(`${parties[1]}board.html`);
    await page.locator("#board table.result").first().waitFor({ timeout: 30000 });
    const said = await page.locator("#provenance").textContent();
    expect(said.includes("served by witness.highland.example"), `provenance: ${said}`);
    await done(page, "party-board");
  },

  async report() {
    const page = await newPage();
    // The server verifies its record once the result is cosigned: until then the page says so.
    let text = "";
    for (let i = 0; i < 120; i++) {
      const r = await page.goto(`${url}/report`);
      expect(r.ok(), `status ${r.status()}`);
      text = await page.locator("body").textContent();
      if (!text.includes("No report yet")) break;
      await page.waitForTimeout(1000);
    }
    expect(text.includes("Every check holds."), "the report does not say every check holds");
    expect(text.includes("cosigned by 2 of the 2 witnesses"), "the report does not check the log");
    expect((await page.locator("script").count()) === 0, "the report runs a script");
    await done(page, "report", { scriptless: true });
  },
};

const only = process.env.ONLY;
for (const [name, run] of Object.entries(cases)) {
  if (only && !only.split(",").includes(name)) continue;
  try {
    await run();
  } catch (e) {
    failures.push(name);
    console.log(`FAIL ${name}: ${e.message}`);
    if (current && !current.isClosed()) {
      console.log(
        `  the page said: ${(await current.locator("main").textContent()).replace(/\s+/g, " ").trim()}`,
      );
      await current.screenshot({ path: join(shots, `FAILED-${name}.png`), fullPage: true });
    }
  }
}
await browser.close();
if (failures.length) {
  console.log(`${failures.length} case(s) failed: ${failures.join(", ")}`);
  process.exit(1);
}
console.log("all cases hold");
