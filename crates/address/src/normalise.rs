//! Text → one canonical spelling of an address.
//!
//! Callers and registers spell the same flat many ways; everything after this
//! module compares canonical strings only. The canonical form is:
//!
//! * half-width, upper-case ASCII, no spaces or punctuation;
//! * Chinese numerals turned into digits where they count something
//!   (`三栋` → `3栋`, `五零一` after a unit → `501`) but left alone inside names
//!   (`五一小区`, `三里屯`);
//! * one word per level: `栋` (building), `单元` (unit), `室` (room); floors are
//!   dropped because the room number already carries them;
//! * compact forms expanded: `3-2-501` → `3栋2单元501室`, `3栋2-501` →
//!   `3栋2单元501室`;
//! * filler words ("我家在", "那个") removed and complaint text ("暖气不热")
//!   cut off.
//!
//! `normalise` is idempotent (a proptest checks it), so a register value and a
//! caller's words meet in the same form whichever side was normalised first.

/// Words that callers put around an address and that never belong to one.
/// Longest first, so that "我家住在" goes before "住在".
const FILLERS: &[&str] = &[
    "我家住在",
    "我家就在",
    "我们家在",
    "我家在",
    "我家是",
    "我住在",
    "我们家",
    "地址是",
    "地址在",
    "你好",
    "您好",
    "请问",
    "麻烦",
    "我家",
    "家住",
    "住在",
    "地址",
    "那个",
    "这个",
    "就是",
    "我是",
    "的",
];

/// Words that start the description of the problem: everything from one of
/// them to the end of its clause is not address.
const COMPLAINTS: &[&str] = &[
    "暖气",
    "不热",
    "不暖",
    "漏水",
    "跑水",
    "冒水",
    "没热",
    "没有热",
    "停暖",
    "停热",
    "供暖",
    "供热",
    "温度",
    "太冷",
    "很冷",
    "报修",
    "维修",
    "坏了",
    "有问题",
    "阀门",
    "管道",
    "家里",
    "屋里",
    "室温",
];

/// Hard cap on what the normaliser looks at; the resolver refuses longer text
/// before it gets here, this only protects direct callers of `normalise`.
const MAX_CHARS: usize = 4_000;

/// The canonical form of `text`. Never panics; arbitrary input gives some
/// (possibly empty) string.
pub fn normalise(text: &str) -> String {
    let mut current = normalise_once(text);
    // Removing a filler can bring two pieces together that a second pass reads
    // differently ("三那个栋"); a few passes reach the fixed point.
    for _ in 0..4 {
        let next = normalise_once(&current);
        if next == current {
            break;
        }
        current = next;
    }
    current
}

fn normalise_once(text: &str) -> String {
    let clauses = clauses(text);
    let cleaned: Vec<String> = clauses
        .into_iter()
        .map(|clause| cut_complaint(&remove_fillers(&clause)))
        .collect();
    let joined = join_clauses(&cleaned);
    let numbered = convert_numerals(&joined);
    canonical_units(&numbered)
}

/// Maps one character to its canonical form: `Some(c)` to keep, `None` for a
/// separator (space or punctuation) and anything that is not text.
fn map_char(c: char) -> Option<char> {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(' '),
        _ => c,
    };
    match c {
        'a'..='z' => Some(c.to_ascii_uppercase()),
        'A'..='Z' | '0'..='9' | '#' | '-' => Some(c),
        // Dashes and slashes of every width join compact forms: 3—2—501, 3/2/501.
        '—' | '–' | '―' | '‐' | '−' | '~' | '～' | '_' | '/' | '\\' => Some('-'),
        '〇' | '○' => Some('〇'),
        c if c.is_alphabetic() && !c.is_ascii() => Some(c),
        _ => None,
    }
}

/// Splits on separators into clauses of canonical characters. A separator
/// between two digits is kept as `-` (so "3 2 501" reads like "3-2-501").
fn clauses(text: &str) -> Vec<String> {
    let mut clauses = vec![String::new()];
    for c in text.chars().take(MAX_CHARS) {
        match map_char(c) {
            Some(c) => {
                if let Some(last) = clauses.last_mut() {
                    last.push(c);
                }
            }
            None => {
                if clauses.last().is_some_and(|s| !s.is_empty()) {
                    clauses.push(String::new());
                }
            }
        }
    }
    clauses.retain(|s| !s.is_empty());
    clauses
}

