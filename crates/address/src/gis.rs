//! Station service areas: which areas hold a point, and the nearest one.
//!
//! A heating network covers one city, so the areas are kept in a local
//! equirectangular projection (metres, centred on the areas' mean latitude):
//! containment is exact under it and distances are good to well under 1 %
//! within a few tens of kilometres — plenty for a "nearest station" hint.

use geo::{BoundingRect, Distance, Euclidean, Intersects, MapCoords, MultiPolygon, Point, Rect};
use geojson::{Geometry, GeometryValue};
use thiserror::Error;

/// A station and the area it serves, as the register holds it (GeoJSON
/// order: x = longitude, y = latitude).
#[derive(Debug, Clone, PartialEq)]
pub struct StationArea {
    pub code: String,
    pub name: String,
    pub geometry: MultiPolygon<f64>,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum AreaError {
    #[error("not a GeoJSON geometry: {0}")]
    NotGeoJson(String),
    #[error("a service area must be a Polygon or MultiPolygon, not a {0}")]
    NotAnArea(String),
    #[error("{0}")]
    Invalid(String),
}

impl StationArea {
    /// A station from its code, name and GeoJSON service area (the text the
    /// store keeps in `stations.area_geojson`).
    pub fn from_geojson(code: &str, name: &str, geometry: &str) -> Result<StationArea, AreaError> {
        Ok(StationArea {
            code: code.to_string(),
            name: name.to_string(),
            geometry: parse_area(geometry)?,
        })
    }
}

/// Parses a GeoJSON Polygon or MultiPolygon geometry.
pub fn parse_area(geometry: &str) -> Result<MultiPolygon<f64>, AreaError> {
    let geometry: Geometry =
        serde_json::from_str(geometry).map_err(|e| AreaError::NotGeoJson(e.to_string()))?;
    match &geometry.value {
        GeometryValue::Polygon { .. } => geo::Polygon::<f64>::try_from(&geometry.value)
            .map(|p| MultiPolygon::new(vec![p]))
            .map_err(|e| AreaError::Invalid(e.to_string())),
        GeometryValue::MultiPolygon { .. } => MultiPolygon::<f64>::try_from(&geometry.value)
            .map_err(|e| AreaError::Invalid(e.to_string())),
        other => Err(AreaError::NotAnArea(other.type_name().to_string())),
    }
}

/// Metres per degree of latitude (and of longitude at the equator).
const METRES_PER_DEGREE: f64 = 111_320.0;

struct ProjectedArea {
    station: usize,
    area: MultiPolygon<f64>,
    bounds: Rect<f64>,
}

/// The service areas of all stations, ready for point queries.
pub(crate) struct ServiceAreas {
    cos_lat0: f64,
    areas: Vec<ProjectedArea>,
}

impl ServiceAreas {
    /// `stations[i]`'s area becomes station `i`'s.
    pub fn new(stations: &[&MultiPolygon<f64>]) -> ServiceAreas {
        let centres: Vec<f64> = stations
            .iter()
            .filter_map(|area| area.bounding_rect())
            .map(|r| r.center().y)
            .filter(|lat| lat.is_finite())
            .collect();
        let lat0 = if centres.is_empty() {
            0.0
        } else {
            centres.iter().sum::<f64>() / centres.len() as f64
        };
        let cos_lat0 = lat0.to_radians().cos();
        let areas = stations
            .iter()
            .enumerate()
            .filter_map(|(station, area)| {
                let area = area.map_coords(|c| project(cos_lat0, c.y, c.x).into());
                let bounds = area.bounding_rect()?;
                Some(ProjectedArea {
                    station,
                    area,
                    bounds,
                })
            })
            .collect();
        ServiceAreas { cos_lat0, areas }
    }

    fn point(&self, lat: f64, lon: f64) -> Point<f64> {
        project(self.cos_lat0, lat, lon).into()
    }

    /// Stations whose area holds the point (its boundary included).
    pub fn containing(&self, lat: f64, lon: f64) -> Vec<usize> {
        let p = self.point(lat, lon);
        self.areas
            .iter()
            .filter(|a| a.bounds.intersects(&p) && a.area.intersects(&p))
            .map(|a| a.station)
            .collect()
    }

    /// Whether station `station`'s area holds the point; `None` when the
    /// station has no area.
    pub fn holds(&self, station: usize, lat: f64, lon: f64) -> Option<bool> {
        let p = self.point(lat, lon);
        let area = self.areas.iter().find(|a| a.station == station)?;
        Some(area.bounds.intersects(&p) && area.area.intersects(&p))
    }

    /// The station whose area is closest to the point, with the distance in
    /// metres (0 inside).
    pub fn nearest(&self, lat: f64, lon: f64) -> Option<(usize, f64)> {
        let p = self.point(lat, lon);
        self.areas
            .iter()
            .map(|a| (a.station, Euclidean.distance(&a.area, &p)))
            .filter(|(_, d)| d.is_finite())
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

fn project(cos_lat0: f64, lat: f64, lon: f64) -> (f64, f64) {
    (lon * cos_lat0 * METRES_PER_DEGREE, lat * METRES_PER_DEGREE)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[126.0,45.0],[126.1,45.0],[126.1,45.1],[126.0,45.1],[126.0,45.0]]]}"#;

    #[test]
    fn parses_polygons_and_refuses_others() {
        assert_eq!(parse_area(SQUARE).map(|m| m.0.len()), Ok(1));
        assert!(matches!(
            parse_area(r#"{"type":"Point","coordinates":[1.0,2.0]}"#),
            Err(AreaError::NotAnArea(_))
        ));
        assert!(matches!(parse_area("nope"), Err(AreaError::NotGeoJson(_))));
    }

    #[test]
    fn containment_and_distance() {
        let area = parse_area(SQUARE).unwrap();
        let areas = ServiceAreas::new(&[&area]);
        assert_eq!(areas.containing(45.05, 126.05), vec![0]);
        assert!(areas.containing(45.05, 126.2).is_empty());
        let (station, metres) = areas.nearest(45.05, 126.2).unwrap();
        assert_eq!(station, 0);
        // 0.1° of longitude at 45° N is about 7.9 km.
        assert!((7_500.0..8_300.0).contains(&metres), "{metres}");
    }
}
