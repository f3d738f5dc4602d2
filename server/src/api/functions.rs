//! `/functions`: what can be scheduled.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::Value;
use worker::access::Right;
use worker::model::Function;

use super::{ApiAccess, ApiError, ApiState};

/// A function as the API shows it.
#[derive(Debug, Serialize)]
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

pub async fn get(
    State(state): State<ApiState>,
    ApiAccess(access): ApiAccess,
    Path((id, version)): Path<(String, i64)>,
) -> Result<Json<FunctionView>, ApiError> {
    let function = state.engine.store().get_function(&id, version).await?;
    access.check_function(Right::FunctionView, &id, version)?;
    Ok(Json(function.into()))
}
