//! A small reader for CSV text as RFC 4180 describes it (and as
//! spreadsheets write it): fields separated by commas, records by CRLF or
//! LF, fields in double quotes may hold commas, line breaks and doubled
//! quotes. Imports read files with it; it knows nothing of what the
//! columns mean.

/// One record of a CSV text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Its position in the file, from 1: the row a spreadsheet shows it on.
    pub row: usize,
    /// Its fields, unquoted. A blank line is one empty field.
    pub fields: Vec<String>,
}

impl Record {
    /// A blank line, or a line of empty fields only.
    pub fn is_blank(&self) -> bool {
        self.fields.iter().all(|f| f.trim().is_empty())
    }
}

/// Why a text could not be read as CSV.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("row {row}: {message}")]
pub struct CsvError {
    /// The record at fault.
    pub row: usize,
    /// What is wrong.
    pub message: &'static str,
}

/// Read `text` into records. A byte-order mark at the start is skipped
/// (spreadsheets write one) and a final line break ends the last record
/// rather than starting an empty one.
pub fn records(text: &str) -> Result<Vec<Record>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    if text.is_empty() {
        return Ok(out);
    }
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    // Whether the current field began with a quote, and whether that quote
    // has been closed.
    let mut quoted = false;
    let mut closed = false;
    let mut row = 1;
    let mut at_field_start = true;
    while let Some(c) = chars.next() {
        if quoted && !closed {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    closed = true;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                quoted = true;
                closed = false;
                at_field_start = false;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                quoted = false;
                at_field_start = true;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                fields.push(std::mem::take(&mut field));
                out.push(Record {
                    row,
                    fields: std::mem::take(&mut fields),
                });
                row += 1;
                quoted = false;
                at_field_start = true;
            }
            _ if quoted => {
                return Err(CsvError {
                    row,
                    message: "text after a closing quote; double a quote inside a quoted field (\"\")",
                });
            }
            _ => {
                // A quote inside an unquoted field is kept as it is, as
                // spreadsheets read it (5" floppy).
                field.push(c);
                at_field_start = false;
            }
        }
    }
    if quoted && !closed {
        return Err(CsvError {
            row,
            message: "a quoted field is not closed",
        });
    }
    // Text after the last line break is a last record without one.
    if !at_field_start || !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        out.push(Record { row, fields });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        records(text)
            .expect("valid CSV")
            .into_iter()
            .map(|r| r.fields)
            .collect()
    }

    #[test]
    fn plain_and_quoted_fields_with_either_line_break() {
        assert_eq!(
            fields("a,b\r\n\"c, d\",\"say \"\"hi\"\"\"\nlast,\n"),
            vec![vec!["a", "b"], vec!["c, d", "say \"hi\""], vec!["last", ""]]
        );
        assert_eq!(fields("x"), vec![vec!["x"]]);
        assert_eq!(fields("x\n"), vec![vec!["x"]]);
        assert!(fields("").is_empty());
    }

    #[test]
    fn a_quoted_field_may_span_lines_and_rows_count_records() {
        let r = records("h\n\"two\nlines\"\n\nthird\n").expect("valid");
        assert_eq!(r[1].fields, vec!["two\nlines"]);
        assert_eq!(r[1].row, 2);
        assert!(r[2].is_blank());
        assert_eq!(r[3].row, 4);
        assert_eq!(r[3].fields, vec!["third"]);
    }

    #[test]
    fn a_byte_order_mark_is_skipped_and_broken_quotes_are_named() {
        assert_eq!(fields("\u{feff}name\n"), vec![vec!["name"]]);
        assert_eq!(records("a\n\"open").map_err(|e| e.row), Err(2));
        assert_eq!(records("\"x\"y,z").map_err(|e| e.row), Err(1));
        assert_eq!(fields("5\" disk,b"), vec![vec!["5\" disk", "b"]]);
    }
}
