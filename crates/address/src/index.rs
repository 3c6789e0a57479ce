//! The register in memory, and text (or a point) → the responsible station.
//!
//! Resolution in four steps:
//! 1. normalise and split the text into a name part and numbers
//!    (`N栋N单元N室`);
//! 2. find the register's districts, streets and community names inside the
//!    name part — exactly, by core (suffix dropped or swapped), by alias, and
//!    only when that finds nothing good, by sound and by one-character slip;
//! 3. score each community found by how well the numbers fit its buildings
//!    and flats, and whether the district and street agree;
//! 4. turn the ranking into a confidence: a close runner-up at another
//!    station makes the answer a guess, whatever the winner's own score.
//!
//! A point, when given, settles what the text leaves open (see
//! [`AddressIndex::resolve`]).

use std::collections::{HashMap, HashSet};

use geo::MultiPolygon;

use crate::gis::{ServiceAreas, StationArea};
use crate::names::{deletions, sound_key, starts_with_suffix, strip_suffix, within_one_edit};
use crate::normalise::normalise;
use crate::parse::{Numbers, split_numbers};
use crate::resolution::{
    AddressError, BuildingHit, CONFIDENT, Candidate, MAX_TEXT_CHARS, Method, Resolution,
    StationHit, check_point,
};

/// One account of the register, as the store holds it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegisterEntry {
    pub account_no: String,
    pub district: String,
    pub street: String,
    pub community: String,
    pub building: String,
    pub unit: String,
    pub room: String,
    pub station_code: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// Another name a community is known by ("电业局宿舍" for 电业小区).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityAlias {
    pub alias: String,
    pub community: String,
}

impl CommunityAlias {
    pub fn new(alias: &str, community: &str) -> CommunityAlias {
        CommunityAlias {
            alias: alias.to_string(),
            community: community.to_string(),
        }
    }
}

/// How a community name was found in the text, and what that is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum NameMatch {
    /// A slip in a name of three characters or more.
    Slip,
    /// Same sound, other characters ("金秀花园" for 锦绣花园).
    Sound,
    /// Core with another suffix ("幸福花园" for 幸福小区).
    SuffixSwapped,
    /// Core alone ("幸福" for 幸福小区).
    SuffixDropped,
    Alias,
    Full,
}

impl NameMatch {
    fn score(self) -> f64 {
        match self {
            NameMatch::Full | NameMatch::Alias => 1.0,
            NameMatch::SuffixDropped => 0.96,
            NameMatch::SuffixSwapped => 0.9,
            NameMatch::Sound => 0.88,
            NameMatch::Slip => 0.82,
        }
    }

    /// Whether the name counts as said exactly (up to its suffix).
    fn is_exact(self) -> bool {
        self >= NameMatch::SuffixDropped
    }
}

// Factors applied to a candidate's score when part of the text disagrees with it.
const DISTRICT_DIFFERS: f64 = 0.6;
const STREET_DIFFERS: f64 = 0.7;
const BUILDING_MISSING: f64 = 0.6;
const FLAT_MISSING: f64 = 0.8;
/// A name found away from the numbers is less likely the community.
const NAME_NOT_LAST: f64 = 0.9;
/// The building (or community) is served by more than one station.
const STATION_SPLIT: f64 = 0.6;
/// A runner-up at another station this close (as a share of the winner's
/// score) makes the answer a tie.
const TIE: f64 = 0.85;
/// A tie is at most this confident.
const TIE_CONFIDENCE: f64 = 0.45;
/// A point in exactly one service area.
const GIS_CONFIDENCE: f64 = 0.9;
/// Text and point agree on a station the text alone was unsure of.
const AGREEMENT_CONFIDENCE: f64 = 0.85;
/// A confident text answer whose point lies in another station's area.
const CONTRADICTED_CONFIDENCE: f64 = 0.7;
/// Longest name (in characters) looked up; register names are shorter.
const MAX_NAME_CHARS: usize = 12;
/// Only the last this many characters before the numbers are searched.
const MAX_REGION_CHARS: usize = 40;
/// Candidates returned.
const MAX_CANDIDATES: usize = 5;

