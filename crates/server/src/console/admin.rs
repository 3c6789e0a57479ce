//! Admin pages (admin role only): users, stations, staff, categories, and
//! the upload of register files with the row-level error report.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::response::{Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use domain::error::required_text;
use domain::{Permission, Role};
use serde::Deserialize;
use store::org::{ImportSummary, RowError};

use super::{Chrome, Ctx, PageError, render};
use crate::i18n::Lang;
use crate::import::{RegisterKind, import};
use crate::{AppError, AppState};

/// Register files can be large (170,000 accounts).
const UPLOAD_LIMIT: usize = 64 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(|| async { Redirect::to("/admin/users") }))
        .route("/admin/users", get(users_page).post(add_user))
        .route("/admin/stations", get(stations_page))
        .route("/admin/misplaced", get(misplaced_page))
        .route("/admin/staff", get(staff_page))
        .route("/admin/categories", get(categories_page))
        .route(
            "/admin/import",
            get(import_page)
                .post(upload)
                .layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
}

#[derive(Default)]
pub struct AdminView {
    pub tab: &'static str,
    pub tabs: Vec<(&'static str, String)>,
    /// Table of the tab: header labels and rows of cells.
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub user_form: UserForm,
    pub errors: HashMap<String, String>,
    pub notice: Option<String>,
    pub roles: Vec<(String, String)>,
    pub stations: Vec<(String, String)>,
    pub import_kind: String,
    /// Register kinds for the upload: code, name, selected.
    pub registers: Vec<(String, String, bool)>,
    pub import_errors: Vec<RowError>,
    pub import_error: Option<String>,
    pub summary: Option<ImportSummary>,
}

impl AdminView {
    pub fn err(&self, field: &str) -> &str {
        self.errors.get(field).map_or("", String::as_str)
    }
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    c: Chrome,
    l: Lang,
    v: AdminView,
}

fn admin(ctx: &Ctx) -> Result<(), PageError> {
    ctx.require(Permission::Administer)
}

fn base(ctx: &Ctx, tab: &'static str) -> AdminView {
    let l = ctx.l;
    AdminView {
        tab,
        tabs: [
            "users",
            "stations",
            "misplaced",
            "staff",
            "categories",
            "import",
        ]
        .into_iter()
        .map(|t| (t, l.code_name("admin.tab", t)))
        .collect(),
        ..Default::default()
    }
}

fn page(ctx: &Ctx, mut v: AdminView) -> Response {
    let l = ctx.l;
    v.registers = ["stations", "accounts", "staff"]
        .into_iter()
        .map(|k| {
            (
                k.to_string(),
                l.code_name("admin.register", k),
                k == v.import_kind,
            )
        })
        .collect();
    render(&AdminPage {
        c: ctx.chrome("admin", l.code_name("admin.tab", v.tab)),
        l,
        v,
    })
}

async fn users_view(
    state: &AppState,
    ctx: &Ctx,
    form: UserForm,
    errors: HashMap<String, String>,
    notice: Option<String>,
) -> Result<AdminView, PageError> {
    let l = ctx.l;
    let users = state.db.users().await.map_err(|e| ctx.err(e))?;
    let stations = state.db.stations().await.map_err(|e| ctx.err(e))?;
    Ok(AdminView {
        head: [
            "field.username",
            "field.display_name",
            "field.role",
            "field.station_code",
            "admin.locale",
            "admin.state",
        ]
        .iter()
        .map(|k| l.t(k).to_string())
        .collect(),
        rows: users
            .into_iter()
            .map(|u| {
                vec![
                    u.username,
                    u.display_name,
                    l.role(&u.role),
                    u.station_code.unwrap_or_default(),
                    u.locale.unwrap_or_default(),
                    l.t(if u.disabled == 0 {
                        "admin.enabled"
                    } else {
                        "admin.disabled"
                    })
                    .to_string(),
                ]
            })
            .collect(),
        roles: Role::ALL
            .iter()
            .map(|r| (r.code().to_string(), l.role(r.code())))
            .collect(),
        stations: stations.into_iter().map(|s| (s.code, s.name)).collect(),
        user_form: form,
        errors,
        notice,
        ..base(ctx, "users")
    })
}

async fn users_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    admin(&ctx)?;
    let v = users_view(&state, &ctx, UserForm::default(), HashMap::new(), None).await?;
    Ok(page(&ctx, v))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UserForm {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub station_code: String,
    pub password: String,
}

async fn add_user(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(mut f): Form<UserForm>,
) -> Result<Response, PageError> {
    admin(&ctx)?;
    let l = ctx.l;
    let mut errors = HashMap::new();
    let username = required_text("username", &f.username, 50);
    if let Err(e) = &username {
        errors.insert("username".into(), l.error(e.code(), Some("username")));
    } else if f.username.trim().contains(char::is_whitespace) {
        errors.insert(
            "username".into(),
            l.error("invalid_field", Some("username")),
        );
    }
    let role = Role::parse(&f.role);
    if role.is_err() {
        errors.insert("role".into(), l.error("unknown_value", Some("role")));
    }
    if f.password.chars().count() < 8 {
        errors.insert("password".into(), l.t("admin.password_short").to_string());
    }
    let mut notice = None;
    if errors.is_empty()
        && let (Ok(username), Ok(role)) = (username, role)
    {
        let display = if f.display_name.trim().is_empty() {
            username.clone()
        } else {
            f.display_name.trim().to_string()
        };
        let password = f.password.clone();
        let hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
            .await
            .map_err(|e| ctx.err(AppError::Internal(e.into())))?
            .map_err(|e| ctx.err(AppError::Internal(e)))?;
        let station = Some(f.station_code.trim()).filter(|s| !s.is_empty());
        match state
            .db
            .create_user(&username, &display, role, station, &hash, state.now())
            .await
            .map_err(AppError::from)
        {
            Ok(_) => {
                notice = Some(l.tf("admin.user_added", &[("name", &username)]));
                f = UserForm::default();
            }
            Err(e) => {
                let field = match e.field().as_deref() {
                    Some("station") => "station_code".to_string(),
                    Some(f) => f.to_string(),
                    None => "username".to_string(),
                };
                errors.insert(field.clone(), l.error(e.code(), Some(&field)));
            }
        }
    }
    f.password.clear();
    let failed = !errors.is_empty();
    let v = users_view(&state, &ctx, f, errors, notice).await?;
    let mut response = page(&ctx, v);
    if failed {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

async fn stations_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    admin(&ctx)?;
    let l = ctx.l;
    let stations = state.db.stations().await.map_err(|e| ctx.err(e))?;
    let v = AdminView {
        head: [
            "admin.code",
            "admin.name",
            "admin.branch",
            "field.phone",
            "admin.area",
        ]
        .iter()
        .map(|k| l.t(k).to_string())
        .collect(),
        rows: stations
            .into_iter()
            .map(|s| {
                vec![
                    s.code,
                    s.name,
                    s.branch_name.unwrap_or_default(),
                    s.phone.unwrap_or_default(),
                    l.t(if s.area_geojson.is_some() {
                        "admin.yes"
                    } else {
                        "admin.no"
                    })
                    .to_string(),
                ]
            })
            .collect(),
        ..base(&ctx, "stations")
    };
    Ok(page(&ctx, v))
}

/// The most misplaced accounts one page lists.
const MISPLACED_SHOWN: usize = 500;

/// Accounts whose coordinates lie outside their own station's service area,
/// found by the address index's GIS, with the station whose area holds the
/// point instead.
async fn misplaced_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    admin(&ctx)?;
    let l = ctx.l;
    let index = state.addresses.current();
    let mut numbers = index.misplaced_accounts();
    numbers.sort();
    let total = numbers.len();
    numbers.truncate(MISPLACED_SHOWN);
    let accounts = state
        .db
        .accounts_by_numbers(&numbers)
        .await
        .map_err(|e| ctx.err(e))?;
    let notice = if total == 0 {
        l.t("admin.misplaced.none").to_string()
    } else if total > MISPLACED_SHOWN {
        l.tf(
            "admin.misplaced.more",
            &[
                ("n", &total.to_string()),
                ("shown", &MISPLACED_SHOWN.to_string()),
            ],
        )
    } else {
        l.t("admin.misplaced.help").to_string()
    };
    let v = AdminView {
        notice: Some(notice),
        head: [
            "field.account_no",
            "admin.name",
            "field.address",
            "field.station_code",
            "admin.coordinates",
            "admin.misplaced.inside",
        ]
        .iter()
        .map(|k| l.t(k).to_string())
        .collect(),
        rows: accounts
            .into_iter()
            .map(|a| {
                let (lat, lon) = (a.lat.unwrap_or_default(), a.lon.unwrap_or_default());
                let inside = index
                    .stations_containing(lat, lon)
                    .into_iter()
                    .map(|s| format!("{} ({})", s.name, s.code))
                    .collect::<Vec<_>>()
                    .join(", ");
                vec![
                    a.account_no.clone(),
                    a.holder.clone(),
                    crate::api::registers::account_address(&a),
                    format!(
                        "{} ({})",
                        a.station_name.clone().unwrap_or_default(),
                        a.station_code.clone().unwrap_or_default()
                    ),
                    format!("{lat:.6}, {lon:.6}"),
                    if inside.is_empty() {
                        "—".to_string()
                    } else {
                        inside
                    },
                ]
            })
            .collect(),
        ..base(&ctx, "misplaced")
    };
    Ok(page(&ctx, v))
}

async fn staff_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    admin(&ctx)?;
    let l = ctx.l;
    let staff = state.db.staff().await.map_err(|e| ctx.err(e))?;
    let v = AdminView {
        head: [
            "admin.name",
            "field.phone",
            "admin.position",
            "admin.branch",
            "field.station_code",
        ]
        .iter()
        .map(|k| l.t(k).to_string())
        .collect(),
        rows: staff
            .into_iter()
            .map(|s| {
                vec![
                    s.name,
                    s.phone,
                    l.position(&s.position),
                    s.branch_name.unwrap_or_default(),
                    s.station_code.unwrap_or_default(),
                ]
            })
            .collect(),
        ..base(&ctx, "staff")
    };
    Ok(page(&ctx, v))
}

