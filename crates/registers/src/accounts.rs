//! The accounts register (热用户台账): one row per heating account.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use domain::{PaymentState, Phone};
use store::accounts::AccountRecord;
use store::org::RowError;

use crate::Errors;
use crate::table::{Fields, Table};

const REQUIRED: &[&str] = &[
    "account_no",
    "holder",
    "phone",
    "district",
    "street",
    "community",
    "building",
    "unit",
    "room",
    "area_m2",
    "station_code",
    "lat",
    "lon",
];
const OPTIONAL: &[&str] = &["payment_state"];

/// No flat or shop is bigger; a larger figure is a typo (or a unit mix-up).
const MAX_AREA_M2: f64 = 100_000.0;

/// What people put between several numbers in one phone cell.
const PHONE_SEPARATORS: [char; 6] = [';', '；', ',', '，', '/', '、'];

pub(crate) fn parse(
    table: &Table,
    default_area_code: &str,
) -> Result<Vec<AccountRecord>, Vec<RowError>> {
    let columns = table.columns(REQUIRED, OPTIONAL)?;
    let mut errors = Errors::default();
    let mut records = Vec::with_capacity(table.rows.len());
    // account_no → the row it was first seen on.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for row in &table.rows {
        if errors.is_full() {
            break;
        }
        let mut f = Fields::new(row, &columns);
        let account_no = f.required("account_no");
        if !account_no.is_empty() {
            match seen.entry(account_no.clone()) {
                Entry::Occupied(first) => f.fail(
                    "account_no",
                    format!(
                        "duplicate account_no {}, first on row {}",
                        crate::shown(&account_no),
                        first.get()
                    ),
                ),
                Entry::Vacant(slot) => {
                    slot.insert(row.number);
                }
            }
        }
        let (lat, lon) = lat_lon(&mut f);
        let record = AccountRecord {
            row: row.number,
            account_no,
            holder: f.required("holder"),
            phones: phones(&mut f, default_area_code),
            district: f.optional("district"),
            street: f.optional("street"),
            community: f.required("community"),
            building: f.required("building"),
            unit: f.optional("unit"),
            room: f.optional("room"),
            area_m2: area(&mut f),
            payment_state: payment_state(&mut f),
            station_code: f.required("station_code"),
            lat,
            lon,
        };
        if let Some(record) = f.finish(record, &mut errors) {
            records.push(record);
        }
    }
    errors.into_result(records)
}

/// Splits a cell holding any number of phones, canonical and without repeats.
/// Whitespace separates numbers only when the piece is not one number written
/// with spaces: "138 1234 5678" is one mobile, "13812345678 13912345678" two.
fn phones(f: &mut Fields, default_area_code: &str) -> Vec<String> {
    let cell = f.optional("phone");
    let mut phones: Vec<String> = Vec::new();
    let mut add = |phone: Phone| {
        if !phones.iter().any(|p| p == phone.as_str()) {
            phones.push(phone.as_str().to_string());
        }
    };
    let pieces = cell.split(PHONE_SEPARATORS).map(str::trim);
    for piece in pieces.filter(|p| !p.is_empty()) {
        match Phone::parse("phone", piece, default_area_code) {
            Ok(phone) => add(phone),
            // Not one number: perhaps several separated by spaces.
            Err(_) if piece.contains(char::is_whitespace) => {
                for word in piece.split_whitespace() {
                    match Phone::parse("phone", word, default_area_code) {
                        Ok(phone) => add(phone),
                        Err(e) => f.fail("phone", format!("{e}: {}", crate::shown(word))),
                    }
                }
            }
            Err(e) => f.fail("phone", format!("{e}: {}", crate::shown(piece))),
        }
    }
    phones
}

fn area(f: &mut Fields) -> f64 {
    let text = f.raw("area_m2");
    if text.is_empty() {
        f.fail("area_m2", "area_m2 is required");
        return 0.0;
    }
    match text.parse::<f64>() {
        Ok(area) if area.is_finite() && area > 0.0 && area <= MAX_AREA_M2 => area,
        Ok(_) => {
            f.fail(
                "area_m2",
                format!(
                    "area_m2 must be more than 0 and at most {MAX_AREA_M2} m², not {}",
                    crate::shown(text)
                ),
            );
            0.0
        }
        Err(_) => {
            f.fail(
                "area_m2",
                format!("area_m2 is not a number: {}", crate::shown(text)),
            );
            0.0
        }
    }
}

