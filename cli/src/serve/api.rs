//! The HTTP API's handlers: modules, option lists, connections, manifest, OpenAPI, the page.

use super::AppState;
use super::store::ConnectionSummary;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use connector_core::framework::module::schema_of;
use connector_core::framework::registry::SchemaCheck;
use connector_core::{Connection, Context, Error, ErrorKind};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// An error as the API answers it: `{"error": {...}}` with a status by kind.
pub struct ApiError {
    err: Error,
    status: StatusCode,
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        ApiError {
            status: status_of(err.kind()),
            err,
        }
    }
}

impl ApiError {
    /// The same error answered with another status than its kind's (503 when the service is
    /// busy, 408 for a body that came too slowly, …).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }
}

/// The HTTP status of an error kind.
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::InvalidInput => StatusCode::BAD_REQUEST,
        ErrorKind::Auth => StatusCode::UNAUTHORIZED,
        ErrorKind::SignatureMismatch | ErrorKind::AccessDenied => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Throttled => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Server | ErrorKind::Network => StatusCode::BAD_GATEWAY,
        ErrorKind::Timeout => StatusCode::GATEWAY_TIMEOUT,
        ErrorKind::Cancelled => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({"error": self.err.to_json()}))).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        // (Sizes were checked when the body was read: see limits.rs.)
        let message = format!(
            "the request body is not the expected JSON: {}",
            rejection.body_text()
        );
        // Not JSON keeps its own status; any other bad body is invalid input.
        let status = match rejection.status() {
            StatusCode::UNSUPPORTED_MEDIA_TYPE => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError {
            err: Error::invalid_input("body", message),
            status,
        }
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// An optional field that, when sent, is not `null` (as /openapi.json says: a field is sent
/// with a value, or left out).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// How a request names its connection: stored (`connection_id`) or inline (`connection`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionChoice {
    /// The connection, given inline (its keys are used for this request only).
    #[serde(default, deserialize_with = "present")]
    connection: Option<Value>,
    /// The id of a stored connection (`GET /v1/connections`).
    #[serde(default, deserialize_with = "present")]
    connection_id: Option<String>,
}

/// The body of `POST /v1/modules/{name}/run`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// The connection, given inline (its keys are used for this request only).
    #[serde(default, deserialize_with = "present")]
    connection: Option<Value>,
    /// The id of a stored connection (`GET /v1/connections`).
    #[serde(default, deserialize_with = "present")]
    connection_id: Option<String>,
    /// The module's input.
    input: Value,
}

/// The body of `POST /v1/options/{provider}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionsRequest {
    /// The connection, given inline (its keys are used for this request only).
    #[serde(default, deserialize_with = "present")]
    connection: Option<Value>,
    /// The id of a stored connection (`GET /v1/connections`).
    #[serde(default, deserialize_with = "present")]
    connection_id: Option<String>,
    /// The form's current values.
    #[serde(default, deserialize_with = "present")]
    input: Option<serde_json::Map<String, Value>>,
}

impl AppState {
    /// The summary of `--local`'s connection, if the service has one.
    fn local_summary(&self) -> Option<ConnectionSummary> {
        let id = super::LOCAL_CONNECTION_ID;
        let local = self.local_connection.as_ref()?;
        Some(ConnectionSummary::describe(id, id, local))
    }

    /// The connection a request names: stored (by id) or inline.
    async fn connection(&self, request: ConnectionChoice) -> Result<Option<Connection>, Error> {
        match (request.connection, &request.connection_id) {
            (Some(_), Some(_)) => Err(Error::invalid_input(
                "connection_id",
                "give either a connection or a connection_id, not both",
            )),
            (Some(inline), None) => inline_connection(inline).map(Some),
            (None, Some(id))
                if id == super::LOCAL_CONNECTION_ID && self.local_connection.is_some() =>
            {
                Ok(self.local_connection.clone())
            }
            (None, Some(id)) => {
                let key = id.clone();
                let stored = self.store.run(move |s| s.connection(&key)).await?;
                stored.map(Some).ok_or_else(|| {
                    Error::new(
                        ErrorKind::NotFound,
                        format!("no stored connection has the id {id:?}"),
                    )
                    .with_field("connection_id")
                })
            }
            (None, None) => Ok(None),
        }
    }

