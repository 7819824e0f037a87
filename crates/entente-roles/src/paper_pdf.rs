//! A pre-encrypted ballot as a PDF a print shop can use (spec 2.0 §4.1): per contest its name,
//! how many options to mark, and per option a box to mark, the option's name and its short
//! code; the ballot id; the confirmation code; a QR code for the voter's page of that code; and
//! a tab the voter keeps with the confirmation code and room for the short codes they marked.
//!
//! Written with `pdf-writer` (typst's PDF writer) in the standard Helvetica and Courier fonts,
//! which every PDF reader has, so nothing is embedded; codes are in Courier, whose fixed width
//! lines them up without font metrics. A4, as many pages as the contests need.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use crate::error::{Result, refused};
use crate::print_run::PrintedBallot;

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 50.0;
/// Where the short codes start: far enough right for long names.
const CODE_X: f32 = WIDTH - MARGIN - 60.0;
/// Below this the page is full (the keep-tab sits under it on the last page).
const BOTTOM: f32 = 150.0;

/// What the voter does, under the header.
const HOW_TO_1: &str =
    "Mark the box of each option you choose. Keep the tab at the bottom, with the short codes";
const HOW_TO_2: &str =
    "of the options you marked: after the election, look the ballot up by its confirmation code.";

const SANS: Name = Name(b"F1");
const SANS_BOLD: Name = Name(b"F2");
const MONO: Name = Name(b"F3");

/// Text in WinAnsiEncoding, which the standard fonts use: Latin-1 characters as themselves,
/// anything else as "?" (names are checked on the printer's proof, not here).
fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match u32::from(c) {
            0x20..=0x7E | 0xA0..=0xFF => c as u8,
            _ => b'?',
        })
        .collect()
}

fn text(content: &mut Content, font: Name, size: f32, x: f32, y: f32, s: &str) {
    content
        .begin_text()
        .set_font(font, size)
        .next_line(x, y)
        .show(Str(&latin1(s)))
        .end_text();
}

/// The confirmation code in groups of eight hex digits, as people read it out.
pub fn grouped(code: &str) -> String {
    code.as_bytes()
        .chunks(8)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The PDF of `ballot` for the election `title`; the QR code holds `page_url` followed by the
/// confirmation code (the voter's page of that code), or the code alone without a URL.
pub fn ballot_pdf(ballot: &PrintedBallot, title: &str, page_url: Option<&str>) -> Result<Vec<u8>> {
    let qr_text = match page_url {
        Some(url) => format!("{}{}", url, ballot.confirmation_code),
        None => ballot.confirmation_code.clone(),
    };
    let qr = qrcode::QrCode::with_error_correction_level(qr_text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| refused!("the QR code of ballot {}: {e}", ballot.ballot_id))?;

    // Lay the contests out on pages first: each page's content stream.
    let mut pages: Vec<Content> = Vec::new();
    let mut content = Content::new();
    let mut y = header(&mut content, ballot, title, &qr);
    for c in &ballot.contests {
        let needed = 40.0 + 22.0 * c.options.len() as f32;
        if y - needed < BOTTOM && y < HEIGHT - 200.0 {
            pages.push(std::mem::replace(&mut content, Content::new()));
            y = HEIGHT - MARGIN;
            text(
                &mut content,
                SANS,
                9.0,
                MARGIN,
                y,
                &format!("Ballot {} (continued)", ballot.ballot_id),
            );
            y -= 24.0;
        }
        text(&mut content, SANS_BOLD, 13.0, MARGIN, y, &c.name);
        y -= 15.0;
        let how = match c.votes_allowed {
            1 => "Vote for one".to_owned(),
            n => format!("Vote for up to {n}"),
        };
        text(&mut content, SANS, 9.0, MARGIN, y, &how);
        text(&mut content, SANS, 9.0, CODE_X, y, "Short code");
        y -= 20.0;
        for o in &c.options {
            content
                .set_line_width(1.0)
                .rect(MARGIN, y - 3.0, 14.0, 14.0)
                .stroke();
            text(&mut content, SANS, 12.0, MARGIN + 24.0, y, &o.name);
            text(&mut content, MONO, 12.0, CODE_X, y, &o.short_code);
            y -= 22.0;
        }
        y -= 12.0;
    }
    keep_tab(&mut content, ballot);
    pages.push(content);

    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let fonts = [Ref::new(3), Ref::new(4), Ref::new(5)];
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(6 + 2 * i as i32))
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(pages.len() as i32);
    for (id, base) in fonts
        .iter()
        .zip([&b"Helvetica"[..], b"Helvetica-Bold", b"Courier-Bold"])
    {
        pdf.type1_font(*id)
            .base_font(Name(base))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    for (i, c) in pages.into_iter().enumerate() {
        let contents = Ref::new(7 + 2 * i as i32);
        let mut page = pdf.page(page_ids[i]);
        page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT))
            .parent(tree)
            .contents(contents);
        let mut resources = page.resources();
        let mut f = resources.fonts();
        f.pair(SANS, fonts[0])
            .pair(SANS_BOLD, fonts[1])
            .pair(MONO, fonts[2]);
        f.finish();
        resources.finish();
        page.finish();
        pdf.stream(contents, &c.finish());
    }
    Ok(pdf.finish())
}

