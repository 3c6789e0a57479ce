//! CSV and XLSX files → one plain table of text cells, with row numbers as
//! Excel shows them, so the account and staff readers need not care which
//! format the admin saved.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use domain::DomainError;
use domain::error::{optional_text, required_text};
use store::org::RowError;

use crate::{Errors, MAX_TEXT, file_error, row_error};

/// One non-blank row of the file.
#[derive(Debug)]
pub(crate) struct TableRow {
    /// Row number as Excel shows it (the header is usually row 1).
    pub number: usize,
    pub cells: Vec<String>,
}

impl TableRow {
    fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }
}

#[derive(Debug)]
pub(crate) struct Table {
    header: TableRow,
    /// The data rows, blank rows left out.
    pub rows: Vec<TableRow>,
}

impl Table {
    /// Reads a `.csv` or `.xlsx` file, chosen by the file name's extension.
    pub fn read(file_name: &str, bytes: &[u8]) -> Result<Table, RowError> {
        let extension = std::path::Path::new(file_name)
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let rows = match extension.as_deref() {
            Some("csv") => csv_rows(bytes)?,
            Some("xlsx") => xlsx_rows(bytes)?,
            _ => {
                return Err(file_error(format!(
                    "{} is not a .csv or .xlsx file",
                    crate::shown(file_name)
                )));
            }
        };
        let mut rows = rows.into_iter().filter(|r| !r.is_blank());
        let header = rows
            .next()
            .ok_or_else(|| file_error("the file is empty: no header row"))?;
        Ok(Table {
            header,
            rows: rows.collect(),
        })
    }

    /// Finds the named columns in the header: trimmed, case-insensitive, a BOM
    /// ignored, in any order, extra columns ignored. Every missing required
    /// column is reported on the header row.
    pub fn columns(
        &self,
        required: &[&'static str],
        optional: &[&'static str],
    ) -> Result<Columns, Vec<RowError>> {
        let mut found = HashMap::new();
        for (i, name) in self.header.cells.iter().enumerate() {
            let name = name.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
            if let Some(known) = required
                .iter()
                .chain(optional)
                .find(|known| known.eq_ignore_ascii_case(name))
            {
                // The first of two same-named columns wins.
                found.entry(*known).or_insert(i);
            }
        }
        let missing: Vec<RowError> = required
            .iter()
            .filter(|name| !found.contains_key(*name))
            .map(|name| row_error(self.header.number, name, "missing column"))
            .collect();
        if missing.is_empty() {
            Ok(Columns(found))
        } else {
            Err(missing)
        }
    }
}

/// Where each known column is in the file.
#[derive(Debug)]
pub(crate) struct Columns(HashMap<&'static str, usize>);

/// Reads one row's cells, collecting every problem in the row rather than
/// stopping at the first, so one pass over the file reports them all.
pub(crate) struct Fields<'a> {
    pub row: usize,
    cells: &'a [String],
    columns: &'a Columns,
    errors: Vec<RowError>,
}

impl<'a> Fields<'a> {
    pub fn new(row: &'a TableRow, columns: &'a Columns) -> Fields<'a> {
        Fields {
            row: row.number,
            cells: &row.cells,
            columns,
            errors: Vec::new(),
        }
    }

    /// The cell as written; "" when the column is absent or the row short.
    pub fn raw(&self, column: &str) -> &'a str {
        let cells = self.cells;
        self.columns
            .0
            .get(column)
            .and_then(|&i| cells.get(i))
            .map_or("", |c| c.trim())
    }

    pub fn fail(&mut self, column: &str, reason: impl Into<String>) {
        self.errors.push(row_error(self.row, column, reason));
    }

    pub fn fail_domain(&mut self, column: &str, error: &DomainError) {
        let column = error.field().unwrap_or(column).to_string();
        self.fail(&column, error.to_string());
    }

    /// Non-empty text of at most [`MAX_TEXT`] characters; "" after an error.
    pub fn required(&mut self, column: &str) -> String {
        required_text(column, self.raw(column), MAX_TEXT).unwrap_or_else(|e| {
            self.fail_domain(column, &e);
            String::new()
        })
    }

    /// Text of at most [`MAX_TEXT`] characters, possibly empty.
    pub fn optional(&mut self, column: &str) -> String {
        optional_text(column, self.raw(column), MAX_TEXT).unwrap_or_else(|e| {
            self.fail_domain(column, &e);
            String::new()
        })
    }

