//! `entente verify --html FILE`: the verification report as one self-contained HTML page for
//! readers who will not read JSON: the result (a table per contest with bars), each
//! verification with what it checked and whether it held, every failure in detail, and the
//! record's log checkpoint with its cosigners. No script, font, image or link leaves the file:
//! it reads the same offline, on a phone, with a screen reader or the keyboard alone.

use entente_verify::{Report, Status};

use crate::observer::LogCheck;
use crate::result::ContestResult;

/// Escapes text for HTML content and attribute values. Written here because these five
/// replacements are the whole of it; a template engine would bring far more than it saves.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font-family:system-ui,sans-serif;max-width:52rem;margin:0 auto;padding:1rem;line-height:1.5;color:#111;background:#fff}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem}h3{font-size:1.05rem;margin-bottom:.25rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ccc;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.bar{background:#1f5fa8;height:1rem;display:block;min-width:1px}
td.chart{width:40%}
.pass{color:#0a6b2d;font-weight:700}.fail{color:#b00020;font-weight:700}.na{color:#555}
.verdict{padding:.75rem 1rem;border-radius:.4rem;font-size:1.1rem}
.verdict.ok{background:#e6f4ea;border:2px solid #0a6b2d}.verdict.bad{background:#fde7e9;border:2px solid #b00020}
pre{white-space:pre-wrap;word-break:break-all;background:#f4f4f4;padding:.5rem;font-size:.85rem}
ul.failures{margin:.25rem 0 .5rem 1rem;padding:0}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
@media (max-width:40rem){th,td{padding:.25rem}.share{display:none}}
";

/// The record's log, for the report: its checkpoint note and what its check found.
pub struct LogSection<'a> {
    /// The signed checkpoint, as the record holds it.
    pub checkpoint: &'a str,
    /// The check of the record against it.
    pub check: &'a LogCheck,
}

/// The page.
pub fn report(
    report: &Report,
    result: Option<&[ContestResult]>,
    log: Option<LogSection<'_>>,
) -> String {
    let holds = report.holds() && log.as_ref().is_none_or(|l| l.check.failures.is_empty());
    let mut h = String::new();
    h.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // A record exported from a log is named by the log (its folder may be anyone's temporary
    // one); any other by its folder.
    let named = match log.as_ref().and_then(|l| l.checkpoint.lines().next()) {
        Some(origin) if !origin.is_empty() => format!("of the log <code>{}</code>", esc(origin)),
        _ => format!("<code>{}</code>", esc(&report.record)),
    };
    let title = log
        .as_ref()
        .and_then(|l| l.checkpoint.lines().next())
        .unwrap_or(&report.record);
    h.push_str("<title>Verification report: ");
    h.push_str(&esc(title));
    h.push_str("</title>\n<style>");
    h.push_str(STYLE);
    h.push_str("</style>\n</head>\n<body>\n<main>\n<h1>Verification report</h1>\n");
    h.push_str(&format!(
        "<p>Election record {named}: {} guardians, any {} of them can decrypt; {} \
         ballots. Checked by <code>entente verify</code> against the ElectionGuard 2.0 \
         specification in {:.1} s.</p>\n",
        report.guardians, report.quorum, report.ballots, report.seconds
    ));
    let failed = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .count();
    if holds {
        h.push_str(
            "<p class=\"verdict ok\" role=\"status\"><strong>Every check holds.</strong> The \
             result below is the decryption of the sum of the record's cast ballots, each step \
             proven by a proof that anyone can check again.</p>\n",
        );
    } else {
        h.push_str(&format!(
            "<p class=\"verdict bad\" role=\"alert\"><strong>Some checks fail</strong> ({failed} \
             of the election's verifications{}). Do not trust this result until the \
             failures below are explained.</p>\n",
            if log.as_ref().is_some_and(|l| !l.check.failures.is_empty()) {
                ", and the record does not match its log"
            } else {
                ""
            }
        ));
    }
    if let Some(result) = result {
        h.push_str("<h2 id=\"result\">Result</h2>\n");
        for c in result {
            h.push_str(&format!("<h3>{}</h3>\n", esc(&c.title)));
            h.push_str(
                "<table>\n<thead><tr><th scope=\"col\">Choice</th><th scope=\"col\">Votes</th>\
                 <th scope=\"col\" class=\"share\">Share</th><th scope=\"col\" \
                 class=\"share\"><span class=\"visually-hidden\">Chart</span></th></tr></thead>\n<tbody>\n",
            );
            for (name, votes) in &c.options {
                let share = c.share(*votes) * 100.0;
                h.push_str(&format!(
                    "<tr><td>{}</td><td class=\"n\">{votes}</td><td class=\"n share\">{share:.1}%</td>\
                     <td class=\"share chart\" aria-hidden=\"true\"><span class=\"bar\" \
                     style=\"width:{share:.1}%\"></span></td></tr>\n",
                    esc(name)
                ));
            }
            h.push_str(&format!(
                "</tbody>\n<tfoot><tr><td>Total</td><td class=\"n\">{}</td><td class=\"share\"></td>\
                 <td class=\"share\"></td></tr></tfoot>\n</table>\n",
                c.total()
            ));
        }
    }
    h.push_str("<h2 id=\"checks\">What was checked</h2>\n<table>\n<thead><tr>\
                <th scope=\"col\">#</th><th scope=\"col\">Verification</th>\
                <th scope=\"col\">Checked</th><th scope=\"col\">Status</th></tr></thead>\n<tbody>\n");
    for c in &report.checks {
        let (class, word) = match c.status {
            Status::Pass => ("pass", "passed".to_owned()),
            Status::Fail => (
                "fail",
                format!(
                    "FAILED ({} objects)",
                    c.failures.len() as u64 + c.more_failures
                ),
            ),
            Status::NotApplicable => ("na", "not applicable".to_owned()),
        };
        h.push_str(&format!(
            "<tr><td class=\"n\">{}</td><td>{}{}</td><td class=\"n\">{}</td><td class=\"{class}\">{word}</td></tr>\n",
            c.number,
            esc(c.name),
            c.note
                .as_ref()
                .map(|n| format!("<br><small>{}</small>", esc(n)))
                .unwrap_or_default(),
            c.checked
        ));
    }
    h.push_str("</tbody>\n</table>\n");
    let failing: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .collect();
    if !failing.is_empty() {
        h.push_str("<h2 id=\"failures\">Failures in detail</h2>\n");
        for c in failing {
            h.push_str(&format!(
                "<h3>{}. {}</h3>\n<ul class=\"failures\">\n",
                c.number,
                esc(c.name)
            ));
            for f in &c.failures {
                h.push_str(&format!(
                    "<li><strong>{}</strong>: {}</li>\n",
                    esc(&f.object),
                    esc(&f.equation)
                ));
            }
            if c.more_failures > 0 {
                h.push_str(&format!("<li>and {} more</li>\n", c.more_failures));
            }
            h.push_str("</ul>\n");
        }
    }
    if let Some(l) = log {
        h.push_str("<h2 id=\"log\">The record and its log</h2>\n");
        let status = if l.check.failures.is_empty() {
            "<span class=\"pass\">matches</span>"
        } else {
            "<span class=\"fail\">DOES NOT MATCH</span>"
        };
        h.push_str(&format!(
            "<p>The record {status} the bulletin board's log: {} artifacts in a log of {} \
             entries, whose checkpoint is signed by the log ({}) and cosigned by {} of the {} \
             witnesses{}.</p>\n",
            l.check.artifacts,
            l.check.size,
            esc(&l.check.key_from),
            l.check.cosigned_by.len(),
            l.check.witnesses,
            if l.check.cosigned_by.is_empty() {
                String::new()
            } else {
                format!(" ({})", esc(&l.check.cosigned_by.join(", ")))
            }
        ));
        if !l.check.failures.is_empty() {
            h.push_str("<ul class=\"failures\">\n");
            for f in &l.check.failures {
                h.push_str(&format!("<li>{}</li>\n", esc(f)));
            }
            h.push_str("</ul>\n");
        }
        h.push_str("<p>The checkpoint, as signed:</p>\n<pre>");
        h.push_str(&esc(l.checkpoint));
        h.push_str("</pre>\n");
    }
    h.push_str(
        "<p><small>Anyone can repeat these checks: <code>entente verify RECORD</code> reads \
         the public record only.</small></p>\n</main>\n</body>\n</html>\n",
    );
    h
}
