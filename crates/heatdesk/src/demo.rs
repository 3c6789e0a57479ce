//! The demo city: a plausible synthetic heating utility for demos and benchmarks.
//!
//! Modelled on the reference utility of DESIGN.md §1: one northern city (around
//! Harbin, WGS84 45.75 N 126.63 E), four branches by district, twenty heating
//! stations laid out as a grid of ~1.5 km service areas (a branch's stations side
//! by side), staff for every position, accounts spread over named communities
//! and a few weeks of ticket history walked through the real state machine.
//!
//! Everything is drawn from one seeded RNG: the same options and `now` give the
//! same city. The city itself depends only on the seed and the account count; the
//! ticket history additionally on `days`, `now` and the time zone.

use std::collections::{HashMap, HashSet};

use anyhow::Context as _;
use chrono::TimeZone as _;
use chrono_tz::Tz;
use domain::temperature::{Reading, TemperatureRules, Visit, VisitInput};
use domain::{
    Action, Channel, Difficulty, Kind, NewTicket, PaymentState, Phone, Position, Priority, Role,
    Satisfaction, Timestamp,
};
use rand::rngs::StdRng;
use rand::seq::SliceRandom as _;
use rand::{Rng, SeedableRng};
use store::accounts::AccountRecord;
use store::org::{StaffRecord, StationRecord, StationRow};
use store::tickets::Actor;

/// How big a city to build and how much history to give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    pub accounts: usize,
    pub days: u32,
    pub seed: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            accounts: 20_000,
            days: 21,
            seed: 2026,
        }
    }
}

/// A login created for the demo, with its readable password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    pub username: String,
    pub password: String,
    pub role: domain::Role,
    pub station_code: Option<String>,
}

/// What [`load`] put into the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    pub stations: usize,
    pub staff: usize,
    pub accounts: usize,
    pub tickets: usize,
    pub logins: Vec<DemoLogin>,
}

/// Loads the demo city into `db` (expected empty). `hash` turns a password into a stored hash.
pub async fn load(
    db: &store::Db,
    options: &DemoOptions,
    now: domain::Timestamp,
    tz: chrono_tz::Tz,
    hash: &(dyn Fn(&str) -> anyhow::Result<String> + Sync),
) -> anyhow::Result<DemoSummary> {
    let started = std::time::Instant::now();
    let mut city = City::generate(options.seed, options.accounts);
    tracing::debug!(
        seconds = started.elapsed().as_secs_f64(),
        "demo city generated"
    );
    db.import_stations(&city.station_records(), now)
        .await
        .context("importing the demo stations")?;
    db.import_staff(&city.staff, now)
        .await
        .context("importing the demo staff")?;
    db.import_accounts(&city.accounts, now)
        .await
        .context("importing the demo accounts")?;
    tracing::info!(
        accounts = city.accounts.len(),
        seconds = started.elapsed().as_secs_f64(),
        "demo registers loaded"
    );
    let logins = create_users(db, &city, now, hash).await?;
    let stations = station_rows_by_index(db, &city).await?;

    let mut rng = StdRng::seed_from_u64(options.seed ^ HISTORY_SEED_SALT);
    let plans = plan_history(&mut rng, &mut city, options.days, now, tz);
    replay(db, &plans, &stations, tz).await?;
    // The history's messages went out when it happened, not now.
    db.mark_history_sent(now.plus_millis(1))
        .await
        .context("settling the demo history's messages")?;
    tracing::info!(
        tickets = plans.len(),
        seconds = started.elapsed().as_secs_f64(),
        "demo ticket history loaded"
    );
    Ok(DemoSummary {
        stations: city.stations.len(),
        staff: city.staff.len(),
        accounts: city.accounts.len(),
        tickets: plans.len(),
        logins,
    })
}

// ---------------------------------------------------------------------------
// Word lists
// ---------------------------------------------------------------------------

/// A branch: its district, the streets its communities lie on and its stations.
struct BranchSpec {
    name: &'static str,
    district: &'static str,
    streets: [&'static str; 8],
    stations: [&'static str; STATIONS_PER_BRANCH],
}

const STATIONS_PER_BRANCH: usize = 5;

const BRANCHES: [BranchSpec; 4] = [
    BranchSpec {
        name: "南岗分公司",
        district: "南岗区",
        streets: [
            "学府路",
            "西大直街",
            "红旗大街",
            "和兴路",
            "黄河路",
            "长江路",
            "中山路",
            "文昌街",
        ],
        stations: ["红旗", "学府", "和兴", "文化", "先锋"],
    },
    BranchSpec {
        name: "道里分公司",
        district: "道里区",
        streets: [
            "中央大街",
            "尚志大街",
            "经纬街",
            "安静街",
            "抚顺街",
            "友谊路",
            "新阳路",
            "地段街",
        ],
        stations: ["安静", "友谊", "新阳", "经纬", "群力"],
    },
    BranchSpec {
        name: "道外分公司",
        district: "道外区",
        streets: [
            "靖宇街",
            "南勋街",
            "北新街",
            "太古街",
            "承德街",
            "南直路",
            "景阳街",
            "大方里街",
        ],
        stations: ["太古", "靖宇", "承德", "南直", "景阳"],
    },
    BranchSpec {
        name: "香坊分公司",
        district: "香坊区",
        streets: [
            "哈平路",
            "公滨路",
            "珠江路",
            "通乡街",
            "香福路",
            "和平路",
            "电塔街",
            "三大动力路",
        ],
        stations: ["哈平", "珠江", "通乡", "和平", "电塔"],
    },
];

const COMMUNITY_PREFIXES: &[&str] = &[
    "幸福", "阳光", "锦绣", "和谐", "世纪", "金色", "翠湖", "丽水", "龙江", "江畔", "嘉禾", "盛世",
    "康乐", "安居", "鑫城", "绿洲", "银河", "长青", "东方", "春天", "明珠", "书香", "怡景", "景泰",
    "福顺", "兴业", "宏伟", "晨光", "华侨", "润和", "凯旋", "御景", "新城", "红星", "建设", "工人",
    "铁路", "电力", "教师", "桃园", "枫叶", "松花", "北国", "雪城", "万家", "永和", "吉祥", "瑞祥",
    "富强", "民主", "滨江", "清滨", "紫金", "香榭", "丁香", "白桦", "青年", "文苑", "泰山", "华山",
];

const COMMUNITY_SUFFIXES: &[&str] = &["小区", "家园", "花园", "苑", "新村"];

/// Phases of a large estate, used once every prefix-and-suffix pair is taken.
const ESTATE_PHASES: &[&str] = &["二期", "三期", "四期", "五期", "六期"];

/// Most common surnames first: [`pick_skewed`] favours the front.
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹",
    "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛",
    "叶", "阎", "余", "潘", "杜", "戴", "夏", "钟", "汪", "田", "任", "姜", "范", "方", "石", "姚",
    "谭", "廖", "邹", "熊", "金", "陆", "郝", "孔", "白", "崔", "康", "毛", "邱", "秦", "江", "史",
    "顾", "侯", "邵", "孟", "龙", "万", "段", "雷", "钱", "汤", "尹", "黎", "易", "常", "武", "乔",
];

const MALE_GIVEN_NAMES: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞",
    "鑫", "波", "宇", "浩", "建国", "建华", "建军", "志强", "志刚", "海涛", "国庆", "振华", "文博",
    "宏伟", "德胜", "立新", "永刚", "春生", "长江", "晓东", "海峰", "俊杰", "子轩", "浩然", "洪涛",
    "凤山", "玉林", "庆丰", "国富", "树林", "宝山", "成林", "继伟", "大勇",
];

const FEMALE_GIVEN_NAMES: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀英", "桂兰", "玉兰", "秀兰", "凤英", "淑珍",
    "丽华", "海燕", "晓燕", "雪梅", "春梅", "红梅", "婷婷", "欣怡", "佳怡", "丹", "萍", "玲", "颖",
    "琳", "雪", "慧", "淑芬", "玉梅", "桂芝", "秀云", "丽娟", "晓丽", "亚楠", "思雨", "梦瑶",
    "凤霞",
];

const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "176", "177", "178", "180", "181", "182", "183",
    "185", "186", "187", "188", "189", "191", "198", "199",
];

const AREA_CODE: &str = "0451";

// ---------------------------------------------------------------------------
// Geography
// ---------------------------------------------------------------------------

const CITY_CENTRE: (f64, f64) = (45.75, 126.63);
/// 1.5 km north-south in degrees of latitude.
const CELL_LAT: f64 = 1.5 / 111.32;
/// 1.5 km east-west in degrees of longitude at 45.75 N.
const CELL_LON: f64 = 1.5 / 77.7;
/// How far a grid corner may stray, as a share of the cell.
const CORNER_JITTER: f64 = 0.08;
/// Community centres stay this far inside their cell (cell coordinates 0..1).
const COMMUNITY_MARGIN: f64 = 0.18;
/// How far an account may lie from its community centre (cell coordinates).
const ACCOUNT_SPREAD: f64 = 0.04;

/// A station's service area: a convex quadrilateral, corners (lat, lon) in the
/// order south-west, south-east, north-east, north-west (counter-clockwise).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Quad {
    corners: [(f64, f64); 4],
}