fn join_clauses(clauses: &[String]) -> String {
    let mut out = String::new();
    for clause in clauses {
        let ends_digit = out.chars().last().is_some_and(|c| c.is_ascii_digit());
        let starts_digit = clause.chars().next().is_some_and(|c| c.is_ascii_digit());
        if ends_digit && starts_digit {
            out.push('-');
        }
        out.push_str(clause);
    }
    out
}

fn remove_fillers(clause: &str) -> String {
    let mut out = clause.to_string();
    for filler in FILLERS {
        if out.contains(filler) {
            out = out.replace(filler, "");
        }
    }
    // "在幸福小区" after "我家" went: a leading 在 is a preposition.
    out.strip_prefix('在').map(str::to_string).unwrap_or(out)
}

fn cut_complaint(clause: &str) -> String {
    let cut = COMPLAINTS
        .iter()
        .filter_map(|word| clause.find(word))
        .min()
        .unwrap_or(clause.len());
    clause[..cut].to_string()
}

// ---------------------------------------------------------------- numerals

fn is_numeral(c: char) -> bool {
    matches!(
        c,
        '零' | '〇'
            | '一'
            | '二'
            | '三'
            | '四'
            | '五'
            | '六'
            | '七'
            | '八'
            | '九'
            | '十'
            | '百'
            | '两'
            | '幺'
    )
}

fn numeral_digit(c: char) -> Option<u32> {
    Some(match c {
        '零' | '〇' => 0,
        '一' | '幺' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// Characters after a numeral that show it counts a building, unit, room,
/// floor or phase ("三栋", "二单元", "五零一室", "二期").
fn counts_after(c: Option<char>) -> bool {
    matches!(
        c,
        Some(
            '栋' | '号'
                | '幢'
                | '座'
                | '楼'
                | '单'
                | '门'
                | '室'
                | '户'
                | '层'
                | '期'
                | '-'
                | '#'
        )
    ) || c.is_some_and(|c| c.is_ascii_digit())
}

/// Characters before a numeral that show it continues an address number
/// ("二单元五零一": the room follows the unit word).
fn counts_before(c: Option<char>) -> bool {
    matches!(
        c,
        Some('栋' | '幢' | '座' | '楼' | '元' | '门' | '室' | '户' | '层' | '号' | '-' | '#')
    ) || c.is_some_and(|c| c.is_ascii_digit())
}

/// Replaces runs of Chinese numerals by digits where the context says they
/// are numbers, not part of a name.
fn convert_numerals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !is_numeral(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_numeral(chars[i]) {
            i += 1;
        }
        let run = &chars[start..i];
        let before = start.checked_sub(1).map(|p| chars[p]);
        let after = chars.get(i).copied();
        let value = if counts_after(after) || counts_before(before) {
            numeral_value(run)
        } else {
            None
        };
        match value {
            Some(digits) => out.push_str(&digits),
            None => out.extend(run),
        }
    }
    out
}

/// "五零一" → "501" (read digit by digit), "二十三" → "23", "一百零一" → "101"
/// (read as a number). `None` when the run is not a well-formed number.
fn numeral_value(run: &[char]) -> Option<String> {
    if !run.iter().any(|c| matches!(c, '十' | '百')) {
        return run
            .iter()
            .map(|&c| numeral_digit(c).and_then(|d| char::from_digit(d, 10)))
            .collect();
    }
    let mut total = 0u32;
    let mut pending: Option<u32> = None;
    for &c in run {
        match c {
            '百' => {
                total += pending.take().unwrap_or(1) * 100;
            }
            '十' => {
                total += pending.take().unwrap_or(1) * 10;
            }
            '零' | '〇' => {
                if pending.is_some() {
                    return None;
                }
            }
            c => {
                if pending.is_some() {
                    return None;
                }
                pending = Some(numeral_digit(c)?);
            }
        }
    }
    total += pending.unwrap_or(0);
    Some(total.to_string())
}

// ---------------------------------------------------------------- unit words

/// Levels of an address number, in the order they nest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Building,
    Unit,
    Room,
}

impl Level {
    fn word(self) -> &'static str {
        match self {
            Level::Building => "栋",
            Level::Unit => "单元",
            Level::Room => "室",
        }
    }
    fn next(self) -> Option<Level> {
        match self {
            Level::Building => Some(Level::Unit),
            Level::Unit => Some(Level::Room),
            Level::Room => None,
        }
    }
}

/// What follows a number token.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Marker {
    Level(Level),
    /// "号": building or room, decided by position.
    Hao,
    /// "楼": building, or a floor once the building is known.
    Lou,
    Floor,
    /// Nothing: a bare number.
    Bare,
}

