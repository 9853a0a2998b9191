//! Shared documentation of a client: Markdown pages in folders, with tags,
//! a review date and revisions. This module holds the pure rules: what a
//! valid page is, how Markdown becomes safe HTML, how two revisions differ,
//! when a page is stale, and the templates a new page may start from.

use crate::text::{ValidationError, clean_line};
use jiff::civil::Date;

/// Largest page body accepted, in bytes (a long runbook is ~50 KB).
pub const BODY_MAX_BYTES: usize = 256 * 1024;
/// Most tags one page carries.
pub const TAGS_MAX: usize = 20;
/// Most links from one page (tickets and pages together).
pub const LINKS_MAX: usize = 100;

/// A page's fields as a person gave them, validated: the title (1-200
/// characters), a folder path of `/`-separated names (may be empty: the
/// top level), tags, the body, a review date and whether it is published
/// to the requesters' portal as a knowledge-base article.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageSpec {
    title: String,
    folder: String,
    tags: Vec<String>,
    body: String,
    review_on: Option<Date>,
    published: bool,
}

impl PageSpec {
    /// Check every field; the first one at fault is named.
    pub fn new(
        title: &str,
        folder: &str,
        tags: &[String],
        body: &str,
        review_on: Option<Date>,
        published: bool,
    ) -> Result<Self, ValidationError> {
        let title = clean_line("title", title, 200)?;
        let folder = folder_path(folder)?;
        let tags = tag_list(tags)?;
        if body.len() > BODY_MAX_BYTES {
            return Err(ValidationError::new(
                "body",
                format!("must be at most {} KiB", BODY_MAX_BYTES / 1024),
            ));
        }
        if body.contains('\0') {
            return Err(ValidationError::new(
                "body",
                "must not contain NUL characters",
            ));
        }
        Ok(Self {
            title,
            folder,
            tags,
            body: body.replace("\r\n", "\n"),
            review_on,
            published,
        })
    }

    /// The title.
    pub fn title(&self) -> &str {
        &self.title
    }
    /// The folder path (`Network/Firewalls`), empty at the top level.
    pub fn folder(&self) -> &str {
        &self.folder
    }
    /// The tags, lower case, without duplicates, in the order given.
    pub fn tags(&self) -> &[String] {
        &self.tags
    }
    /// The Markdown body with `\n` line ends.
    pub fn body(&self) -> &str {
        &self.body
    }
    /// When the page is next due for review.
    pub fn review_on(&self) -> Option<Date> {
        self.review_on
    }
    /// Whether requesters may read it in the portal.
    pub fn published(&self) -> bool {
        self.published
    }
}

/// A folder path: names separated by `/`, each trimmed, none empty; at most
/// 8 levels and 200 characters. Blank is the top level.
pub fn folder_path(raw: &str) -> Result<String, ValidationError> {
    let raw = raw.trim().trim_matches('/');
    if raw.is_empty() {
        return Ok(String::new());
    }
    let parts: Vec<&str> = raw.split('/').map(str::trim).collect();
    if parts.len() > 8 || parts.iter().any(|p| p.is_empty()) {
        return Err(ValidationError::new(
            "folder",
            "must be folder names separated by /, at most 8 levels (e.g. Network/Firewalls)",
        ));
    }
    let path = parts.join("/");
    clean_line("folder", &path, 200)
}