struct Station {
    code: String,
    name: String,
}

struct Account {
    account_no: String,
    station: u32,
    point: Option<(f64, f64)>,
}

struct Flat {
    unit: String,
    room: String,
    account: u32,
}

struct Building {
    community: u32,
    label: String,
    flats: Vec<Flat>,
    /// (station, accounts) served there, most first.
    stations: Vec<(u32, u32)>,
}

struct Community {
    name: String,
    /// The name in canonical form.
    key: String,
    district: String,
    street: String,
    district_key: String,
    street_key: String,
    buildings: HashMap<String, u32>,
    stations: Vec<(u32, u32)>,
}

/// The register, indexed for resolution. Immutable: rebuild it (it takes well
/// under a second for 170,000 accounts) and swap it when the register changes.
pub struct AddressIndex {
    stations: Vec<Station>,
    accounts: Vec<Account>,
    buildings: Vec<Building>,
    communities: Vec<Community>,
    by_name: HashMap<String, Vec<u32>>,
    by_alias: HashMap<String, Vec<u32>>,
    by_core: HashMap<String, Vec<u32>>,
    by_sound: HashMap<String, Vec<u32>>,
    /// Names and long cores with one character deleted → communities.
    by_deletion: HashMap<String, Vec<u32>>,
    /// Any spelling of a district (with or without 区) → canonical name.
    districts: HashMap<String, String>,
    streets: HashSet<String>,
    areas: ServiceAreas,
}

/// A community the text may mean, with how it was found.
#[derive(Clone, Copy)]
struct NameHit {
    community: u32,
    kind: NameMatch,
    at_end: bool,
}

/// A scored guess.
struct Scored {
    community: u32,
    building: Option<u32>,
    account: Option<u32>,
    station: Option<u32>,
    score: f64,
    exact: bool,
}

