//! A synthetic city and what its callers say, to measure the resolver on.
//!
//! Everything is generated from a seed with a small built-in generator
//! (splitmix64), so the figures are reproducible across machines and crate
//! versions. The city is a grid of heating stations over five districts; its
//! communities have realistic names, some sharing a core across suffixes at
//! different stations (幸福小区 / 幸福家园, the hard case), a few repeating a
//! full name in two districts, a few split between two stations by building.
//! The callers say those addresses in every way issue 4 lists; each
//! phrasing carries the station and account it means.
//!
//! Used by `tests/eval.rs` (a smaller city, asserting the targets), by
//! `examples/eval.rs` (the full figures) and by the benchmark.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use geo::{LineString, MultiPolygon, Polygon};

use crate::gis::StationArea;
use crate::index::{AddressIndex, CommunityAlias, RegisterEntry};
use crate::names::{sound_key, strip_suffix};
use crate::normalise::normalise;
use crate::resolution::CONFIDENT;

/// splitmix64: tiny, fast, and fixed forever (unlike a library's RNG).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const DISTRICTS: [&str; 5] = ["道里区", "南岗区", "道外区", "香坊区", "松北区"];

const STREETS: &[&str] = &[
    "光华街",
    "中山路",
    "红旗大街",
    "学府路",
    "和兴路",
    "长江路",
    "黄河路",
    "先锋路",
    "文昌街",
    "大成街",
    "海城街",
    "安静街",
    "民生路",
    "西大直街",
    "东大直街",
    "宣化街",
    "果戈里大街",
    "哈平路",
    "嵩山路",
    "珠江路",
    "赣水路",
    "汉水路",
    "衡山路",
    "泰山路",
    "华山路",
    "通达街",
    "建国街",
    "友谊路",
    "经纬街",
    "新阳路",
    "安发街",
    "河图街",
    "田地街",
    "景阳街",
    "北新街",
    "保健路",
    "公滨路",
    "电塔街",
    "化工路",
    "松花江街",
    "征仪路",
    "阿城路",
    "清滨路",
    "革新街",
    "联发街",
    "中宣街",
    "开源街",
    "新疆大街",
    "森林街",
    "顾乡大街",
];

/// Cores of community names as a northern city has them.
const CORES: &[&str] = &[
    "幸福",
    "阳光",
    "锦绣",
    "金色",
    "和平",
    "红旗",
    "康乐",
    "富强",
    "文化",
    "建设",
    "友谊",
    "电业",
    "铁路",
    "林业",
    "恒大",
    "万科",
    "保利",
    "碧桂",
    "龙湖",
    "绿地",
    "融创",
    "金地",
    "东方",
    "嘉禾",
    "翠湖",
    "丽景",
    "润和",
    "泰和",
    "永安",
    "长青",
    "松花",
    "江畔",
    "滨江",
    "明珠",
    "金都",
    "世纪",
    "时代",
    "盛世",
    "银河",
    "星光",
    "春华",
    "秋实",
    "怡景",
    "雅居",
    "清华",
    "书香",
    "学府",
    "安康",
    "安居",
    "祥和",
    "吉祥",
    "如意",
    "福顺",
    "鸿福",
    "兴隆",
    "昌盛",
    "繁荣",
    "红星",
    "曙光",
    "朝阳",
    "东升",
    "旭日",
    "晨光",
    "紫荆",
    "玫瑰",
    "丁香",
    "百合",
    "牡丹",
    "海棠",
    "芙蓉",
    "梧桐",
    "白桦",
    "青松",
    "翠柏",
    "香榭",
    "枫林",
    "桃源",
    "金谷",
    "宝石",
    "翡翠",
    "水晶",
    "琥珀",
    "珍珠",
    "锦江",
    "华茂",
    "中兴",
    "万达",
    "群力",
    "新华",
    "电力",
    "水利",
    "邮电",
    "教育",
    "卫生",
    "粮食",
    "供销",
    "纺织",
    "机械",
    "建工",
    "市政",
    "交通",
    "公安",
    "检察",
    "税务",
    "医大",
    "师大",
    "工大",
    "农垦",
    "林海",
    "雪原",
    "冰城",
    "北国",
    "江南",
    "天鹅",
    "丽都",
    "金港",
    "银泰",
    "和谐",
    "幸运",
    "和美",
    "和顺",
    "金桥",
    "彩虹",
    "飞龙",
    "凤凰",
    "麒麟",
    "五一",
    "三合",
    "新世纪",
    "御景湾",
    "香格里",
    "西城红",
    "五洲星",
    "中央城",
    "欧洲风",
    "学院派",
    "江山美",
    "水木清",
];

