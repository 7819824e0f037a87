//! A party's own copy of the pages: the voter's page and the board page as static files that
//! read a board elsewhere (`entente pages export`), and their serving from a party's witness
//! (`entente witness serve --pages DIR`).
//!
//! The board's own pages come from the operator, the one party the others need not trust: an
//! operator who wanted a voter to read "your ballot is on the board" could serve another script.
//! A copy that a party exports and serves itself runs that party's code against the board's
//! public data (entries, proofs, signed checkpoints, read across origins), with the log's key
//! and the party's pins baked in, and says who serves it.

use std::path::Path;

use axum::Router;
use axum::extract::Path as UrlPath;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::web::{ASSETS, BOARD_PAGE, VOTER_PAGE};

/// What a party's copy is exported with.
pub struct PagesConfig<'a> {
    /// The board's URL (https://…): every read goes there.
    pub board: &'a str,
    /// The log's verifier key: the page believes no checkpoint signed with another.
    pub log_key: &'a str,
    /// Fingerprints of keys (the log's, witnesses') the page requires among the board's.
    pub pins: &'a [String],
    /// Who serves the copy, as the page names it ("witness.harbour.example").
    pub served_by: &'a str,
}

/// The files of an exported copy: the voter's page, the board page, their assets.
pub const FILES: [&str; 2] = ["index.html", "board.html"];

fn attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The Content Security Policy of a copy: its own files, and reads from the board alone.
fn policy(board_origin: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src {board_origin}; \
         img-src 'self' data:; base-uri 'none'; form-action 'self'"
    )
}

/// The origin (scheme://host[:port]) of an http(s) URL, or None.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
    {
        return None;
    }
    Some(format!("{scheme}://{host}"))
}

/// One page of the copy: the board's page with relative links, the configuration in meta tags
/// and its policy in a meta tag (a static host may send no headers).
fn page(html: &str, cfg: &PagesConfig<'_>, origin: &str) -> String {
    let head = format!(
        "<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"entente-board\" content=\"{}\">\n\
         <meta name=\"entente-log\" content=\"{}\">\n\
         <meta name=\"entente-pins\" content=\"{}\">\n\
         <meta name=\"entente-served-by\" content=\"{}\">",
        attr(&policy(origin)),
        attr(origin),
        attr(cfg.log_key),
        attr(&cfg.pins.join(",")),
        attr(cfg.served_by),
    );
    html.replacen("<meta charset=\"utf-8\">", &head, 1)
        .replace("href=\"/assets/", "href=\"assets/")
        .replace("src=\"/assets/", "src=\"assets/")
        .replace("href=\"/\"", "href=\"index.html\"")
        .replace("action=\"/\"", "action=\"index.html\"")
        .replace("href=\"/board\"", "href=\"board.html\"")
        .replace(
            "href=\"/report\"",
            &format!("href=\"{}/report\"", attr(origin)),
        )
}

/// Writes a party's copy of the pages into `out` (created if need be; files of the copy
/// replaced). An error names a board URL that is not http(s), or a key that is not one line.
pub fn export(cfg: &PagesConfig<'_>, out: &Path) -> Result<(), String> {
    let origin = origin_of(cfg.board.trim_end_matches('/'))
        .ok_or_else(|| format!("{:?} is not an http(s) URL of a board", cfg.board))?;
    if cfg.log_key.trim().is_empty() || cfg.log_key.contains(['\n', '\r']) {
        return Err("the log's key must be its one-line verifier key".into());
    }
    if let Some(bad) = cfg
        .pins
        .iter()
        .find(|p| p.len() != 32 || !p.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(format!(
            "{bad:?} is not a key's fingerprint (32 hex digits, as `entente keygen` prints)"
        ));
    }
    let write = |rel: &str, text: &str| -> Result<(), String> {
        let path = out.join(rel);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    std::fs::create_dir_all(out.join("assets"))
        .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    write("index.html", &page(VOTER_PAGE, cfg, &origin))?;
    write("board.html", &page(BOARD_PAGE, cfg, &origin))?;
    for a in &ASSETS {
        write(&format!("assets/{}", a.name), a.text)?;
    }
    Ok(())
}

/// The routes that serve an exported copy from `dir`: `/` and `/index.html`, `/board.html`,
/// `/assets/<name>`, read from the folder on each request (a party may export again without a
/// restart). Nothing else of the folder is served.
pub fn routes(dir: &Path) -> Router {
    let d1 = dir.to_owned();
    let d2 = dir.to_owned();
    let d3 = dir.to_owned();
    Router::new()
        .route("/", get(move || serve(d1.join("index.html"))))
        .route(
            "/{page}",
            get(move |UrlPath(page): UrlPath<String>| async move {
                if FILES.contains(&page.as_str()) {
                    serve(d2.join(page)).await
                } else {
                    not_found()
                }
            }),
        )
        .route(
            "/assets/{name}",
            get(move |UrlPath(name): UrlPath<String>| async move {
                if ASSETS.iter().any(|a| a.name == name) {
                    serve(d3.join("assets").join(name)).await
                } else {
                    not_found()
                }
            }),
        )
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "no such page").into_response()
}

async fn serve(path: std::path::PathBuf) -> Response {
    let mime = match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        _ => "application/octet-stream",
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let mut r = ([(header::CONTENT_TYPE, mime)], bytes).into_response();
            let h = r.headers_mut();
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            h.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            h.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=31536000"),
            );
            r
        }
        Err(_) => not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg<'a>(board: &'a str, pins: &'a [String]) -> PagesConfig<'a> {
        PagesConfig {
            board,
            log_key: "board.example/log+01234567+AAAA",
            pins,
            served_by: "witness.harbour.example\"><script>",
        }
    }

    #[test]
    fn a_copy_reads_the_board_it_was_exported_for_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let pins = vec!["0123456789abcdef0123456789abcdef".to_owned()];
        export(&cfg("https://board.example/", &pins), dir.path()).unwrap();
        let html = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
        assert!(html.contains("connect-src https://board.example;"));
        assert!(html.contains("<meta name=\"entente-board\" content=\"https://board.example\">"));
        // What the party typed is an attribute's text, never markup.
        assert!(html.contains("witness.harbour.example&quot;&gt;&lt;script&gt;"));
        assert!(!html.contains("src=\"/assets/"));
        assert!(html.contains("href=\"https://board.example/report\""));
        for a in &ASSETS {
            assert!(dir.path().join("assets").join(a.name).is_file());
        }
    }

    #[test]
    fn a_copy_is_refused_for_a_board_that_is_not_a_web_address_or_a_bad_pin() {
        let dir = tempfile::tempdir().unwrap();
        for board in [
            "ftp://board.example",
            "board.example",
            "https://",
            "https://a b",
        ] {
            assert!(export(&cfg(board, &[]), dir.path()).is_err(), "{board}");
        }
        let bad = vec!["xyz".to_owned()];
        let err = export(&cfg("https://board.example", &bad), dir.path()).unwrap_err();
        assert!(err.contains("not a key's fingerprint"), "{err}");
        assert!(!dir.path().join("index.html").exists());
    }
}
