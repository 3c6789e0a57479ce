//! Registers over JSON: accounts, stations and their staff, categories.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use domain::{DomainError, Permission, Phone};
use serde::{Deserialize, Serialize};
use store::accounts::AccountRow;
use utoipa::{IntoParams, ToSchema};

use super::ApiQuery;
use super::tickets::StationRef;
use crate::auth::CurrentUser;
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/accounts", get(list_accounts))
        .route("/api/v1/stations", get(list_stations))
        .route("/api/v1/stations/{code}/staff", get(list_station_staff))
        .route("/api/v1/categories", get(list_categories))
        .route("/api/v1/resolve", axum::routing::post(resolve))
}

/// A person of a station, as `assign` names them (`staff_ids`).
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffJson {
    pub id: i64,
    pub name: String,
    pub phone: String,
    /// repairer, station_director, production_deputy …
    pub position: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffList {
    pub items: Vec<StaffJson>,
}

#[utoipa::path(get, path = "/api/v1/stations/{code}/staff", tag = "registers",
    params(("code" = String, Path, description = "Station code")),
    responses((status = 200, body = StaffList), (status = 404, body = crate::error::Problem)))]
pub async fn list_station_staff(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> Result<Json<StaffList>, AppError> {
    let not_found = || AppError::NotFound {
        what: "station",
        key: code.clone(),
    };
    let station = state
        .db
        .station_by_code(&code)
        .await?
        .ok_or_else(not_found)?;
    // A station-bound user sees only its own station's people.
    if user.scope().is_some_and(|scope| scope != station.id) {
        return Err(not_found());
    }
    let items = state
        .db
        .station_staff(station.id)
        .await?
        .into_iter()
        .map(|p| StaffJson {
            id: p.id,
            name: p.name,
            phone: p.phone,
            position: p.position,
        })
        .collect();
    Ok(Json(StaffList { items }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountQuery {
    /// Any phone of the account, in any usual form.
    pub phone: Option<String>,
    pub account_no: Option<String>,
    /// Start of the holder's name, or part of the community name.
    pub q: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountJson {
    pub account_no: String,
    pub holder: String,
    pub phones: Vec<String>,
    /// The address as one line: district street community building-unit-room.
    pub address: String,
    pub district: String,
    pub street: String,
    pub community: String,
    pub building: String,
    pub unit: String,
    pub room: String,
    pub area_m2: f64,
    /// paid | partial | unpaid | suspended
    pub payment_state: String,
    pub station: Option<StationRef>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountList {
    pub items: Vec<AccountJson>,
}

#[utoipa::path(get, path = "/api/v1/accounts", tag = "registers", params(AccountQuery),
    responses((status = 200, body = AccountList)))]
pub async fn list_accounts(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<AccountQuery>,
) -> Result<Json<AccountList>, AppError> {
    user.require(Permission::LookUpAccounts)?;
    let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let mut rows = if let Some(phone) = nonempty(q.phone) {
        let phone = Phone::parse("phone", &phone, &state.settings.config.default_area_code)?;
        state.db.accounts_by_phone(phone.as_str()).await?
    } else if let Some(no) = nonempty(q.account_no) {
        state.db.account(&no).await?.into_iter().collect()
    } else if let Some(text) = nonempty(q.q) {
        if text.chars().count() > 50 {
            return Err(DomainError::TooLong {
                field: "q".into(),
                max: 50,
            }
            .into());
        }
        state.db.search_accounts(&text, 50).await?
    } else {
        return Err(DomainError::required("phone").into());
    };
    if user.scope().is_some() {
        rows.retain(|a| a.station_code == user.station_code);
    }
    let mut phones = state
        .db
        .account_phones(&rows.iter().map(|a| a.id).collect::<Vec<_>>())
        .await?;
    let items = rows
        .into_iter()
        .map(|a| {
            let phones = phones.remove(&a.id).unwrap_or_default();
            account_json(a, phones)
        })
        .collect();
    Ok(Json(AccountList { items }))
}

pub fn account_address(a: &AccountRow) -> String {
    let mut s = format!("{}{}{}{}栋", a.district, a.street, a.community, a.building);
    if !a.unit.is_empty() {
        s.push_str(&format!("{}单元", a.unit));
    }
    if !a.room.is_empty() {
        s.push_str(&format!("{}室", a.room));
    }
    s
}

fn account_json(a: AccountRow, phones: Vec<String>) -> AccountJson {
    AccountJson {
        address: account_address(&a),
        station: match (a.station_code, a.station_name) {
            (Some(code), Some(name)) => Some(StationRef { code, name }),
            _ => None,
        },
        account_no: a.account_no,
        holder: a.holder,
        phones,
        district: a.district,
        street: a.street,
        community: a.community,
        building: a.building,
        unit: a.unit,
        room: a.room,
        area_m2: a.area_m2,
        payment_state: a.payment_state,
        lat: a.lat,
        lon: a.lon,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StationJson {
    pub code: String,
    pub name: String,
    pub branch: Option<String>,
    pub phone: Option<String>,
    /// Service area, a GeoJSON Polygon or MultiPolygon (WGS84).
    #[schema(value_type = Option<Object>)]
    pub area: Option<serde_json::Value>,
}

#[utoipa::path(get, path = "/api/v1/stations", tag = "registers", responses((status = 200, body = [StationJson])))]
pub async fn list_stations(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<Json<Vec<StationJson>>, AppError> {
    let stations = state.db.stations().await?;
    Ok(Json(
        stations
            .into_iter()
            .map(|s| StationJson {
                area: s
                    .area_geojson
                    .as_deref()
                    .and_then(|g| serde_json::from_str(g).ok()),
                code: s.code,
                name: s.name,
                branch: s.branch_name,
                phone: s.phone,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryJson {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// The kind a ticket of this category usually is.
    pub kind: String,
}

#[utoipa::path(get, path = "/api/v1/categories", tag = "registers", responses((status = 200, body = [CategoryJson])))]
pub async fn list_categories(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Json<Vec<CategoryJson>> {
    Json(
        state
            .settings
            .catalogue
            .all()
            .iter()
            .map(|c| CategoryJson {
                code: c.code.clone(),
                name_zh: c.name_zh.clone(),
                name_en: c.name_en.clone(),
                kind: c.kind.code().to_string(),
            })
            .collect(),
    )
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResolveRequest {
    /// What the caller said, e.g. `我家在幸福小区三栋二单元五零一`.
    #[serde(default)]
    pub text: String,
    /// A point, when known (map click, GPS): WGS84.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// Address text (and an optional point) → building, account and responsible station.
#[utoipa::path(post, path = "/api/v1/resolve", tag = "registers", request_body = ResolveRequest,
    responses((status = 200, description = "`{station, building, account_no, confidence, method, candidates}`; \
        `method` is exact | fuzzy | gis | none", body = Object),
        (status = 422, body = crate::error::Problem)))]
pub async fn resolve(
    State(state): State<AppState>,
    user: CurrentUser,
    super::ApiJson(body): super::ApiJson<ResolveRequest>,
) -> Result<Json<address::Resolution>, AppError> {
    user.require(Permission::LookUpAccounts)?;
    let point = match (body.lat, body.lon) {
        (None, None) => None,
        (Some(lat), Some(lon)) => Some((lat, lon)),
        (Some(_), None) => return Err(DomainError::required("lon").into()),
        (None, Some(_)) => return Err(DomainError::required("lat").into()),
    };
    let resolution = state
        .addresses
        .current()
        .resolve(&body.text, point)
        .map_err(DomainError::from)?;
    Ok(Json(resolution))
}
