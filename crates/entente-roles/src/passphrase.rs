//! Where a passphrase comes from (DESIGN.md, Conventions): `--passphrase-file FILE` if given,
//! else `ENTENTE_PASSPHRASE`, else a prompt on the terminal; with none of them the command fails
//! with a message saying so. It never reads a passphrase from a piped stdin, so a script without
//! one stops at once instead of hanging.

use std::io::IsTerminal;
use std::path::Path;

use crate::error::{Context, Result, bail};
use age::secrecy::SecretString;
use zeroize::Zeroizing;

/// The environment variable read when no file is given.
pub const ENV: &str = "ENTENTE_PASSPHRASE";

/// The passphrase for `what` (named in the prompt). With `confirm`, a typed passphrase is asked
/// twice (for a new file).
pub fn get(file: Option<&Path>, what: &str, confirm: bool) -> Result<SecretString> {
    if let Some(f) = file {
        let text = Zeroizing::new(
            std::fs::read_to_string(f)
                .with_context(|| format!("cannot read the passphrase file {}", f.display()))?,
        );
        // The first line, without its line ending: files written by `echo` end in a newline.
        let line = text.lines().next().unwrap_or("");
        if line.is_empty() {
            bail!("the passphrase file {} is empty", f.display());
        }
        return Ok(SecretString::from(line.to_owned()));
    }
    if let Ok(p) = std::env::var(ENV) {
        if p.is_empty() {
            bail!("{ENV} is set but empty");
        }
        return Ok(SecretString::from(p));
    }
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        let first = Zeroizing::new(
            rpassword::prompt_password(format!("Passphrase for {what}: "))
                .context("cannot read the passphrase from the terminal")?,
        );
        if first.is_empty() {
            bail!("an empty passphrase is not accepted");
        }
        if confirm {
            let again = Zeroizing::new(
                rpassword::prompt_password("Same passphrase again: ")
                    .context("cannot read the passphrase from the terminal")?,
            );
            if *again != *first {
                bail!("the two passphrases differ");
            }
        }
        return Ok(SecretString::from(first.to_string()));
    }
    bail!(
        "a passphrase for {what} is needed: give --passphrase-file FILE or set {ENV} \
         (no terminal to ask on)"
    )
}