/// Characters for more cores once the list above is used up.
const CORE_FIRST: &str = "金银玉锦鑫盛泰康嘉瑞丰祥顺宁泓澜";
const CORE_SECOND: &str = "泉山水林海岭峰阁轩桥亭州田岛";

const SUFFIXES: &[&str] = &[
    "小区", "家园", "花园", "苑", "新村", "公寓", "嘉园", "名苑", "小区", "小区", "家园",
];

/// Characters a slip puts into a name (a mistyped or misheard character).
const SLIP_CHARS: &str = "天地人和大小东西南北中新老明光华月日山石田力口木";

/// Stations in a grid over the city.
const GRID_COLUMNS: usize = 5;
const GRID_ROWS: usize = 4;
const WEST: f64 = 126.50;
const SOUTH: f64 = 45.65;
const CELL_LON: f64 = 0.06;
const CELL_LAT: f64 = 0.05;

/// One community as planned by the generator.
#[derive(Debug, Clone)]
pub struct PlannedCommunity {
    pub name: String,
    pub core: String,
    pub district: String,
    pub street: String,
    pub alias: Option<String>,
    pub centre: (f64, f64),
    /// (register label, station code, accounts: (unit, room, account_no)).
    pub buildings: Vec<PlannedBuilding>,
}

#[derive(Debug, Clone)]
pub struct PlannedBuilding {
    pub number: usize,
    pub label: String,
    pub station: String,
    pub flats: Vec<(usize, usize, String)>,
}

/// A synthetic city: the register the index is built from, and the plan the
/// phrasings are generated from.
pub struct City {
    pub entries: Vec<RegisterEntry>,
    pub stations: Vec<StationArea>,
    pub aliases: Vec<CommunityAlias>,
    pub communities: Vec<PlannedCommunity>,
}

impl City {
    pub fn index(&self) -> AddressIndex {
        AddressIndex::build(&self.entries, &self.stations, &self.aliases)
    }
}

fn station_code(cell: usize) -> String {
    format!("S{:02}", cell + 1)
}

fn cell_of(lat: f64, lon: f64) -> Option<usize> {
    let col = ((lon - WEST) / CELL_LON).floor();
    let row = ((lat - SOUTH) / CELL_LAT).floor();
    let inside =
        (0.0..GRID_COLUMNS as f64).contains(&col) && (0.0..GRID_ROWS as f64).contains(&row);
    inside.then_some(row as usize * GRID_COLUMNS + col as usize)
}

/// A point inside cell `cell`, kept `margin` (share of the cell) from its edges.
fn point_in_cell(rng: &mut Rng, cell: usize, margin: f64) -> (f64, f64) {
    let (row, col) = (cell / GRID_COLUMNS, cell % GRID_COLUMNS);
    let lat = SOUTH + (row as f64 + margin + rng.unit() * (1.0 - 2.0 * margin)) * CELL_LAT;
    let lon = WEST + (col as f64 + margin + rng.unit() * (1.0 - 2.0 * margin)) * CELL_LON;
    (lat, lon)
}

fn stations() -> Vec<StationArea> {
    (0..GRID_COLUMNS * GRID_ROWS)
        .map(|cell| {
            let (row, col) = (cell / GRID_COLUMNS, cell % GRID_COLUMNS);
            let (w, s) = (WEST + col as f64 * CELL_LON, SOUTH + row as f64 * CELL_LAT);
            let (e, n) = (w + CELL_LON, s + CELL_LAT);
            let ring = LineString::from(vec![(w, s), (e, s), (e, n), (w, n), (w, s)]);
            StationArea {
                code: station_code(cell),
                name: format!("{}第{}供热站", DISTRICTS[col], row + 1),
                geometry: MultiPolygon::new(vec![Polygon::new(ring, vec![])]),
            }
        })
        .collect()
}

