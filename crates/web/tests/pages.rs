//! The pages keep to what the CSP allows and what a screen reader needs:
//! the one script is served as JavaScript, and no page carries an inline
//! script, an `on...=` handler, a `style=` attribute or a `<style>`
//! element (the CSP is `script-src 'self'; style-src 'self'`, so any of
//! these would silently not work), and every visible form field has a name
//! (a label around it, `<label for>`, or `aria-label`).
#![allow(clippy::unwrap_used)]

mod support;

use axum::http::{StatusCode, header};
use std::collections::HashSet;
use support::*;

/// One start tag of a page.
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn describe(&self) -> String {
        let attrs: Vec<String> = self
            .attrs
            .iter()
            .map(|(n, v)| format!("{n}={v:?}"))
            .collect();
        format!("<{} {}>", self.name, attrs.join(" "))
    }
}

/// A start or end tag, in document order.
enum Token {
    Start(Tag),
    End(String),
}

/// The tags of an HTML page: enough of a tokenizer for our own templates
/// (quoted attributes, comments, raw text in script and style).
fn tokens(html: &str) -> Vec<Token> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        if html[i..].starts_with("<!--") {
            i = html[i..].find("-->").map_or(b.len(), |e| i + e + 3);
            continue;
        }
        if b.get(i + 1) == Some(&b'!') {
            i = html[i..].find('>').map_or(b.len(), |e| i + e + 1);
            continue;
        }
        let closing = b.get(i + 1) == Some(&b'/');
        let mut j = i + 1 + usize::from(closing);
        let start = j;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-') {
            j += 1;
        }
        if j == start {
            i += 1;
            continue;
        }
        let name = html[start..j].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if j >= b.len() || b[j] == b'>' {
                j += 1;
                break;
            }
            if b[j] == b'/' {
                j += 1;
                continue;
            }
            let a = j;
            while j < b.len() && !b[j].is_ascii_whitespace() && !matches!(b[j], b'=' | b'>' | b'/')
            {
                j += 1;
            }
            let attr = html[a..j].to_ascii_lowercase();
            let mut value = String::new();
            if b.get(j) == Some(&b'=') {
                j += 1;
                match b.get(j) {
                    Some(&q) if q == b'"' || q == b'\'' => {
                        let end = html[j + 1..].find(q as char).map_or(b.len(), |e| j + 1 + e);
                        value = html[j + 1..end].to_owned();
                        j = end + 1;
                    }
                    _ => {
                        let v = j;
                        while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                            j += 1;
                        }
                        value = html[v..j].to_owned();
                    }
                }
            }
            attrs.push((attr, value));
        }
        i = j;
        if closing {
            out.push(Token::End(name));
            continue;
        }
        // Raw text: skip to the end tag.
        if name == "script" || name == "style" {
            let end = format!("</{name}");
            if let Some(e) = html[i..].to_ascii_lowercase().find(&end) {
                i += e;
            }
        }
        out.push(Token::Start(Tag { name, attrs }));
    }
    out
}

/// What a page does that the CSP or a screen reader would not take.
fn offences(html: &str) -> Vec<String> {
    let tokens = tokens(html);
    let labelled: HashSet<&str> = tokens
        .iter()
        .filter_map(|t| match t {
            Token::Start(tag) if tag.name == "label" => tag.attr("for"),
            _ => None,
        })
        .collect();
    let mut found = Vec::new();
    let mut in_label = 0usize;
    for t in &tokens {
        let tag = match t {
            Token::End(name) => {
                if name == "label" {
                    in_label = in_label.saturating_sub(1);
                }
                continue;
            }
            Token::Start(tag) => tag,
        };
        match tag.name.as_str() {
            "label" => in_label += 1,
            "script" if tag.attr("src").is_none() => {
                found.push(format!("inline script: {}", tag.describe()));
            }
            "style" => found.push(format!("inline <style>: {}", tag.describe())),
            _ => {}
        }
        for (name, _) in &tag.attrs {
            if name == "style" {
                found.push(format!("style attribute: {}", tag.describe()));
            }
            if name.len() > 2 && name.starts_with("on") {
                found.push(format!("event handler attribute: {}", tag.describe()));
            }
        }
        let field = match tag.name.as_str() {
            "select" | "textarea" => true,
            "input" => !matches!(
                tag.attr("type").unwrap_or("text"),
                "hidden" | "submit" | "button" | "reset" | "image"
            ),
            _ => false,
        };
        let named = in_label > 0
            || tag.attr("aria-label").is_some_and(|v| !v.trim().is_empty())
            || tag.attr("aria-labelledby").is_some()
            || tag.attr("id").is_some_and(|id| labelled.contains(id));
        if field && !named {
            found.push(format!("form field without a name: {}", tag.describe()));
        }
    }
    found
}

