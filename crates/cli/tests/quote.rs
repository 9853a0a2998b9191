//! `tandem quote` as a buyer runs it: on the example file, on standard
//! input, and on a file it must refuse. No database is involved.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::process::{Command, Stdio};

fn example() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/quote-example.json")
}

fn tandem() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tandem"));
    // A database setting that could not be opened: the calculator must not try.
    c.env("TANDEM_DATABASE_URL", "postgres://nowhere.invalid/none");
    c
}

fn row<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label} row in\n{text}"))
}

#[test]
fn the_example_file_prints_the_seed_figures() {
    let out = tandem()
        .args(["quote", "--file"])
        .arg(example())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(row(&text, "Before project work").contains("USD 6,500.00 - USD 9,000.00"));
    assert!(row(&text, "A month").contains("USD 9,500.00 - USD 13,000.00"));
    assert!(row(&text, "A year").contains("USD 114,000.00 - USD 156,000.00"));
    assert!(row(&text, "Effective hourly rate").contains("USD 95.00 - USD 130.00"));
    assert!(row(&text, "A year").ends_with("USD 250,000.00 - USD 350,000.00"));
}

#[test]
fn standard_input_reads_the_same_and_bad_input_says_why() {
    let mut child = tandem()
        .args(["quote", "--file", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(std::fs::read(example()).unwrap().as_slice())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(row(&text, "Before project work").contains("USD 6,500.00 - USD 9,000.00"));

    let mut wrong: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(example()).unwrap()).unwrap();
    wrong["proposals"][0]["in_scope"][0] = "gardening".into();
    let dir = std::env::temp_dir().join(format!("tandem-quote-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("wrong.json");
    std::fs::write(&file, wrong.to_string()).unwrap();
    let out = tandem()
        .args(["quote", "--file"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("proposals.in_scope") && err.contains("gardening"),
        "{err}"
    );
}
