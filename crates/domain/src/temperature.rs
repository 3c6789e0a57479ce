//! Room-temperature visits (`temperature` tickets, DESIGN.md §1).
//!
//! A repairer measures each living room following the usual protocol
//! (windows and doors closed for 30 minutes, thermometer 1.5 m above the
//! floor in the centre of the room), the customer co-signs, and the visit is
//! judged against the configured standard (default 18 °C, GB/T 33833-2017
//! §5.1) and refund table. The visit's temperature is the mean of the rooms'
//! means, to 0.1 °C: one cold room among warm ones lowers it but does not
//! decide it alone.

use serde::{Deserialize, Serialize};

use crate::error::required_text;
use crate::{DomainError, Timestamp};

/// The range a room thermometer can sensibly read.
pub const MIN_C: f64 = -30.0;
pub const MAX_C: f64 = 60.0;
/// At most this many readings per visit (a flat has a handful of rooms).
pub const MAX_READINGS: usize = 30;
pub const MAX_ROOM: usize = 30;
pub const MAX_PERSON: usize = 50;

/// A refund tier: a visit whose temperature is in `[from_c, below_c)`
/// earns `percent` of the heating fee back. `from_c: None` is open below.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RefundTier {
    pub from_c: Option<f64>,
    pub below_c: f64,
    pub percent: u8,
}

/// The standard and the refund table, from configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct TemperatureRules {
    pub standard_c: f64,
    pub tiers: Vec<RefundTier>,
}

impl Default for TemperatureRules {
    /// 18 °C, and DESIGN's example table (Heilongjiang): 18–20 °C 10 %,
    /// 16–18 °C 30 %, 14–16 °C 50 %, below 14 °C 100 %.
    fn default() -> Self {
        let tier = |from_c, below_c, percent| RefundTier {
            from_c,
            below_c,
            percent,
        };
        TemperatureRules {
            standard_c: 18.0,
            tiers: vec![
                tier(Some(18.0), 20.0, 10),
                tier(Some(16.0), 18.0, 30),
                tier(Some(14.0), 16.0, 50),
                tier(None, 14.0, 100),
            ],
        }
    }
}

impl TemperatureRules {
    /// Checks the table: a sane standard, percentages up to 100, each tier a
    /// non-empty range, no two tiers overlapping. Errors name the key.
    pub fn new(standard_c: f64, tiers: Vec<RefundTier>) -> Result<Self, DomainError> {
        if !(standard_c.is_finite() && (MIN_C..=MAX_C).contains(&standard_c)) {
            return Err(DomainError::invalid(
                "temperature.standard_c",
                "must be between -30 and 60 °C",
            ));
        }
        for (i, t) in tiers.iter().enumerate() {
            let key = format!("temperature.refund[{i}]");
            if t.percent > 100 {
                return Err(DomainError::invalid(
                    &format!("{key}.percent"),
                    "must be at most 100",
                ));
            }
            if !t.below_c.is_finite() || t.from_c.is_some_and(|f| !f.is_finite() || f >= t.below_c)
            {
                return Err(DomainError::invalid(
                    &key,
                    "`from_c` must be below `below_c`",
                ));
            }
            for (j, u) in tiers.iter().enumerate().take(i) {
                let lo = |x: &RefundTier| x.from_c.unwrap_or(f64::NEG_INFINITY);
                if lo(t) < u.below_c && lo(u) < t.below_c {
                    return Err(DomainError::invalid(
                        &key,
                        format!("overlaps temperature.refund[{j}]"),
                    ));
                }
            }
        }
        Ok(TemperatureRules { standard_c, tiers })
    }

    /// The refund for a visit at `celsius`: the tier it falls in, or 0.
    pub fn refund_percent(&self, celsius: f64) -> u8 {
        self.tiers
            .iter()
            .find(|t| celsius < t.below_c && t.from_c.is_none_or(|f| celsius >= f))
            .map_or(0, |t| t.percent)
    }
}