/// A ticket of Alder's requester, with a description, that its client admin,
/// its provider engineer and the requester all see.
async fn a_ticket(app: &TestApp) -> String {
    let token = app.token(LUIS).await;
    let (s, t) = app
        .api(
            "POST",
            "/api/v1/tickets",
            Some(&token),
            Some(serde_json::json!({
                "client_id": app.org("alder"),
                "title": "Printer on the second floor jams",
                "description": "Every second page.\nSince Monday.",
                "category": "network",
                "impact": "medium",
                "urgency": "medium",
            })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    format!("/tickets/{}", t["id"].as_str().unwrap())
}

#[tokio::test]
async fn the_script_is_served_as_javascript() {
    let app = TestApp::demo().await;
    let res = app.anonymous().get("/static/tandem.js").await;
    assert_eq!(res.status(), StatusCode::OK);
    let ctype = res.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        ctype.starts_with("text/javascript"),
        "content type {ctype:?}"
    );
    assert!(res.headers().contains_key(header::CACHE_CONTROL));
    let body = text(res).await;
    assert!(body.contains("addEventListener(\"keydown\""), "{body}");
}

#[test]
fn the_checker_finds_what_it_looks_for() {
    let bad = r#"<!doctype html><script>alert(1)</script><p style="color:red" onclick="x()">
        <input name="q"><textarea name="t"></textarea><select name="s"></select>
        <style>p{}</style>"#;
    let found = offences(bad);
    assert_eq!(found.len(), 7, "{found:#?}");
    let good = r#"<!doctype html><!-- <script>x</script> --><script src="/static/tandem.js" defer></script>
        <label>Name <input name="n"></label><label for="q">Search</label><input id="q" name="q">
        <input type="hidden" name="csrf" value="x"><select aria-label="Side" name="s"></select>
        <button type="submit" data-on="1">Go</button><p title="a > b">text</p>"#;
    assert_eq!(offences(good), Vec::<String>::new());
}

#[tokio::test]
async fn no_page_has_inline_code_styles_or_unnamed_fields() {
    let app = TestApp::demo().await;
    let ticket = a_ticket(&app).await;
    let mut problems = Vec::new();

    let mut anon = app.anonymous();
    let login = text(anon.get("/login").await).await;
    for o in offences(&login) {
        problems.push(format!("/login: {o}"));
    }

    let staff_pages = [
        "/dashboard",
        "/tickets",
        "/tickets?view=all",
        "/tickets/new",
        "/account",
        "/desk",
        "/people",
        "/notifications",
        "/engagements",
        "/audit",
        "/quote",
    ];
    let requester_pages = [
        "/dashboard",
        "/tickets",
        "/tickets/new",
        "/account",
        "/notifications",
    ];
    for (who, pages) in [
        (PRIYA, &staff_pages[..]),
        (DEV, &staff_pages[..]),
        (LUIS, &requester_pages[..]),
    ] {
        let mut b = app.browser(who).await;
        for page in pages.iter().copied().chain([ticket.as_str()]) {
            let res = b.get(page).await;
            assert_eq!(res.status(), StatusCode::OK, "{who} GET {page}");
            let html = text(res).await;
            assert_eq!(
                html.matches(r#"<script src="/static/tandem.js" defer></script>"#)
                    .count(),
                1,
                "{who} GET {page}: the script is included once"
            );
            for o in offences(&html) {
                problems.push(format!("{who} GET {page}: {o}"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
