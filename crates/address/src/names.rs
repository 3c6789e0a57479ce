//! Community names: their suffixes, how they sound, and one-character slips.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Generic words that end community names. Callers drop or swap them
/// ("幸福" for 幸福小区, "幸福花园" for 幸福家园), so names are also indexed by
/// what is left without them (the core). Longest first.
const SUFFIXES: &[&str] = &[
    "住宅小区",
    "小区",
    "家园",
    "花园",
    "新村",
    "公寓",
    "社区",
    "大厦",
    "广场",
    "小镇",
    "新城",
    "嘉园",
    "名苑",
    "雅苑",
    "家属楼",
    "宿舍",
    "苑",
    "园",
    "村",
    "里",
    "城",
    "府",
    "居",
    "庭",
    "湾",
    "庄",
];

/// Splits a canonical name into (core, suffix). The core keeps at least two
/// characters: "丽园" stays whole rather than becoming "丽".
pub fn strip_suffix(name: &str) -> (&str, &str) {
    for suffix in SUFFIXES {
        if let Some(core) = name.strip_suffix(suffix)
            && core.chars().count() >= 2
        {
            return (core, suffix);
        }
    }
    (name, "")
}

/// Whether `text` is nothing but a suffix ("小区").
pub fn is_suffix(text: &str) -> bool {
    SUFFIXES.contains(&text)
}

/// Whether `text` begins with one of the suffixes, or something that sounds
/// like one ("小区3栋" and "家元" do).
pub fn starts_with_suffix(text: &str) -> bool {
    if SUFFIXES.iter().any(|s| text.starts_with(s)) {
        return true;
    }
    let head: String = text.chars().take(4).collect();
    let sound = sound_key(&head);
    SUFFIXES.iter().any(|s| sound.starts_with(&sound_key(s)))
}

/// Groups of characters that sound the same (or nearly, in the northern
/// accents the hotline hears) and are common in community names. An operator
/// typing what they hear picks any one of a group.
const SAME_SOUND: &[&str] = &[
    "园元源圆原员缘远苑院",
    "华花化桦",
    "香祥翔湘",
    "兴星新馨欣心鑫",
    "锦金津晋",
    "丽立利力莉",
    "福富府复赋",
    "嘉佳家加",
    "安岸",
    "湾弯",
    "阳洋扬杨",
    "明鸣名铭",
    "江将疆",
    "城成诚程承",
    "庭亭廷婷",
    "秀绣",
    "盛胜圣晟",
    "和合禾荷",
    "景静京井晶经",
    "怡宜仪依逸",
    "康抗",
    "泰太",
    "平萍苹",
    "瑞睿锐",
    "博波柏",
    "林琳霖临",
    "青清轻晴",
    "春纯",
    "海凯",
    "鸿宏红洪虹",
    "美梅",
    "雅亚",
    "达大",
    "龙隆",
    "凤丰峰枫锋",
    "光广",
    "德得",
    "东冬",
    "南楠",
    "泽则",
    "帝地第",
    "宝保",
    "贵桂",
    "荣融蓉容",
    "秋球",
    "文闻",
    "玉育御裕",
];

/// The character that stands for `c`'s sound group (itself if it has none).
fn sound_of(c: char) -> char {
    static GROUP_OF: OnceLock<HashMap<char, char>> = OnceLock::new();
    let table = GROUP_OF.get_or_init(|| {
        let mut table = HashMap::new();
        for group in SAME_SOUND {
            let mut chars = group.chars();
            if let Some(first) = chars.next() {
                for c in group.chars() {
                    table.entry(c).or_insert(first);
                }
            }
        }
        table
    });
    table.get(&c).copied().unwrap_or(c)
}

/// The other characters that sound like `c`.
pub fn same_sound(c: char) -> Vec<char> {
    SAME_SOUND
        .iter()
        .find(|group| group.contains(c))
        .map(|group| group.chars().filter(|&o| o != c).collect())
        .unwrap_or_default()
}

/// The name with every character replaced by its sound group's first, so
/// that homophones of a name share one key.
pub fn sound_key(name: &str) -> String {
    name.chars().map(sound_of).collect()
}

/// Every string that is `name` with one character removed.
pub fn deletions(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    (0..chars.len())
        .map(|skip| {
            chars
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != skip)
                .map(|(_, c)| c)
                .collect()
        })
        .collect()
}

/// Whether `a` and `b` differ by at most one inserted, deleted or replaced
/// character (Levenshtein distance ≤ 1), without building the full matrix.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short
        .iter()
        .zip(long.iter())
        .take_while(|(x, y)| x == y)
        .count();
    if short.len() == long.len() {
        short[prefix..]
            .iter()
            .skip(1)
            .eq(long[prefix..].iter().skip(1))
    } else {
        short[prefix..].iter().eq(long[prefix + 1..].iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes() {
        assert_eq!(strip_suffix("幸福小区"), ("幸福", "小区"));
        assert_eq!(strip_suffix("幸福家园"), ("幸福", "家园"));
        assert_eq!(strip_suffix("锦绣花园"), ("锦绣", "花园"));
        assert_eq!(strip_suffix("丽园"), ("丽园", ""));
        assert_eq!(strip_suffix("幸福"), ("幸福", ""));
    }

    #[test]
    fn homophones_share_a_key() {
        assert_eq!(sound_key("锦绣花园"), sound_key("金秀华源"));
        assert_ne!(sound_key("锦绣花园"), sound_key("幸福家园"));
    }

    #[test]
    fn one_edit() {
        assert!(within_one_edit("幸福小区", "幸福小区"));
        assert!(within_one_edit("幸福小区", "幸运小区"));
        assert!(within_one_edit("幸福小区", "幸小区"));
        assert!(within_one_edit("幸福小区", "幸福新小区"));
        assert!(!within_one_edit("幸福小区", "阳光小区"));
        assert!(!within_one_edit("幸福小区", "幸"));
    }
}
