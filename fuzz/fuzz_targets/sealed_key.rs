//! Sealed key files (age, scrypt passphrase): the header's work factor and the opening, with a
//! fixed passphrase. A file must be refused, never crash; the scrypt cost a header may ask is
//! bounded by age's own limit.

#![no_main]

use age::secrecy::SecretString;
use entente_core::keys::store::{open, open_bytes, work_factor_of};
use entente_group::P4096;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = work_factor_of(data);
    // Work factors above 12 would make each run take seconds; the parse up to the KDF is
    // what is fuzzed here.
    if work_factor_of(data).is_some_and(|w| w > 12) {
        return;
    }
    let passphrase = SecretString::from("fuzz".to_owned());
    let _ = open_bytes(data, &passphrase);
    let _ = open::<P4096>(data, &passphrase);
});
