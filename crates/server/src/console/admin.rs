//! Admin pages (admin role only): users, stations, staff, categories, and
//! the upload of register files with the row-level error report.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
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
        .route(
            "/admin/users/{username}",
            get(edit_user_page).post(edit_user),
        )
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
    /// When set, the first cell of row i links here.
    pub row_links: Vec<String>,
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
    /// Where row `i`'s first cell links to ("" for none).
    /// (askama hands the loop index over by reference.)
    pub fn link(&self, i: &usize) -> &str {
        self.row_links.get(*i).map_or("", String::as_str)
    }

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
        row_links: users
            .iter()
            .map(|u| format!("/admin/users/{}", super::encode(&u.username)))
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

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EditUserForm {
    pub display_name: String,
    pub role: String,
    pub station_code: String,
    pub staff_phone: String,
    /// `on` when the box is ticked.
    pub disabled: String,
    /// Empty keeps the password.
    pub password: String,
}

#[derive(Template)]
#[template(path = "user_edit.html")]
struct EditUserPage {
    c: Chrome,
    l: Lang,
    username: String,
    f: EditUserForm,
    errors: HashMap<String, String>,
    notice: Option<String>,
    roles: Vec<(String, String)>,
    stations: Vec<(String, String)>,
}

impl EditUserPage {
    pub fn err(&self, field: &str) -> &str {
        self.errors.get(field).map_or("", String::as_str)
    }
}

async fn edit_view(
    state: &AppState,
    ctx: &Ctx,
    username: String,
    f: EditUserForm,
    errors: HashMap<String, String>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let l = ctx.l;
    let stations = state.db.stations().await.map_err(|e| ctx.err(e))?;
    let failed = !errors.is_empty();
    let mut response = render(&EditUserPage {
        c: ctx.chrome("admin", format!("{} {username}", l.t("admin.edit_user"))),
        l,
        username,
        f,
        errors,
        notice,
        roles: Role::ALL
            .iter()
            .map(|r| (r.code().to_string(), l.role(r.code())))
            .collect(),
        stations: stations.into_iter().map(|s| (s.code, s.name)).collect(),
    });
    if failed {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

async fn edit_user_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(username): Path<String>,
) -> Result<Response, PageError> {
    admin(&ctx)?;
    let user = state
        .db
        .user_by_name(&username)
        .await
        .map_err(|e| ctx.err(e))?
        .ok_or_else(|| {
            ctx.err(AppError::NotFound {
                what: "user",
                key: username.clone(),
            })
        })?;
    let staff_phone = match user.staff_id {
        Some(id) => state
            .db
            .staff_phone(id)
            .await
            .map_err(|e| ctx.err(e))?
            .unwrap_or_default(),
        None => String::new(),
    };
    let f = EditUserForm {
        display_name: user.display_name,
        role: user.role,
        station_code: user.station_code.unwrap_or_default(),
        staff_phone,
        disabled: if user.disabled != 0 {
            "on".into()
        } else {
            String::new()
        },
        password: String::new(),
    };
    edit_view(&state, &ctx, username, f, HashMap::new(), None).await
}

async fn edit_user(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(username): Path<String>,
    Form(mut f): Form<EditUserForm>,
) -> Result<Response, PageError> {
    admin(&ctx)?;
    let l = ctx.l;
    let mut errors = HashMap::new();
    let mut fail = |field: &str, code: &str| {
        errors.insert(field.to_string(), l.error(code, Some(field)));
    };
    let display = match required_text("display_name", &f.display_name, 50) {
        Ok(d) => Some(d),
        Err(e) => {
            fail("display_name", e.code());
            None
        }
    };
    let role = Role::parse(&f.role).ok();
    if role.is_none() {
        fail("role", "unknown_value");
    }
    let staff_phone = match f.staff_phone.trim() {
        "" => None,
        text => match domain::Phone::parse(
            "staff_phone",
            text,
            &state.settings.config.default_area_code,
        ) {
            Ok(p) => Some(p.as_str().to_string()),
            Err(e) => {
                fail("staff_phone", e.code());
                None
            }
        },
    };
    let disabled = f.disabled == "on";
    // An administrator cannot lock themselves out.
    if disabled && ctx.user.name == username {
        errors.insert(
            "disabled".into(),
            l.t("admin.cannot_disable_self").to_string(),
        );
    }
    if !f.password.is_empty() && f.password.chars().count() < 8 {
        errors.insert("password".into(), l.t("admin.password_short").to_string());
    }
    let mut notice = None;
    if errors.is_empty()
        && let (Some(display), Some(role)) = (display, role)
    {
        let hash = if f.password.is_empty() {
            None
        } else {
            let password = f.password.clone();
            Some(
                tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
                    .await
                    .map_err(|e| ctx.err(AppError::Internal(e.into())))?
                    .map_err(|e| ctx.err(AppError::Internal(e)))?,
            )
        };
        let station = Some(f.station_code.trim()).filter(|s| !s.is_empty());
        let update = store::users::UserUpdate {
            display_name: &display,
            role,
            station_code: station,
            disabled,
            staff_phone: staff_phone.as_deref(),
            password_hash: hash.as_deref(),
        };
        match state
            .db
            .update_user(&username, &update)
            .await
            .map_err(AppError::from)
        {
            Ok(_) => notice = Some(l.tf("admin.user_saved", &[("name", &username)])),
            Err(e @ AppError::NotFound { what: "user", .. }) => return Err(ctx.err(e)),
            Err(e) => {
                let field = match e.field().as_deref() {
                    Some("station") => "station_code".to_string(),
                    Some(f) => f.to_string(),
                    // The only other thing that can be missing: the staff entry.
                    None => "staff_phone".to_string(),
                };
                errors.insert(field.clone(), l.error(e.code(), Some(&field)));
            }
        }
    }
    f.password.clear();
    edit_view(&state, &ctx, username, f, errors, notice).await
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
