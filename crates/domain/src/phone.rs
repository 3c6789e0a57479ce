//! Chinese phone numbers, normalised once at the boundary.
//!
//! Canonical forms: mobile `13812345678`; landline `0451-82345678` (area code
//! with its leading zero, a dash, the local number); service numbers such as
//! `12345` or `95598` as they are. A local landline without area code gets the
//! configured default area code — never a hard-coded one.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    /// Parses what a person typed or pasted: spaces, dashes, brackets, `+86`,
    /// `0086`, full-width digits are all accepted. `default_area_code` is like
    /// `0451` (with or without the leading zero).
    pub fn parse(field: &str, text: &str, default_area_code: &str) -> Result<Phone, DomainError> {
        let mut digits = String::with_capacity(text.len());
        for c in text.trim().chars() {
            let c = fullwidth_to_ascii(c);
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '(' | ')' | '.' | '+' | '\u{3000}' => {}
                _ => {
                    return Err(DomainError::invalid(
                        field,
                        "a phone number holds only digits",
                    ));
                }
            }
        }
        if digits.is_empty() {
            return Err(DomainError::required(field));
        }
        let national = strip_country_code(&digits);
        let national = national.as_str();
        if let Some(phone) = mobile(national) {
            return Ok(phone);
        }
        if national.starts_with('0') {
            return landline(field, national);
        }
        if (7..=8).contains(&national.len()) && !national.starts_with('1') {
            let area = default_area_code.trim().trim_start_matches('0');
            if area.is_empty() || !area.chars().all(|c| c.is_ascii_digit()) {
                return Err(DomainError::invalid(
                    field,
                    "no default area code is configured",
                ));
            }
            return Ok(Phone(format!("0{area}-{national}")));
        }
        if (5..=6).contains(&national.len())
            && (national.starts_with('1') || national.starts_with('9'))
        {
            // 12345, 96069, 95598: hotline and service numbers.
            return Ok(Phone(national.to_string()));
        }
        Err(DomainError::invalid(
            field,
            "not a Chinese mobile (11 digits) or landline number",
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_mobile(&self) -> bool {
        self.0.len() == 11 && self.0.starts_with('1')
    }

    /// Rebuilds a phone from its stored canonical form.
    pub fn from_canonical(s: String) -> Phone {
        Phone(s)
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn fullwidth_to_ascii(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        '－' | '—' => '-',
        '（' => '(',
        '）' => ')',
        '＋' => '+',
        _ => c,
    }
}

/// Drops a `+86`/`0086` prefix. After the country code a landline loses its
/// trunk zero (`+86 10 6512 3456`), which is put back.
fn strip_country_code(digits: &str) -> String {
    for prefix in ["0086", "86"] {
        if let Some(rest) = digits.strip_prefix(prefix) {
            if rest.len() == 11 && rest.starts_with('1') {
                return rest.to_string();
            }
            if (9..=11).contains(&rest.len()) && !rest.starts_with('0') {
                return format!("0{rest}");
            }
        }
    }
    digits.to_string()
}

fn mobile(national: &str) -> Option<Phone> {
    let b = national.as_bytes();
    (b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]))
        .then(|| Phone(national.to_string()))
}

fn landline(field: &str, national: &str) -> Result<Phone, DomainError> {
    // Beijing (010) and the 02x cities have three-digit area codes with the zero,
    // every other city four.
    let national = if national.starts_with('0') {
        national
    } else {
        return Err(DomainError::invalid(field, "bad area code"));
    };
    let area_len = if national.starts_with("01") || national.starts_with("02") {
        3
    } else {
        4
    };
    if national.len() <= area_len {
        return Err(DomainError::invalid(
            field,
            "the local number is missing after the area code",
        ));
    }
    let (area, local) = national.split_at(area_len);
    if !(7..=8).contains(&local.len()) || local.starts_with('0') || local.starts_with('1') {
        return Err(DomainError::invalid(
            field,
            "a landline has 7 or 8 digits after the area code",
        ));
    }
    Ok(Phone(format!("{area}-{local}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<String, DomainError> {
        Phone::parse("phone", s, "0451").map(|p| p.0)
    }

    #[test]
    fn mobiles_in_every_shape() {
        for s in [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+86 138 1234 5678",
            "008613812345678",
            "8613812345678",
            "１３８１２３４５６７８",
        ] {
            assert_eq!(p(s).unwrap(), "13812345678", "{s}");
        }
    }

    #[test]
    fn landlines_with_and_without_area_code() {
        assert_eq!(p("0451-82345678").unwrap(), "0451-82345678");
        assert_eq!(p("(0451)82345678").unwrap(), "0451-82345678");
        assert_eq!(p("82345678").unwrap(), "0451-82345678");
        assert_eq!(p("010 6512 3456").unwrap(), "010-65123456");
        assert_eq!(p("+86 10 6512 3456").unwrap(), "010-65123456");
        assert_eq!(
            Phone::parse("phone", "2345678", "24").unwrap().0,
            "024-2345678"
        );
    }

    #[test]
    fn service_numbers_kept() {
        assert_eq!(p("12345").unwrap(), "12345");
        assert_eq!(p("95598").unwrap(), "95598");
    }

    #[test]
    fn absurd_numbers_refused_with_the_field() {
        for s in [
            "",
            "abc",
            "1234",
            "12812345678",
            "138123456789",
            "0451-123",
            "999999999999999",
        ] {
            let err = p(s).unwrap_err();
            assert_eq!(err.field(), Some("phone"), "{s}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = p(&s);
        }

        #[test]
        fn canonical_form_is_a_fixed_point(s in "(\\+86 )?1[3-9][0-9]{9}|0[1-9][0-9]{1,2}-[2-8][0-9]{6,7}") {
            if let Ok(first) = p(&s) {
                proptest::prop_assert_eq!(p(&first).unwrap(), first);
            }
        }
    }
}