    /// The record when the row had no problem; otherwise its errors go to `errors`.
    pub fn finish<T>(self, record: T, errors: &mut Errors) -> Option<T> {
        if self.errors.is_empty() {
            Some(record)
        } else {
            self.errors.into_iter().for_each(|e| errors.push(e));
            None
        }
    }
}

/// Decodes the text: UTF-8 (with or without BOM) when the bytes are valid
/// UTF-8, otherwise GB18030 (a superset of the GBK Excel writes on Chinese
/// Windows). Asking the admin which encoding they used would only confuse.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, RowError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(text));
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .ok_or_else(|| file_error("not UTF-8 or GBK text"))
}

fn csv_rows(bytes: &[u8]) -> Result<Vec<TableRow>, RowError> {
    let text = decode(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut number = 0;
    for record in reader.records() {
        let record = record.map_err(|e| file_error(format!("unreadable CSV: {e}")))?;
        // Excel shows a blank line as an empty row, and a quoted cell with line
        // breaks in one row; the reader's own line count does neither.
        number += 1 + record
            .position()
            .map_or(0, |p| blank_lines_at(&text, p.byte() as usize));
        rows.push(TableRow {
            number,
            cells: record.iter().map(str::to_string).collect(),
        });
    }
    Ok(rows)
}

/// Counts the blank lines the CSV reader skipped before the record it says
/// starts at byte `start` (it reports the end of the previous record, which may
/// be between the `\r` and `\n` of a CRLF).
fn blank_lines_at(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = start;
    let after_cr = start
        .checked_sub(1)
        .and_then(|j| bytes.get(j))
        .is_some_and(|&b| b == b'\r');
    if after_cr && bytes.get(i) == Some(&b'\n') {
        i += 1;
    }
    let mut breaks = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => i += 1,
            b'\r' | b'\n' => {}
            _ => break,
        }
        breaks += 1;
        i += 1;
    }
    breaks
}

fn xlsx_rows(bytes: &[u8]) -> Result<Vec<TableRow>, RowError> {
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| file_error(format!("not a readable .xlsx file: {e}")))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| file_error("the workbook has no worksheet"))?
        .map_err(|e| file_error(format!("cannot read the first worksheet: {e}")))?;
    // The range starts at the first used cell, not necessarily A1.
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, cells)| TableRow {
            number: first_row + i + 1,
            cells: cells.iter().map(cell_text).collect(),
        })
        .collect())
}

/// A cell as the text the admin sees: numbers typed into cells (account
/// numbers, phones, building "3") must not grow a ".0".
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // Integral floats below 2^53 are exact as integers.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_text_drops_zero_fractions() {
        assert_eq!(cell_text(&Data::Float(3.0)), "3");
        assert_eq!(cell_text(&Data::Float(13812345678.0)), "13812345678");
        assert_eq!(cell_text(&Data::Float(85.5)), "85.5");
        assert_eq!(cell_text(&Data::Float(-2.0)), "-2");
        assert_eq!(cell_text(&Data::Int(42)), "42");
        assert_eq!(cell_text(&Data::Empty), "");
    }

    #[test]
    fn csv_row_numbers_follow_excel() {
        let numbers = |text: &str| -> Vec<usize> {
            csv_rows(text.as_bytes())
                .unwrap()
                .iter()
                .map(|r| r.number)
                .collect()
        };
        // Blank line 2 is skipped by the reader but still counts; the quoted
        // cell's line break does not.
        assert_eq!(numbers("a,b\n\n1,\"two\nlines\"\n3,4\n"), [1, 3, 4]);
        assert_eq!(numbers("\n\nh\nA\n \n\n\nB"), [3, 4, 5, 8]);
        assert_eq!(numbers("h\r\n\r\nA\r\nB\r\n\r\n\r\nC\r\n"), [1, 3, 4, 7]);
        assert_eq!(numbers("h\rA\r\rB"), [1, 2, 4]);
    }

    #[test]
    fn undecodable_bytes_are_a_file_error() {
        let error = decode(b"\xff\xff\xff").unwrap_err();
        assert_eq!((error.row, error.column.as_str()), (0, "file"));
        assert_eq!(error.reason, "not UTF-8 or GBK text");
    }
}
