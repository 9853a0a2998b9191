//! `tandem quote`: the proposal calculator on the command line. Reads a
//! comparison (the JSON of `POST /api/v1/quote`, see
//! `docs/quote-example.json`) and prints a plain-text table. Needs no
//! database and no settings.

use anyhow::{Context, bail};
use std::io::Read;
use std::path::Path;
use tandem_domain::quote::{Comparison, QuoteRequest};

/// Read the file (`-` for standard input), compare, print.
pub fn run(file: &Path) -> anyhow::Result<()> {
    let text = if file == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read standard input")?;
        s
    } else {
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?
    };
    let request: QuoteRequest = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a comparison", file.display()))?;
    match request.compare() {
        Ok(c) => {
            print!("{}", render(&request, &c));
            Ok(())
        }
        Err(e) => bail!("{}: {}", e.field, e.message),
    }
}

/// The comparison as a table: one column per proposal and one for doing
/// it in-house, one row per figure, each figure low - high.
pub fn render(request: &QuoteRequest, c: &Comparison) -> String {
    let p = &request.profile;
    let mut out = format!(
        "Proposals for {} users, {} workstations, {} servers, {} network devices:\n{} h of work a month, {} h of it project work.\n\n",
        p.users, p.workstations, p.servers, p.network_devices, c.hours, c.project_hours,
    );
    let t = c.table();
    let mut rows = vec![
        std::iter::once(String::new())
            .chain(t.columns)
            .collect::<Vec<_>>(),
    ];
    rows.extend(
        t.rows
            .into_iter()
            .map(|(label, cells)| std::iter::once(label.to_owned()).chain(cells).collect()),
    );
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out.push('\n');
    for n in t.notes {
        out.push_str(&n);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_seed_case_reads_as_a_table() {
        let r = tandem_domain::quote::seed();
        let text = render(&r, &r.compare().unwrap());
        let line = |label: &str| {
            text.lines()
                .find(|l| l.starts_with(label))
                .unwrap_or_else(|| panic!("no {label} row in\n{text}"))
                .to_owned()
        };
        assert!(text.starts_with("Proposals for 100 users, 110 workstations"));
        assert!(
            line("Before project work").contains("USD 6,500.00 - USD 9,000.00"),
            "{text}"
        );
        assert!(line("A year").contains("USD 114,000.00 - USD 156,000.00"));
        assert!(line("A year").ends_with("USD 250,000.00 - USD 350,000.00"));
        assert!(line("Effective hourly rate").contains("USD 95.00 - USD 130.00"));
        assert!(line("Exclusion exposure").contains("USD 5,400.00 - USD 6,000.00"));
        assert!(text.contains(
            "Retainer: out of scope: Security operations, Strategic planning, Compliance, Projects."
        ));
    }
}
