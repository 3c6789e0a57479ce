//! The station board (供热站): the station's incoming, in-progress,
//! scheduled and late tickets; accept in the row, and links to the
//! ticket's forms to put one or more of its repairers on it or to redirect a
//! wrong route to another station with the reason (back to the board after).
//! Every button is a ticket command (an event on its timeline).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use domain::{Action, DomainError, Status};
use serde::Deserialize;
use store::queues::{ClockQueue, QueueFilter};

use super::queues::{Row, rows};
use super::{Chrome, Ctx, PageError, encode, render};
use crate::AppState;
use crate::i18n::Lang;

pub fn routes() -> Router<AppState> {
    Router::new().route("/station", get(station_page))
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
    /// More tickets than a section shows (the queues have them all).
    pub full: bool,
}

/// Rows per section: a board is read on a phone, often on a slow connection.
const SECTION_ROWS: i64 = 100;

pub struct StationRow {
    pub r: Row,
    pub assignee: String,
    pub can_accept: bool,
    pub can_assign: bool,
    pub can_redirect: bool,
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
    /// Whether the station has repairers to assign.
    pub has_repairers: bool,
    /// The station picker (for users who see every station).
    pub stations: Vec<(String, String)>,
    pub back: String,
    /// `back`, encoded for a query string.
    pub back_q: String,
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
    let open = vec![
        Status::Dispatched,
        Status::Accepted,
        Status::Contacted,
        Status::Scheduled,
        Status::OnSite,
    ];
    let mut sections = Vec::new();
    for (id, statuses, late) in [
        ("late", open, true),
        ("incoming", vec![Status::Dispatched], false),
        (
            "in_progress",
            vec![Status::Accepted, Status::Contacted, Status::OnSite],
            false,
        ),
        ("scheduled", vec![Status::Scheduled], false),
    ] {
        let tickets = state
            .db
            .queue(&QueueFilter {
                statuses,
                station_id: Some(station.id),
                station_scope: ctx.user.scope(),
                clocks: late.then(|| ClockQueue {
                    now: state.now(),
                    late: true,
                }),
                oldest_first: true,
                limit: SECTION_ROWS,
                ..Default::default()
            })
            .await
            .map_err(|e| ctx.err(e))?;
        let full = tickets.len() as i64 == SECTION_ROWS;
        let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
        let statuses: Vec<Status> = tickets
            .iter()
            .map(|t| Status::parse(&t.status))
            .collect::<Result<_, _>>()
            .map_err(|e| ctx.err(e))?;
        let assignments = state.db.assignments(&ids).await.map_err(|e| ctx.err(e))?;
        let lines = rows(&state, l, tickets).await.map_err(|e| ctx.err(e))?;
        let mut section_rows = Vec::new();
        for ((r, id), status) in lines.into_iter().zip(ids).zip(statuses) {
            let crew = assignments.get(&id).map(Vec::as_slice).unwrap_or_default();
            let can = |action: &Action| {
                role.may_act(action) && status.decide(action, Some(&station.code)).is_ok()
            };
            section_rows.push(StationRow {
                can_accept: can(&Action::Accept),
                can_assign: can(&Action::Assign { staff_ids: vec![] }),
                can_redirect: can(&Action::Redirect {
                    station_code: String::new(),
                    reason: String::new(),
                }),
                assignee: crew
                    .iter()
                    .map(|a| a.staff_name.as_str())
                    .collect::<Vec<_>>()
                    .join(l.t("list.sep")),
                r,
            });
        }
        sections.push(Section {
            id,
            title: l.code_name("station.section", id),
            rows: section_rows,
            full,
        });
    }
    let has_repairers = state
        .db
        .station_staff(station.id)
        .await
        .map_err(|e| ctx.err(e))?
        .iter()
        .any(|s| s.position == domain::Position::Repairer.code());
    let back = format!("/station?station={}", encode(&station.code));
    let v = StationView {
        back_q: encode(&back),
        back,
        code: station.code,
        name: station.name,
        sections,
        has_repairers,
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