/// A city of at least `accounts` accounts.
pub fn city(seed: u64, accounts: usize) -> City {
    let mut rng = Rng::new(seed);
    let mut cores: Vec<String> = CORES.iter().map(|s| s.to_string()).collect();
    for a in CORE_FIRST.chars() {
        for b in CORE_SECOND.chars() {
            cores.push(format!("{a}{b}"));
        }
    }
    // Shuffle the generated cores behind the real ones.
    let real = CORES.len();
    for i in (real + 1..cores.len()).rev() {
        let j = real + rng.below(i - real + 1);
        cores.swap(i, j);
    }

    let mut communities: Vec<PlannedCommunity> = Vec::new();
    let mut names: HashSet<String> = HashSet::new();
    let mut total = 0usize;
    let mut next_core = 0usize;
    let mut account_no = 0usize;
    while total < accounts {
        let shared = !communities.is_empty() && rng.chance(0.05);
        let duplicate = !communities.is_empty() && rng.chance(0.002);
        let (core, name) = if duplicate {
            // The same full name in another district.
            let other = rng.pick(&communities).clone();
            (other.core.clone(), other.name.clone())
        } else if shared {
            // Same core, another suffix (幸福小区 → 幸福家园).
            let other = rng.pick(&communities).clone();
            let suffix = rng.pick(SUFFIXES);
            (other.core.clone(), format!("{}{}", other.core, suffix))
        } else {
            let core = match cores.get(next_core) {
                Some(core) => core.clone(),
                None => {
                    let chars: Vec<char> = CORE_FIRST.chars().chain(CORE_SECOND.chars()).collect();
                    (0..3).map(|_| *rng.pick(&chars)).collect()
                }
            };
            next_core += 1;
            let suffix = rng.pick(SUFFIXES);
            (core.clone(), format!("{core}{suffix}"))
        };
        let cell = rng.below(GRID_COLUMNS * GRID_ROWS);
        let district = DISTRICTS[cell % GRID_COLUMNS].to_string();
        if !duplicate && !names.insert(name.clone()) {
            continue;
        }
        if duplicate
            && communities
                .iter()
                .any(|c| c.name == name && c.district == district)
        {
            continue;
        }
        let street = STREETS[(cell % GRID_COLUMNS) * 10 + rng.below(10)].to_string();
        let centre = point_in_cell(&mut rng, cell, 0.1);
        // A few communities straddle two stations, building by building.
        let split_to = rng
            .chance(0.03)
            .then(|| (cell + 1) % (GRID_COLUMNS * GRID_ROWS));
        let label_style = rng.below(4);
        let building_count = rng.between(3, 12);
        let units = rng.between(1, 4);
        let floors = rng.between(5, 9);
        let mut buildings = Vec::new();
        for number in 1..=building_count {
            let label = match label_style {
                0 => format!("{number}"),
                1 => format!("{number}号楼"),
                2 => format!("{number}栋"),
                _ => format!("{number}号"),
            };
            let station = match split_to {
                Some(other) if number > building_count / 2 => station_code(other),
                _ => station_code(cell),
            };
            let mut flats = Vec::new();
            for unit in 1..=units {
                for floor in 1..=floors {
                    for door in 1..=2 {
                        account_no += 1;
                        flats.push((unit, floor * 100 + door, format!("HR{account_no:07}")));
                    }
                }
            }
            total += flats.len();
            buildings.push(PlannedBuilding {
                number,
                label,
                station,
                flats,
            });
        }
        let alias = rng.chance(0.08).then(|| {
            let form = *rng.pick(&["{}宿舍", "{}家属院", "老{}小区", "{}单位楼"]);
            form.replace("{}", &core)
        });
        communities.push(PlannedCommunity {
            name,
            core,
            district,
            street,
            alias,
            centre,
            buildings,
        });
    }

    // An alias must not be another community's name.
    for i in 0..communities.len() {
        if let Some(alias) = communities[i].alias.clone()
            && (names.contains(&alias)
                || communities
                    .iter()
                    .filter(|c| c.alias.as_ref() == Some(&alias))
                    .count()
                    > 1)
        {
            communities[i].alias = None;
        }
    }

    let mut entries = Vec::with_capacity(total);
    for c in &communities {
        for b in &c.buildings {
            for (unit, room, account) in &b.flats {
                // 0.2 % of the register has coordinates far from home: the
                // rows misplaced_accounts should find.
                let (lat, lon) = if rng.chance(0.002) {
                    (c.centre.0 + 0.12, c.centre.1 + 0.13)
                } else {
                    (
                        c.centre.0 + (rng.unit() - 0.5) * 0.002,
                        c.centre.1 + (rng.unit() - 0.5) * 0.002,
                    )
                };
                let has_point = rng.chance(0.9);
                entries.push(RegisterEntry {
                    account_no: account.clone(),
                    district: c.district.clone(),
                    street: c.street.clone(),
                    community: c.name.clone(),
                    building: b.label.clone(),
                    unit: unit.to_string(),
                    room: room.to_string(),
                    station_code: b.station.clone(),
                    lat: has_point.then_some(lat),
                    lon: has_point.then_some(lon),
                });
            }
        }
    }
    let aliases = communities
        .iter()
        .filter_map(|c| c.alias.as_ref().map(|a| CommunityAlias::new(a, &c.name)))
        .collect();
    City {
        entries,
        stations: stations(),
        aliases,
        communities,
    }
}