async fn categories_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    admin(&ctx)?;
    let l = ctx.l;
    let v = AdminView {
        head: ["admin.code", "admin.name_zh", "admin.name_en", "field.kind"]
            .iter()
            .map(|k| l.t(k).to_string())
            .collect(),
        rows: state
            .settings
            .catalogue
            .all()
            .iter()
            .map(|c| {
                vec![
                    c.code.clone(),
                    c.name_zh.clone(),
                    c.name_en.clone(),
                    l.kind(c.kind.code()),
                ]
            })
            .collect(),
        notice: Some(l.t("admin.categories.note").to_string()),
        ..base(&ctx, "categories")
    };
    Ok(page(&ctx, v))
}

async fn import_page(ctx: Ctx) -> Result<Response, PageError> {
    admin(&ctx)?;
    Ok(page(
        &ctx,
        AdminView {
            import_kind: "accounts".into(),
            ..base(&ctx, "import")
        },
    ))
}

/// Takes a register file; a refused file shows every bad row with its
/// number, column and reason (nothing is written then).
async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    admin(&ctx)?;
    let l = ctx.l;
    let bad =
        |message: String| ctx.err(AppError::bad_request("bad_request", Some("file"), message));
    let mut kind = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| bad(e.body_text()))?
    {
        match field.name().unwrap_or("") {
            "kind" => kind = field.text().await.map_err(|e| bad(e.body_text()))?,
            "file" => {
                let name = field.file_name().unwrap_or("upload").to_string();
                let bytes = field.bytes().await.map_err(|e| bad(e.body_text()))?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    let mut v = AdminView {
        import_kind: kind.clone(),
        ..base(&ctx, "import")
    };
    let register = RegisterKind::parse(&kind);
    match (register, file) {
        (None, _) => v.import_error = Some(l.error("unknown_value", Some("kind"))),
        (_, None) => v.import_error = Some(l.error("required", Some("file"))),
        (Some(_), Some((_, bytes))) if bytes.is_empty() => {
            v.import_error = Some(l.error("required", Some("file")))
        }
        (Some(register), Some((name, bytes))) => {
            match import(
                &state.db,
                register,
                &name,
                &bytes,
                &state.settings.config.default_area_code,
                state.now(),
            )
            .await
            {
                Ok(summary) => v.summary = Some(summary),
                Err(AppError::Rows(rows)) => {
                    v.import_error =
                        Some(l.tf("admin.import.refused", &[("n", &rows.len().to_string())]));
                    v.import_errors = rows;
                }
                Err(e) => v.import_error = Some(l.error(e.code(), e.field().as_deref())),
            }
        }
    }
    let failed = v.import_error.is_some();
    let mut response = page(&ctx, v);
    if failed {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}
