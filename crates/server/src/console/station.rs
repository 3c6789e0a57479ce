//! The station view (供热站): the station's incoming, in-progress and
//! scheduled tickets; accept, and put a repairer on a ticket.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use domain::{Action, DomainError, Permission, Role, Status};
use serde::Deserialize;
use store::queues::QueueFilter;

use super::queues::{Row, rows};
use super::{Chrome, Ctx, PageError, encode, render, safe_back};
use crate::i18n::Lang;
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/station", get(station_page))
        .route("/station/assign", post(assign))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StationQuery {
    station: String,
    fragment: String,
}

pub struct Section {
    pub id: &'static str,
    pub title: String,
    pub rows: Vec<StationRow>,
}

pub struct StationRow {
    pub r: Row,
    pub assignee: String,
    pub can_accept: bool,
}

#[derive(Template)]
#[template(path = "station.html")]
struct StationPage {
    c: Chrome,
    l: Lang,
    v: StationView,
}

#[derive(Template)]
#[template(path = "station_live.html")]
struct StationLive {
    l: Lang,
    v: StationView,
}

pub struct StationView {
    pub code: String,
    pub name: String,
    pub sections: Vec<Section>,
    pub staff: Vec<(i64, String)>,
    pub can_assign: bool,
    pub stations: Vec<(String, String)>,
    pub back: String,
}

async fn station_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<StationQuery>,
) -> Result<Response, PageError> {
    let l = ctx.l;
    let all = state.db.stations().await.map_err(|e| ctx.err(e))?;
    let station = match ctx.user.scope() {
        Some(scope) => all.iter().find(|s| s.id == scope),
        None if q.station.is_empty() => all.first(),
        None => all.iter().find(|s| s.code == q.station),
    };
    let Some(station) = station.cloned() else {
        return Err(ctx.err(DomainError::unknown("station", q.station.clone())));
    };
    let role = ctx.user.role;
    let mut sections = Vec::new();
    for (id, statuses) in [
        ("incoming", vec![Status::Dispatched]),
        (
            "in_progress",
            vec![Status::Accepted, Status::Contacted, Status::OnSite],
        ),
        ("scheduled", vec![Status::Scheduled]),
    ] {
        let tickets = state
            .db
            .queue(&QueueFilter {
                statuses,
                station_id: Some(station.id),
                station_scope: ctx.user.scope(),
                oldest_first: true,
                limit: 200,
                ..Default::default()
            })
            .await
            .map_err(|e| ctx.err(e))?;
        let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
        let assignments = state.db.assignments(&ids).await.map_err(|e| ctx.err(e))?;
        let lines = rows(&state, l, tickets).await.map_err(|e| ctx.err(e))?;
        sections.push(Section {
            id,
            title: l.code_name("station.section", id),
            rows: lines
                .into_iter()
                .zip(ids)
                .map(|(r, id)| StationRow {
                    can_accept: r.status_code == "dispatched" && role.may_act(&Action::Accept),
                    assignee: assignments
                        .get(&id)
                        .map(|a| a.staff_name.clone())
                        .unwrap_or_default(),
                    r,
                })
                .collect(),
        });
    }
    let staff = state
        .db
        .station_staff(station.id)
        .await
        .map_err(|e| ctx.err(e))?
        .into_iter()
        .map(|s| (s.id, format!("{} · {}", s.name, l.position(&s.position))))
        .collect();
    let v = StationView {
        back: format!("/station?station={}", encode(&station.code)),
        code: station.code,
        name: station.name,
        sections,
        staff,
        can_assign: may_assign(role),
        stations: if ctx.user.scope().is_none() {
            all.into_iter().map(|s| (s.code, s.name)).collect()
        } else {
            Vec::new()
        },
    };
    if q.fragment == "1" {
        return Ok(render(&StationLive { l, v }));
    }
    Ok(render(&StationPage {
        c: ctx.chrome("station", format!("{} {}", l.t("station.title"), v.name)),
        l,
        v,
    }))
}

fn may_assign(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Operator | Role::Station)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssignForm {
    number: String,
    staff_id: String,
    back: String,
}

async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<AssignForm>,
) -> Result<Response, PageError> {
    if !may_assign(ctx.user.role) || !ctx.user.role.has(Permission::LookUpAccounts) {
        return Err(ctx.err(AppError::Forbidden));
    }
    let staff_id: i64 = f
        .staff_id
        .trim()
        .parse()
        .map_err(|_| ctx.err(DomainError::required("staff_id")))?;
    let ticket = state
        .db
        .ticket(&f.number)
        .await
        .map_err(|e| ctx.err(e))?
        .filter(|t| t.visible_to(ctx.user.scope()))
        .ok_or_else(|| {
            ctx.err(AppError::NotFound {
                what: "ticket",
                key: f.number.clone(),
            })
        })?;
    state
        .db
        .assign_ticket(&ticket, staff_id, &ctx.user.name, state.now())
        .await
        .map_err(|e| ctx.err(e))?;
    Ok(Redirect::to(&safe_back(Some(&f.back), "/station")).into_response())
}