    /// The connection stored (or, for `local`, kept) under `id`.
    pub(super) async fn connection_by_id(&self, id: &str) -> Result<Connection, Error> {
        let choice = ConnectionChoice {
            connection: None,
            connection_id: Some(id.to_owned()),
        };
        let connection = self.connection(choice).await?;
        Ok(connection.expect("a connection id names a connection or is an error"))
    }

    /// A context for modules on `connection`, under the service's egress and file rules.
    pub(super) fn context(&self, connection: Connection) -> Result<Context, Error> {
        Ok(
            Context::with_egress_policy(connection, self.egress.clone())?
                .with_local_files(self.local_files.clone()),
        )
    }
}

/// A connection given in a request, checked against its schema (the one /openapi.json shows),
/// then read.
fn inline_connection(connection: Value) -> Result<Connection, Error> {
    static CHECK: std::sync::OnceLock<SchemaCheck> = std::sync::OnceLock::new();
    CHECK
        .get_or_init(|| SchemaCheck::new(schema_of::<Connection>(), "connection"))
        .check(&connection)?;
    Connection::from_value(connection)
}

/// `GET /`: the scenario-builder page.
pub async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../assets/index.html"),
    )
}

/// `GET /assets/app.js`: the page's script.
pub async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../assets/app.js"),
    )
}

/// `GET /assets/app.css`: the page's stylesheet.
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../assets/app.css"),
    )
}

/// `GET /openapi.json`: the OpenAPI document of this service.
pub async fn openapi(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(state.openapi.clone())
}

/// `GET /v1/manifest`: the connector's manifest (app, connection schema, modules, option
/// lists).
pub async fn manifest(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(state.manifest.clone())
}

/// `GET /v1/modules`: every module's name, label, kind and description.
pub async fn modules(State(state): State<Arc<AppState>>) -> Json<Value> {
    let list: Vec<Value> = state
        .registry
        .modules()
        .map(|m| json!({"name": m.name(), "label": m.label(), "kind": m.kind(), "description": m.description()}))
        .collect();
    Json(Value::Array(list))
}

/// `GET /v1/modules/{name}`: one module, with its input and output schemas; 404 for a name no
/// module has.
pub async fn module(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    let module = state.registry.get(&name).ok_or_else(|| {
        Error::new(ErrorKind::NotFound, format!("no module is called {name:?}")).with_field("name")
    })?;
    Ok(Json(json!({
        "name": module.name(), "label": module.label(), "kind": module.kind(),
        "description": module.description(),
        "input": module.input_schema(), "output": module.output_schema(),
    })))
}

/// `POST /v1/modules/{name}/run`: checks the input, then runs the module with the request's
/// connection (stored or inline) within the service's time limit, and answers its output.
pub async fn run(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    body: Result<Json<RunRequest>, JsonRejection>,
) -> ApiResult<Json<Value>> {
    if state.registry.get(&name).is_none() {
        return Err(
            Error::new(ErrorKind::NotFound, format!("no module is called {name:?}"))
                .with_field("name")
                .into(),
        );
    }
    let Json(request) = body?;
    // The input is read and checked before the connection: a typo is reported first.
    let prepared = state.registry.prepare(&name, request.input)?;
    let choice = ConnectionChoice {
        connection: request.connection,
        connection_id: request.connection_id,
    };
    let connection = state.connection(choice).await?.ok_or_else(|| {
        Error::new(
            ErrorKind::Auth,
            "give a connection_id (or a connection) to run a module",
        )
        .with_field("connection_id")
    })?;
    let ctx = state.context(connection)?;
    let invocation = prepared.run(&ctx);
    match tokio::time::timeout(state.request_timeout, invocation).await {
        Ok(output) => Ok(Json(output?)),
        Err(_) => Err(Error::new(
            ErrorKind::Timeout,
            format!(
                "{name} did not finish within {} s",
                state.request_timeout.as_secs()
            ),
        )
        .into()),
    }
}