/// One reading: a room, its temperature, when it was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub room: String,
    pub celsius: f64,
    /// Epoch milliseconds.
    pub at: i64,
}

/// A visit's readings as they arrive, before checking.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VisitInput {
    pub readings: Vec<Reading>,
    /// The repairer confirms the protocol was followed.
    pub protocol_followed: bool,
    /// Who held the thermometer.
    pub measured_by: String,
    /// The customer who co-signs the readings.
    pub co_signed_by: String,
}

/// A checked visit and its verdict, as the `temperature_measured` event stores it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub readings: Vec<Reading>,
    pub measured_by: String,
    pub co_signed_by: String,
    pub protocol_followed: bool,
    /// Mean of the rooms' means, to 0.1 °C.
    pub average_c: f64,
    pub lowest_c: f64,
    pub standard_c: f64,
    pub meets_standard: bool,
    pub refund_percent: u8,
}

impl Visit {
    /// Checks the readings (each −30…60 °C, a room named, not in the future,
    /// not older than a day) and judges them under `rules`.
    pub fn assess(
        input: VisitInput,
        rules: &TemperatureRules,
        now: Timestamp,
    ) -> Result<Visit, DomainError> {
        if input.readings.is_empty() {
            return Err(DomainError::required("readings"));
        }
        if input.readings.len() > MAX_READINGS {
            return Err(DomainError::invalid(
                "readings",
                format!("at most {MAX_READINGS} readings per visit"),
            ));
        }
        if !input.protocol_followed {
            return Err(DomainError::invalid(
                "protocol_followed",
                "measure with windows and doors closed for 30 minutes, 1.5 m high, in the centre of the room",
            ));
        }
        let measured_by = required_text("measured_by", &input.measured_by, MAX_PERSON)?;
        let co_signed_by = required_text("co_signed_by", &input.co_signed_by, MAX_PERSON)?;
        let mut readings = Vec::with_capacity(input.readings.len());
        for (i, r) in input.readings.into_iter().enumerate() {
            let field = |name: &str| format!("readings[{i}].{name}");
            if !in_range(r.celsius) {
                return Err(DomainError::TemperatureOutOfRange {
                    field: field("celsius"),
                });
            }
            if r.at > now.plus_millis(5 * Timestamp::MINUTE).millis() {
                return Err(DomainError::invalid(&field("at"), "is in the future"));
            }
            if r.at < now.plus_millis(-Timestamp::DAY).millis() {
                return Err(DomainError::invalid(&field("at"), "is more than a day ago"));
            }
            readings.push(Reading {
                room: required_text(&field("room"), &r.room, MAX_ROOM)?,
                celsius: r.celsius,
                at: r.at,
            });
        }
        // Each room counts once, however often it was read.
        let mut rooms: Vec<(&str, f64, u32)> = Vec::new();
        for r in &readings {
            match rooms.iter_mut().find(|(room, _, _)| *room == r.room) {
                Some((_, sum, n)) => {
                    *sum += r.celsius;
                    *n += 1;
                }
                None => rooms.push((&r.room, r.celsius, 1)),
            }
        }
        let means: Vec<f64> = rooms.iter().map(|(_, sum, n)| sum / *n as f64).collect();
        let average_c = round1(means.iter().sum::<f64>() / means.len() as f64);
        let lowest_c = readings
            .iter()
            .map(|r| r.celsius)
            .fold(f64::INFINITY, f64::min);
        Ok(Visit {
            meets_standard: average_c >= rules.standard_c,
            refund_percent: rules.refund_percent(average_c),
            standard_c: rules.standard_c,
            average_c,
            lowest_c,
            readings,
            measured_by,
            co_signed_by,
            protocol_followed: true,
        })
    }
}