impl Quad {
    /// The point at cell coordinates (`u` east, `v` north), both in 0..=1.
    fn point(&self, u: f64, v: f64) -> (f64, f64) {
        let [sw, se, ne, nw] = self.corners;
        let blend = |f: fn((f64, f64)) -> f64| {
            (1.0 - u) * (1.0 - v) * f(sw)
                + u * (1.0 - v) * f(se)
                + u * v * f(ne)
                + (1.0 - u) * v * f(nw)
        };
        (blend(|p| p.0), blend(|p| p.1))
    }

    /// The area as a GeoJSON Polygon geometry (`[lon, lat]`, closed ring).
    fn geojson(&self) -> String {
        let ring: Vec<String> = self
            .corners
            .iter()
            .chain(std::iter::once(&self.corners[0]))
            .map(|(lat, lon)| format!("[{lon:.6},{lat:.6}]"))
            .collect();
        format!(
            r#"{{"type":"Polygon","coordinates":[[{}]]}}"#,
            ring.join(",")
        )
    }
}

/// A grid of `rows` × `cols` service areas that share their jittered corners,
/// row by row from the north, so neighbouring areas meet without gaps.
fn service_areas(rng: &mut StdRng, rows: usize, cols: usize) -> Vec<Quad> {
    let north = CITY_CENTRE.0 + rows as f64 / 2.0 * CELL_LAT;
    let west = CITY_CENTRE.1 - cols as f64 / 2.0 * CELL_LON;
    let corners: Vec<Vec<(f64, f64)>> = (0..=rows)
        .map(|r| {
            (0..=cols)
                .map(|c| {
                    let jitter_lat = rng.random_range(-CORNER_JITTER..=CORNER_JITTER) * CELL_LAT;
                    let jitter_lon = rng.random_range(-CORNER_JITTER..=CORNER_JITTER) * CELL_LON;
                    (
                        north - r as f64 * CELL_LAT + jitter_lat,
                        west + c as f64 * CELL_LON + jitter_lon,
                    )
                })
                .collect()
        })
        .collect();
    let mut areas = Vec::with_capacity(rows * cols);
    for r in 0..rows {
        for c in 0..cols {
            areas.push(Quad {
                corners: [
                    corners[r + 1][c],
                    corners[r + 1][c + 1],
                    corners[r][c + 1],
                    corners[r][c],
                ],
            });
        }
    }
    areas
}

// ---------------------------------------------------------------------------
// Small helpers on the RNG
// ---------------------------------------------------------------------------

/// Picks any item; `items` must not be empty (the word lists never are).
fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Picks from a list ordered most common first, favouring the front.
fn pick_skewed<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    let u: f64 = rng.random();
    let index = (u.powf(1.8) * items.len() as f64) as usize;
    &items[index.min(items.len() - 1)]
}

/// Picks an item by integer weight.
fn pick_weighted<'a, T>(rng: &mut StdRng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut ticket = rng.random_range(0..total.max(1));
    for (item, weight) in items {
        if ticket < *weight {
            return item;
        }
        ticket -= weight;
    }
    &items[items.len() - 1].0
}

/// Rounds to two decimals, as registers keep heated areas.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

// ---------------------------------------------------------------------------
// People and phones
// ---------------------------------------------------------------------------

/// Hands out phone numbers never handed out before (staff and accounts alike).
#[derive(Debug, Default)]
struct PhoneBook {
    taken: HashSet<String>,
}

impl PhoneBook {
    fn mobile(&mut self, rng: &mut StdRng) -> String {
        loop {
            let number = format!(
                "{}{:08}",
                pick(rng, MOBILE_PREFIXES),
                rng.random_range(0..100_000_000u32)
            );
            if self.taken.insert(number.clone()) {
                return number;
            }
        }
    }