impl AddressIndex {
    /// Builds the index. Entries naming a station that `stations` lacks still
    /// resolve to that station code (with the code as its name) but have no
    /// service area.
    pub fn build(
        entries: &[RegisterEntry],
        stations: &[StationArea],
        aliases: &[CommunityAlias],
    ) -> AddressIndex {
        let mut station_ids: HashMap<String, u32> = HashMap::new();
        let mut station_list: Vec<Station> = Vec::new();
        let mut areas: Vec<&MultiPolygon<f64>> = Vec::new();
        let empty = MultiPolygon::new(Vec::new());
        for s in stations {
            if station_ids.contains_key(&s.code) {
                continue;
            }
            station_ids.insert(s.code.clone(), station_list.len() as u32);
            station_list.push(Station {
                code: s.code.clone(),
                name: s.name.clone(),
            });
            areas.push(&s.geometry);
        }

        let mut index = AddressIndex {
            stations: Vec::new(),
            accounts: Vec::with_capacity(entries.len()),
            buildings: Vec::new(),
            communities: Vec::new(),
            by_name: HashMap::new(),
            by_alias: HashMap::new(),
            by_core: HashMap::new(),
            by_sound: HashMap::new(),
            by_deletion: HashMap::new(),
            districts: HashMap::new(),
            streets: HashSet::new(),
            areas: ServiceAreas::new(&[]),
        };

        // Register values repeat a lot; normalise each distinct one once.
        let mut canonical: HashMap<&str, String> = HashMap::new();
        let mut community_ids: HashMap<(String, String), u32> = HashMap::new();
        let mut station_counts: HashMap<(u32, u32), u32> = HashMap::new();

        for entry in entries {
            let station = *station_ids
                .entry(entry.station_code.clone())
                .or_insert_with(|| {
                    station_list.push(Station {
                        code: entry.station_code.clone(),
                        name: entry.station_code.clone(),
                    });
                    areas.push(&empty);
                    station_list.len() as u32 - 1
                });
            let district_key = cached_part(&mut canonical, &entry.district);
            let name_key = cached_part(&mut canonical, &entry.community);
            let community = *community_ids
                .entry((district_key.clone(), name_key.clone()))
                .or_insert_with(|| {
                    index.communities.push(Community {
                        name: entry.community.clone(),
                        key: name_key,
                        district: entry.district.clone(),
                        street: entry.street.clone(),
                        district_key,
                        street_key: normalise(&entry.street),
                        buildings: HashMap::new(),
                        stations: Vec::new(),
                    });
                    index.communities.len() as u32 - 1
                });
            let building_key = cached_part(&mut canonical, &entry.building);
            let buildings = &mut index.buildings;
            let building = *index.communities[community as usize]
                .buildings
                .entry(building_key)
                .or_insert_with(|| {
                    buildings.push(Building {
                        community,
                        label: entry.building.clone(),
                        flats: Vec::new(),
                        stations: Vec::new(),
                    });
                    buildings.len() as u32 - 1
                });
            let account = index.accounts.len() as u32;
            let point = match (entry.lat, entry.lon) {
                (Some(lat), Some(lon)) if check_point(lat, lon).is_ok() => Some((lat, lon)),
                _ => None,
            };
            index.accounts.push(Account {
                account_no: entry.account_no.clone(),
                station,
                point,
            });
            let unit = cached_part(&mut canonical, &entry.unit);
            let room = cached_part(&mut canonical, &entry.room);
            index.buildings[building as usize].flats.push(Flat {
                unit,
                room,
                account,
            });
            *station_counts.entry((building, station)).or_default() += 1;
        }

        for ((building, station), count) in station_counts {
            index.buildings[building as usize]
                .stations
                .push((station, count));
        }
        for b in &mut index.buildings {
            b.stations.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        }
        let mut community_stations: HashMap<(u32, u32), u32> = HashMap::new();
        for b in &index.buildings {
            for &(station, count) in &b.stations {
                *community_stations
                    .entry((b.community, station))
                    .or_default() += count;
            }
        }
        for ((community, station), count) in community_stations {
            index.communities[community as usize]
                .stations
                .push((station, count));
        }
        for c in &mut index.communities {
            c.stations.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        }

        index.index_names(aliases);
        index.areas = ServiceAreas::new(&areas);
        index.stations = station_list;
        index
    }

    fn index_names(&mut self, aliases: &[CommunityAlias]) {
        for (id, c) in self.communities.iter().enumerate() {
            let id = id as u32;
            let name = c.key.clone();
            let (core, _) = strip_suffix(&name);
            push(&mut self.by_name, name.clone(), id);
            push(&mut self.by_core, core.to_string(), id);
            push(&mut self.by_sound, sound_key(&name), id);
            push(&mut self.by_sound, sound_key(core), id);
            if name.chars().count() >= 4 {
                for d in deletions(&name) {
                    push(&mut self.by_deletion, d, id);
                }
            }
            if core.chars().count() >= 3 {
                for d in deletions(core) {
                    push(&mut self.by_deletion, d, id);
                }
            }
            if !c.district_key.is_empty() {
                let district = c.district_key.clone();
                let short = district
                    .strip_suffix(['区', '县', '市'])
                    .filter(|s| s.chars().count() >= 2)
                    .map(str::to_string);
                if let Some(short) = short {
                    self.districts.insert(short, district.clone());
                }
                self.districts.insert(district.clone(), district);
            }
            if c.street_key.chars().count() >= 2 {
                self.streets.insert(c.street_key.clone());
            }
        }
        for alias in aliases {
            let target = normalise(&alias.community);
            let Some(ids) = self.by_name.get(&target).cloned() else {
                continue;
            };
            for id in ids {
                push(&mut self.by_alias, normalise(&alias.alias), id);
            }
        }
        for ids in self
            .by_name
            .values_mut()
            .chain(self.by_alias.values_mut())
            .chain(self.by_core.values_mut())
            .chain(self.by_sound.values_mut())
            .chain(self.by_deletion.values_mut())
        {
            ids.sort_unstable();
            ids.dedup();
        }
    }

