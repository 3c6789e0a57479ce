//! The utility's register files → heatdesk records.
//!
//! Utilities keep their accounts and staff in Excel sheets (saved as `.xlsx` or
//! as `.csv`, often GBK-encoded) and their stations' service areas as GeoJSON.
//! This crate turns those bytes into the store's record types. It is pure: no
//! file system, no database. Either every row is good and all records come
//! back, or the caller gets every problem found (up to [`MAX_ERRORS`]) so an
//! admin can fix the file in one go — never some records and some errors.

mod accounts;
mod staff;
mod stations;
mod table;

use store::accounts::AccountRecord;
use store::org::{RowError, StaffRecord, StationRecord};

/// At most this many row errors are reported; past that the file is hopeless
/// and a longer list helps nobody.
pub const MAX_ERRORS: usize = 1000;

/// Longest text cell taken, in characters.
pub const MAX_TEXT: usize = 100;

/// Reads the accounts register: `.csv` or `.xlsx`, chosen by the file name's
/// extension (case-insensitive); anything else is an error on row 0, column "file".
pub fn read_accounts(
    file_name: &str,
    bytes: &[u8],
    default_area_code: &str,
) -> Result<Vec<AccountRecord>, Vec<RowError>> {
    let table = table::Table::read(file_name, bytes).map_err(|e| vec![e])?;
    accounts::parse(&table, default_area_code)
}

/// Reads the staff register: `.csv` or `.xlsx`, like [`read_accounts`].
pub fn read_staff(
    file_name: &str,
    bytes: &[u8],
    default_area_code: &str,
) -> Result<Vec<StaffRecord>, Vec<RowError>> {
    let table = table::Table::read(file_name, bytes).map_err(|e| vec![e])?;
    staff::parse(&table, default_area_code)
}

/// Reads the stations and their service areas from a GeoJSON FeatureCollection.
pub fn read_stations(bytes: &[u8]) -> Result<Vec<StationRecord>, Vec<RowError>> {
    stations::parse(bytes)
}

/// Collects row errors up to [`MAX_ERRORS`].
#[derive(Debug, Default)]
struct Errors(Vec<RowError>);

impl Errors {
    fn push(&mut self, error: RowError) {
        if !self.is_full() {
            self.0.push(error);
        }
    }

    fn is_full(&self) -> bool {
        self.0.len() >= MAX_ERRORS
    }

    /// All the records, or all the errors: never both.
    fn into_result<T>(self, records: Vec<T>) -> Result<Vec<T>, Vec<RowError>> {
        if self.0.is_empty() {
            Ok(records)
        } else {
            Err(self.0)
        }
    }
}

fn row_error(row: usize, column: &str, reason: impl Into<String>) -> RowError {
    RowError {
        row,
        column: column.to_string(),
        reason: reason.into(),
    }
}

/// An error about the whole file rather than one row.
fn file_error(reason: impl Into<String>) -> RowError {
    row_error(0, "file", reason)
}

/// Cuts a value quoted back in an error message, so a garbage cell does not
/// make a garbage-sized message.
fn shown(value: &str) -> String {
    const MAX: usize = 40;
    if value.chars().count() > MAX {
        let mut cut: String = value.chars().take(MAX).collect();
        cut.push('…');
        cut
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random bytes of random lengths from a simple LCG: no panics allowed, whatever
    /// the reader.
    #[test]
    fn random_bytes_never_panic() {
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as u32
        };
        // Bytes drawn partly from characters that matter to the parsers, so the
        // CSV and JSON readers get past their first byte now and then.
        const INTERESTING: &[u8] = b",;\"\n\r{}[]:0123456789.-abc \xEF\xBB\xBF\xD5\xBE";
        for i in 0..400 {
            let len = (next() % 300) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if i % 2 == 0 {
                        INTERESTING[(r as usize) % INTERESTING.len()]
                    } else {
                        r as u8
                    }
                })
                .collect();
            let _ = read_accounts("a.csv", &bytes, "0451");
            let _ = read_accounts("a.xlsx", &bytes, "0451");
            let _ = read_staff("s.CSV", &bytes, "0451");
            let _ = read_stations(&bytes);
            let mut with_header = b"account_no,holder,phone,district,street,community,building,unit,room,area_m2,station_code,lat,lon\n".to_vec();
            with_header.extend_from_slice(&bytes);
            let _ = read_accounts("a.csv", &with_header, "0451");
            let mut json = br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"#.to_vec();
            json.extend_from_slice(&bytes);
            let _ = read_stations(&json);
        }
    }

    #[test]
    fn unknown_extension_is_a_file_error() {
        for name in ["accounts.txt", "accounts", "accounts.xls", ""] {
            let errors = read_accounts(name, b"x", "0451").unwrap_err();
            assert_eq!(errors.len(), 1, "{name}");
            assert_eq!((errors[0].row, errors[0].column.as_str()), (0, "file"));
        }
    }

    #[test]
    fn errors_are_capped() {
        let mut csv = String::from(
            "account_no,holder,phone,district,street,community,building,unit,room,area_m2,station_code,lat,lon\n",
        );
        for _ in 0..(MAX_ERRORS + 500) {
            csv.push_str(",,,,,,,,,-1,,,\n");
        }
        let errors = read_accounts("a.csv", csv.as_bytes(), "0451").unwrap_err();
        assert_eq!(errors.len(), MAX_ERRORS);
    }
}