/// Whether a thermometer in a flat can read this (−30…60 °C).
pub fn in_range(celsius: f64) -> bool {
    celsius.is_finite() && (MIN_C..=MAX_C).contains(&celsius)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp(1_800_000_000_000);

    fn reading(room: &str, celsius: f64) -> Reading {
        Reading {
            room: room.into(),
            celsius,
            at: NOW.plus_millis(-Timestamp::MINUTE).millis(),
        }
    }

    fn visit(readings: Vec<Reading>) -> VisitInput {
        VisitInput {
            readings,
            protocol_followed: true,
            measured_by: "李师傅".into(),
            co_signed_by: "王女士".into(),
        }
    }

    #[test]
    fn the_default_table_is_designs() {
        let r = TemperatureRules::default();
        for (c, pct) in [
            (21.0, 0),
            (20.0, 0),
            (19.9, 10),
            (18.0, 10),
            (17.9, 30),
            (16.0, 30),
            (15.0, 50),
            (13.9, 100),
            (-5.0, 100),
        ] {
            assert_eq!(r.refund_percent(c), pct, "{c} °C");
        }
    }

    #[test]
    fn rooms_count_once_and_the_verdict_follows_the_average() {
        let v = Visit::assess(
            visit(vec![
                reading("卧室", 15.0),
                reading("卧室", 15.4),
                reading("客厅", 17.0),
            ]),
            &TemperatureRules::default(),
            NOW,
        )
        .unwrap();
        // (15.2 + 17.0) / 2
        assert_eq!(v.average_c, 16.1);
        assert_eq!(v.lowest_c, 15.0);
        assert!(!v.meets_standard);
        assert_eq!(v.refund_percent, 30);
    }

    #[test]
    fn bad_readings_name_their_field() {
        let rules = TemperatureRules::default();
        let cases: Vec<(VisitInput, &str)> = vec![
            (visit(vec![]), "readings"),
            (visit(vec![reading("卧室", 61.0)]), "readings[0].celsius"),
            (
                visit(vec![reading("卧室", 18.0), reading("客厅", -31.0)]),
                "readings[1].celsius",
            ),
            (
                visit(vec![reading("卧室", f64::NAN)]),
                "readings[0].celsius",
            ),
            (visit(vec![reading(" ", 18.0)]), "readings[0].room"),
            (
                visit(vec![Reading {
                    at: NOW.plus_millis(Timestamp::HOUR).millis(),
                    ..reading("卧室", 18.0)
                }]),
                "readings[0].at",
            ),
            (
                VisitInput {
                    protocol_followed: false,
                    ..visit(vec![reading("卧室", 18.0)])
                },
                "protocol_followed",
            ),
            (
                VisitInput {
                    co_signed_by: String::new(),
                    ..visit(vec![reading("卧室", 18.0)])
                },
                "co_signed_by",
            ),
        ];
        for (input, field) in cases {
            let err = Visit::assess(input, &rules, NOW).unwrap_err();
            assert_eq!(err.field(), Some(field));
        }
    }

    #[test]
    fn the_range_ends_are_readings() {
        let rules = TemperatureRules::default();
        for c in [MIN_C, MAX_C] {
            assert!(Visit::assess(visit(vec![reading("卧室", c)]), &rules, NOW).is_ok());
        }
        let err = Visit::assess(visit(vec![reading("卧室", 60.1)]), &rules, NOW).unwrap_err();
        assert_eq!(err.code(), "temperature_out_of_range");
    }

    #[test]
    fn a_table_with_overlaps_or_bad_percentages_is_refused() {
        let t = |from_c, below_c, percent| RefundTier {
            from_c,
            below_c,
            percent,
        };
        assert!(TemperatureRules::new(18.0, vec![t(Some(16.0), 18.0, 30)]).is_ok());
        let overlap =
            TemperatureRules::new(18.0, vec![t(Some(16.0), 18.0, 30), t(None, 17.0, 100)]);
        assert_eq!(overlap.unwrap_err().field(), Some("temperature.refund[1]"));
        let pct = TemperatureRules::new(18.0, vec![t(None, 14.0, 120)]);
        assert_eq!(
            pct.unwrap_err().field(),
            Some("temperature.refund[0].percent")
        );
        let empty = TemperatureRules::new(18.0, vec![t(Some(18.0), 18.0, 10)]);
        assert!(empty.is_err());
    }
}