    /// A Harbin landline, `0451-8xxxxxxx`.
    fn landline(&mut self, rng: &mut StdRng) -> String {
        loop {
            let number = format!("{AREA_CODE}-8{:07}", rng.random_range(0..10_000_000u32));
            if self.taken.insert(number.clone()) {
                return number;
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Person {
    name: String,
    female: bool,
}

impl Person {
    fn random(rng: &mut StdRng) -> Person {
        let surname = *pick_skewed(rng, SURNAMES);
        let female = rng.random_bool(0.5);
        let given = if female {
            *pick(rng, FEMALE_GIVEN_NAMES)
        } else {
            *pick(rng, MALE_GIVEN_NAMES)
        };
        Person {
            name: format!("{surname}{given}"),
            female,
        }
    }

    /// How an operator writes a caller down: 王女士, 李先生.
    fn polite(&self) -> String {
        let surname: String = self.name.chars().take(1).collect();
        format!("{surname}{}", if self.female { "女士" } else { "先生" })
    }
}

// ---------------------------------------------------------------------------
// The city
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Station {
    code: String,
    name: String,
    branch: usize,
    area: Quad,
    phone: String,
}

#[derive(Debug, Clone)]
struct Community {
    name: String,
    street: &'static str,
    /// Centre in the station's cell coordinates.
    centre: (f64, f64),
}

/// What the generator knows about an account beyond its register row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Resident {
    station: usize,
    female: bool,
}

/// The shape of a community's buildings.
#[derive(Debug, Clone, Copy)]
enum Estate {
    /// Older six- or seven-storey walk-ups with several stairwells.
    WalkUp,
    /// Newer towers: more floors, fewer units.
    HighRise,
}

struct City {
    stations: Vec<Station>,
    staff: Vec<StaffRecord>,
    accounts: Vec<AccountRecord>,
    /// Parallel to `accounts`.
    residents: Vec<Resident>,
    /// Account indexes by station index.
    accounts_by_station: Vec<Vec<usize>>,
    /// Positions of the people behind demo logins, in `staff`.
    operators: Vec<usize>,
    general_manager: usize,
    /// The first repairer of each station, in `staff`.
    first_repairers: Vec<usize>,
    phones: PhoneBook,
}

impl City {
    /// Builds the registers (stations, staff, accounts) from `seed` alone.
    fn generate(seed: u64, accounts: usize) -> City {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut phones = PhoneBook::default();
        let stations = generate_stations(&mut rng, &mut phones);
        let mut city = City {
            accounts_by_station: vec![Vec::new(); stations.len()],
            stations,
            staff: Vec::new(),
            accounts: Vec::with_capacity(accounts),
            residents: Vec::with_capacity(accounts),
            operators: Vec::new(),
            general_manager: 0,
            first_repairers: Vec::new(),
            phones,
        };
        city.generate_staff(&mut rng);
        city.generate_accounts(&mut rng, accounts);
        city
    }

    fn station_records(&self) -> Vec<StationRecord> {
        self.stations
            .iter()
            .map(|s| StationRecord {
                code: s.code.clone(),
                name: s.name.clone(),
                branch: BRANCHES[s.branch].name.to_string(),
                phone: Some(s.phone.clone()),
                area_geojson: Some(s.area.geojson()),
            })
            .collect()
    }

    fn add_staff(
        &mut self,
        rng: &mut StdRng,
        position: Position,
        branch: Option<usize>,
        station: Option<usize>,
    ) -> usize {
        let person = Person::random(rng);
        self.staff.push(StaffRecord {
            row: self.staff.len() + 2,
            name: person.name,
            phone: self.phones.mobile(rng),
            position,
            branch: branch.map(|b| BRANCHES[b].name.to_string()),
            station_code: station.map(|s| self.stations[s].code.clone()),
            email: None,
        });
        self.staff.len() - 1
    }

    /// One chairman and general manager, a deputy, a manager per branch, the
    /// hotline, and per station a director, a production deputy and 3–5 repairers.
    fn generate_staff(&mut self, rng: &mut StdRng) {
        self.add_staff(rng, Position::Chairman, None, None);
        self.general_manager = self.add_staff(rng, Position::GeneralManager, None, None);
        self.add_staff(rng, Position::DeputyGeneralManager, None, None);
        for branch in 0..BRANCHES.len() {
            self.add_staff(rng, Position::BranchManager, Some(branch), None);
        }
        for _ in 0..6 {
            let operator = self.add_staff(rng, Position::Operator, None, None);
            self.operators.push(operator);
        }
        for _ in 0..2 {
            self.add_staff(rng, Position::Dispatcher, None, None);
        }
        for station in 0..self.stations.len() {
            self.add_staff(rng, Position::StationDirector, None, Some(station));
            self.add_staff(rng, Position::ProductionDeputy, None, Some(station));
            let repairers = rng.random_range(3..=5);
            for i in 0..repairers {
                let repairer = self.add_staff(rng, Position::Repairer, None, Some(station));
                if i == 0 {
                    self.first_repairers.push(repairer);
                }
            }
        }
    }

    /// Spreads `total` accounts evenly over the stations, and each station's
    /// over its communities.
    fn generate_accounts(&mut self, rng: &mut StdRng, total: usize) {
        let mut names = CommunityNames::new(rng);
        let stations = self.stations.len();
        for station in 0..stations {
            let share = total / stations + usize::from(station < total % stations);
            let communities = share.div_ceil(700).max(2);
            let sizes = split_unevenly(rng, share, communities);
            let mut next_account_no = 1;
            for size in sizes {
                let streets = BRANCHES[self.stations[station].branch].streets;
                let community = Community {
                    name: names.next(),
                    street: streets[rng.random_range(0..streets.len())],
                    centre: (
                        rng.random_range(COMMUNITY_MARGIN..=1.0 - COMMUNITY_MARGIN),
                        rng.random_range(COMMUNITY_MARGIN..=1.0 - COMMUNITY_MARGIN),
                    ),
                };
                self.generate_community(rng, station, &community, size, &mut next_account_no);
            }
        }
    }

    fn generate_community(
        &mut self,
        rng: &mut StdRng,
        station: usize,
        community: &Community,
        size: usize,
        next_account_no: &mut usize,
    ) {
        let estate = if rng.random_bool(0.6) {
            Estate::WalkUp
        } else {
            Estate::HighRise
        };
        let first_of_community = self.accounts.len();
        for (building, unit, room) in flats(rng, estate).take(size) {
            let index = self.accounts.len();
            // Now and then a holder owns a second flat in the same community.
            let same_holder_as_previous = index > first_of_community && rng.random_bool(0.008);
            let (holder, phones) = if same_holder_as_previous {
                let previous = &self.accounts[index - 1];
                let female = self.residents[index - 1].female;
                (
                    Person {
                        name: previous.holder.clone(),
                        female,
                    },
                    previous.phones.clone(),
                )
            } else {
                (Person::random(rng), self.account_phones(rng))
            };
            let (lat, lon) = if rng.random_bool(0.9) {
                let u = community.centre.0 + rng.random_range(-ACCOUNT_SPREAD..=ACCOUNT_SPREAD);
                let v = community.centre.1 + rng.random_range(-ACCOUNT_SPREAD..=ACCOUNT_SPREAD);
                let (lat, lon) = self.stations[station].area.point(u, v);
                (Some(lat), Some(lon))
            } else {
                (None, None)
            };
            let area = match estate {
                Estate::WalkUp => rng.random_range(45.0..95.0),
                Estate::HighRise => rng.random_range(70.0..160.0),
            };
            self.accounts.push(AccountRecord {
                row: index + 2,
                account_no: format!("23{:02}{:06}", station + 1, *next_account_no),
                holder: holder.name,
                phones,
                district: BRANCHES[self.stations[station].branch].district.to_string(),
                street: community.street.to_string(),
                community: community.name.clone(),
                building: building.to_string(),
                unit: unit.to_string(),
                room: room.to_string(),
                area_m2: round2(area),
                payment_state: payment_state(rng),
                station_code: self.stations[station].code.clone(),
                lat,
                lon,
            });
            self.residents.push(Resident {
                station,
                female: holder.female,
            });
            self.accounts_by_station[station].push(index);
            *next_account_no += 1;
        }
    }

    /// Mostly one mobile; some elderly holders a landline; some a second number.
    fn account_phones(&mut self, rng: &mut StdRng) -> Vec<String> {
        let landline_first = rng.random_bool(0.05);
        let first = if landline_first {
            self.phones.landline(rng)
        } else {
            self.phones.mobile(rng)
        };
        let mut phones = vec![first];
        if landline_first || rng.random_bool(0.12) {
            let second = if landline_first || rng.random_bool(0.7) {
                self.phones.mobile(rng)
            } else {
                self.phones.landline(rng)
            };
            phones.push(second);
        }
        phones
    }
}

fn generate_stations(rng: &mut StdRng, phones: &mut PhoneBook) -> Vec<Station> {
    let areas = service_areas(rng, BRANCHES.len(), STATIONS_PER_BRANCH);
    let mut stations = Vec::with_capacity(areas.len());
    for (branch, spec) in BRANCHES.iter().enumerate() {
        for (column, name) in spec.stations.iter().enumerate() {
            let index = branch * STATIONS_PER_BRANCH + column;
            stations.push(Station {
                code: station_code(index),
                name: format!("{name}供热站"),
                branch,
                area: areas[index],
                phone: phones.landline(rng),
            });
        }
    }
    stations
}

/// `S01` for the first station.
fn station_code(index: usize) -> String {
    format!("S{:02}", index + 1)
}

/// Splits `total` into `parts` sizes that differ by up to about ±40 %.
fn split_unevenly(rng: &mut StdRng, total: usize, parts: usize) -> Vec<usize> {
    let weights: Vec<f64> = (0..parts).map(|_| rng.random_range(0.6..1.4)).collect();
    let sum: f64 = weights.iter().sum();
    let mut sizes: Vec<usize> = weights
        .iter()
        .map(|w| (total as f64 * w / sum).floor() as usize)
        .collect();
    let mut missing = total - sizes.iter().sum::<usize>();
    let mut i = 0;
    while missing > 0 {
        sizes[i % parts] += 1;
        missing -= 1;
        i += 1;
    }
    sizes
}

/// Unique community names: 幸福小区, 阳光家园 …, then 幸福小区二期 ….
struct CommunityNames {
    pairs: Vec<(usize, usize)>,
    used: usize,
}

impl CommunityNames {
    fn new(rng: &mut StdRng) -> CommunityNames {
        let mut pairs: Vec<(usize, usize)> = (0..COMMUNITY_PREFIXES.len())
            .flat_map(|p| (0..COMMUNITY_SUFFIXES.len()).map(move |s| (p, s)))
            .collect();
        pairs.shuffle(rng);
        CommunityNames { pairs, used: 0 }
    }

    fn next(&mut self) -> String {
        let (prefix, suffix) = self.pairs[self.used % self.pairs.len()];
        let round = self.used / self.pairs.len();
        self.used += 1;
        let base = format!(
            "{}{}",
            COMMUNITY_PREFIXES[prefix], COMMUNITY_SUFFIXES[suffix]
        );
        match round {
            0 => base,
            n if n <= ESTATE_PHASES.len() => format!("{base}{}", ESTATE_PHASES[n - 1]),
            n => format!("{base}{}期", n + 1),
        }
    }
}

/// Every flat of a community, building by building: (building, unit, room),
/// rooms numbered floor and door (`101` … `1802`). Buildings are 1–30 for any
/// community of up to ~1,000 flats; larger ones go on counting.
fn flats(rng: &mut StdRng, estate: Estate) -> impl Iterator<Item = (u32, u32, u32)> + use<> {
    let shapes: Vec<(u32, u32, u32)> = (0..60)
        .map(|_| match estate {
            Estate::WalkUp => (rng.random_range(6..=7), rng.random_range(3..=6), 2),
            Estate::HighRise => (
                rng.random_range(11..=33),
                rng.random_range(2..=3),
                rng.random_range(2..=4),
            ),
        })
        .collect();
    shapes
        .into_iter()
        .enumerate()
        .flat_map(|(b, (floors, units, doors))| {
            (1..=units).flat_map(move |unit| {
                (1..=floors).flat_map(move |floor| {
                    (1..=doors).map(move |door| (b as u32 + 1, unit, floor * 100 + door))
                })
            })
        })
}

fn payment_state(rng: &mut StdRng) -> PaymentState {
    *pick_weighted(
        rng,
        &[
            (PaymentState::Paid, 85),
            (PaymentState::Partial, 4),
            (PaymentState::Unpaid, 8),
            (PaymentState::Suspended, 3),
        ],
    )
}

// ---------------------------------------------------------------------------
// Demo users
// ---------------------------------------------------------------------------

const DEMO_USERS: &[(&str, &str, Role, bool)] = &[
    ("admin", "demo-admin-2026", Role::Admin, false),
    ("operator1", "demo-operator-2026", Role::Operator, false),
    ("operator2", "demo-operator-2026", Role::Operator, false),
    ("station1", "demo-station-2026", Role::Station, true),
    ("repairer1", "demo-repairer-2026", Role::Repairer, true),
    ("manager", "demo-manager-2026", Role::Manager, false),
    ("viewer", "demo-viewer-2026", Role::Viewer, false),
];

/// The Chinese display name of a demo login.
fn display_name(city: &City, username: &str) -> String {
    let staff_name = |i: Option<&usize>| i.map(|&i| city.staff[i].name.clone());
    match username {
        "admin" => Some("系统管理员".to_string()),
        "operator1" => staff_name(city.operators.first()).map(|n| format!("{n}（话务员）")),
        "operator2" => staff_name(city.operators.get(1)).map(|n| format!("{n}（话务员）")),
        "station1" => city.stations.first().map(|s| s.name.clone()),
        "repairer1" => staff_name(city.first_repairers.first()).map(|n| format!("{n}（维修工）")),
        "manager" => staff_name(Some(&city.general_manager)).map(|n| format!("{n}（总经理）")),
        _ => Some("督查（只读）".to_string()),
    }
    .unwrap_or_else(|| username.to_string())
}

async fn create_users(
    db: &store::Db,
    city: &City,
    now: Timestamp,
    hash: &(dyn Fn(&str) -> anyhow::Result<String> + Sync),
) -> anyhow::Result<Vec<DemoLogin>> {
    let mut logins = Vec::with_capacity(DEMO_USERS.len());
    for &(username, password, role, bound_to_station) in DEMO_USERS {
        let station_code = bound_to_station.then(|| station_code(0));
        let password_hash =
            hash(password).with_context(|| format!("hashing the password of {username}"))?;
        db.create_user(
            username,
            &display_name(city, username),
            role,
            station_code.as_deref(),
            &password_hash,
            now,
        )
        .await
        .with_context(|| format!("creating the demo user {username}"))?;
        logins.push(DemoLogin {
            username: username.to_string(),
            password: password.to_string(),
            role,
            station_code,
        });
    }
    Ok(logins)
}

/// The imported stations, in the city's order.
async fn station_rows_by_index(db: &store::Db, city: &City) -> anyhow::Result<Vec<StationRow>> {
    let mut rows: HashMap<String, StationRow> = db
        .stations()
        .await?
        .into_iter()
        .map(|r| (r.code.clone(), r))
        .collect();
    city.stations
        .iter()
        .map(|s| {
            rows.remove(&s.code)
                .with_context(|| format!("station {} missing after import", s.code))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Ticket history: planning
// ---------------------------------------------------------------------------

/// Keeps the ticket history's random stream apart from the city's, so a longer
/// history does not change the city.
const HISTORY_SEED_SALT: u64 = 0x5eed_f00d_b00c_2026;

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// Calls per hour of the day, relative: quiet nights, morning and evening peaks.
const CALL_HOUR_WEIGHTS: [u32; 24] = [
    2, 1, 1, 1, 1, 2, 4, 8, 12, 12, 11, 9, 8, 8, 8, 8, 9, 10, 12, 12, 10, 7, 5, 3,
];

/// What callers call about: (kind, category code, weight).
const CALL_MIX: &[((Kind, &str), u32)] = &[
    ((Kind::Repair, "no_heat"), 34),
    ((Kind::Repair, "leak"), 10),
    ((Kind::Repair, "valve"), 7),
    ((Kind::Repair, "radiator"), 5),
    ((Kind::Repair, "pipe"), 2),
    ((Kind::Repair, "outage"), 2),
    ((Kind::Temperature, "low_temp"), 11),
    ((Kind::Inquiry, "payment"), 7),
    ((Kind::Inquiry, "policy"), 3),
    ((Kind::Inquiry, "outage_time"), 3),
    ((Kind::Inquiry, "other"), 2),
    ((Kind::Service, "suspend_resume"), 4),
    ((Kind::Service, "account_change"), 2),
    ((Kind::Complaint, "service_attitude"), 3),
    ((Kind::Complaint, "no_heat"), 3),
];

/// How calls arrive: mostly the hotline, some transferred from the city's 12345.
const CHANNEL_MIX: &[(Channel, u32)] = &[
    (Channel::Phone, 85),
    (Channel::Open311, 8),
    (Channel::Wechat, 5),
    (Channel::WalkIn, 2),
];

fn descriptions(kind: Kind, category: &str) -> &'static [&'static str] {
    match (kind, category) {
        (Kind::Complaint, "no_heat") => &[
            "报修三天了还是不热，要求尽快解决",
            "多次报修都没解决，家里只有十五度",
            "上次修完没两天又不热了",
        ],
        (_, "no_heat") => &[
            "暖气不热，屋里只有十四五度",
            "卧室暖气片不热，客厅还行",
            "暖气片上面热下面凉",
            "整个屋子暖气都不热，家里有老人",
            "暖气温乎，室温上不去",
            "新换的暖气片一直不热",
            "回水管是凉的，暖气不热",
        ],
        (_, "leak") => &[
            "厨房暖气管接头漏水",
            "暖气片跑水了，水流到楼下",
            "卫生间暖气管滴水",
            "楼道暖气管漏水，地上都是水",
            "放风阀关不上一直滴水",
        ],
        (_, "valve") => &[
            "进户阀门关不严",
            "阀门拧不动",
            "阀门漏水",
            "锁闭阀打不开",
            "分户阀门坏了",
        ],
        (_, "radiator") => &[
            "暖气片有响声",
            "暖气片需要排气",
            "暖气片松动要重新固定",
            "暖气片有一组不热",
        ],
        (_, "pipe") => &[
            "楼道暖气管冻裂了",
            "地下室管道漏水冒热气",
            "小区门口井盖冒热气",
            "主管道有异响",
        ],
        (_, "outage") => &[
            "整栋楼暖气突然都不热了",
            "一单元全停热了",
            "家里暖气凉了，邻居家也不热",
        ],
        (_, "low_temp") => &[
            "室温只有16度，要求测温",
            "家里温度不达标，申请测温",
            "屋里冷，穿棉袄都冷，要求上门测温",
        ],
        (_, "payment") => &[
            "询问今年的供热收费标准",
            "咨询怎么用微信缴费",
            "问发票怎么开",
            "询问欠费能不能分期缴纳",
        ],
        (_, "policy") => &[
            "咨询低保户供热补贴政策",
            "咨询报停需要什么手续",
            "询问空房采暖费怎么收",
        ],
        (_, "outage_time") => &[
            "询问什么时候恢复供热",
            "询问停热原因和恢复时间",
            "询问今年供热结束时间",
        ],
        (_, "suspend_resume") => &[
            "房子没人住，要办理报停",
            "申请恢复供热",
            "去年报停了，今年要启封",
        ],
        (_, "account_change") => &[
            "房屋过户，要更改户名",
            "更改联系电话",
            "供热信息卡丢了要补办",
        ],
        (_, "service_attitude") => &[
            "维修人员态度不好",
            "说好上门一直没人来",
            "维修师傅收费不合理",
        ],
        _ => &[
            "询问供热站电话",
            "咨询暖气改造",
            "反映楼道灯不亮（非供热问题）",
        ],
    }
}

fn answers(category: &str) -> &'static [&'static str] {
    match category {
        "payment" => &[
            "已告知住宅收费标准及缴费渠道",
            "已告知可通过微信公众号、银行网点缴费",
            "已告知发票在缴费后可在公众号开具",
        ],
        "policy" => &["已告知补贴政策及申请材料", "已告知报停手续及办理地点"],
        "outage_time" => &[
            "已告知预计恢复时间",
            "已告知停热原因为管网抢修，预计当日恢复",
        ],
        _ => &["已告知相关电话", "已解释，非供热业务"],
    }
}

fn resolutions(category: &str) -> &'static [&'static str] {
    match category {
        "no_heat" => &[
            "暖气片排气后恢复正常",
            "清洗过滤网后恢复",
            "调整单元平衡阀，室温回升",
            "更换锁闭阀后恢复供热",
        ],
        "leak" => &["更换接头垫片，已不漏", "更换暖气片放风阀", "管道焊补完成"],
        "valve" => &["更换阀门", "维修阀门后开关正常", "已打开锁闭阀"],
        "radiator" => &["已排气，异响消除", "暖气片重新固定"],
        "pipe" => &["更换破损管段", "管道抢修完成"],
        "outage" => &["管网抢修完成，已恢复供热", "二次网故障排除，已恢复供热"],
        "suspend_resume" => &["已上门施封，报停生效", "已启封，恢复供热"],
        "account_change" => &["已办理变更", "已补办供热信息卡"],
        "service_attitude" => &[
            "已向用户致歉，对维修人员进行批评教育",
            "已安排人员上门并向用户说明情况",
        ],
        _ => &["已处理"],
    }
}

const CONTACT_NOTES: &[&str] = &[
    "已电话联系用户，半小时内上门",
    "已联系，用户在家等候",
    "已联系用户，马上出发",
    "已联系用户",
    "",
];

const SATISFIED_NOTES: &[&str] = &["用户表示满意", "已恢复，用户满意", "满意", ""];

const UNSATISFIED_NOTES: &[&str] = &[
    "用户反映仍然不热",
    "维修后又开始漏水",
    "用户称维修人员未上门",
    "室温还是不达标",
];

const CANCEL_REASONS: &[&str] = &[
    "用户来电告知暖气已经热了",
    "用户自行处理，取消报修",
    "重复报修",
];

/// Who takes a step: a hotline operator, or the station's duty desk or crew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Operator(&'static str),
    Station(usize),
    Repairer(usize),
}

#[derive(Debug, Clone, PartialEq)]
enum Act {
    Do(Action),
    /// The station puts one or two of its repairers on the ticket (their
    /// staff ids are known only once the register is imported): `pick`
    /// chooses who.
    AssignCrew {
        station: usize,
        pick: usize,
        two: bool,
    },
    /// Merge into the planned ticket with this id (its number is known only once registered).
    MergeInto(usize),
}

#[derive(Debug, Clone, PartialEq)]
struct Step {
    at: Timestamp,
    who: Who,
    act: Act,
}

/// One call as it will be replayed: registration, then its steps in order.
#[derive(Debug, Clone, PartialEq)]
struct TicketPlan {
    id: usize,
    at: Timestamp,
    ticket: NewTicket,
    /// The station the operator routed it to (now and then the wrong one).
    station: usize,
    operator: &'static str,
    steps: Vec<Step>,
}

/// Who called and from where.
#[derive(Debug, Clone)]
struct Caller {
    name: String,
    phone: String,
    address: String,
    account_no: Option<String>,
    point: Option<(f64, f64)>,
    station: usize,
}

/// The facts of a call that steer its lifecycle.
#[derive(Debug, Clone)]
struct Call {
    at: Timestamp,
    kind: Kind,
    category: &'static str,
    priority: Priority,
    difficulty: Difficulty,
    channel: Channel,
    caller: Caller,
    description: String,
    /// The station it is first dispatched to; differs from the caller's when misrouted.
    routed_to: usize,
}

/// The hotline works two shifts: operator1 by day, operator2 by night.
fn operator_on_shift(at: Timestamp, tz: Tz) -> &'static str {
    if (8 * HOUR..20 * HOUR).contains(&local_seconds_of_day(at, tz)) {
        "operator1"
    } else {
        "operator2"
    }
}

fn local_seconds_of_day(at: Timestamp, tz: Tz) -> i64 {
    let offset = i64::from(at.offset(tz).local_minus_utc());
    (at.millis().div_euclid(1000) + offset).rem_euclid(DAY)
}

/// Local midnights of the last `days` days, the last one today's.
fn local_midnights(now: Timestamp, tz: Tz, days: u32) -> Vec<Timestamp> {
    let today = now.to_utc().with_timezone(&tz).date_naive();
    (0..days)
        .rev()
        .filter_map(|back| {
            let date = today.checked_sub_days(chrono::Days::new(u64::from(back)))?;
            let local = tz.from_local_datetime(&date.and_hms_opt(0, 0, 0)?);
            local
                .earliest()
                .or_else(|| local.latest())
                .map(|t| Timestamp(t.timestamp_millis()))
        })
        .collect()
}

/// Daily mean outdoor temperatures (°C) of a Harbin winter, with one cold snap.
fn daily_temperatures(rng: &mut StdRng, days: usize) -> Vec<f64> {
    let snap_start = rng.random_range(0..days.max(1));
    let mut temperature = -15.0 + rng.random_range(-4.0..4.0);
    (0..days)
        .map(|day| {
            temperature = -16.0 + 0.7 * (temperature + 16.0) + rng.random_range(-4.0..4.0);
            let snap = if (snap_start..snap_start + 3).contains(&day) {
                -10.0
            } else {
                0.0
            };
            temperature + snap
        })
        .collect()
}

/// Calls on a day of the full-size city: ~60 on a mild day, up to ~200 in a cold snap.
fn calls_on_a_day(rng: &mut StdRng, temperature: f64) -> f64 {
    let base = 60.0 + 8.0 * (-temperature - 12.0).max(0.0);
    (base * rng.random_range(0.9..1.1)).min(210.0)
}

/// A smaller city gets fewer calls; from 20,000 accounts on the full volume.
fn call_scale(accounts: usize) -> f64 {
    (accounts as f64 / 20_000.0).min(1.0)
}

/// Rounds `x` up or down at random so that the expectation stays `x`.
fn stochastic_round(rng: &mut StdRng, x: f64) -> usize {
    let floor = x.floor();
    floor as usize + usize::from(rng.random_bool((x - floor).clamp(0.0, 1.0)))
}

/// Plans every ticket of the last `days` days up to `now`, ordered by registration.
fn plan_history(
    rng: &mut StdRng,
    city: &mut City,
    days: u32,
    now: Timestamp,
    tz: Tz,
) -> Vec<TicketPlan> {
    if city.accounts.is_empty() || days == 0 {
        return Vec::new();
    }
    let midnights = local_midnights(now, tz, days);
    let temperatures = daily_temperatures(rng, midnights.len());
    let scale = call_scale(city.accounts.len());
    let mut plans = Vec::new();
    for (midnight, temperature) in midnights.iter().zip(&temperatures) {
        let expected_calls = calls_on_a_day(rng, *temperature) * scale;
        let calls = stochastic_round(rng, expected_calls);
        let mut times: Vec<Timestamp> = (0..calls)
            .map(|_| {
                let hour = *pick_weighted(rng, &hourly_weights());
                midnight.plus_millis((hour * HOUR + rng.random_range(0..HOUR)) * 1000)
            })
            .filter(|at| *at < now)
            .collect();
        times.sort();
        for at in times {
            let call = random_call(rng, city, at);
            let id = plans.len();
            let steps = plan_lifecycle(rng, tz, &call, None);
            let chase = chasing_call(rng, tz, &call, id, &steps, plans.len() + 1);
            plans.push(plan_of(id, call, steps, tz));
            plans.extend(chase);
        }
    }
    if midnights.len() >= 2 {
        let day = midnights[midnights.len() * 2 / 3];
        plans.extend(plan_outage(rng, city, tz, day, plans.len()));
    }
    for plan in &mut plans {
        plan.steps.retain(|s| s.at <= now);
    }
    plans.retain(|p| p.at < now);
    plans.sort_by_key(|p| (p.at, p.id));
    plans
}

fn hourly_weights() -> [(i64, u32); 24] {
    let mut weights = [(0, 0); 24];
    for (hour, weight) in CALL_HOUR_WEIGHTS.iter().enumerate() {
        weights[hour] = (hour as i64, *weight);
    }
    weights
}

fn plan_of(id: usize, call: Call, steps: Vec<Step>, tz: Tz) -> TicketPlan {
    let ticket = NewTicket {
        kind: call.kind,
        category: call.category.to_string(),
        priority: call.priority,
        difficulty: call.difficulty,
        channel: call.channel,
        caller_name: call.caller.name,
        caller_phone: Phone::from_canonical(call.caller.phone),
        address: call.caller.address,
        description: call.description,
        account_no: call.caller.account_no,
        station_code: Some(station_code(call.routed_to)),
        point: call.caller.point,
    };
    TicketPlan {
        id,
        at: call.at,
        ticket,
        station: call.routed_to,
        operator: operator_on_shift(call.at, tz),
        steps,
    }
}

/// An everyday call: mostly an account holder, sometimes a relative, now and
/// then a passer-by reporting a street pipe.
fn random_call(rng: &mut StdRng, city: &mut City, at: Timestamp) -> Call {
    let (kind, category) = *pick_weighted(rng, CALL_MIX);
    let caller = if category == "pipe" && rng.random_bool(0.3) {
        let station = rng.random_range(0..city.stations.len());
        street_caller(rng, city, station)
    } else {
        let account = rng.random_range(0..city.accounts.len());
        account_caller(rng, city, account)
    };
    let routed_to = if kind != Kind::Inquiry && rng.random_bool(0.02) {
        neighbour(caller.station, city.stations.len())
    } else {
        caller.station
    };
    Call {
        at,
        kind,
        category,
        priority: priority_of(rng, category),
        difficulty: difficulty_of(rng, category),
        channel: *pick_weighted(rng, CHANNEL_MIX),
        description: pick(rng, descriptions(kind, category)).to_string(),
        caller,
        routed_to,
    }
}

/// The station next door (same branch row where possible), for misrouted tickets.
fn neighbour(station: usize, stations: usize) -> usize {
    if station % STATIONS_PER_BRANCH + 1 < STATIONS_PER_BRANCH && station + 1 < stations {
        station + 1
    } else {
        station.saturating_sub(1)
    }
}

fn priority_of(rng: &mut StdRng, category: &str) -> Priority {
    let (emergency, urgent) = match category {
        "pipe" => (15, 55),
        "outage" => (40, 50),
        "leak" => (5, 50),
        "no_heat" => (0, 15),
        _ => (0, 3),
    };
    let roll = rng.random_range(0..100);
    if roll < emergency {
        Priority::Emergency
    } else if roll < emergency + urgent {
        Priority::Urgent
    } else {
        Priority::Normal
    }
}

fn difficulty_of(rng: &mut StdRng, category: &str) -> Difficulty {
    match category {
        "pipe" | "outage" => Difficulty::Hard,
        "radiator" | "payment" | "policy" | "outage_time" | "other" | "account_change" => {
            Difficulty::Easy
        }
        _ => *pick_weighted(
            rng,
            &[
                (Difficulty::Easy, 25),
                (Difficulty::Normal, 60),
                (Difficulty::Hard, 15),
            ],
        ),
    }
}

/// An account's holder (or a relative) calling about the flat.
fn account_caller(rng: &mut StdRng, city: &mut City, account: usize) -> Caller {
    let record = &city.accounts[account];
    let resident = city.residents[account];
    let holder = Person {
        name: record.holder.clone(),
        female: resident.female,
    };
    let (name, phone) = if rng.random_bool(0.08) {
        // A son or daughter calling for the parents, from an unregistered phone.
        let relative = Person::random(rng);
        let surname: String = holder.name.chars().take(1).collect();
        let name = format!("{surname}{}", if relative.female { "女士" } else { "先生" });
        (name, city.phones.mobile(rng))
    } else {
        let name = if rng.random_bool(0.6) {
            holder.polite()
        } else {
            holder.name.clone()
        };
        (name, pick(rng, &record.phones).clone())
    };
    Caller {
        name,
        phone,
        address: typed_address(rng, record),
        account_no: Some(record.account_no.clone()),
        point: record.lat.zip(record.lon),
        station: resident.station,
    }
}

/// The address as an operator types it: mostly `幸福小区3栋2单元501`.
fn typed_address(rng: &mut StdRng, r: &AccountRecord) -> String {
    let roll = rng.random_range(0..100);
    let (c, b, u, room) = (&r.community, &r.building, &r.unit, &r.room);
    match roll {
        0..75 => format!("{c}{b}栋{u}单元{room}"),
        75..85 => format!("{c}{b}号楼{u}单元{room}"),
        85..93 => format!("{c}{b}-{u}-{room}"),
        _ => format!("{}{c}{b}栋{u}单元{room}", r.district),
    }
}

/// A passer-by reporting a street pipe at a crossing in the station's area.
fn street_caller(rng: &mut StdRng, city: &mut City, station: usize) -> Caller {
    let streets = &BRANCHES[city.stations[station].branch].streets;
    let first = rng.random_range(0..streets.len());
    let second = (first + rng.random_range(1..streets.len())) % streets.len();
    let person = Person::random(rng);
    Caller {
        name: person.polite(),
        phone: city.phones.mobile(rng),
        address: format!("{}与{}交口", streets[first], streets[second]),
        account_no: None,
        point: None,
        station,
    }
}

/// A second call by the same caller chasing an open repair, which the operator
/// merges into the first ticket.
fn chasing_call(
    rng: &mut StdRng,
    tz: Tz,
    original: &Call,
    original_id: usize,
    original_steps: &[Step],
    id: usize,
) -> Option<TicketPlan> {
    if original.kind != Kind::Repair || !rng.random_bool(0.03) {
        return None;
    }
    let at = original
        .at
        .plus_millis(rng.random_range(20 * MINUTE..=90 * MINUTE) * 1000);
    let merge_at = at.plus_millis(rng.random_range(MINUTE..=3 * MINUTE) * 1000);
    if !open_until(original_steps, merge_at) {
        return None;
    }
    let mut call = original.clone();
    call.at = at;
    call.description = format!("催修：{}", original.description);
    call.routed_to = original.caller.station;
    let steps = vec![Step {
        at: merge_at,
        who: Who::Operator(operator_on_shift(merge_at, tz)),
        act: Act::MergeInto(original_id),
    }];
    Some(plan_of(id, call, steps, tz))
}

/// Whether a ticket with these steps is still open (not closed, cancelled or
/// merged) at `at`.
fn open_until(steps: &[Step], at: Timestamp) -> bool {
    !steps.iter().any(|s| {
        s.at <= at
            && matches!(
                &s.act,
                Act::MergeInto(_)
                    | Act::Do(
                        Action::Answer { .. }
                            | Action::Cancel { .. }
                            | Action::Callback {
                                satisfaction: Satisfaction::Satisfied
                                    | Satisfaction::BasicallySatisfied,
                                ..
                            }
                    )
            )
    })
}

/// One outage morning at one station: a burst of calls, the first one the
/// emergency, a share of the rest merged into it, all resolved when the
/// network is repaired.
fn plan_outage(
    rng: &mut StdRng,
    city: &mut City,
    tz: Tz,
    midnight: Timestamp,
    first_id: usize,
) -> Vec<TicketPlan> {
    let candidates: Vec<usize> = (0..city.stations.len())
        .filter(|&s| !city.accounts_by_station[s].is_empty())
        .collect();
    if candidates.is_empty() {
        return Vec::new();
    }
    let station = *pick(rng, &candidates);
    let start = midnight
        .plus_millis(rng.random_range(6 * HOUR + 30 * MINUTE..8 * HOUR + 30 * MINUTE) * 1000);
    let repaired = start.plus_millis(rng.random_range(4 * HOUR..7 * HOUR) * 1000);
    let expected_calls = rng.random_range(20.0..45.0) * call_scale(city.accounts.len());
    let calls = stochastic_round(rng, expected_calls).max(3);
    let mut offsets: Vec<i64> = (0..calls)
        .map(|i| {
            if i == 0 {
                0
            } else {
                rng.random_range(MINUTE..3 * HOUR)
            }
        })
        .collect();
    offsets.sort();

    let mut plans: Vec<TicketPlan> = Vec::with_capacity(calls);
    let mut main_steps: Vec<Step> = Vec::new();
    for offset in offsets {
        let id = first_id + plans.len();
        let account = *pick(rng, &city.accounts_by_station[station]);
        let caller = account_caller(rng, city, account);
        let is_main = plans.is_empty();
        let call = Call {
            at: start.plus_millis(offset * 1000),
            kind: Kind::Repair,
            category: "outage",
            priority: if is_main {
                Priority::Emergency
            } else {
                Priority::Urgent
            },
            difficulty: Difficulty::Hard,
            channel: Channel::Phone,
            description: pick(rng, descriptions(Kind::Repair, "outage")).to_string(),
            routed_to: caller.station,
            caller,
        };
        let merge_at = call
            .at
            .plus_millis(rng.random_range(MINUTE..=3 * MINUTE) * 1000);
        let steps = if is_main {
            main_steps = plan_lifecycle(rng, tz, &call, Some(repaired));
            main_steps.clone()
        } else if rng.random_bool(0.35) && open_until(&main_steps, merge_at) {
            vec![Step {
                at: merge_at,
                who: Who::Operator(operator_on_shift(merge_at, tz)),
                act: Act::MergeInto(first_id),
            }]
        } else {
            plan_lifecycle(rng, tz, &call, Some(repaired))
        };
        plans.push(plan_of(id, call, steps, tz));
    }
    plans
}

/// A ticket's steps in time, to the second.
struct Timeline {
    at: Timestamp,
    tz: Tz,
    steps: Vec<Step>,
}

impl Timeline {
    fn wait(&mut self, rng: &mut StdRng, min_secs: i64, max_secs: i64) {
        self.at = self
            .at
            .plus_millis(rng.random_range(min_secs..=max_secs) * 1000);
    }