/// `POST /v1/options/{provider}`: the items of an option list (buckets, folders, regions, …)
/// for the form's current values; lists that call S3 need a connection.
pub async fn options(
    State(state): State<Arc<AppState>>,
    Path(provider): Path<String>,
    body: Result<Json<OptionsRequest>, JsonRejection>,
) -> ApiResult<Json<Value>> {
    // An unknown list is a path that does not exist.
    state.registry.options_provider(&provider).map_err(|err| {
        Error::new(ErrorKind::NotFound, err.message().to_owned()).with_field("provider")
    })?;
    let Json(request) = body?;
    let input = Value::Object(request.input.unwrap_or_default());
    // The form's values are read before the connection, as a module's input is.
    let list = state.registry.prepare_options(&provider, &input)?;
    let choice = ConnectionChoice {
        connection: request.connection,
        connection_id: request.connection_id,
    };
    let ctx = match state.connection(choice).await? {
        Some(connection) => Some(Context::with_egress_policy(
            connection,
            state.egress.clone(),
        )?),
        None => None,
    };
    let items = list.run(ctx.as_ref()).await?;
    Ok(Json(serde_json::to_value(items).expect("JSON")))
}

/// The body of `POST /v1/connections`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewConnection {
    /// A name for people. Empty: the access key ID.
    #[serde(default)]
    name: Option<String>,
    /// The connection, checked against its schema before it is stored.
    connection: Value,
}

/// `POST /v1/connections`: stores a connection, encrypted, once the service may send requests
/// to its endpoint; answers 201 with its summary (never its secrets).
pub async fn store_connection(
    State(state): State<Arc<AppState>>,
    body: Result<Json<NewConnection>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Json(request) = body?;
    let connection = inline_connection(request.connection)?;
    // Refused now rather than at its first use: the service may not send requests there.
    state.egress.check_connection(&connection)?;
    let name = request
        .name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| connection.access_key_id.clone());
    let summary = state
        .store
        .run(move |s| s.insert(name, &connection))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::to_value(summary).expect("JSON")),
    ))
}

/// `GET /v1/connections`: the stored connections' summaries (without secrets), `--local`'s
/// first.
pub async fn connections(State(state): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    let mut list = state.store.run(|s| s.list()).await?;
    if let Some(summary) = state.local_summary() {
        list.insert(0, summary);
    }
    Ok(Json(serde_json::to_value(list).expect("JSON")))
}

/// `GET /v1/connections/{id}`: one stored connection's summary (without secrets).
pub async fn connection(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let key = id.clone();
    let summary = match state.local_summary().filter(|local| local.id == id) {
        Some(local) => Some(local),
        None => state.store.run(move |s| s.summary(&key)).await?,
    };
    let summary = summary.ok_or_else(|| {
        Error::new(
            ErrorKind::NotFound,
            format!("no stored connection has the id {id:?}"),
        )
    })?;
    Ok(Json(serde_json::to_value(summary).expect("JSON")))
}

/// `DELETE /v1/connections/{id}`: forgets a stored connection (204); `--local`'s cannot be
/// deleted (409).
pub async fn delete_connection(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if state.local_summary().is_some_and(|local| local.id == id) {
        return Err(Error::new(
            ErrorKind::Conflict,
            "the local connection belongs to the embedded store of --local; it goes when the \
             service stops",
        )
        .with_field("id")
        .into());
    }
    let key = id.clone();
    if state.store.run(move |s| s.remove(&key)).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::new(
            ErrorKind::NotFound,
            format!("no stored connection has the id {id:?}"),
        )
        .into())
    }
}

/// Any other path: 404, pointing at /openapi.json.
pub async fn not_found() -> ApiError {
    Error::new(ErrorKind::NotFound, "no such endpoint; see /openapi.json").into()
}
