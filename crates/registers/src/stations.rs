//! Heating stations and their service areas, from a GeoJSON FeatureCollection
//! (as QGIS or geojson.io export it). The service areas decide which station an
//! address belongs to, so a broken polygon is refused here, not discovered later
//! as a caller routed to nobody.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use domain::error::{optional_text, required_text};
use geo::{MultiPolygon, Polygon, Validation};
use geojson::{Geometry, GeometryValue, Position};
use serde_json::{Map, Value};
use store::org::{RowError, StationRecord};

use crate::{Errors, MAX_TEXT, file_error, row_error};

pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<StationRecord>, Vec<RowError>> {
    // Editors on Windows like to start the file with a BOM; JSON does not allow one.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let json: Value = serde_json::from_slice(bytes)
        .map_err(|e| vec![file_error(format!("not valid JSON: {e}"))])?;
    let features = match &json {
        Value::Object(o) if o.get("type") == Some(&Value::from("FeatureCollection")) => {
            o.get("features").and_then(Value::as_array)
        }
        _ => None,
    }
    .ok_or_else(|| vec![file_error("not a GeoJSON FeatureCollection")])?;

    let mut errors = Errors::default();
    let mut records = Vec::with_capacity(features.len());
    // code → the feature it was first seen on.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, feature) in features.iter().enumerate() {
        if errors.is_full() {
            break;
        }
        let row = i + 1;
        match station(feature) {
            Ok(record) => match seen.entry(record.code.clone()) {
                Entry::Occupied(first) => errors.push(row_error(
                    row,
                    "code",
                    format!(
                        "duplicate code {}, first on feature {}",
                        crate::shown(&record.code),
                        first.get()
                    ),
                )),
                Entry::Vacant(slot) => {
                    slot.insert(row);
                    records.push(record);
                }
            },
            Err(problems) => {
                for (column, reason) in problems {
                    errors.push(row_error(row, &column, reason));
                }
            }
        }
    }
    errors.into_result(records)
}

/// One feature → a station, or every (column, reason) wrong with it.
fn station(feature: &Value) -> Result<StationRecord, Vec<(String, String)>> {
    let Some(feature) = feature
        .as_object()
        .filter(|f| f.get("type") == Some(&Value::from("Feature")))
    else {
        return Err(vec![("feature".into(), "not a GeoJSON Feature".into())]);
    };
    let empty = Map::new();
    let properties = feature
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut problems = Vec::new();
    let mut text = |name: &str, required: bool| -> String {
        let value = match properties.get(name) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            // A code typed as a number in the GIS tool is still a code.
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => {
                problems.push((name.to_string(), format!("{name} must be text")));
                return String::new();
            }
        };
        let checked = if required {
            required_text(name, &value, MAX_TEXT)
        } else {
            optional_text(name, &value, MAX_TEXT)
        };
        checked.unwrap_or_else(|e| {
            problems.push((e.field().unwrap_or(name).to_string(), e.to_string()));
            String::new()
        })
    };
    let code = text("code", true);
    let name = text("name", true);
    let branch = text("branch", true);
    let phone = text("phone", false);
    let area = service_area(feature.get("geometry").unwrap_or(&Value::Null));
    match area {
        Ok(area) if problems.is_empty() => Ok(StationRecord {
            code,
            name,
            branch,
            phone: (!phone.is_empty()).then_some(phone),
            area_geojson: Some(area),
        }),
        Ok(_) => Err(problems),
        Err(reason) => {
            problems.push(("geometry".into(), reason));
            Err(problems)
        }
    }
}