/// One thing a caller said, and what it means.
#[derive(Debug, Clone)]
pub struct Case {
    pub class: &'static str,
    pub text: String,
    pub point: Option<(f64, f64)>,
    pub station: String,
    /// The account, when the words name one flat.
    pub account_no: Option<String>,
}

/// The variation classes of issue 4, each generated equally often.
pub const CLASSES: &[&str] = &[
    "register_form",
    "chinese_numerals",
    "unit_words",
    "fillers_complaint",
    "compact",
    "full_width_spaces",
    "missing_unit",
    "missing_room",
    "community_only",
    "suffix_dropped",
    "suffix_swapped",
    "slip",
    "homophone",
    "alias",
    "street_prefix",
    "district_prefix",
    "missing_district_street",
    "not_in_register_point",
];

/// `count` phrasings over `city`, cycling through [`CLASSES`].
pub fn cases(city: &City, seed: u64, count: usize) -> Vec<Case> {
    let taken = TakenNames::new(city);
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(count);
    let mut attempts = 0;
    while out.len() < count && attempts < count * 20 {
        // Cycle by attempt: a class that cannot phrase this community (no
        // alias, no homophone) gives its turn to the next.
        let class = CLASSES[attempts % CLASSES.len()];
        attempts += 1;
        if let Some(case) = phrase(city, &taken, &mut rng, class) {
            out.push(case);
        }
    }
    out
}

/// What a generated slip must not collide with, so that its expected answer
/// is unique.
struct TakenNames {
    names: HashSet<String>,
    cores: HashMap<String, HashSet<String>>,
    sounds: HashMap<String, HashSet<String>>,
}

impl TakenNames {
    fn new(city: &City) -> TakenNames {
        let mut t = TakenNames {
            names: HashSet::new(),
            cores: HashMap::new(),
            sounds: HashMap::new(),
        };
        for c in &city.communities {
            let name = normalise(&c.name);
            let core = strip_suffix(&name).0.to_string();
            for key in [sound_key(&name), sound_key(&core)] {
                t.sounds.entry(key).or_default().insert(c.name.clone());
            }
            t.cores.entry(core).or_default().insert(c.name.clone());
            t.names.insert(name);
        }
        for s in STREETS.iter().chain(DISTRICTS.iter()) {
            t.names.insert(s.to_string());
        }
        t
    }

    /// Whether `name` said by a caller could only mean `meant`.
    fn free(&self, name: &str, meant: &PlannedCommunity) -> bool {
        let core = strip_suffix(name).0;
        let only_meant = |owners: Option<&HashSet<String>>| {
            owners.is_none_or(|o| o.iter().all(|n| *n == meant.name))
        };
        name != meant.name
            && !self.names.contains(name)
            && only_meant(self.cores.get(core))
            && only_meant(self.sounds.get(&sound_key(name)))
            && only_meant(self.sounds.get(&sound_key(core)))
    }
}