    /// Number of accounts indexed.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Resolves what a caller said (and/or a point, as (lat, lon) in WGS84)
    /// to the responsible station.
    ///
    /// The text decides when it is confident. A point then only lowers the
    /// confidence if it lies in another station's area. When the text is
    /// unsure, a point picks the text's candidate in whose station's area it
    /// lies; when the text finds nothing, the point's service area answers
    /// (`gis`), and outside every area the nearest station is offered as a
    /// candidate of an answer that is `none`.
    pub fn resolve(
        &self,
        text: &str,
        point: Option<(f64, f64)>,
    ) -> Result<Resolution, AddressError> {
        // Bytes first: a multi-megabyte paste is refused without counting it.
        if text.len() > 4 * MAX_TEXT_CHARS || text.chars().count() > MAX_TEXT_CHARS {
            return Err(AddressError::TextTooLong {
                max: MAX_TEXT_CHARS,
            });
        }
        if let Some((lat, lon)) = point {
            check_point(lat, lon)?;
        }
        let by_text = self.resolve_text(text);
        Ok(match point {
            None => by_text,
            Some((lat, lon)) => self.with_point(by_text, lat, lon),
        })
    }

    fn resolve_text(&self, text: &str) -> Resolution {
        let canonical = normalise(text);
        let (region, numbers) = split_numbers(&canonical);
        let region = last_chars(region, MAX_REGION_CHARS);
        if region.is_empty() {
            return Resolution::none(Vec::new());
        }
        let (districts, streets, mut places) = self.places_in(region);
        let hits = self.names_in(region, &mut places);
        // A district or street tells candidates apart only if one of them is
        // there; otherwise it is the caller's naming (a corner, an old name).
        let found = |key: &dyn Fn(&Community) -> &String, said: &String| {
            hits.iter()
                .any(|h| key(&self.communities[h.community as usize]) == said)
        };
        let districts: Vec<String> = districts
            .into_iter()
            .filter(|d| found(&|c| &c.district_key, d))
            .collect();
        let streets: Vec<String> = streets
            .into_iter()
            .filter(|s| found(&|c| &c.street_key, s))
            .collect();
        let mut scored: Vec<Scored> = best_per_community(hits)
            .into_iter()
            .map(|hit| self.score(hit, &numbers, &districts, &streets))
            .collect();
        scored.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.community.cmp(&b.community))
        });
        self.decide(&scored)
    }

    /// Districts and streets of the register named in the region, and the
    /// spans (in chars) they cover.
    fn places_in(&self, region: &str) -> (Vec<String>, Vec<String>, Vec<(usize, usize)>) {
        let mut districts = Vec::new();
        let mut streets = Vec::new();
        let mut spans = Vec::new();
        for (start, end, s) in substrings(region, 2, MAX_NAME_CHARS) {
            if let Some(district) = self.districts.get(s) {
                districts.push(district.clone());
                spans.push((start, end));
            }
            if self.streets.contains(s) {
                streets.push(s.to_string());
                spans.push((start, end));
            }
        }
        (districts, streets, spans)
    }

    /// Community names in the region, in passes from the surest to the
    /// loosest. Substrings are tried longest first and every name found
    /// claims its span in `places` (which starts with the districts and
    /// streets): a later, looser pass does not read part of a name already
    /// found as some other community ("锦绣花园" is not also the core "绣花";
    /// "林业家元" is 林业家园 by sound, not the core 林业 of 林业小区).
    fn names_in(&self, region: &str, places: &mut Vec<(usize, usize)>) -> Vec<NameHit> {
        let mut hits = Vec::new();
        self.pass(region, 2, places, &mut hits, true, |s, hit| {
            self.full_names(s, hit)
        });
        // A core with another suffix and a whole name by sound are equally
        // good readings ("锦岛家园": 锦岛小区 or 金岛家园?): neither hides the other.
        let mut sound_claims = places.clone();
        self.pass(region, 2, &mut sound_claims, &mut hits, false, |s, hit| {
            self.sounds_like(s, true, hit)
        });
        self.pass(region, 2, places, &mut hits, false, |s, hit| {
            self.cores(region, s, hit)
        });
        places.extend(sound_claims);
        self.pass(region, 2, places, &mut hits, false, |s, hit| {
            self.sounds_like(s, false, hit)
        });
        // Spelling slips are the loosest evidence: only when nothing else
        // explains the words next to the numbers.
        if !hits.iter().any(|h| h.at_end) {
            self.pass(region, 3, places, &mut hits, false, |s, hit| {
                self.slips_of(s, true, hit)
            });
            self.pass(region, 3, places, &mut hits, false, |s, hit| {
                self.slips_of(s, false, hit)
            });
        }
        hits
    }

    /// Runs `find` over the substrings of `region` not yet claimed.
    /// `find(s, hit)` calls `hit(community, kind)` for each community `s` may
    /// name. With `strict`, a substring equal to a claimed span is still
    /// tried (a community may share its name with a street).
    fn pass(
        &self,
        region: &str,
        min: usize,
        places: &mut Vec<(usize, usize)>,
        hits: &mut Vec<NameHit>,
        strict: bool,
        find: impl Fn(&str, &mut dyn FnMut(u32, NameMatch)),
    ) {
        let region_chars = region.chars().count();
        for (start, end, s) in substrings(region, min, MAX_NAME_CHARS) {
            let claimed = places
                .iter()
                .any(|&(a, b)| a <= start && end <= b && !(strict && (a, b) == (start, end)));
            if claimed {
                continue;
            }
            let before = hits.len();
            let at_end = end == region_chars;
            find(s, &mut |community, kind| {
                hits.push(NameHit {
                    community,
                    kind,
                    at_end,
                })
            });
            if hits.len() > before {
                places.push((start, end));
            }
        }
    }

    fn full_names(&self, said: &str, hit: &mut dyn FnMut(u32, NameMatch)) {
        for (map, kind) in [
            (&self.by_name, NameMatch::Full),
            (&self.by_alias, NameMatch::Alias),
        ] {
            for &community in map.get(said).into_iter().flatten() {
                hit(community, kind);
            }
        }
    }

    /// A core said alone (suffix dropped) or with another suffix.
    fn cores(&self, region: &str, said: &str, hit: &mut dyn FnMut(u32, NameMatch)) {
        let (core, suffix) = strip_suffix(said);
        let kind = if suffix.is_empty() {
            NameMatch::SuffixDropped
        } else {
            NameMatch::SuffixSwapped
        };
        if kind == NameMatch::SuffixDropped {
            // "幸福" followed by "小区" was said with its suffix: the longer
            // substring decides.
            let after = region
                .find(said)
                .map_or("", |at| &region[at + said.len()..]);
            if starts_with_suffix(after) {
                return;
            }
        }
        for &community in self.by_core.get(core).into_iter().flatten() {
            hit(community, kind);
        }
    }

    /// Same sound as a whole name (`whole`) or as a core.
    fn sounds_like(&self, said: &str, whole: bool, hit: &mut dyn FnMut(u32, NameMatch)) {
        let key = sound_key(said);
        for &community in self.by_sound.get(&key).into_iter().flatten() {
            let name = &self.communities[community as usize].key;
            if (sound_key(name) == key) == whole {
                hit(community, NameMatch::Sound);
            }
        }
    }

    /// One character wrong, missing or extra in a whole name (`whole`) of
    /// four characters or more, or in a core of three or more.
    fn slips_of(&self, said: &str, whole: bool, hit: &mut dyn FnMut(u32, NameMatch)) {
        let mut slips: Vec<u32> = Vec::new();
        slips.extend(self.by_deletion.get(said).into_iter().flatten());
        for d in deletions(said) {
            slips.extend(self.by_name.get(&d).into_iter().flatten());
            slips.extend(self.by_core.get(&d).into_iter().flatten());
            slips.extend(self.by_deletion.get(&d).into_iter().flatten());
        }
        slips.sort_unstable();
        slips.dedup();
        for community in slips {
            let name = &self.communities[community as usize].key;
            let core = strip_suffix(name).0;
            let near = if whole {
                name.chars().count() >= 4 && within_one_edit(said, name)
            } else {
                core.chars().count() >= 3 && within_one_edit(said, core)
            };
            if near {
                hit(community, NameMatch::Slip);
            }
        }
    }

    /// How well the numbers, district and street fit community `hit`.
    fn score(
        &self,
        hit: NameHit,
        numbers: &Numbers,
        districts: &[String],
        streets: &[String],
    ) -> Scored {
        let community = &self.communities[hit.community as usize];
        let mut score = hit.kind.score();
        let mut exact = hit.kind.is_exact();
        if !hit.at_end {
            score *= NAME_NOT_LAST;
            exact = false;
        }
        if !districts.is_empty() && !districts.contains(&community.district_key) {
            score *= DISTRICT_DIFFERS;
            exact = false;
        }
        if !streets.is_empty() && !streets.contains(&community.street_key) {
            score *= STREET_DIFFERS;
            exact = false;
        }
        let building = numbers
            .building
            .as_ref()
            .and_then(|b| community.buildings.get(b).copied());
        if numbers.building.is_some() && building.is_none() {
            score *= BUILDING_MISSING;
            exact = false;
        }
        let mut account = None;
        if let Some(b) = building {
            let flats = &self.buildings[b as usize].flats;
            let unit = numbers.unit.as_deref();
            let room = numbers.room.as_deref();
            let mut matching = flats
                .iter()
                .filter(|f| unit.is_none_or(|u| f.unit == u) && room.is_none_or(|r| f.room == r));
            let first = matching.next();
            let more = matching.next().is_some();
            match (first, more) {
                (None, _) if unit.is_some() || room.is_some() => {
                    score *= FLAT_MISSING;
                    exact = false;
                }
                (Some(flat), false) if room.is_some() => account = Some(flat.account),
                _ => {}
            }
        }
        let station = match (account, building) {
            (Some(a), _) => Some(self.accounts[a as usize].station),
            (None, Some(b)) => {
                let stations = &self.buildings[b as usize].stations;
                if stations.len() > 1 {
                    score *= STATION_SPLIT;
                    exact = false;
                }
                stations.first().map(|s| s.0)
            }
            (None, None) => {
                if community.stations.len() > 1 {
                    score *= STATION_SPLIT;
                    exact = false;
                }
                community.stations.first().map(|s| s.0)
            }
        };
        Scored {
            community: hit.community,
            building,
            account,
            station,
            score,
            exact,
        }
    }

    /// Ranking → answer and confidence.
    fn decide(&self, scored: &[Scored]) -> Resolution {
        let Some(top) = scored.first() else {
            return Resolution::none(Vec::new());
        };
        let mut confidence = top.score;
        let rival = scored
            .iter()
            .skip(1)
            .find(|s| s.station != top.station && s.score >= top.score * TIE);
        if rival.is_some() {
            confidence = confidence.min(TIE_CONFIDENCE);
        }
        // Another close candidate at the same station: the station stands, the
        // building or flat does not.
        let same_station_rival = scored
            .iter()
            .skip(1)
            .filter(|s| s.score >= top.score * TIE)
            .any(|s| {
                s.building != top.building
                    || s.account != top.account
                    || s.community != top.community
            });
        let candidates: Vec<Candidate> = scored
            .iter()
            .take(MAX_CANDIDATES)
            .map(|s| self.candidate(s))
            .collect();
        let mut best = self.candidate(top);
        let method = if top.exact && rival.is_none() && !same_station_rival {
            Method::Exact
        } else {
            Method::Fuzzy
        };
        if same_station_rival {
            best.account_no = None;
            if scored.iter().skip(1).any(|s| {
                s.score >= top.score * TIE
                    && (s.building != top.building || s.community != top.community)
            }) {
                best.building = None;
            }
        }
        Resolution {
            station: best.station,
            building: best.building,
            account_no: best.account_no,
            confidence: round(confidence),
            method,
            candidates,
        }
    }

    fn candidate(&self, s: &Scored) -> Candidate {
        let community = &self.communities[s.community as usize];
        Candidate {
            station: s.station.map(|i| self.station_hit(i)),
            building: Some(BuildingHit {
                community: community.name.clone(),
                building: s
                    .building
                    .map(|b| self.buildings[b as usize].label.clone())
                    .unwrap_or_default(),
                district: community.district.clone(),
                street: community.street.clone(),
            }),
            account_no: s
                .account
                .map(|a| self.accounts[a as usize].account_no.clone()),
            score: round(s.score),
            method: if s.exact {
                Method::Exact
            } else {
                Method::Fuzzy
            },
            distance_m: None,
        }
    }

    fn station_hit(&self, station: u32) -> StationHit {
        let s = &self.stations[station as usize];
        StationHit {
            code: s.code.clone(),
            name: s.name.clone(),
        }
    }

    fn with_point(&self, by_text: Resolution, lat: f64, lon: f64) -> Resolution {
        let inside: Vec<StationHit> = self.stations_containing(lat, lon);
        let gis_candidate = |station: &StationHit, score: f64| Candidate {
            station: Some(station.clone()),
            building: None,
            account_no: None,
            score,
            method: Method::Gis,
            distance_m: Some(0.0),
        };
        if by_text.confidence >= CONFIDENT {
            let agrees = by_text.station.as_ref().is_some_and(|s| inside.contains(s));
            if agrees || inside.is_empty() {
                return by_text;
            }
            let mut out = by_text;
            out.confidence = out.confidence.min(CONTRADICTED_CONFIDENCE);
            out.candidates
                .extend(inside.iter().map(|s| gis_candidate(s, GIS_CONFIDENCE)));
            return out;
        }
        // The text is unsure: its best candidate in the point's area wins.
        if let Some(agreeing) = by_text
            .candidates
            .iter()
            .find(|c| c.station.as_ref().is_some_and(|s| inside.contains(s)))
            .cloned()
        {
            let mut candidates = vec![agreeing.clone()];
            candidates.extend(by_text.candidates.into_iter().filter(|c| *c != agreeing));
            return Resolution {
                station: agreeing.station,
                building: agreeing.building,
                account_no: agreeing.account_no,
                confidence: AGREEMENT_CONFIDENCE,
                method: Method::Fuzzy,
                candidates,
            };
        }
        match inside.as_slice() {
            [] => {
                if by_text.method != Method::None {
                    return by_text;
                }
                let hint = self
                    .nearest_station(lat, lon)
                    .map(|(station, metres)| Candidate {
                        station: Some(station),
                        building: None,
                        account_no: None,
                        score: 0.0,
                        method: Method::Gis,
                        distance_m: Some(metres.round()),
                    });
                Resolution::none(hint.into_iter().collect())
            }
            [only] => {
                let mut candidates = vec![gis_candidate(only, GIS_CONFIDENCE)];
                candidates.extend(by_text.candidates);
                Resolution {
                    station: Some(only.clone()),
                    building: None,
                    account_no: None,
                    confidence: GIS_CONFIDENCE,
                    method: Method::Gis,
                    candidates,
                }
            }
            // Overlapping areas, or a point on a shared border.
            several => {
                let mut candidates: Vec<Candidate> = several
                    .iter()
                    .map(|s| gis_candidate(s, TIE_CONFIDENCE))
                    .collect();
                candidates.extend(by_text.candidates);
                Resolution {
                    station: Some(several[0].clone()),
                    building: None,
                    account_no: None,
                    confidence: TIE_CONFIDENCE,
                    method: Method::Gis,
                    candidates,
                }
            }
        }
    }

    /// Stations whose service area holds the point (boundary included).
    /// Out-of-range coordinates hold nothing.
    pub fn stations_containing(&self, lat: f64, lon: f64) -> Vec<StationHit> {
        if check_point(lat, lon).is_err() {
            return Vec::new();
        }
        self.areas
            .containing(lat, lon)
            .into_iter()
            .map(|i| self.station_hit(i as u32))
            .collect()
    }

    /// The station whose service area is nearest to the point, and the
    /// distance to it in metres (0 inside).
    pub fn nearest_station(&self, lat: f64, lon: f64) -> Option<(StationHit, f64)> {
        check_point(lat, lon).ok()?;
        self.areas
            .nearest(lat, lon)
            .map(|(i, metres)| (self.station_hit(i as u32), metres))
    }

    /// Accounts whose coordinates lie outside their own station's service
    /// area (a register error, or a service area drawn too small). Accounts
    /// without coordinates, or whose station has no area, are not listed.
    pub fn misplaced_accounts(&self) -> Vec<String> {
        self.accounts
            .iter()
            .filter(|a| {
                a.point.is_some_and(|(lat, lon)| {
                    self.areas.holds(a.station as usize, lat, lon) == Some(false)
                })
            })
            .map(|a| a.account_no.clone())
            .collect()
    }
}

