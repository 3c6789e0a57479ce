//! Canonical text → the parts of an address.
//!
//! The grammar is deliberately small: numbers come out of the canonical
//! `N栋N单元N室` form that `normalise` writes, and the words before them are
//! split into district (…区/县), street (…街/路/道) and community by their
//! last character. The resolver does not rely on that split for names — it
//! looks the register's own names up in the text — so a wrong guess here
//! costs nothing there.

use serde::Serialize;

use crate::names::is_suffix;
use crate::normalise::normalise;

/// An address as the caller said it, every part optional, every part in
/// canonical form (see [`normalise`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ParsedAddress {
    pub district: Option<String>,
    pub street: Option<String>,
    pub community: Option<String>,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: Option<String>,
}

/// Normalises `text` and splits it into parts.
pub fn parse(text: &str) -> ParsedAddress {
    let canonical = normalise(text);
    let (name, numbers) = split_numbers(&canonical);
    let (district, rest) = split_district(name);
    let (street, community) = split_street(rest);
    ParsedAddress {
        district: non_empty(district),
        street: non_empty(street),
        community: non_empty(community),
        building: numbers.building,
        unit: numbers.unit,
        room: numbers.room,
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Numbers {
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: Option<String>,
}

impl Numbers {
    pub fn is_empty(&self) -> bool {
        self.building.is_none() && self.unit.is_none() && self.room.is_none()
    }
}

/// Splits canonical text into the words before the first address number
/// and the numbers themselves.
pub(crate) fn split_numbers(canonical: &str) -> (&str, Numbers) {
    let mut numbers = Numbers::default();
    let mut name_end = canonical.len();
    let mut rest = canonical;
    let mut offset = 0;
    while let Some((start, number, level_word, after)) = next_number(rest) {
        let slot = match level_word {
            "栋" => &mut numbers.building,
            "单元" => &mut numbers.unit,
            _ => &mut numbers.room,
        };
        if slot.is_none() {
            *slot = Some(number.to_string());
        }
        name_end = name_end.min(offset + start);
        offset += after;
        rest = &canonical[offset..];
    }
    if numbers.is_empty() {
        // A bare trailing number ("幸福小区501"): a room if long, else a building.
        let digits_from = canonical
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_digit())
            .last()
            .map(|(i, _)| i);
        if let Some(from) = digits_from.filter(|&i| i > 0) {
            let number = &canonical[from..];
            let digits = number.len();
            if (3..=5).contains(&digits) {
                numbers.room = Some(number.to_string());
                name_end = from;
            } else if digits <= 2 {
                numbers.building = Some(number.to_string());
                name_end = from;
            }
        }
    }
    (&canonical[..name_end], numbers)
}

/// Finds the next `N栋` / `N单元` / `N室` in `text`: (start of the number, the
/// number, the level word, end of the word).
fn next_number(text: &str) -> Option<(usize, &str, &'static str, usize)> {
    let mut search_from = 0;
    while let Some(pos) = text[search_from..].find(['栋', '单', '室']) {
        let word_at = search_from + pos;
        let word = ["栋", "单元", "室"]
            .into_iter()
            .find(|w| text[word_at..].starts_with(w));
        let number_start = text[..word_at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric())
            .last()
            .map(|(i, _)| i);
        match (word, number_start) {
            (Some(word), Some(start)) => {
                return Some((start, &text[start..word_at], word, word_at + word.len()));
            }
            _ => search_from = word_at + text[word_at..].chars().next().map_or(1, char::len_utf8),
        }
    }
    None
}

/// District: the leading words up to a 区 or 县 that is not part of 小区/社区.
fn split_district(name: &str) -> (&str, &str) {
    for (i, c) in name.char_indices().take(6) {
        if i == 0 || !matches!(c, '区' | '县') {
            continue;
        }
        let before = name[..i].chars().last();
        if matches!(before, Some('小' | '社' | '园' | '校' | '营')) {
            return ("", name);
        }
        let end = i + c.len_utf8();
        return (&name[..end], &name[end..]);
    }
    ("", name)
}

/// Street: words up to a 街/路/道/巷, when what follows is a community name
/// and not just a suffix ("铁路小区" is a community, not 铁路 + 小区).
fn split_street(name: &str) -> (&str, &str) {
    for (i, c) in name.char_indices() {
        if i == 0 || !matches!(c, '街' | '路' | '道' | '巷') {
            continue;
        }
        let mut end = i + c.len_utf8();
        // 大街, 街道, 大道 …: take the longer word.
        if name[end..].starts_with('道') || name[end..].starts_with('口') {
            end += '道'.len_utf8();
        }
        let rest = &name[end..];
        if rest.chars().count() >= 2 && !is_suffix(rest) {
            return (&name[..end], rest);
        }
    }
    ("", name)
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> [Option<String>; 6] {
        let p = parse(text);
        [
            p.district,
            p.street,
            p.community,
            p.building,
            p.unit,
            p.room,
        ]
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn full_address() {
        assert_eq!(
            parts("南岗区光华街幸福小区3栋2单元501室"),
            [
                some("南岗区"),
                some("光华街"),
                some("幸福小区"),
                some("3"),
                some("2"),
                some("501")
            ]
        );
    }

    #[test]
    fn caller_phrasings() {
        for text in [
            "我家在幸福小区三栋二单元五零一",
            "幸福小区3号楼2门501室",
            "幸福小区3-2-501",
            "幸福小区 3栋2-501 暖气不热",
        ] {
            assert_eq!(
                parts(text),
                [
                    None,
                    None,
                    some("幸福小区"),
                    some("3"),
                    some("2"),
                    some("501")
                ],
                "{text}"
            );
        }
        assert_eq!(
            parts("光华街那个幸福小区3栋501"),
            [
                None,
                some("光华街"),
                some("幸福小区"),
                some("3"),
                None,
                some("501")
            ]
        );
    }

    #[test]
    fn names_that_look_like_parts() {
        assert_eq!(parts("铁路小区")[2], some("铁路小区"));
        assert_eq!(parts("铁路小区")[1], None);
        assert_eq!(parts("幸福小区")[0], None);
        assert_eq!(parts("阳光100小区")[2], some("阳光100小区"));
    }

    #[test]
    fn bare_numbers() {
        assert_eq!(parts("幸福小区501")[5], some("501"));
        assert_eq!(parts("幸福小区12")[3], some("12"));
    }

    #[test]
    fn empty_and_junk() {
        assert_eq!(parse(""), ParsedAddress::default());
        assert_eq!(parse("\u{0}\u{1}😀"), ParsedAddress::default());
    }
}