/// Tags as stored: lower case letters, digits and `-`, 1-40 characters
/// each, at most [`TAGS_MAX`], duplicates dropped. Spaces and commas in
/// one entry separate several tags, so a form field "vpn, firewall" works.
pub fn tag_list(raw: &[String]) -> Result<Vec<String>, ValidationError> {
    let mut out: Vec<String> = Vec::new();
    for t in raw
        .iter()
        .flat_map(|r| r.split(|c: char| c == ',' || c.is_whitespace()))
    {
        let t = t.trim().to_lowercase();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > 40
            || !t
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(ValidationError::new(
                "tags",
                format!("{t:?} is not a tag: use letters a-z, digits and -, at most 40 each"),
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > TAGS_MAX {
        return Err(ValidationError::new(
            "tags",
            format!("at most {TAGS_MAX} tags"),
        ));
    }
    Ok(out)
}

/// Tags as one stored text (space-separated) and back.
pub fn tags_text(tags: &[String]) -> String {
    tags.join(" ")
}

/// The tags of a stored text (see [`tags_text`]).
pub fn tags_of(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

/// Markdown rendered to HTML that is safe to put in a page: pulldown-cmark
/// renders (raw HTML passes through it), then ammonia keeps only harmless
/// tags and attributes, drops scripts, styles and event handlers, allows
/// only http, https and mailto links (no `javascript:` or `data:`), and
/// marks links `rel="noopener noreferrer nofollow"`.
pub fn render_markdown(body: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let mut raw = String::with_capacity(body.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(body, options));
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&raw)
        .to_string()
}

/// One line of a diff between two revisions.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct DiffLine {
    /// `same`, `added` or `removed`.
    pub op: DiffOp,
    /// The line's text, without its line end.
    pub text: String,
}

/// What happened to a line between two revisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiffOp {
    /// In both.
    Same,
    /// Only in the later one.
    Added,
    /// Only in the earlier one.
    Removed,
}

/// The line diff from `old` to `new` (the `similar` crate's Myers diff).
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    use similar::{ChangeTag, TextDiff};
    TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|c| DiffLine {
            op: match c.tag() {
                ChangeTag::Equal => DiffOp::Same,
                ChangeTag::Insert => DiffOp::Added,
                ChangeTag::Delete => DiffOp::Removed,
            },
            text: c.value().trim_end_matches(['\n', '\r']).to_owned(),
        })
        .collect()
}

/// A diff as HTML: one escaped line per element, added lines in `<ins>`,
/// removed ones in `<del>`, each with a `+`/`-`/space mark.
pub fn diff_html(lines: &[DiffLine]) -> String {
    let mut out = String::from("<pre class=\"diff\">");
    for l in lines {
        let (open, close, mark) = match l.op {
            DiffOp::Same => ("<span class=\"diff-same\">", "</span>", ' '),
            DiffOp::Added => ("<ins class=\"diff-added\">", "</ins>", '+'),
            DiffOp::Removed => ("<del class=\"diff-removed\">", "</del>", '-'),
        };
        out.push_str(open);
        out.push(mark);
        out.push(' ');
        out.push_str(&escape_html(&l.text));
        out.push_str(close);
        out.push('\n');
    }
    out.push_str("</pre>");
    out
}

/// Text escaped for HTML content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
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

/// Whether a page with review date `review_on` is stale on `today` (the
/// client's date): its review date has passed. A page without one never is.
pub fn is_stale(review_on: Option<Date>, today: Date) -> bool {
    review_on.is_some_and(|r| r < today)
}

/// A template a new page may start from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct PageTemplate {
    /// Stable key, e.g. `runbook`.
    pub key: &'static str,
    /// Its name in words.
    pub name: &'static str,
    /// The folder a page made from it goes in by default.
    pub folder: &'static str,
    /// Tags a page made from it starts with.
    pub tags: &'static str,
    /// The Markdown a page made from it starts with.
    pub body: &'static str,
}

/// Our templates: runbook, network overview, onboarding and offboarding
/// checklists, and a vendor contact sheet.
pub const TEMPLATES: [PageTemplate; 5] = [
    PageTemplate {
        key: "runbook",
        name: "Runbook",
        folder: "Runbooks",
        tags: "runbook",
        body: include_str!("document_templates/runbook.md"),
    },
    PageTemplate {
        key: "network-overview",
        name: "Network overview",
        folder: "Network",
        tags: "network",
        body: include_str!("document_templates/network_overview.md"),
    },
    PageTemplate {
        key: "onboarding",
        name: "Onboarding checklist",
        folder: "People",
        tags: "onboarding checklist",
        body: include_str!("document_templates/onboarding.md"),
    },
    PageTemplate {
        key: "offboarding",
        name: "Offboarding checklist",
        folder: "People",
        tags: "offboarding checklist",
        body: include_str!("document_templates/offboarding.md"),
    },
    PageTemplate {
        key: "vendor-contacts",
        name: "Vendor contact sheet",
        folder: "Vendors",
        tags: "vendors contacts",
        body: include_str!("document_templates/vendor_contacts.md"),
    },
];

