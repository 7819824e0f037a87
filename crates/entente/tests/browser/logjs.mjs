// The pages' checking library (crates/entente-server/web/log.js) run in node against the
// conformance records of another implementation: every ballot's confirmation code is the hash
// of its encryptions, and a changed encryption or code is caught; in either layout (egk's 2.0,
// hex, and egk-ec's 2.1, base64) and group (4096-bit, P-256), as each record's constants.json
// says. Run by tests/browser.rs:
//
//   node logjs.mjs RECORD_DIR...

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import {
  checkConfirmationCode,
  recordFormat,
  recordedShortCodes,
  toHex,
} from "../../../entente-server/web/log.js";

// A value with its last byte changed, written as the record's layout writes it.
function changed(text, format, width) {
  const bytes = format.value(text, width);
  bytes[bytes.length - 1] ^= 1;
  return text.length === 2 * width ? toHex(bytes) : Buffer.from(bytes).toString("base64");
}

const dirs = process.argv.slice(2);
let checked = 0;
let preencrypted = 0;
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
      const shown = recordedShortCodes(ballot);
      if (ballot.is_preencrypt !== (shown.length > 0)) throw new Error(`${f}: short codes shown wrongly`);
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
      if (ballot.is_preencrypt) {
        // A paper ballot: its published vectors, short codes and selection hashes are bound
        // to the printed code.
        const pre = () => {
          const t = structuredClone(ballot);
          return [t, t.contests[0].pre_encryption];
        };
        const [shortened, p1] = pre();
        const sc = p1.selected_vectors[0].short_code;
        p1.selected_vectors[0].short_code = (sc.startsWith("0") ? "1" : "0") + sc.slice(1);
        if ((await check(shortened)) === null) throw new Error(`${f}: a changed short code passed`);
        const [rehashed, p2] = pre();
        p2.all_selection_hashes[0] = changed(p2.all_selection_hashes[0], format, 32);
        if ((await check(rehashed)) === null) throw new Error(`${f}: a changed selection hash passed`);
        const [moved, p3] = pre();
        const e = p3.selected_vectors[0].encryptions[0];
        e.data = changed(e.data, format, format.elementBytes);
        if ((await check(moved)) === null) throw new Error(`${f}: a changed pre-encryption passed`);
        preencrypted++;
      }
      checked++;
    }
  }
}
if (checked === 0) throw new Error("no ballot found");
console.log(`ok ${checked} confirmation codes, ${preencrypted} of pre-encrypted ballots`);