/// Empty or absent means paid: most registers only mark the exceptions.
fn payment_state(f: &mut Fields) -> PaymentState {
    let text = f.optional("payment_state");
    if text.is_empty() {
        return PaymentState::Paid;
    }
    PaymentState::parse(&text).unwrap_or_else(|e| {
        f.fail_domain("payment_state", &e);
        PaymentState::Paid
    })
}

/// Both empty (not yet geocoded) or both given and in range.
fn lat_lon(f: &mut Fields) -> (Option<f64>, Option<f64>) {
    match (f.raw("lat").is_empty(), f.raw("lon").is_empty()) {
        (true, true) => (None, None),
        (false, true) => {
            f.fail("lon", "lon is required when lat is given");
            (None, None)
        }
        (true, false) => {
            f.fail("lat", "lat is required when lon is given");
            (None, None)
        }
        (false, false) => (coordinate(f, "lat", 90.0), coordinate(f, "lon", 180.0)),
    }
}

fn coordinate(f: &mut Fields, column: &str, limit: f64) -> Option<f64> {
    let text = f.raw(column);
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && (-limit..=limit).contains(&value) => Some(value),
        Ok(_) => {
            f.fail(
                column,
                format!(
                    "{column} must be between -{limit} and {limit}, not {}",
                    crate::shown(text)
                ),
            );
            None
        }
        Err(_) => {
            f.fail(
                column,
                format!("{column} is not a number: {}", crate::shown(text)),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::read_accounts;
    use domain::PaymentState;
    use store::org::RowError;

    const HEADER: &str = "account_no,holder,phone,district,street,community,building,unit,room,area_m2,station_code,lat,lon";

    fn csv(rows: &[&str]) -> String {
        let mut text = String::from(HEADER);
        for row in rows {
            text.push('\n');
            text.push_str(row);
        }
        text.push('\n');
        text
    }

    /// (row, column) of each error, for compact assertions.
    fn at(errors: &[RowError]) -> Vec<(usize, &str)> {
        errors.iter().map(|e| (e.row, e.column.as_str())).collect()
    }

    const GOOD: &[&str] = &[
        "A001,张三,13812345678,南岗区,和兴路,阳光小区,3,2,501,85.5,S01,45.75,126.63",
        "A002,李四,,道里区,,幸福家园,12,,1201,120,S02,,",
    ];

    #[test]
    fn good_utf8_csv() {
        let records = read_accounts("accounts.csv", csv(GOOD).as_bytes(), "0451").unwrap();
        assert_eq!(records.len(), 2);
        let a = &records[0];
        assert_eq!(a.row, 2);
        assert_eq!(a.account_no, "A001");
        assert_eq!(a.holder, "张三");
        assert_eq!(a.phones, ["13812345678"]);
        assert_eq!(
            (a.district.as_str(), a.street.as_str(), a.community.as_str()),
            ("南岗区", "和兴路", "阳光小区")
        );
        assert_eq!(
            (a.building.as_str(), a.unit.as_str(), a.room.as_str()),
            ("3", "2", "501")
        );
        assert_eq!(a.area_m2, 85.5);
        assert_eq!(a.payment_state, PaymentState::Paid);
        assert_eq!(a.station_code, "S01");
        assert_eq!((a.lat, a.lon), (Some(45.75), Some(126.63)));
        let b = &records[1];
        assert_eq!(b.row, 3);
        assert!(b.phones.is_empty());
        assert_eq!((b.street.as_str(), b.unit.as_str()), ("", ""));
        assert_eq!((b.lat, b.lon), (None, None));
    }

    #[test]
    fn utf8_bom_and_header_in_any_order_and_case() {
        let text = "\u{feff} LON ,Lat,Station_Code,area_m2,room,unit,building,community,street,district,phone,holder,Account_No,remark\n\
                    126.6,45.7,S01,60,101,1,5,阳光小区,和兴路,南岗区,0451-82345678,王五,B1,whatever\n";
        let records = read_accounts("x.CSV", text.as_bytes(), "0451").unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].account_no, "B1");
        assert_eq!(records[0].phones, ["0451-82345678"]);
        assert_eq!((records[0].lat, records[0].lon), (Some(45.7), Some(126.6)));
    }

    #[test]
    fn gbk_csv_as_excel_writes_it() {
        let text = csv(GOOD);
        let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
        let records = read_accounts("accounts.csv", &bytes, "0451").unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].holder, "张三");
        assert_eq!(records[1].community, "幸福家园");
    }

    #[test]
    fn payment_state_column_is_optional() {
        let text = format!(
            "{HEADER},payment_state\n\
             A1,甲,,,,小区,1,,,50,S01,,,欠费\n\
             A2,乙,,,,小区,1,,,50,S01,,,suspended\n\
             A3,丙,,,,小区,1,,,50,S01,,,\n"
        );
        let records = read_accounts("a.csv", text.as_bytes(), "0451").unwrap();
        let states: Vec<PaymentState> = records.iter().map(|r| r.payment_state).collect();
        assert_eq!(
            states,
            [
                PaymentState::Unpaid,
                PaymentState::Suspended,
                PaymentState::Paid
            ]
        );
        let text = format!("{HEADER},payment_state\nA1,甲,,,,小区,1,,,50,S01,,,maybe\n");
        let errors = read_accounts("a.csv", text.as_bytes(), "0451").unwrap_err();
        assert_eq!(at(&errors), [(2, "payment_state")]);
    }

    #[test]
    fn xlsx_with_numeric_cells() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        for (col, name) in HEADER.split(',').enumerate() {
            sheet.write_string(0, col as u16, name).unwrap();
        }
        // account_no, phone, building, unit, room and area typed as numbers.
        sheet.write_number(1, 0, 100234.0).unwrap();
        sheet.write_string(1, 1, "赵六").unwrap();
        sheet.write_number(1, 2, 13812345678.0).unwrap();
        sheet.write_string(1, 3, "香坊区").unwrap();
        sheet.write_string(1, 5, "红旗小区").unwrap();
        sheet.write_number(1, 6, 3.0).unwrap();
        sheet.write_number(1, 7, 2.0).unwrap();
        sheet.write_number(1, 8, 501.0).unwrap();
        sheet.write_number(1, 9, 72.5).unwrap();
        sheet.write_string(1, 10, "S03").unwrap();
        sheet.write_number(1, 11, 45.7).unwrap();
        sheet.write_number(1, 12, 126.6).unwrap();
        // Row 3 left empty, row 4 holds a second account: row numbers must follow.
        sheet.write_string(3, 0, "A9").unwrap();
        sheet.write_string(3, 1, "钱七").unwrap();
        sheet.write_string(3, 5, "红旗小区").unwrap();
        sheet.write_string(3, 6, "4").unwrap();
        sheet.write_number(3, 9, 60.0).unwrap();
        sheet.write_string(3, 10, "S03").unwrap();
        let bytes = workbook.save_to_buffer().unwrap();

        let records = read_accounts("Accounts.XLSX", &bytes, "0451").unwrap();
        assert_eq!(records.len(), 2);
        let a = &records[0];
        assert_eq!(a.row, 2);
        assert_eq!(a.account_no, "100234");
        assert_eq!(a.phones, ["13812345678"]);
        assert_eq!(
            (a.building.as_str(), a.unit.as_str(), a.room.as_str()),
            ("3", "2", "501")
        );
        assert_eq!(a.area_m2, 72.5);
        assert_eq!((a.lat, a.lon), (Some(45.7), Some(126.6)));
        assert_eq!(records[1].row, 4);
        assert_eq!(records[1].area_m2, 60.0);

        let errors = read_accounts("a.xlsx", b"not a zip", "0451").unwrap_err();
        assert_eq!(at(&errors), [(0, "file")]);
    }

    #[test]
    fn missing_columns_each_reported_on_the_header_row() {
        let text = "account_no,holder,district,street,community,building,unit,room,station_code,lat,lon\nA1,x,,,c,1,,,S,,\n";
        let errors = read_accounts("a.csv", text.as_bytes(), "0451").unwrap_err();
        assert_eq!(at(&errors), [(1, "phone"), (1, "area_m2")]);
        assert!(errors.iter().all(|e| e.reason == "missing column"));
    }

    #[test]
    fn bad_rows_report_every_problem_with_row_and_column() {
        let text = csv(&[
            "A1,甲,12345abc,,,小区,1,,,50,S01,,",
            "A2,乙,,,,小区,1,,,-3,S01,,",
            "A3,丙,,,,小区,1,,,50,S01,45.7,",
            "A4,丁,,,,小区,1,,,50,S01,95,200",
            "A5,,,,,,1,,,abc,,,",
            "A6,戊,,,,小区,1,,,50,S01,,",
        ]);
        let errors = read_accounts("a.csv", text.as_bytes(), "0451").unwrap_err();
        assert_eq!(
            at(&errors),
            [
                (2, "phone"),
                (3, "area_m2"),
                (4, "lon"),
                (5, "lat"),
                (5, "lon"),
                (6, "holder"),
                (6, "community"),
                (6, "area_m2"),
                (6, "station_code"),
            ]
        );
        assert!(errors[0].reason.contains("12345abc"), "{:?}", errors[0]);
        assert_eq!(errors[5].reason, "holder is required");
    }

    #[test]
    fn overlong_text_is_refused() {
        let long = "长".repeat(crate::MAX_TEXT + 1);
        let text = csv(&[&format!("A1,{long},,,,小区,1,,,50,S01,,")]);
        let errors = read_accounts("a.csv", text.as_bytes(), "0451").unwrap_err();
        assert_eq!(at(&errors), [(2, "holder")]);
    }

    #[test]
    fn duplicate_account_no_is_an_error_on_the_second() {
        let text = csv(&[
            "A1,甲,,,,小区,1,,,50,S01,,",
            "A2,乙,,,,小区,1,,,50,S01,,",
            " A1 ,丙,,,,小区,1,,,50,S01,,",
        ]);
        let errors = read_accounts("a.csv", text.as_bytes(), "0451").unwrap_err();
        assert_eq!(at(&errors), [(4, "account_no")]);
        assert!(errors[0].reason.contains("row 2"), "{}", errors[0].reason);
    }

    #[test]
    fn several_phones_in_one_cell() {
        let text = csv(&[
            "A1,甲,\"13812345678；0451-82345678/ 82345679、139 1234 5678,13812345678\",,,小区,1,,,50,S01,,",
            "A2,乙,13812345678 13912345678,,,小区,1,,,50,S01,,",
        ]);
        let records = read_accounts("a.csv", text.as_bytes(), "0451").unwrap();
        assert_eq!(
            records[0].phones,
            [
                "13812345678",
                "0451-82345678",
                "0451-82345679",
                "13912345678"
            ]
        );
        assert_eq!(records[1].phones, ["13812345678", "13912345678"]);
    }

    #[test]
    fn blank_rows_are_skipped_but_counted() {
        let text = format!(
            "{HEADER}\n\nA1,甲,,,,小区,1,,,50,S01,,\n,,,,,,,,,,,,\n   \nA2,乙,,,,小区,1,,,x,S01,,\n\n\n,,,\n"
        );
        let errors = read_accounts("a.csv", text.as_bytes(), "0451").unwrap_err();
        assert_eq!(at(&errors), [(6, "area_m2")]);
        let text = format!("{HEADER}\nA1,甲,,,,小区,1,,,50,S01,,\n,,,,,,,,,,,,\n\n,,\n");
        let records = read_accounts("a.csv", text.as_bytes(), "0451").unwrap();
        assert_eq!(records.len(), 1);
    }

    #[test]
    fn header_only_and_empty_files() {
        let records = read_accounts("a.csv", HEADER.as_bytes(), "0451").unwrap();
        assert!(records.is_empty());
        let errors = read_accounts("a.csv", b"", "0451").unwrap_err();
        assert_eq!(at(&errors), [(0, "file")]);
    }
}
