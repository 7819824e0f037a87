// The pages' checking library (crates/entente-server/web/log.js) run in node against the
// conformance records of another implementation: every ballot's confirmation code is the hash
// of its encryptions, and a changed encryption or code is caught; in either layout (egk's 2.0,
// hex, and egk-ec's 2.1, base64) and group (4096-bit, P-256), as each record's constants.json
// says. Run by tests/browser.rs:
//
//   node logjs.mjs RECORD_DIR...

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { checkConfirmationCode, recordFormat, toHex } from "../../../entente-server/web/log.js";

// A value with its last byte changed, written as the record's layout writes it.
function changed(text, format, width) {
  const bytes = format.value(text, width);
  bytes[bytes.length - 1] ^= 1;
  return text.length === 2 * width ? toHex(bytes) : Buffer.from(bytes).toString("base64");
}

const dirs = process.argv.slice(2);
let checked = 0;
for (const dir of dirs) {
  const init = JSON.parse(readFileSync(join(dir, "election_initialized.json"), "utf8"));
  const format = recordFormat(readFileSync(join(dir, "constants.json"), "utf8"));
  const check = (b) => checkConfirmationCode(b, init.extended_base_hash, init.joint_public_key, format);
  const ballotsDir = join(dir, "encrypted_ballots");
  for (const device of readdirSync(ballotsDir)) {
    for (const f of readdirSync(join(ballotsDir, device)).filter((n) => n.startsWith("eballot"))) {
      const ballot = JSON.parse(readFileSync(join(ballotsDir, device, f), "utf8"));
      const why = await check(ballot);
      if (why !== null) throw new Error(`${dir} ${f}: ${why}`);
      const tampered = structuredClone(ballot);
      const vote = tampered.contests[0].selections[0].encrypted_vote;
      vote.data = changed(vote.data, format, format.elementBytes);
      if ((await check(tampered)) === null) throw new Error(`${f}: a changed encryption passed`);
      const recoded = structuredClone(ballot);
      recoded.code_baux = `00${recoded.code_baux}`;
      if ((await check(recoded)) === null) throw new Error(`${f}: a changed B_aux passed`);
      const coded = structuredClone(ballot);
      coded.confirmation_code = changed(coded.confirmation_code, format, 32);
      if ((await check(coded)) === null) throw new Error(`${f}: a changed code passed`);
      checked++;
    }
  }
}
if (checked === 0) throw new Error("no ballot found");
console.log(`ok ${checked} confirmation codes`);
