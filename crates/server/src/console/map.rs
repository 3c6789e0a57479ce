//! The service-area map of the intake screen: the stations' GeoJSON areas
//! drawn as inline SVG on the server (no tiles, nothing from the internet).
//! A click on it sets the call's point (console.js inverts the projection
//! written into the `data-*` attributes of the `<svg>`).

use std::fmt::Write;

use store::org::StationRow;

/// Width of the drawing in SVG units; the height follows the areas' shape.
const WIDTH: f64 = 1000.0;

/// One station's area, parsed.
struct Area {
    code: String,
    name: String,
    /// Rings as (lon, lat): each polygon's exterior, then its holes.
    polygons: Vec<Vec<Vec<(f64, f64)>>>,
}

/// The SVG of the stations' service areas, with a marker at `point`
/// (lat, lon) when one is set. Stations without (valid) areas are left out;
/// an empty string when no station has one.
pub fn service_area_svg(stations: &[StationRow], point: Option<(f64, f64)>, title: &str) -> String {
    let areas: Vec<Area> = stations
        .iter()
        .filter_map(|s| {
            let geometry = address::parse_area(s.area_geojson.as_deref()?).ok()?;
            let polygons = geometry
                .0
                .iter()
                .map(|p| {
                    std::iter::once(p.exterior())
                        .chain(p.interiors())
                        .map(|ring| ring.coords().map(|c| (c.x, c.y)).collect())
                        .collect()
                })
                .collect();
            Some(Area {
                code: s.code.clone(),
                name: s.name.clone(),
                polygons,
            })
        })
        .collect();
    let coords = || {
        areas
            .iter()
            .flat_map(|a| a.polygons.iter().flatten().flatten())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    };
    let Some(first) = coords().next() else {
        return String::new();
    };
    let (mut min_lon, mut max_lon, mut min_lat, mut max_lat) = (first.0, first.0, first.1, first.1);
    for &(lon, lat) in coords() {
        min_lon = min_lon.min(lon);
        max_lon = max_lon.max(lon);
        min_lat = min_lat.min(lat);
        max_lat = max_lat.max(lat);
    }
    // A margin of 5 % so that the outer edges can be clicked too.
    let pad_lon = ((max_lon - min_lon) * 0.05).max(1e-4);
    let pad_lat = ((max_lat - min_lat) * 0.05).max(1e-4);
    let (west, east, south, north) = (
        min_lon - pad_lon,
        max_lon + pad_lon,
        min_lat - pad_lat,
        max_lat + pad_lat,
    );
    // Equirectangular around the middle latitude: a city is flat enough.
    let kx = ((south + north) / 2.0).to_radians().cos().max(0.01);
    let scale = WIDTH / ((east - west) * kx);
    let height = ((north - south) * scale).clamp(100.0, 2.0 * WIDTH);
    let x = |lon: f64| (lon - west) * kx * scale;
    let y = |lat: f64| (north - lat) * scale;

    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg id=\"area-map\" class=\"area-map\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH:.0} {height:.0}\" \
         role=\"img\" aria-label=\"{}\" data-west=\"{west}\" data-north=\"{north}\" data-scale=\"{scale}\" data-kx=\"{kx}\">",
        escape(title)
    );
    for (i, a) in areas.iter().enumerate() {
        let mut d = String::new();
        for ring in a.polygons.iter().flatten() {
            for (j, (lon, lat)) in ring.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{:.1},{:.1}",
                    if j == 0 { "M" } else { "L" },
                    x(*lon),
                    y(*lat)
                );
            }
            d.push('Z');
        }
        // Label at the middle of the largest polygon's bounding box.
        let (lx, ly) = a
            .polygons
            .iter()
            .filter_map(|p| p.first())
            .max_by_key(|ring| ring.len())
            .map(|ring| {
                let xs = ring.iter().map(|c| x(c.0));
                let ys = ring.iter().map(|c| y(c.1));
                let (x0, x1) = xs.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
                let (y0, y1) = ys.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
                ((x0 + x1) / 2.0, (y0 + y1) / 2.0)
            })
            .unwrap_or((0.0, 0.0));
        let _ = write!(
            svg,
            "<g class=\"map-area hue{}\" id=\"map-area-{code}\" data-station=\"{code}\"><title>{name} ({code})</title>\
             <path d=\"{d}\" fill-rule=\"evenodd\"/><text x=\"{lx:.1}\" y=\"{ly:.1}\">{code}</text></g>",
            i % 6,
            code = escape(&a.code),
            name = escape(&a.name),
        );
    }
    let (cx, cy, hidden) = match point {
        Some((lat, lon)) if lat.is_finite() && lon.is_finite() => (x(lon), y(lat), ""),
        _ => (0.0, 0.0, " visibility=\"hidden\""),
    };
    let _ = write!(
        svg,
        "<circle id=\"map-point\" cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"8\"{hidden}/></svg>"
    );
    svg
}

/// Escapes text for an XML attribute or element.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn station(code: &str, name: &str, lon: f64) -> StationRow {
        StationRow {
            id: 1,
            code: code.into(),
            name: name.into(),
            branch_code: None,
            branch_name: None,
            phone: None,
            area_geojson: Some(format!(
                r#"{{"type":"Polygon","coordinates":[[[{lon},45.70],[{e},45.70],[{e},45.71],[{lon},45.71],[{lon},45.70]]]}}"#,
                e = lon + 0.01
            )),
        }
    }

    #[test]
    fn draws_every_area_and_the_point() {
        let svg = service_area_svg(
            &[
                station("S01", "红旗<站>", 126.60),
                station("S02", "b", 126.61),
            ],
            Some((45.705, 126.605)),
            "map",
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("id=\"map-area-S01\"") && svg.contains("id=\"map-area-S02\""));
        assert!(svg.contains("红旗&lt;站&gt;"));
        assert!(!svg.contains("visibility=\"hidden\""));
        assert_eq!(service_area_svg(&[], None, "map"), "");
    }
}