/// Checks the service area and returns it as a compact GeoJSON geometry.
fn service_area(geometry: &Value) -> Result<String, String> {
    if geometry.is_null() {
        return Err("a Polygon or MultiPolygon service area is required".into());
    }
    let geometry: Geometry = serde_json::from_value(geometry.clone())
        .map_err(|e| format!("not a GeoJSON geometry: {e}"))?;
    let value = match &geometry.value {
        GeometryValue::Polygon { coordinates } => {
            check_rings(coordinates)?;
            let polygon = Polygon::<f64>::try_from(&geometry.value).map_err(|e| e.to_string())?;
            polygon.check_validation().map_err(|e| e.to_string())?;
            GeometryValue::from(&polygon)
        }
        GeometryValue::MultiPolygon { coordinates } => {
            if coordinates.is_empty() {
                return Err("the MultiPolygon has no polygon".into());
            }
            for polygon in coordinates {
                check_rings(polygon)?;
            }
            let polygons =
                MultiPolygon::<f64>::try_from(&geometry.value).map_err(|e| e.to_string())?;
            polygons.check_validation().map_err(|e| e.to_string())?;
            GeometryValue::from(&polygons)
        }
        other => {
            return Err(format!(
                "must be a Polygon or MultiPolygon, not a {}",
                other.type_name()
            ));
        }
    };
    // Rebuilt from the checked shape: no bbox, foreign members or altitudes.
    Ok(Geometry::new(value).to_string())
}