fn push(map: &mut HashMap<String, Vec<u32>>, key: String, id: u32) {
    if !key.is_empty() {
        map.entry(key).or_default().push(id);
    }
}

/// A register value of a building, unit or room in the caller's canonical
/// form: "3号楼" → "3", "02" → "2", "501室" → "501".
fn canonical_part(raw: &str) -> String {
    let n = normalise(raw);
    for word in ["栋", "单元", "室"] {
        if let Some(number) = n.strip_suffix(word)
            && !number.is_empty()
        {
            return number.to_string();
        }
    }
    n
}

fn cached_part<'a>(cache: &mut HashMap<&'a str, String>, raw: &'a str) -> String {
    cache
        .entry(raw)
        .or_insert_with(|| canonical_part(raw))
        .clone()
}

/// One hit per community: the best way it was found.
fn best_per_community(hits: Vec<NameHit>) -> Vec<NameHit> {
    let mut best: HashMap<u32, NameHit> = HashMap::new();
    for hit in hits {
        let value = |h: &NameHit| h.kind.score() * if h.at_end { 1.0 } else { NAME_NOT_LAST };
        best.entry(hit.community)
            .and_modify(|b| {
                if value(&hit) > value(b) {
                    *b = hit;
                }
            })
            .or_insert(hit);
    }
    best.into_values().collect()
}

/// Every substring of `text` of `min..=max` characters, longest first, as
/// (start, end) in characters and the slice. Longest first lets a name that
/// explains more of the text shadow the shorter names inside it.
fn substrings(text: &str, min: usize, max: usize) -> Vec<(usize, usize, &str)> {
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect();
    let n = bounds.len() - 1;
    let mut out = Vec::new();
    for len in (min..=max.min(n)).rev() {
        for start in 0..=n - len {
            out.push((
                start,
                start + len,
                &text[bounds[start]..bounds[start + len]],
            ));
        }
    }
    out
}

fn byte_at(text: &str, char_index: usize) -> usize {
    text.char_indices()
        .nth(char_index)
        .map_or(text.len(), |(i, _)| i)
}

fn last_chars(text: &str, n: usize) -> &str {
    let count = text.chars().count();
    if count <= n {
        return text;
    }
    &text[byte_at(text, count - n)..]
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
