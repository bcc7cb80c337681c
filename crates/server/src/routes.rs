//! The route table. Each enterprise's SCIM API is served under GitHub's two prefixes:
//! `/scim/v2/enterprises/{enterprise}` and, where GitHub Enterprise Server clients look,
//! `/api/v3/scim/v2/enterprises/{enterprise}`.
//!
//! GitHub's REST API for organizations, teams, external groups and the audit log is served
//! under `/api/v3` (see `rest`).
//!
//! Layers, outermost first: request id (so every log line and audit event carries it), then
//! tracing, then the path guard (a path that decodes to a control character is refused before
//! any route), then `observe` (rate-limit headers on every answer; refused SCIM writes recorded
//! as `*.scim_api_failure`), then the routes. Authentication and the rate limit are
//! extractors of each handler, so that an unknown path still answers 404 rather than 401.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::Uri;
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post};
use directory::DirectoryError;
use serde_json::json;
use tower_http::trace::TraceLayer;

use crate::api_error::status_error;
use crate::body::method_not_allowed;
use crate::reply::scim_json;
use crate::rest::{audit_log, external_groups, orgs, teams};
use crate::rest_error::{rest_method_not_allowed, rest_not_found};
use crate::{AppState, discovery, groups, observe, path_guard, request_id, users};

pub const SCIM_PREFIXES: [&str; 2] = [
    "/scim/v2/enterprises/{enterprise}",
    "/api/v3/scim/v2/enterprises/{enterprise}",
];

fn scim_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/ServiceProviderConfig",
            get(discovery::service_provider).fallback(method_not_allowed),
        )
        .route(
            "/ResourceTypes",
            get(discovery::resource_types).fallback(method_not_allowed),
        )
        .route(
            "/ResourceTypes/{id}",
            get(discovery::resource_type).fallback(method_not_allowed),
        )
        .route(
            "/Schemas",
            get(discovery::all_schemas).fallback(method_not_allowed),
        )
        .route(
            "/Schemas/{id}",
            get(discovery::schema).fallback(method_not_allowed),
        )
        .route(
            "/Users",
            get(users::list)
                .post(users::create)
                .fallback(method_not_allowed),
        )
        .route(
            "/Users/.search",
            post(users::search).fallback(method_not_allowed),
        )
        .route(
            "/Users/{id}",
            get(users::get)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::delete)
                .fallback(method_not_allowed),
        )
        .route(
            "/Groups",
            get(groups::list)
                .post(groups::create)
                .fallback(method_not_allowed),
        )
        .route(
            "/Groups/.search",
            post(groups::search).fallback(method_not_allowed),
        )
        .route(
            "/Groups/{id}",
            get(groups::get)
                .put(groups::replace)
                .patch(groups::patch)
                .delete(groups::delete)
                .fallback(method_not_allowed),
        )
        .route(
            "/.search",
            post(crate::search_all::search).fallback(method_not_allowed),
        )
        .route(
            "/Bulk",
            post(crate::search_all::bulk).fallback(method_not_allowed),
        )
}

fn rest_routes() -> Router<AppState> {
    let m = rest_method_not_allowed;
    Router::new()
        .route(
            "/enterprises/{enterprise}/organizations",
            get(orgs::list).post(orgs::create).fallback(m),
        )
        .route(
            "/enterprises/{enterprise}/audit-log",
            get(audit_log::list).fallback(m),
        )
        .route("/orgs/{org}/members", get(orgs::members).fallback(m))
        .route(
            "/orgs/{org}/teams",
            get(teams::list).post(teams::create).fallback(m),
        )
        .route(
            "/orgs/{org}/teams/{team_slug}",
            get(teams::get)
                .patch(teams::update)
                .delete(teams::delete)
                .fallback(m),
        )
        .route(
            "/orgs/{org}/teams/{team_slug}/members",
            get(teams::members).fallback(m),
        )
        .route(
            "/orgs/{org}/teams/{team_slug}/external-groups",
            get(external_groups::of_team)
                .patch(external_groups::link)
                .delete(external_groups::unlink)
                .fallback(m),
        )
        .route(
            "/orgs/{org}/external-groups",
            get(external_groups::list).fallback(m),
        )
        .route(
            "/orgs/{org}/external-group/{group_id}",
            get(external_groups::get).fallback(m),
        )
}

async fn not_found(uri: Uri) -> Response {
    if crate::edge::Api::of(uri.path()) == crate::edge::Api::Rest {
        return rest_not_found().await;
    }
    status_error(
        StatusCode::NOT_FOUND,
        "no such endpoint; SCIM endpoints live under /scim/v2/enterprises/{enterprise}/ (Users, Groups, Schemas, ResourceTypes, ServiceProviderConfig)",
    )
}

async fn healthz() -> Response {
    scim_json(StatusCode::OK, &json!({ "status": "ok" }))
}

/// Ready when the database answers: a load balancer takes a replica that lost its database
/// out of rotation (`/healthz` says only that the process serves HTTP).
async fn readyz(State(state): State<AppState>) -> Response {
    match state.directory.ready().await {
        Ok(_) => scim_json(StatusCode::OK, &json!({ "status": "ready" })),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            // The store's account of an outage is plain words meant for answers; any other
            // failure's words stay in the log.
            let why = match &e {
                DirectoryError::Unavailable(d) | DirectoryError::StorageFull(d) => d.as_str(),
                _ => "it failed in a way the server log describes",
            };
            status_error(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("not ready: the database cannot serve requests ({why})"),
            )
        }
    }
}

pub fn router(state: AppState) -> Router {
    let mut app = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    for prefix in SCIM_PREFIXES {
        app = app.nest(prefix, scim_routes());
    }
    app.nest("/api/v3", rest_routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            observe::observe,
        ))
        .layer(middleware::from_fn(path_guard::refuse_control_characters))
        .layer(TraceLayer::new_for_http())
        .layer(middleware::from_fn(request_id::assign))
        .with_state(state)
}