/// Unit words after a number, longest first, and what they mean.
const MARKERS: &[(&str, Marker)] = &[
    ("号楼", Marker::Level(Level::Building)),
    ("单元门", Marker::Level(Level::Unit)),
    ("单元", Marker::Level(Level::Unit)),
    ("#楼", Marker::Level(Level::Building)),
    ("栋", Marker::Level(Level::Building)),
    ("幢", Marker::Level(Level::Building)),
    ("座", Marker::Level(Level::Building)),
    ("#", Marker::Level(Level::Building)),
    ("门", Marker::Level(Level::Unit)),
    ("室", Marker::Level(Level::Room)),
    ("户", Marker::Level(Level::Room)),
    ("楼层", Marker::Floor),
    ("层", Marker::Floor),
    ("楼", Marker::Lou),
    ("号", Marker::Hao),
];

/// One number with the word after it, in a run of address numbers.
#[derive(Debug)]
struct Numbered {
    number: String,
    marker: Marker,
}

/// Rewrites every run of address numbers into `N栋N单元N室` form.
fn canonical_units(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        match read_run(&chars, i) {
            Some((run, end, dashed)) => {
                write_run(&run, dashed, &mut out);
                i = end;
            }
            None => {
                // A dash that joins nothing is punctuation.
                if chars[i] != '-' && chars[i] != '#' {
                    out.push(chars[i]);
                }
                i += 1;
            }
        }
    }
    out
}

/// A number token at `i`: digits with optional letters, or one or two letters
/// directly followed by a unit word ("A座", "B2栋").
fn read_number(chars: &[char], i: usize) -> Option<usize> {
    let mut end = i;
    while end < chars.len() && (chars[end].is_ascii_digit() || chars[end].is_ascii_uppercase()) {
        end += 1;
    }
    if end == i {
        return None;
    }
    let token = &chars[i..end];
    if token.iter().any(char::is_ascii_digit) {
        // Letters glued to a name ("SOHO3栋") are not part of the number.
        let first_digit = token.iter().position(char::is_ascii_digit).unwrap_or(0);
        if first_digit > 2 {
            return None;
        }
        return Some(end);
    }
    let follows_unit = read_marker(chars, end).is_some_and(|(m, _)| m != Marker::Bare);
    (token.len() <= 2 && follows_unit && !preceded_by_letter(chars, i)).then_some(end)
}

fn preceded_by_letter(chars: &[char], i: usize) -> bool {
    i > 0 && chars[i - 1].is_ascii_uppercase()
}

fn read_marker(chars: &[char], i: usize) -> Option<(Marker, usize)> {
    for (word, marker) in MARKERS {
        let len = word.chars().count();
        if i + len <= chars.len() && chars[i..i + len].iter().copied().eq(word.chars()) {
            // "3号院" is a compound's name, not building 3.
            if *marker == Marker::Hao && chars.get(i + 1) == Some(&'院') {
                return None;
            }
            return Some((*marker, i + len));
        }
    }
    Some((Marker::Bare, i))
}

/// Reads a run of numbers starting at `i` (numbers with unit words, joined by
/// dashes). Returns the run, where it ends, and whether it used dashes.
fn read_run(chars: &[char], start: usize) -> Option<(Vec<Numbered>, usize, bool)> {
    if preceded_by_letter(chars, start) && chars[start].is_ascii_uppercase() {
        return None;
    }
    let mut run = Vec::new();
    let mut i = start;
    let mut dashed = false;
    while let Some(end) = read_number(chars, i) {
        // "3号院" and the like: the number belongs to a name.
        let Some((marker, after)) = read_marker(chars, end) else {
            break;
        };
        let number: String = chars[i..end].iter().collect();
        run.push(Numbered {
            number: strip_zeros(&number),
            marker,
        });
        i = after;
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(char::is_ascii_alphanumeric) {
            dashed = true;
            i += 1;
        } else if marker == Marker::Bare {
            break;
        }
    }
    if run.is_empty() {
        return None;
    }
    Some((run, i, dashed))
}