fn chinese_digits(n: usize) -> String {
    const DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    n.to_string()
        .chars()
        .filter_map(|c| c.to_digit(10).map(|d| DIGITS[d as usize]))
        .collect()
}

/// 12 → 十二, 23 → 二十三, 3 → 三.
fn chinese_number(n: usize) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => DIGITS[n].to_string(),
        10..=19 => format!("十{}", if n == 10 { "" } else { DIGITS[n - 10] }),
        20..=99 => format!(
            "{}十{}",
            DIGITS[n / 10],
            if n.is_multiple_of(10) {
                ""
            } else {
                DIGITS[n % 10]
            }
        ),
        _ => chinese_digits(n),
    }
}

fn full_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

const OPENINGS: &[&str] = &[
    "我家在",
    "住在",
    "我住在",
    "就是",
    "你好，我家是",
    "那个",
    "",
];
const COMPLAINTS: &[&str] = &[
    "，暖气不热",
    "暖气不热了",
    " 家里不热",
    "，漏水了",
    "，温度太低",
    "，报修",
    "",
];

fn phrase(city: &City, taken: &TakenNames, rng: &mut Rng, class: &'static str) -> Option<Case> {
    let c = rng.pick(&city.communities);
    let b = rng.pick(&c.buildings);
    let &(unit, room, ref account) = rng.pick(&b.flats);
    let n = b.number;
    let standard = format!("{n}栋{unit}单元{room}室");
    let mut account_no = Some(account.clone());
    let mut point = None;
    let mut station = b.station.clone();
    let text = match class {
        "register_form" => {
            // As the register shows an account: a bare building number gets its word.
            let label = if b.label.chars().all(|ch| ch.is_ascii_digit()) {
                format!("{}号楼", b.label)
            } else {
                b.label.clone()
            };
            format!(
                "{}{}{}{label}{unit}单元{room}室",
                c.district, c.street, c.name
            )
        }
        "chinese_numerals" => format!(
            "{}{}栋{}单元{}",
            c.name,
            chinese_number(n),
            chinese_number(unit),
            chinese_digits(room)
        ),
        "unit_words" => {
            let building = rng.pick(&["号楼", "幢", "座", "号", "#", "栋"]);
            let unit_word = rng.pick(&["门", "单元"]);
            let room_word = rng.pick(&["室", "号", "户", ""]);
            format!("{}{n}{building}{unit}{unit_word}{room}{room_word}", c.name)
        }
        "fillers_complaint" => format!(
            "{}{}{}{}",
            rng.pick(OPENINGS),
            c.name,
            standard,
            rng.pick(COMPLAINTS)
        ),
        "compact" => match rng.below(3) {
            0 => format!("{}{n}-{unit}-{room}", c.name),
            1 => format!("{}{n}栋{unit}-{room}", c.name),
            _ => format!("{} {n} {unit} {room}", c.name),
        },
        "full_width_spaces" => full_width(&format!("{} {n}栋 {unit}单元 {room}", c.name)),
        "missing_unit" => {
            // A room said without its unit names one flat only if the room is unique.
            account_no = unique_room(b, room);
            format!("{}{n}号楼{room}", c.name)
        }
        "missing_room" => {
            account_no = None;
            format!("{}{n}栋{unit}单元{}", c.name, rng.pick(COMPLAINTS))
        }
        "community_only" => {
            account_no = None;
            station = majority_station(c)?;
            format!("{}{}{}", rng.pick(OPENINGS), c.name, rng.pick(COMPLAINTS))
        }
        "suffix_dropped" => format!("{}{n}-{unit}-{room}", c.core),
        "suffix_swapped" => {
            let suffix = rng.pick(SUFFIXES);
            let said = format!("{}{}", c.core, suffix);
            // Another community of that name is what the caller would mean.
            if said == c.name || taken.names.contains(&said) {
                return None;
            }
            format!("{said}{n}号楼{unit}门{room}室")
        }
        "slip" => {
            let said = slip(rng, &c.name)?;
            // A slip that is as close to another name is a different case
            // (an ambiguous one), not a slip of this name.
            let near_other = city
                .communities
                .iter()
                .any(|o| o.name != c.name && crate::names::within_one_edit(&said, &o.name));
            if !taken.free(&said, c) || near_other {
                return None;
            }
            format!("{said}{standard}")
        }
        "homophone" => {
            let said = homophone(rng, &c.name)?;
            if !taken.free(&said, c) {
                return None;
            }
            format!("{said}{standard}")
        }
        "alias" => format!("{}{standard}", c.alias.as_ref()?),
        "street_prefix" => {
            let filler = if rng.chance(0.5) { "那个" } else { "" };
            if rng.chance(0.5) {
                account_no = unique_room(b, room);
                format!("{}{filler}{}{n}栋{room}", c.street, c.name)
            } else {
                format!("{}{filler}{}{standard}", c.street, c.name)
            }
        }
        "district_prefix" => format!("{}{}{}", c.district, c.name, standard),
        "missing_district_street" => format!("{}{n}号楼{unit}单元{room}", c.name),
        "not_in_register_point" => {
            account_no = None;
            let cell = rng.below(GRID_COLUMNS * GRID_ROWS);
            let p = point_in_cell(rng, cell, 0.02);
            point = Some(p);
            station = station_code(cell_of(p.0, p.1)?);
            let new = format!(
                "新建{}{}号院",
                rng.pick(&["开发", "回迁", "棚改", "安置"]),
                rng.between(1, 30)
            );
            format!("{new}{n}栋{unit}单元{room}")
        }
        _ => return None,
    };
    Some(Case {
        class,
        text,
        point,
        station,
        account_no,
    })
}