/// The template with `key`.
pub fn template(key: &str) -> Option<&'static PageTemplate> {
    TEMPLATES.iter().find(|t| t.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(md: &str) -> String {
        render_markdown(md).to_lowercase()
    }

    #[test]
    fn markdown_renders_and_nothing_executable_survives() {
        let out = rendered("# Title\n\n*em* [ok](https://example.com)");
        assert!(out.contains("<h1>title</h1>"), "{out}");
        assert!(out.contains("<em>em</em>"));
        assert!(out.contains("href=\"https://example.com\""));
        for (md, bad) in [
            ("<script>alert(1)</script>", "<script"),
            ("<img src=x onerror=alert(1)>", "onerror"),
            ("[x](javascript:alert(1))", "javascript:"),
            ("[x](JaVaScRiPt:alert(1))", "javascript:"),
            ("<div onclick=\"alert(1)\">raw</div>", "onclick"),
            ("![x](data:image/svg+xml;base64,PHN2Zz4=)", "data:"),
            ("<a href=\"data:text/html,<script>\">d</a>", "data:"),
            ("<iframe src=\"https://evil.example\"></iframe>", "<iframe"),
            ("<style>body{}</style>", "<style"),
            (
                "[x](https://e.example \"t\\\" onmouseover=\\\"alert(1)\")",
                "onmouseover=\"",
            ),
        ] {
            let out = rendered(md);
            assert!(!out.contains(bad), "{md:?} rendered {out:?}");
        }
    }

    #[test]
    fn a_diff_marks_added_and_removed_lines_and_escapes_them() {
        let d = diff_lines("a\nb\nc\n", "a\n<b>\nc\nd\n");
        let ops: Vec<_> = d.iter().map(|l| (l.op, l.text.as_str())).collect();
        assert_eq!(
            ops,
            vec![
                (DiffOp::Same, "a"),
                (DiffOp::Removed, "b"),
                (DiffOp::Added, "<b>"),
                (DiffOp::Same, "c"),
                (DiffOp::Added, "d"),
            ]
        );
        let html = diff_html(&d);
        assert!(html.contains("<ins class=\"diff-added\">+ &lt;b&gt;</ins>"));
        assert!(html.contains("<del class=\"diff-removed\">- b</del>"));
        assert!(!html.contains("<b>"));
    }

    #[test]
    fn pages_are_validated_and_tags_normalized() {
        let p = PageSpec::new(
            " VPN ",
            "/Network/ Firewalls /",
            &["VPN, firewall".into(), "vpn".into()],
            "x\r\ny",
            None,
            false,
        )
        .expect("valid");
        assert_eq!(p.title(), "VPN");
        assert_eq!(p.folder(), "Network/Firewalls");
        assert_eq!(p.tags(), ["vpn", "firewall"]);
        assert_eq!(p.body(), "x\ny");
        assert_eq!(
            PageSpec::new("", "", &[], "", None, false)
                .map_err(|e| e.field)
                .err(),
            Some("title")
        );
        assert_eq!(
            PageSpec::new("t", "a//b", &[], "", None, false)
                .map_err(|e| e.field)
                .err(),
            Some("folder")
        );
        assert_eq!(
            PageSpec::new("t", "", &["no_way".into()], "", None, false)
                .map_err(|e| e.field)
                .err(),
            Some("tags")
        );
    }

    #[test]
    fn a_page_is_stale_the_day_after_its_review_date() {
        let d = |s: &str| s.parse::<Date>().expect("date");
        assert!(!is_stale(Some(d("2026-03-10")), d("2026-03-10")));
        assert!(is_stale(Some(d("2026-03-10")), d("2026-03-11")));
        assert!(!is_stale(None, d("2026-03-11")));
    }

    #[test]
    fn every_template_renders_and_has_a_unique_key() {
        for t in &TEMPLATES {
            assert!(template(t.key).is_some_and(|f| f.name == t.name));
            assert!(render_markdown(t.body).contains("<h"), "{}", t.key);
            assert!(tag_list(&[t.tags.to_owned()]).is_ok());
        }
    }
}
