//! The staff register: who holds which position, and their phone (the key:
//! notifications go to phones, so one person, one phone).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use domain::{DomainError, Phone, Position};
use store::org::{RowError, StaffRecord};

use crate::Errors;
use crate::table::{Fields, Table};

const REQUIRED: &[&str] = &["name", "phone", "position"];
/// Company-wide people (general manager, chairman) belong to no branch or station,
/// so a company-level list may leave these columns out.
const OPTIONAL: &[&str] = &["branch", "station_code", "email"];

pub(crate) fn parse(
    table: &Table,
    default_area_code: &str,
) -> Result<Vec<StaffRecord>, Vec<RowError>> {
    let columns = table.columns(REQUIRED, OPTIONAL)?;
    let mut errors = Errors::default();
    let mut records = Vec::with_capacity(table.rows.len());
    // canonical phone → the row it was first seen on.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for row in &table.rows {
        if errors.is_full() {
            break;
        }
        let mut f = Fields::new(row, &columns);
        let name = f.required("name");
        let phone = phone(&mut f, default_area_code, &mut seen);
        let position = position(&mut f);
        let branch = f.optional("branch");
        let station_code = f.optional("station_code");
        let email = email(&mut f);
        // Without a phone or position the failure is already recorded in `f`.
        let record = match (phone, position) {
            (Some(phone), Some(position)) => Some(StaffRecord {
                row: row.number,
                name,
                phone,
                position,
                branch: (!branch.is_empty()).then_some(branch),
                station_code: (!station_code.is_empty()).then_some(station_code),
                email,
            }),
            _ => None,
        };
        if let Some(record) = f.finish(record, &mut errors).flatten() {
            records.push(record);
        }
    }
    errors.into_result(records)
}

fn phone(
    f: &mut Fields,
    default_area_code: &str,
    seen: &mut HashMap<String, usize>,
) -> Option<String> {
    let phone = Phone::parse("phone", f.raw("phone"), default_area_code)
        .map_err(|e| f.fail_domain("phone", &e))
        .ok()?;
    let phone = phone.as_str().to_string();
    match seen.entry(phone.clone()) {
        Entry::Occupied(first) => {
            f.fail(
                "phone",
                format!("duplicate phone {phone}, first on row {}", first.get()),
            );
            None
        }
        Entry::Vacant(slot) => {
            slot.insert(f.row);
            Some(phone)
        }
    }
}

/// Optional; when given it must look like an address (the SMTP server judges the rest).
fn email(f: &mut Fields) -> Option<String> {
    let text = f.optional("email");
    if text.is_empty() {
        return None;
    }
    let plausible = text.split_once('@').is_some_and(|(user, host)| {
        !user.is_empty() && host.contains('.') && !text.chars().any(char::is_whitespace)
    });
    if !plausible {
        f.fail("email", format!("{text:?} is not an e-mail address"));
        return None;
    }
    Some(text)
}

fn position(f: &mut Fields) -> Option<Position> {
    let text = f.raw("position");
    let parsed = if text.is_empty() {
        Err(DomainError::required("position"))
    } else {
        Position::parse(text)
    };
    parsed.map_err(|e| f.fail_domain("position", &e)).ok()
}

#[cfg(test)]
mod tests {
    use crate::read_staff;
    use domain::Position;
    use store::org::RowError;

    fn at(errors: &[RowError]) -> Vec<(usize, &str)> {
        errors.iter().map(|e| (e.row, e.column.as_str())).collect()
    }

    #[test]
    fn email_column_is_optional_and_checked() {
        let text = "name,phone,position,email\n\
                    李总,13800000001,总经理,li@example.com\n\
                    王总,13800000002,董事长,\n\
                    赵工,13800000003,repairer,not an address\n";
        let errors = read_staff("staff.csv", text.as_bytes(), "0451").unwrap_err();
        assert_eq!(at(&errors), vec![(4, "email")]);
        let ok = "name,phone,position,email\n李总,13800000001,总经理,li@example.com\n";
        let records = read_staff("staff.csv", ok.as_bytes(), "0451").unwrap();
        assert_eq!(records[0].email.as_deref(), Some("li@example.com"));
    }

    #[test]
    fn good_csv() {
        let text = "name,phone,position,branch,station_code\n\
                    王站长,138 1234 5678,站长,南岗分公司,S01\n\
                    李总,82345678,总经理,,\n\
                    张工,+86 139-1234-5678,repairer,,S01\n";
        let records = read_staff("staff.csv", text.as_bytes(), "0451").unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].row, 2);
        assert_eq!(records[0].phone, "13812345678");
        assert_eq!(records[0].position, Position::StationDirector);
        assert_eq!(records[0].branch.as_deref(), Some("南岗分公司"));
        assert_eq!(records[0].station_code.as_deref(), Some("S01"));
        assert_eq!(records[1].phone, "0451-82345678");
        assert_eq!(records[1].position, Position::GeneralManager);
        assert_eq!(
            (records[1].branch.clone(), records[1].station_code.clone()),
            (None, None)
        );
        assert_eq!(records[2].phone, "13912345678");
        assert_eq!(records[2].position, Position::Repairer);
    }

    #[test]
    fn gbk_csv() {
        let text = "name,phone,position,branch,station_code\n刘维修,13812345678,维修工,,S02\n";
        let (bytes, _, _) = encoding_rs::GBK.encode(text);
        let records = read_staff("staff.csv", &bytes, "0451").unwrap();
        assert_eq!(records[0].name, "刘维修");
        assert_eq!(records[0].position, Position::Repairer);
    }

    #[test]
    fn xlsx_with_a_numeric_phone() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        for (col, name) in ["name", "phone", "position", "branch", "station_code"]
            .iter()
            .enumerate()
        {
            sheet.write_string(0, col as u16, *name).unwrap();
        }
        sheet.write_string(1, 0, "周站长").unwrap();
        sheet.write_number(1, 1, 13812345678.0).unwrap();
        sheet.write_string(1, 2, "站长").unwrap();
        sheet.write_number(1, 4, 101.0).unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        let records = read_staff("staff.xlsx", &bytes, "0451").unwrap();
        assert_eq!(records[0].phone, "13812345678");
        assert_eq!(records[0].station_code.as_deref(), Some("101"));
        assert_eq!(records[0].branch, None);
    }

    #[test]
    fn bad_rows_and_duplicate_phones() {
        let text = "name,phone,position,branch,station_code\n\
                    甲,13812345678,站长,,\n\
                    乙,1234,站长,,\n\
                    丙,13912345678,厨师,,\n\
                    丁,138-1234-5678,维修工,,\n\
                    ,,,,\n\
                    ,13712345678,,,\n";
        let errors = read_staff("staff.csv", text.as_bytes(), "0451").unwrap_err();
        assert_eq!(
            at(&errors),
            [
                (3, "phone"),
                (4, "position"),
                (5, "phone"),
                (7, "name"),
                (7, "position")
            ]
        );
        assert!(errors[2].reason.contains("row 2"), "{}", errors[2].reason);
    }

    #[test]
    fn missing_column() {
        let text = "name,phone,branch\n甲,13812345678,x\n";
        let errors = read_staff("staff.csv", text.as_bytes(), "0451").unwrap_err();
        assert_eq!(at(&errors), [(1, "position")]);
        // branch and station_code may be left out altogether.
        let text = "Name,Phone,Position\n李总,13812345678,总经理\n";
        let records = read_staff("staff.csv", text.as_bytes(), "0451").unwrap();
        assert_eq!(
            (records[0].branch.clone(), records[0].station_code.clone()),
            (None, None)
        );
    }
}