fn unique_room(b: &PlannedBuilding, room: usize) -> Option<String> {
    let mut matching = b.flats.iter().filter(|f| f.1 == room);
    let first = matching.next()?;
    matching.next().is_none().then(|| first.2.clone())
}

/// The station serving most of a community, if one does more than half.
fn majority_station(c: &PlannedCommunity) -> Option<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for b in &c.buildings {
        *counts.entry(&b.station).or_default() += b.flats.len();
    }
    let total: usize = counts.values().sum();
    counts
        .into_iter()
        .find(|(_, n)| *n * 2 > total)
        .map(|(s, _)| s.to_string())
}

/// The name with one character of its core replaced, dropped or doubled.
fn slip(rng: &mut Rng, name: &str) -> Option<String> {
    let chars: Vec<char> = name.chars().collect();
    let core_len = strip_suffix(name).0.chars().count();
    if chars.len() < 4 {
        return None;
    }
    let at = rng.below(core_len);
    let mut out = chars.clone();
    match rng.below(3) {
        0 => {
            let pool: Vec<char> = SLIP_CHARS.chars().collect();
            out[at] = *rng.pick(&pool);
        }
        1 if core_len >= 3 => {
            out.remove(at);
        }
        _ => out.insert(at, *rng.pick(&SLIP_CHARS.chars().collect::<Vec<_>>())),
    }
    let said: String = out.into_iter().collect();
    (said != name).then_some(said)
}

/// The name with one character replaced by another of the same sound.
fn homophone(rng: &mut Rng, name: &str) -> Option<String> {
    let chars: Vec<char> = name.chars().collect();
    let options: Vec<(usize, char)> = chars
        .iter()
        .enumerate()
        .flat_map(|(i, &c)| crate::names::same_sound(c).into_iter().map(move |o| (i, o)))
        .filter(|&(i, o)| chars[i] != o)
        .collect();
    if options.is_empty() {
        return None;
    }
    let (at, replacement) = *rng.pick(&options);
    let mut out = chars;
    out[at] = replacement;
    Some(out.into_iter().collect())
}

/// Accuracy figures over a set of cases.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub cases: usize,
    pub station_right: usize,
    pub accounts_expected: usize,
    pub account_right: usize,
    pub confident: usize,
    pub confident_wrong: usize,
    pub by_class: BTreeMap<&'static str, ClassFigures>,
    /// Up to 20 confident-wrong cases, for debugging.
    pub confident_wrong_examples: Vec<String>,
    /// Up to 40 cases with the wrong station or a missed account.
    pub miss_examples: Vec<String>,
}

#[derive(Debug, Default, Clone)]
pub struct ClassFigures {
    pub cases: usize,
    pub station_right: usize,
    pub accounts_expected: usize,
    pub account_right: usize,
    pub confident: usize,
    pub confident_wrong: usize,
}