/// What `geo` cannot see once it has the polygon: WGS84 ranges, and rings that
/// the file left open (geo closes them silently).
fn check_rings(rings: &[Vec<Position>]) -> Result<(), String> {
    if rings.is_empty() {
        return Err("the polygon has no exterior ring".into());
    }
    for (r, ring) in rings.iter().enumerate() {
        let which = if r == 0 {
            "the exterior ring".to_string()
        } else {
            format!("interior ring {r}")
        };
        if ring.len() < 4 {
            return Err(format!("{which} has fewer than 4 positions"));
        }
        for position in ring {
            let &[lon, lat, ..] = position.as_slice() else {
                return Err(format!("{which} has a position without lon and lat"));
            };
            // NaN and infinities fall outside the ranges too.
            let wgs84 = (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat);
            if !wgs84 {
                return Err(format!(
                    "{which} has a position outside WGS84 lon/lat: [{lon}, {lat}]"
                ));
            }
        }
        let (first, last) = (&ring[0], &ring[ring.len() - 1]);
        if first.as_slice()[..2] != last.as_slice()[..2] {
            return Err(format!(
                "{which} is not closed: the last position must repeat the first"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::read_stations;
    use store::org::RowError;

    fn at(errors: &[RowError]) -> Vec<(usize, &str)> {
        errors.iter().map(|e| (e.row, e.column.as_str())).collect()
    }

    fn collection(features: &[String]) -> String {
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        )
    }

    fn feature(properties: &str, geometry: &str) -> String {
        format!(r#"{{"type":"Feature","properties":{properties},"geometry":{geometry}}}"#)
    }

    const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[126.6,45.7],[126.7,45.7],[126.7,45.8],[126.6,45.8],[126.6,45.7]]]}"#;

    #[test]
    fn good_polygon_and_multipolygon() {
        let multi = r#"{"type":"MultiPolygon","coordinates":[
            [[[126.0,45.0],[126.1,45.0],[126.1,45.1],[126.0,45.1],[126.0,45.0]],
             [[126.02,45.02],[126.02,45.04],[126.04,45.04],[126.04,45.02],[126.02,45.02]]],
            [[[127.0,46.0,150.0],[127.1,46.0,150.0],[127.1,46.1,150.0],[127.0,46.0,150.0]]]
        ]}"#;
        let text = collection(&[
            feature(
                r#"{"code":" S01 ","name":"南岗一站","branch":"南岗分公司","phone":" 0451-82345678 "}"#,
                SQUARE,
            ),
            feature(
                r#"{"code":102,"name":"道里站","branch":"道里","extra":true}"#,
                multi,
            ),
        ]);
        let records = read_stations(text.as_bytes()).unwrap();
        assert_eq!(records.len(), 2);
        let s = &records[0];
        assert_eq!(
            (s.code.as_str(), s.name.as_str(), s.branch.as_str()),
            ("S01", "南岗一站", "南岗分公司")
        );
        assert_eq!(s.phone.as_deref(), Some("0451-82345678"));
        let area = s.area_geojson.as_deref().unwrap();
        assert!(!area.contains(char::is_whitespace), "compact: {area}");
        let area: serde_json::Value = serde_json::from_str(area).unwrap();
        let expected: serde_json::Value = serde_json::from_str(SQUARE).unwrap();
        assert_eq!(area, expected);
        assert_eq!(records[1].code, "102");
        assert_eq!(records[1].phone, None);
        let area: serde_json::Value =
            serde_json::from_str(records[1].area_geojson.as_deref().unwrap()).unwrap();
        assert_eq!(area["type"], "MultiPolygon");
        assert_eq!(area["coordinates"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn bad_geometries_are_geometry_errors() {
        let props = |code: &str| format!(r#"{{"code":"{code}","name":"n","branch":"b"}}"#);
        let unclosed = r#"{"type":"Polygon","coordinates":[[[126.6,45.7],[126.7,45.7],[126.7,45.8],[126.6,45.8]]]}"#;
        let out_of_range = r#"{"type":"Polygon","coordinates":[[[126.6,45.7],[190.0,45.7],[126.7,45.8],[126.6,45.7]]]}"#;
        let bow_tie = r#"{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}"#;
        let point = r#"{"type":"Point","coordinates":[126.6,45.7]}"#;
        let too_short = r#"{"type":"Polygon","coordinates":[[[0,0],[1,1],[0,0]]]}"#;
        let garbage = r#"{"type":"Polygon","coordinates":"here"}"#;
        let text = collection(&[
            feature(&props("A"), unclosed),
            feature(&props("B"), out_of_range),
            feature(&props("C"), bow_tie),
            feature(&props("D"), point),
            feature(&props("E"), "null"),
            feature(&props("F"), too_short),
            feature(&props("G"), garbage),
            feature(&props("H"), SQUARE),
        ]);
        let errors = read_stations(text.as_bytes()).unwrap_err();
        assert_eq!(
            at(&errors),
            [
                (1, "geometry"),
                (2, "geometry"),
                (3, "geometry"),
                (4, "geometry"),
                (5, "geometry"),
                (6, "geometry"),
                (7, "geometry")
            ]
        );
        assert!(
            errors[0].reason.contains("not closed"),
            "{}",
            errors[0].reason
        );
        assert!(errors[1].reason.contains("outside"), "{}", errors[1].reason);
        assert!(
            errors[2].reason.contains("self-intersection"),
            "{}",
            errors[2].reason
        );
        assert!(errors[3].reason.contains("Point"), "{}", errors[3].reason);
    }

    #[test]
    fn missing_properties_and_duplicate_codes() {
        let text = collection(&[
            feature(r#"{"code":"S1","name":"一站","branch":"b"}"#, SQUARE),
            feature(r#"{"name":"二站"}"#, SQUARE),
            feature(r#"{"code":"S1","name":"又一站","branch":"b"}"#, SQUARE),
            feature("null", SQUARE),
            feature(r#"{"code":["x"],"name":"n","branch":"b"}"#, SQUARE),
            r#"{"type":"Point"}"#.to_string(),
        ]);
        let errors = read_stations(text.as_bytes()).unwrap_err();
        assert_eq!(
            at(&errors),
            [
                (2, "code"),
                (2, "branch"),
                (3, "code"),
                (4, "code"),
                (4, "name"),
                (4, "branch"),
                (5, "code"),
                (6, "feature")
            ]
        );
        assert!(
            errors[2].reason.contains("duplicate"),
            "{}",
            errors[2].reason
        );
    }

    #[test]
    fn not_a_feature_collection_or_not_json() {
        for text in [
            SQUARE,
            r#"{"type":"Feature","properties":{},"geometry":null}"#,
            r#"{"type":"FeatureCollection"}"#,
            "[]",
            "42",
        ] {
            let errors = read_stations(text.as_bytes()).unwrap_err();
            assert_eq!(at(&errors), [(0, "file")], "{text}");
        }
        let errors =
            read_stations(b"{\"type\": \"FeatureCollection\", \"features\": [").unwrap_err();
        assert_eq!(at(&errors), [(0, "file")]);
        assert!(errors[0].reason.contains("line 1"), "{}", errors[0].reason);
        assert!(read_stations(b"\xff\xfe").is_err());
    }

    #[test]
    fn bom_and_empty_collection_are_fine() {
        let text = format!("\u{feff}{}", collection(&[]));
        assert_eq!(read_stations(text.as_bytes()).unwrap(), []);
    }
}
