// The pages' checking library (crates/entente-server/web/log.js) run in node against the
// conformance records of another implementation: every ballot's confirmation code is the hash
// of its encryptions, and a changed encryption or code is caught. Run by tests/browser.rs:
//
//   node logjs.mjs RECORD_DIR...

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { checkConfirmationCode } from "../../../entente-server/web/log.js";

const dirs = process.argv.slice(2);
let checked = 0;
for (const dir of dirs) {
  const init = JSON.parse(readFileSync(join(dir, "election_initialized.json"), "utf8"));
  const ballotsDir = join(dir, "encrypted_ballots");
  for (const device of readdirSync(ballotsDir)) {
    for (const f of readdirSync(join(ballotsDir, device)).filter((n) => n.startsWith("eballot"))) {
      const ballot = JSON.parse(readFileSync(join(ballotsDir, device, f), "utf8"));
      const why = await checkConfirmationCode(ballot, init.extended_base_hash, init.joint_public_key);
      if (why !== null) throw new Error(`${dir} ${f}: ${why}`);
      const changed = structuredClone(ballot);
      const vote = changed.contests[0].selections[0].encrypted_vote;
      vote.data = vote.data.slice(0, -1) + (vote.data.endsWith("0") ? "1" : "0");
      if ((await checkConfirmationCode(changed, init.extended_base_hash, init.joint_public_key)) === null) {
        throw new Error(`${f}: a changed encryption passed`);
      }
      const recoded = structuredClone(ballot);
      recoded.code_baux = `00${recoded.code_baux}`;
      if ((await checkConfirmationCode(recoded, init.extended_base_hash, init.joint_public_key)) === null) {
        throw new Error(`${f}: a changed B_aux passed`);
      }
      checked++;
    }
  }
}
if (checked === 0) throw new Error("no ballot found");
console.log(`ok ${checked} confirmation codes`);