    /// Moves into the daily window `[open, close)` (local seconds of day).
    fn keep_hours(&mut self, rng: &mut StdRng, open: i64, close: i64) {
        let local = local_seconds_of_day(self.at, self.tz);
        if (open..close).contains(&local) {
            return;
        }
        let wait = if local < open {
            open - local
        } else {
            DAY - local + open
        };
        self.at = self
            .at
            .plus_millis((wait + rng.random_range(0..30 * MINUTE)) * 1000);
    }

    /// Moves to `seconds` past local midnight of the next day.
    fn next_day_at(&mut self, seconds: i64) {
        let local = local_seconds_of_day(self.at, self.tz);
        self.at = self.at.plus_millis((DAY - local + seconds) * 1000);
    }

    fn push(&mut self, who: Who, action: Action) {
        self.steps.push(Step {
            at: self.at,
            who,
            act: Act::Do(action),
        });
    }

    fn operator(&self) -> Who {
        Who::Operator(operator_on_shift(self.at, self.tz))
    }
}

/// The whole life of a call, regardless of `now` (the caller cuts it off):
/// answered on the spot, or dispatched, worked, called back and closed — with
/// the odd misroute, cancellation, appointment and unsatisfied callback.
/// `repaired` holds resolution back until a network repair is done.
fn plan_lifecycle(rng: &mut StdRng, tz: Tz, call: &Call, repaired: Option<Timestamp>) -> Vec<Step> {
    let mut line = Timeline {
        at: call.at,
        tz,
        steps: Vec::new(),
    };
    if call.kind == Kind::Inquiry {
        line.wait(rng, 40, 4 * MINUTE);
        line.push(
            line.operator(),
            Action::Answer {
                note: pick(rng, answers(call.category)).to_string(),
            },
        );
        return line.steps;
    }
    line.wait(rng, 15, 75);
    line.push(
        line.operator(),
        Action::Dispatch {
            station_code: station_code(call.routed_to),
        },
    );
    let station = call.caller.station;
    if call.routed_to != station {
        line.wait(rng, 2 * MINUTE, 15 * MINUTE);
        line.push(
            Who::Station(call.routed_to),
            Action::Redirect {
                station_code: station_code(station),
                reason: pick(rng, REDIRECT_REASONS).to_string(),
            },
        );
    }
    let cancelled = rng.random_bool(0.025);
    for round in 0..2 {
        accept(rng, &mut line, station);
        if cancelled {
            line.wait(rng, 10 * MINUTE, 90 * MINUTE);
            line.push(
                line.operator(),
                Action::Cancel {
                    reason: pick(rng, CANCEL_REASONS).to_string(),
                },
            );
            return line.steps;
        }
        field_work(rng, &mut line, call, station, repaired);
        let satisfied = round == 1 || !rng.random_bool(0.05);
        callback(rng, &mut line, satisfied);
        if satisfied {
            break;
        }
    }
    line.steps
}

/// The duty desk accepts: mostly within 2–9 minutes, sometimes late.
fn accept(rng: &mut StdRng, line: &mut Timeline, station: usize) {
    match rng.random_range(0..100) {
        0..80 => line.wait(rng, 2 * MINUTE, 9 * MINUTE),
        80..95 => line.wait(rng, 9 * MINUTE, 15 * MINUTE),
        _ => line.wait(rng, 15 * MINUTE, 40 * MINUTE),
    }
    line.push(Who::Station(station), Action::Accept);
    // Then puts a repairer on it, two for the odd big job.
    line.wait(rng, 10, 2 * MINUTE);
    line.steps.push(Step {
        at: line.at,
        who: Who::Station(station),
        act: Act::AssignCrew {
            station,
            pick: rng.random_range(0..100),
            two: rng.random_bool(0.15),
        },
    });
}

const REDIRECT_REASONS: &[&str] = &[
    "该楼不归本站供热，转责任站",
    "地址属于相邻小区，转交责任站处理",
    "用户所报地址有误，核实后转站",
];

/// Contact, then a visit now or by appointment (or help over the phone), then the result.
fn field_work(
    rng: &mut StdRng,
    line: &mut Timeline,
    call: &Call,
    station: usize,
    repaired: Option<Timestamp>,
) {
    let crew = Who::Repairer(station);
    let normal = call.priority == Priority::Normal;
    if normal {
        line.wait(rng, 5 * MINUTE, 45 * MINUTE);
        line.keep_hours(rng, 7 * HOUR + 30 * MINUTE, 21 * HOUR + 30 * MINUTE);
    } else {
        line.wait(rng, MINUTE, 8 * MINUTE);
    }
    line.push(
        crew,
        Action::Contact {
            note: pick(rng, CONTACT_NOTES).to_string(),
        },
    );
    let fixable_by_phone = matches!(call.category, "no_heat" | "radiator") && repaired.is_none();
    if fixable_by_phone && rng.random_bool(0.06) {
        line.wait(rng, 5 * MINUTE, 20 * MINUTE);
        line.push(
            crew,
            Action::Resolve {
                note: "电话指导用户排气后恢复".to_string(),
                measured_temp_c: None,
            },
        );
        return;
    }
    let appointment_share = if call.kind == Kind::Temperature {
        0.3
    } else {
        0.05
    };
    if normal && rng.random_bool(appointment_share) {
        visit_by_appointment(rng, line, station);
    } else {
        match call.priority {
            Priority::Emergency => line.wait(rng, 8 * MINUTE, 20 * MINUTE),
            Priority::Urgent => line.wait(rng, 15 * MINUTE, 45 * MINUTE),
            Priority::Normal => {
                line.wait(rng, 20 * MINUTE, 90 * MINUTE);
                line.keep_hours(rng, 7 * HOUR + 30 * MINUTE, 21 * HOUR + 30 * MINUTE);
            }
        }
        line.push(crew, Action::Arrive);
    }
    match call.difficulty {
        Difficulty::Hard => line.wait(rng, HOUR, 4 * HOUR),
        _ => line.wait(rng, 15 * MINUTE, 2 * HOUR),
    }
    if let Some(repaired) = repaired
        && line.at < repaired
    {
        line.at = repaired;
        line.wait(rng, 5 * MINUTE, 40 * MINUTE);
    }
    if call.kind == Kind::Temperature {
        let mut measured = (rng.random_range(15.0f64..23.0) * 2.0).round() / 2.0;
        if let Some(visit) = temperature_visit(rng, call, line.at, measured) {
            if let Action::MeasureTemperature { visit } = &visit {
                measured = visit.average_c;
            }
            line.push(crew, visit);
            line.wait(rng, 2 * MINUTE, 10 * MINUTE);
        }
        line.push(crew, temperature_resolution(measured));
    } else {
        line.push(crew, resolution(rng, call));
    }
}

/// The crew cannot come now: an appointment tomorrow between 9:00 and 16:30,
/// sometimes confirmed by phone before leaving, then the visit.
fn visit_by_appointment(rng: &mut StdRng, line: &mut Timeline, station: usize) {
    let crew = Who::Repairer(station);
    line.wait(rng, 30, 3 * MINUTE);
    let booked_at = line.at;
    let slot = rng.random_range(18..=33) * 30 * MINUTE; // 9:00 … 16:30
    line.next_day_at(slot);
    let appointment = line.at;
    line.at = booked_at;
    line.push(
        crew,
        Action::Schedule {
            appointment_at: appointment,
        },
    );
    if rng.random_bool(0.5) {
        line.at = appointment.plus_millis(-rng.random_range(30 * MINUTE..=90 * MINUTE) * 1000);
        line.push(
            crew,
            Action::Contact {
                note: "出发前与用户确认".to_string(),
            },
        );
    }
    line.at = appointment;
    line.wait(rng, -10 * MINUTE, 25 * MINUTE);
    line.push(crew, Action::Arrive);
}

/// A room-temperature visit: two or three rooms around `measured`, co-signed
/// by the caller, judged by DESIGN's default table.
fn temperature_visit(
    rng: &mut StdRng,
    call: &Call,
    at: Timestamp,
    measured: f64,
) -> Option<Action> {
    let rooms = ["卧室", "客厅", "次卧"];
    let n = rng.random_range(2..=3);
    let readings = rooms[..n]
        .iter()
        .enumerate()
        .map(|(i, room)| Reading {
            room: room.to_string(),
            celsius: ((measured + rng.random_range(-0.8f64..0.8)) * 10.0).round() / 10.0,
            at: at
                .plus_millis(-((n - i) as i64) * 3 * MINUTE * 1000)
                .millis(),
        })
        .collect();
    let input = VisitInput {
        readings,
        protocol_followed: true,
        measured_by: "维修工".to_string(),
        co_signed_by: call.caller.name.clone(),
    };
    Visit::assess(input, &TemperatureRules::default(), at)
        .ok()
        .map(|visit| Action::MeasureTemperature { visit })
}

fn temperature_resolution(measured: f64) -> Action {
    let note = if measured >= 18.0 {
        format!("实测室温{measured:.1}℃，符合标准，已向用户解释")
    } else {
        format!("实测室温{measured:.1}℃，低于标准，已调节单元阀门并按规定退费")
    };
    Action::Resolve {
        note,
        measured_temp_c: Some(measured),
    }
}

fn resolution(rng: &mut StdRng, call: &Call) -> Action {
    Action::Resolve {
        note: pick(rng, resolutions(call.category)).to_string(),
        measured_temp_c: None,
    }
}

/// The operator calls back: the same afternoon now and then, mostly the next day.
fn callback(rng: &mut StdRng, line: &mut Timeline, satisfied: bool) {
    let early_enough = local_seconds_of_day(line.at, line.tz) < 15 * HOUR;
    if early_enough && rng.random_bool(0.3) {
        line.wait(rng, HOUR, 3 * HOUR);
    } else {
        line.next_day_at(rng.random_range(9 * HOUR..18 * HOUR));
    }
    line.keep_hours(rng, 9 * HOUR, 20 * HOUR);
    let note = if satisfied {
        pick(rng, SATISFIED_NOTES)
    } else {
        pick(rng, UNSATISFIED_NOTES)
    };
    line.push(
        line.operator(),
        Action::Callback {
            satisfaction: if !satisfied {
                Satisfaction::Unsatisfied
            } else if rng.random_bool(0.2) {
                Satisfaction::BasicallySatisfied
            } else {
                Satisfaction::Satisfied
            },
            note: note.to_string(),
        },
    );
}

// ---------------------------------------------------------------------------
// Ticket history: replay through the store
// ---------------------------------------------------------------------------

fn actor(who: Who, stations: &[StationRow]) -> Actor {
    let station_id = |s: usize| stations.get(s).map(|row| row.id);
    match who {
        Who::Operator(name) => Actor {
            name: name.to_string(),
            station_id: None,
            ..Actor::default()
        },
        Who::Station(s) => Actor {
            name: format!("station{}", s + 1),
            station_id: station_id(s),
            ..Actor::default()
        },
        Who::Repairer(s) => Actor {
            name: format!("repairer{}", s + 1),
            station_id: station_id(s),
            ..Actor::default()
        },
    }
}

/// Registers every planned ticket in time order (so numbers follow the clock),
/// then merges duplicates while their targets are still open, then walks every
/// other ticket through its steps.
async fn replay(
    db: &store::Db,
    plans: &[TicketPlan],
    stations: &[StationRow],
    tz: Tz,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    // Each station's repairers (staff ids), by station index.
    let mut crews: HashMap<usize, Vec<i64>> = HashMap::new();
    for person in db.staff().await.context("reading the demo staff")? {
        let station = stations
            .iter()
            .position(|s| Some(&s.code) == person.station_code.as_ref());
        if let (Some(station), "repairer") = (station, person.position.as_str()) {
            crews.entry(station).or_default().push(person.id);
        }
    }
    for ids in crews.values_mut() {
        ids.sort_unstable();
    }
    let mut numbers: HashMap<usize, String> = HashMap::with_capacity(plans.len());
    for plan in plans {
        let station = stations
            .get(plan.station)
            .with_context(|| format!("no station {}", station_code(plan.station)))?;
        let row = db
            .register_ticket(
                &plan.ticket,
                Some(station),
                false,
                &actor(Who::Operator(plan.operator), stations),
                plan.at,
                &plan.at.day_key(tz),
            )
            .await
            .context("registering a demo ticket")?;
        numbers.insert(plan.id, row.number);
    }
    tracing::debug!(
        tickets = plans.len(),
        seconds = started.elapsed().as_secs_f64(),
        "demo tickets registered"
    );
    let is_merge = |p: &&TicketPlan| p.steps.iter().any(|s| matches!(s.act, Act::MergeInto(_)));
    let merges: Vec<&TicketPlan> = plans.iter().filter(is_merge).collect();
    walk(db, &merges, &numbers, stations, &crews).await?;
    // Tickets are independent of each other now: walk them side by side, each
    // ticket's steps in order, so reads overlap with the single SQLite writer.
    let others: Vec<&TicketPlan> = plans.iter().filter(|p| !is_merge(p)).collect();
    let lane = |k: usize| -> Vec<&TicketPlan> {
        others
            .iter()
            .skip(k)
            .step_by(REPLAY_LANES)
            .copied()
            .collect()
    };
    let (a, b, c, d) = (lane(0), lane(1), lane(2), lane(3));
    tokio::try_join!(
        walk(db, &a, &numbers, stations, &crews),
        walk(db, &b, &numbers, stations, &crews),
        walk(db, &c, &numbers, stations, &crews),
        walk(db, &d, &numbers, stations, &crews),
    )?;
    Ok(())
}

/// Concurrent lanes of [`replay`] (the `try_join!` there names each one).
const REPLAY_LANES: usize = 4;

/// Applies the steps of `plans`, one ticket after the other.
async fn walk(
    db: &store::Db,
    plans: &[&TicketPlan],
    numbers: &HashMap<usize, String>,
    stations: &[StationRow],
    crews: &HashMap<usize, Vec<i64>>,
) -> anyhow::Result<()> {
    for plan in plans {
        let number = numbers
            .get(&plan.id)
            .with_context(|| format!("demo ticket {} was not registered", plan.id))?;
        for step in &plan.steps {
            let action = match &step.act {
                Act::Do(action) => action.clone(),
                Act::MergeInto(target) => Action::Merge {
                    into: numbers
                        .get(target)
                        .with_context(|| format!("merge target {target} was not registered"))?
                        .clone(),
                },
                Act::AssignCrew { station, pick, two } => {
                    let Some(repairers) = crews.get(station).filter(|r| !r.is_empty()) else {
                        continue;
                    };
                    let first = repairers[pick % repairers.len()];
                    let second = repairers[(pick + 1) % repairers.len()];
                    let mut staff_ids = vec![first];
                    if *two && second != first {
                        staff_ids.push(second);
                    }
                    Action::Assign { staff_ids }
                }
            };
            db.act_on_ticket(number, &action, &actor(step.who, stations), step.at)
                .await
                .with_context(|| format!("demo ticket {number}: {}", action.name()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `(lat, lon)` lies inside the convex quad (counter-clockwise corners).
    fn contains(quad: &Quad, lat: f64, lon: f64) -> bool {
        (0..4).all(|i| {
            let (a_lat, a_lon) = quad.corners[i];
            let (b_lat, b_lon) = quad.corners[(i + 1) % 4];
            (b_lon - a_lon) * (lat - a_lat) - (b_lat - a_lat) * (lon - a_lon) > 0.0
        })
    }

    fn shanghai_now() -> Timestamp {
        Timestamp::parse(
            "now",
            "2026-12-04T10:30:00+08:00",
            chrono_tz::Asia::Shanghai,
        )
        .expect("a valid time")
    }

    #[test]
    fn accounts_lie_inside_their_station_area() {
        let city = City::generate(7, 5_000);
        assert_eq!(city.accounts.len(), 5_000);
        let mut located = 0;
        for (record, resident) in city.accounts.iter().zip(&city.residents) {
            let station = &city.stations[resident.station];
            assert_eq!(record.station_code, station.code);
            if let (Some(lat), Some(lon)) = (record.lat, record.lon) {
                located += 1;
                assert!(contains(&station.area, lat, lon), "{record:?}");
                for (other, s) in city.stations.iter().enumerate() {
                    if other != resident.station {
                        assert!(
                            !contains(&s.area, lat, lon),
                            "{record:?} also in {}",
                            s.code
                        );
                    }
                }
            }
        }
        assert!((4_300..=4_700).contains(&located), "{located} located");
    }

    #[test]
    fn stations_tile_the_city_as_geojson_polygons() {
        let city = City::generate(1, 100);
        assert_eq!(city.stations.len(), 20);
        assert_eq!(city.stations[0].code, "S01");
        assert_eq!(city.stations[19].code, "S20");
        assert_eq!(city.stations[0].name, "红旗供热站");
        // Neighbours in a branch share an edge.
        let (a, b) = (&city.stations[0].area, &city.stations[1].area);
        assert_eq!(a.corners[1], b.corners[0]);
        assert_eq!(a.corners[2], b.corners[3]);
        let json = city.stations[0].area.geojson();
        assert!(
            json.starts_with(r#"{"type":"Polygon","coordinates":[[["#),
            "{json}"
        );
        let numbers: Vec<f64> = json
            .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().expect("a number"))
            .collect();
        assert_eq!(numbers.len(), 10);
        assert_eq!(numbers[..2], numbers[8..]);
        assert!((126.5..126.8).contains(&numbers[0]) && (45.7..45.8).contains(&numbers[1]));
    }

    #[test]
    fn the_same_seed_builds_the_same_city() {
        let a = City::generate(42, 3_000);
        let b = City::generate(42, 3_000);
        let c = City::generate(43, 3_000);
        assert_eq!(a.accounts, b.accounts);
        assert_eq!(a.staff, b.staff);
        assert_eq!(a.station_records(), b.station_records());
        assert_ne!(a.accounts, c.accounts);
    }

    #[test]
    fn the_same_seed_plans_the_same_history() {
        let tz = chrono_tz::Asia::Shanghai;
        let plan = |seed| {
            let mut city = City::generate(seed, 20_000);
            let mut rng = StdRng::seed_from_u64(seed ^ HISTORY_SEED_SALT);
            plan_history(&mut rng, &mut city, 7, shanghai_now(), tz)
        };
        let first = plan(9);
        assert_eq!(first, plan(9));
        assert!(
            (400..=1_600).contains(&first.len()),
            "{} tickets",
            first.len()
        );
    }

    #[test]
    fn phones_are_unique_except_for_a_holder_with_two_flats() {
        let city = City::generate(5, 20_000);
        let mut holders_by_phone: HashMap<&str, HashSet<&str>> = HashMap::new();
        for record in &city.accounts {
            assert!(!record.phones.is_empty());
            for phone in &record.phones {
                let parsed = Phone::parse("phone", phone, AREA_CODE).expect("a valid phone");
                assert_eq!(parsed.as_str(), phone);
                holders_by_phone
                    .entry(phone)
                    .or_default()
                    .insert(&record.holder);
            }
        }
        assert!(holders_by_phone.values().all(|h| h.len() == 1));
        assert!(holders_by_phone.len() > 20_000);
        let staff: HashSet<&str> = city.staff.iter().map(|s| s.phone.as_str()).collect();
        assert_eq!(staff.len(), city.staff.len());
        assert!(staff.iter().all(|p| !holders_by_phone.contains_key(p)));
        let landlines = holders_by_phone
            .keys()
            .filter(|p| p.starts_with("0451-8"))
            .count();
        assert!(landlines > 500, "{landlines} landlines");
    }

    #[test]
    fn every_position_is_staffed() {
        let city = City::generate(3, 100);
        let count = |p: Position| city.staff.iter().filter(|s| s.position == p).count();
        assert_eq!(count(Position::Chairman), 1);
        assert_eq!(count(Position::GeneralManager), 1);
        assert_eq!(count(Position::BranchManager), 4);
        assert_eq!(count(Position::StationDirector), 20);
        assert_eq!(count(Position::ProductionDeputy), 20);
        assert!((60..=100).contains(&count(Position::Repairer)));
        assert!(count(Position::Operator) >= 2);
    }

    #[test]
    fn addresses_look_like_an_operators() {
        let city = City::generate(11, 2_000);
        for record in &city.accounts {
            let building: u32 = record.building.parse().expect("a building number");
            let unit: u32 = record.unit.parse().expect("a unit number");
            let room: u32 = record.room.parse().expect("a room number");
            assert!((1..=30).contains(&building), "{record:?}");
            assert!((1..=6).contains(&unit), "{record:?}");
            assert!((101..=3304).contains(&room) && (1..=4).contains(&(room % 100)));
            assert!((45.0..=160.0).contains(&record.area_m2));
            assert!(
                COMMUNITY_SUFFIXES
                    .iter()
                    .any(|s| record.community.contains(s))
            );
        }
        let mut rng = StdRng::seed_from_u64(1);
        let typed = typed_address(&mut rng, &city.accounts[0]);
        assert!(typed.contains(&city.accounts[0].community), "{typed}");
    }

    #[test]
    fn planned_steps_are_in_time_order_and_end_by_now() {
        let tz = chrono_tz::Asia::Shanghai;
        let now = shanghai_now();
        let mut city = City::generate(2026, 20_000);
        let mut rng = StdRng::seed_from_u64(1);
        let plans = plan_history(&mut rng, &mut city, 5, now, tz);
        for plan in &plans {
            assert!(plan.at < now);
            let mut at = plan.at;
            for step in &plan.steps {
                assert!(step.at >= at && step.at <= now, "{plan:?}");
                at = step.at;
            }
        }
        let merges = plans
            .iter()
            .filter(|p| p.steps.iter().any(|s| matches!(s.act, Act::MergeInto(_))))
            .count();
        assert!(merges > 0);
    }

    #[tokio::test]
    async fn loads_a_small_city_into_sqlite() {
        let path = std::env::temp_dir().join(format!(
            "heatdesk-demo-{}-{}.db",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        ));
        let db = store::Db::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let tz = chrono_tz::Asia::Shanghai;
        let options = DemoOptions {
            accounts: 4_000,
            days: 5,
            seed: 1,
        };
        let hash = |p: &str| Ok(format!("plain:{p}"));
        let summary = load(&db, &options, shanghai_now(), tz, &hash)
            .await
            .unwrap();
        assert_eq!(summary.stations, 20);
        assert_eq!(summary.accounts, 4_000);
        assert_eq!(db.count_accounts().await.unwrap(), 4_000);
        assert_eq!(summary.logins.len(), 7);
        assert_eq!(db.count_users().await.unwrap(), 7);
        assert!(summary.tickets > 30, "{} tickets", summary.tickets);

        let tickets = db
            .list_tickets(&store::tickets::TicketFilter {
                limit: 500,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(tickets.len(), summary.tickets.min(500));
        let statuses: HashSet<&str> = tickets.iter().map(|t| t.status.as_str()).collect();
        assert!(statuses.contains("closed"), "{statuses:?}");
        let first = &tickets[tickets.len() - 1];
        let events = db.ticket_events(first.id).await.unwrap();
        assert_eq!(events[0].kind, "registered");
        assert!(events.windows(2).all(|w| w[0].at <= w[1].at));
        let holder = db.accounts_by_phone(&first.caller_phone).await.unwrap();
        if let Some(account_no) = &first.account_no {
            assert!(
                holder.is_empty() || holder.iter().any(|a| &a.account_no == account_no),
                "{first:?}"
            );
        }
        db.close().await;
        let _ = std::fs::remove_file(&path);
    }
}