/// The top of the first page: title, id, confirmation code and the QR code. Returns where the
/// contests start.
fn header(content: &mut Content, ballot: &PrintedBallot, title: &str, qr: &qrcode::QrCode) -> f32 {
    let top = HEIGHT - MARGIN;
    text(content, SANS_BOLD, 16.0, MARGIN, top - 12.0, title);
    let intro = "Official ballot, pre-encrypted (ElectionGuard 2.0 section 4)";
    text(content, SANS, 10.0, MARGIN, top - 30.0, intro);
    id_and_code(content, ballot, top - 48.0, 10.0);
    for (dy, line) in [(100.0, HOW_TO_1), (112.0, HOW_TO_2)] {
        text(content, SANS, 9.0, MARGIN, top - dy, line);
    }
    // The QR code, 80 pt wide, in the top right corner.
    let side = 80.0;
    let n = qr.width();
    let cell = side / n as f32;
    let (x0, y0) = (WIDTH - MARGIN - side, top - side);
    content.set_fill_gray(0.0);
    for (i, color) in qr.to_colors().into_iter().enumerate() {
        if color == qrcode::Color::Dark {
            let (row, col) = (i / n, i % n);
            content.rect(
                x0 + col as f32 * cell,
                y0 + (n - 1 - row) as f32 * cell,
                cell,
                cell,
            );
        }
    }
    content.fill_nonzero();
    top - 140.0
}

/// The voter's tab at the foot of the last page.
fn keep_tab(content: &mut Content, ballot: &PrintedBallot) {
    let y = 110.0;
    content
        .set_line_width(0.5)
        .move_to(MARGIN, y + 14.0)
        .line_to(WIDTH - MARGIN, y + 14.0)
        .stroke();
    text(
        content,
        SANS_BOLD,
        10.0,
        MARGIN,
        y,
        "Voter's tab: keep this part",
    );
    id_and_code(content, ballot, y - 16.0, 9.0);
    let blanks = "Short codes I marked: ______  ______  ______  ______  ______  ______";
    text(content, SANS, 9.0, MARGIN, y - 62.0, blanks);
}

/// The ballot id, and the confirmation code under its label, from `y` down.
fn id_and_code(content: &mut Content, ballot: &PrintedBallot, y: f32, size: f32) {
    let id = format!("Ballot id: {}", ballot.ballot_id);
    text(content, SANS, size, MARGIN, y, &id);
    text(content, SANS, size, MARGIN, y - 14.0, "Confirmation code:");
    let code = grouped(&ballot.confirmation_code);
    text(content, MONO, 9.0, MARGIN, y - 28.0, &code);
}