/// "007" → "7"; keeps one zero and anything with letters as it is.
fn strip_zeros(number: &str) -> String {
    if !number.chars().all(|c| c.is_ascii_digit()) {
        return number.to_string();
    }
    let trimmed = number.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Assigns a level to every number of a run and writes the canonical form.
fn write_run(run: &[Numbered], dashed: bool, out: &mut String) {
    let explicit = run
        .iter()
        .any(|n| matches!(n.marker, Marker::Level(_) | Marker::Lou | Marker::Hao));
    // A lone bare number ("阳光100") is part of a name or too vague to place.
    if run.len() == 1 && !explicit && !dashed {
        out.push_str(&run[0].number);
        return;
    }
    let mut last: Option<Level> = None;
    for (k, item) in run.iter().enumerate() {
        let is_last = k + 1 == run.len();
        let long = item.number.chars().filter(char::is_ascii_digit).count() >= 3;
        let level = match item.marker {
            Marker::Level(level) => Some(level),
            Marker::Floor => None,
            Marker::Lou => match last {
                None => Some(Level::Building),
                Some(_) => None, // a floor once the building is known
            },
            Marker::Hao => match last {
                Some(_) => Some(Level::Room),
                None if !is_last || !long => Some(Level::Building),
                None => Some(Level::Room),
            },
            Marker::Bare => match last.map_or(Some(Level::Building), Level::next) {
                // "3-501", "3栋501": a long last number is the room.
                Some(Level::Unit) if is_last && long => Some(Level::Room),
                Some(Level::Building) if is_last && long && run.len() == 1 => Some(Level::Room),
                other => other,
            },
        };
        match level {
            Some(level) if last.is_none_or(|l| level > l) => {
                out.push_str(&item.number);
                out.push_str(level.word());
                last = Some(level);
            }
            // Floors, repeats and numbers past the room carry nothing we use.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[track_caller]
    fn same(input: &str, expected: &str) {
        assert_eq!(normalise(input), expected, "normalise({input:?})");
    }

    #[test]
    fn full_width_and_punctuation() {
        same("幸福小区３栋２单元５０１室", "幸福小区3栋2单元501室");
        same("幸福小区　3栋，2单元。501室！", "幸福小区3栋2单元501室");
        same("ａ座", "A栋");
    }

    #[test]
    fn chinese_numerals() {
        same("幸福小区三栋二单元五零一", "幸福小区3栋2单元501室");
        same("幸福小区十二栋", "幸福小区12栋");
        same("幸福小区二十三号楼", "幸福小区23栋");
        same("幸福小区三栋二单元一百零一室", "幸福小区3栋2单元101室");
        same("幸福小区三栋二单元五〇一", "幸福小区3栋2单元501室");
        same("幸福小区两栋", "幸福小区2栋");
    }

    #[test]
    fn numerals_inside_names_stay() {
        same("五一小区", "五一小区");
        same("三里屯小区3栋", "三里屯小区3栋");
        same("幸福小区二期三栋", "幸福小区2期3栋");
    }

    #[test]
    fn unit_words() {
        for building in ["3栋", "3号楼", "3幢", "3座", "3号", "3#", "3#楼", "三号楼"] {
            same(
                &format!("幸福小区{building}2单元501室"),
                "幸福小区3栋2单元501室",
            );
        }
        for unit in ["2单元", "2门", "2单元门", "二单元"] {
            same(&format!("幸福小区3栋{unit}501"), "幸福小区3栋2单元501室");
        }
        for room in ["501室", "501号", "501户", "501"] {
            same(&format!("幸福小区3栋2单元{room}"), "幸福小区3栋2单元501室");
        }
        same("幸福小区3号院", "幸福小区3号院");
    }

    #[test]
    fn floors_are_dropped() {
        same("幸福小区3栋2单元5楼501", "幸福小区3栋2单元501室");
        same("幸福小区3栋2单元5层501室", "幸福小区3栋2单元501室");
    }

    #[test]
    fn compact_forms() {
        same("幸福3-2-501", "幸福3栋2单元501室");
        same("幸福小区3栋2-501", "幸福小区3栋2单元501室");
        same("幸福小区3-501", "幸福小区3栋501室");
        same("幸福小区 3 2 501", "幸福小区3栋2单元501室");
        same("幸福小区3—2—501", "幸福小区3栋2单元501室");
        same("幸福小区3栋501", "幸福小区3栋501室");
        same("幸福小区03栋02单元0501", "幸福小区3栋2单元501室");
    }

    #[test]
    fn fillers_and_complaints() {
        same("我家在幸福小区三栋二单元五零一", "幸福小区3栋2单元501室");
        same(
            "住在光华街那个幸福小区3栋501，暖气不热",
            "光华街幸福小区3栋501室",
        );
        same("就是幸福小区3栋暖气不热了", "幸福小区3栋");
        same("暖气不热，幸福小区3栋", "幸福小区3栋");
    }

    #[test]
    fn nothing_left() {
        same("", "");
        same("   ", "");
        same("😀\u{0}\u{7}", "");
        same("-#-", "");
    }
}