impl Report {
    pub fn station_accuracy(&self) -> f64 {
        ratio(self.station_right, self.cases)
    }
    pub fn account_accuracy(&self) -> f64 {
        ratio(self.account_right, self.accounts_expected)
    }
    /// Confident-wrong answers as a share of all cases.
    pub fn confident_wrong_rate(&self) -> f64 {
        ratio(self.confident_wrong, self.cases)
    }
    /// Right answers as a share of the confident ones.
    pub fn confident_precision(&self) -> f64 {
        1.0 - ratio(self.confident_wrong, self.confident)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// Resolves every case and counts. An answer is wrong when its station is,
/// or when it names an account other than the expected one.
pub fn evaluate(index: &AddressIndex, cases: &[Case]) -> Report {
    let mut report = Report::default();
    for case in cases {
        let Ok(r) = index.resolve(&case.text, case.point) else {
            report.cases += 1;
            continue;
        };
        let station_right = r.station.as_ref().is_some_and(|s| s.code == case.station);
        let account_right = case.account_no.is_some() && r.account_no == case.account_no;
        let account_wrong = r.account_no.is_some() && r.account_no != case.account_no;
        let confident = r.confidence >= CONFIDENT;
        let confident_wrong = confident && (!station_right || account_wrong);
        report.cases += 1;
        report.station_right += station_right as usize;
        report.accounts_expected += case.account_no.is_some() as usize;
        report.account_right += account_right as usize;
        report.confident += confident as usize;
        report.confident_wrong += confident_wrong as usize;
        let shown = || {
            format!(
                "[{}] {:?} → {:?} {:?} {} {} (expected {} {:?})",
                case.class,
                case.text,
                r.station.as_ref().map(|s| &s.code),
                r.account_no,
                r.method.code(),
                r.confidence,
                case.station,
                case.account_no
            )
        };
        if confident_wrong && report.confident_wrong_examples.len() < 20 {
            report.confident_wrong_examples.push(shown());
        }
        let missed = !station_right || (case.account_no.is_some() && !account_right);
        if missed && report.miss_examples.len() < 400 {
            report.miss_examples.push(shown());
        }
        let class = report.by_class.entry(case.class).or_default();
        class.cases += 1;
        class.station_right += station_right as usize;
        class.accounts_expected += case.account_no.is_some() as usize;
        class.account_right += account_right as usize;
        class.confident += confident as usize;
        class.confident_wrong += confident_wrong as usize;
    }
    report
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "cases                      {}", self.cases)?;
        writeln!(
            f,
            "top-1 station accuracy     {:.2} %",
            100.0 * self.station_accuracy()
        )?;
        writeln!(
            f,
            "top-1 account accuracy     {:.2} % (of {} cases naming one flat)",
            100.0 * self.account_accuracy(),
            self.accounts_expected
        )?;
        writeln!(
            f,
            "confident (≥ {CONFIDENT})          {:.2} % of cases",
            100.0 * ratio(self.confident, self.cases)
        )?;
        writeln!(
            f,
            "confident-wrong            {:.3} % of cases ({} cases; precision when confident {:.3} %)",
            100.0 * self.confident_wrong_rate(),
            self.confident_wrong,
            100.0 * self.confident_precision()
        )?;
        writeln!(
            f,
            "{:<26} {:>6} {:>9} {:>9} {:>10} {:>8}",
            "class", "cases", "station%", "account%", "confident%", "conf-wrong"
        )?;
        for (class, c) in &self.by_class {
            writeln!(
                f,
                "{:<26} {:>6} {:>9.2} {:>9.2} {:>10.2} {:>8}",
                class,
                c.cases,
                100.0 * ratio(c.station_right, c.cases),
                100.0 * ratio(c.account_right, c.accounts_expected),
                100.0 * ratio(c.confident, c.cases),
                c.confident_wrong
            )?;
        }
        for example in &self.confident_wrong_examples {
            writeln!(f, "  confident-wrong: {example}")?;
        }
        if f.alternate() {
            for example in &self.miss_examples {
                writeln!(f, "  miss: {example}")?;
            }
        }
        Ok(())
    }
}
