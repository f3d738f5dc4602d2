//! `/functions`: what can be scheduled.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::Value;
use worker::access::Right;
use worker::model::Function;

use utoipa::ToSchema;

use super::{ApiAccess, ApiError, ApiState, ErrorBody};

/// A function as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FunctionView {
    pub id: String,
    pub version: i64,
    pub title: String,
    pub description: String,
    pub data_schema: Value,
    pub example: Value,
    pub module_hash: String,
}

impl From<Function> for FunctionView {
    fn from(f: Function) -> Self {
        FunctionView {
            id: f.id,
            version: f.version,
            title: f.title,
            description: f.description,
            data_schema: f.data_schema,
            example: f.example,
            module_hash: f.module_hash,
        }
    }
}

/// Every function the caller may see, by id, newest version first.
#[utoipa::path(get,
    path = "/functions",
    tag = "functions",
    security(("api_key" = []), ("user_api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [FunctionView]), (status = 401, description = "No key, or not a valid one", body = ErrorBody)))]
pub async fn list(
    State(state): State<ApiState>,
    ApiAccess(access): ApiAccess,
) -> Result<Json<Vec<FunctionView>>, ApiError> {
    let functions = state.engine.store().list_functions().await?;
    Ok(Json(
        functions
            .into_iter()
            .filter(|f| access.may_view_function(&f.id, f.version))
            .map(FunctionView::from)
            .collect(),
    ))
}

/// One function version.
#[utoipa::path(get,
    path = "/functions/{id}/{version}",
    tag = "functions",
    security(("api_key" = []), ("user_api_key" = []), ("bearer" = [])),
    params(("id" = String, Path), ("version" = i64, Path)),
    responses((status = 200, body = FunctionView), (status = 401, description = "No key, or not a valid one", body = ErrorBody), (status = 404, description = "Not there, or not visible to the caller", body = ErrorBody)))]
pub async fn get(
    State(state): State<ApiState>,
    ApiAccess(access): ApiAccess,
    Path((id, version)): Path<(String, i64)>,
) -> Result<Json<FunctionView>, ApiError> {
    let function = state.engine.store().get_function(&id, version).await?;
    access.check_function(Right::FunctionView, &id, version)?;
    Ok(Json(function.into()))
}
