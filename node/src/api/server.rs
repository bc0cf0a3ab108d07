//! The API server: axum routes that translate HTTP into [`Client`] commands.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use samenloop_protocol::PeerId;
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::types::{
    AttestRequest, AttestResponse, CallRequest, DialRequest, ErrorBody, ProfileUpdate, ReferRequest, SearchRequest,
};
use super::types::{LoginLink, PhaseView};
use crate::error::NodeError;
use crate::home::{Home, write_private};
use crate::keystore::random_bytes;
use crate::network::Client;
use crate::node::StartError;
use crate::service::{Phase, Service};
use crate::web::guard::Guard;
use samenloop_protocol::ReviewRequest;
use samenloop_protocol::referrals::referral::Answer;
use std::sync::Arc;

#[derive(Clone)]
struct ApiState {
    service: Arc<Service>,
    token: String,
    /// Where the server listens: the origin of the app's one-time links.
    addr: SocketAddr,
}

impl ApiState {
    /// The running node's client; 503 `locked` until the identity is created or unlocked.
    fn client(&self) -> Result<Client, ApiError> {
        self.service.client().ok_or_else(|| {
            let (code, message) = match self.service.phase() {
                Phase::NoIdentity => (
                    "no-identity",
                    "this node has no identity yet: create one in the app (`samenloop open`) or with `samenloop init`",
                ),
                _ => (
                    "locked",
                    "the node is locked: unlock it in the app (`samenloop open`) or start it with its passphrase",
                ),
            };
            ApiError(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorBody { code: code.into(), message: message.into(), problems: Vec::new() },
            )
        })
    }
}

/// An API failure: a status and a stable body. Internal details of storage errors are not echoed.
struct ApiError(StatusCode, ErrorBody);

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> Self {
        let status = match &e {
            NodeError::InvalidProfile(_) => StatusCode::UNPROCESSABLE_ENTITY,
            NodeError::BadRequest(_) => StatusCode::BAD_REQUEST,
            NodeError::NotFound(_) | NodeError::NoProfile => StatusCode::NOT_FOUND,
            NodeError::Forbidden(_) => StatusCode::FORBIDDEN,
            NodeError::Storage(_) => StatusCode::INSUFFICIENT_STORAGE,
            NodeError::Stopped => StatusCode::SERVICE_UNAVAILABLE,
        };
        // Invalid input: a short message, and each problem once, by field.
        let (message, problems) = match &e {
            NodeError::InvalidProfile(p) => ("invalid input:".to_string(), p.clone()),
            _ => (e.to_string(), Vec::new()),
        };
        ApiError(status, ErrorBody { code: e.code().into(), message, problems })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

fn bad_request(message: String) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, ErrorBody { code: "bad-request".into(), message, problems: Vec::new() })
}

/// Parses a JSON body ourselves so malformed input gets the same error shape as everything else.
fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| bad_request(format!("malformed request body: {e}")))
}

fn parse_peer(s: &str) -> Result<PeerId, ApiError> {
    s.parse().map_err(|_| bad_request(format!("`{s}` is not a peer id")))
}

/// The whole server (API and app, behind the guard) for `service`, as served on `addr`: what tests drive
/// without a socket.
pub(crate) fn app(service: Arc<Service>, token: String, addr: SocketAddr) -> Router {
    router(ApiState { service, token, addr })
}

/// The router, factored out so tests can drive it without a socket.
fn router(state: ApiState) -> Router {
    let guard = Guard::new(state.addr.port());
    let web = crate::web::router(state.service.clone());
    api_routes(state).merge(web).layer(middleware::from_fn_with_state(guard, crate::web::guard::guard))
}

/// The JSON API, behind the bearer token.
fn api_routes(state: ApiState) -> Router {
    Router::new()
        .route(
            "/v1/phase",
            get(|State(s): State<ApiState>| async move { Json(PhaseView { phase: s.service.phase().name().to_string() }) }),
        )
        .route(
            "/v1/web/login-link",
            post(|State(s): State<ApiState>| async move {
                let token = s.service.sessions.new_link(std::time::Instant::now());
                Json(LoginLink { url: format!("http://{}/login/{token}", s.addr) })
            }),
        )
        .route(
            "/v1/status",
            get(|State(s): State<ApiState>| async move { Ok::<_, ApiError>(Json(s.client()?.status().await?)) }),
        )
        .route(
            "/v1/profile",
            get(|State(s): State<ApiState>| async move { Ok::<_, ApiError>(Json(s.client()?.own_profile().await?)) }).put(
                |State(s): State<ApiState>, body: Bytes| async move {
                    let update: ProfileUpdate = parse(&body)?;
                    Ok::<_, ApiError>(Json(s.client()?.set_profile(update).await?))
                },
            ),
        )
        .route(
            "/v1/cases",
            post(|State(s): State<ApiState>, body: Bytes| async move {
                let command: crate::cases::commands::CaseCommand = parse(&body)?;
                Ok::<_, ApiError>(Json(s.client()?.case(command).await?))
            }),
        )
        .route(
            "/v1/sync/stats",
            get(|State(s): State<ApiState>| async move { Ok::<_, ApiError>(Json(s.client()?.sync_stats().await?)) }),
        )
        .route(
            "/v1/profiles/{peer}",
            get(|State(s): State<ApiState>, Path(peer): Path<String>| async move {
                let peer = parse_peer(&peer)?;
                Ok::<_, ApiError>(Json(s.client()?.profile(peer).await?))
            }),
        )
        .route(
            "/v1/directory/search",
            post(|State(s): State<ApiState>, body: Bytes| async move {
                let query: SearchRequest = parse(&body)?;
                Ok::<_, ApiError>(Json(s.client()?.search(query).await?))
            }),
        )
        .route(
            "/v1/attestations",
            post(|State(s): State<ApiState>, body: Bytes| async move {
                let req: AttestRequest = parse(&body)?;
                let subject = parse_peer(&req.subject)?;
                let attestation = s.client()?.attest(subject, req.level, req.valid_until).await?;
                Ok::<_, ApiError>(Json(AttestResponse { attestation }))
            }),
        )
        .route(
            "/v1/peers",
            post(|State(s): State<ApiState>, body: Bytes| async move {
                let req: DialRequest = parse(&body)?;
                let addr = req.addr.parse().map_err(|_| bad_request(format!("`{}` is not a multiaddr", req.addr)))?;
                s.client()?.dial(addr).await?;
                Ok::<_, ApiError>(StatusCode::NO_CONTENT)
            }),
        )
        .route(
            "/v1/requests",
            get(|State(s): State<ApiState>| async move { Ok::<_, ApiError>(Json(s.client()?.requests().await?)) }).post(
                |State(s): State<ApiState>, body: Bytes| async move {
                    let request: ReviewRequest = parse(&body)?;
                    Ok::<_, ApiError>(Json(s.client()?.create_request(request).await?))
                },
            ),
        )
        .route(
            "/v1/requests/{id}",
            get(|State(s): State<ApiState>, Path(id): Path<String>| async move {
                Ok::<_, ApiError>(Json(s.client()?.request(&id).await?))
            }),
        )
        .route(
            "/v1/requests/{id}/match",
            get(|State(s): State<ApiState>, Path(id): Path<String>| async move {
                Ok::<_, ApiError>(Json(s.client()?.match_request(&id).await?))
            }),
        )
        .route(
            "/v1/requests/{id}/referrals",
            post(|State(s): State<ApiState>, Path(id): Path<String>, body: Bytes| async move {
                let req: ReferRequest = parse(&body)?;
                let to = req.to.iter().map(|p| parse_peer(p)).collect::<Result<Vec<_>, _>>()?;
                let respond_by = req.respond_by.map(|d| d.start().plus_secs(86_400 - 1));
                Ok::<_, ApiError>(Json(s.client()?.refer(&id, to, req.pair, req.next, respond_by).await?))
            }),
        )
        .route(
            "/v1/requests/{id}/withdraw",
            post(|State(s): State<ApiState>, Path(id): Path<String>| async move {
                Ok::<_, ApiError>(Json(s.client()?.withdraw(&id).await?))
            }),
        )
        .route(
            "/v1/requests/{id}/call",
            post(|State(s): State<ApiState>, Path(id): Path<String>, body: Bytes| async move {
                let req: CallRequest = parse(&body)?;
                Ok::<_, ApiError>(Json(s.client()?.post_call(&id, req.theme).await?))
            }),
        )
        .route(
            "/v1/calls",
            get(|State(s): State<ApiState>| async move { Ok::<_, ApiError>(Json(s.client()?.calls().await?)) }),
        )
        .route(
            "/v1/calls/{id}/interest",
            post(|State(s): State<ApiState>, Path(id): Path<String>| async move {
                Ok::<_, ApiError>(Json(s.client()?.express_interest(&id).await?))
            }),
        )
        .route(
            "/v1/referrals",
            get(|State(s): State<ApiState>| async move { Ok::<_, ApiError>(Json(s.client()?.referrals().await?)) }),
        )
        .route(
            "/v1/referrals/{id}",
            get(|State(s): State<ApiState>, Path(id): Path<String>| async move {
                Ok::<_, ApiError>(Json(s.client()?.referral(&id).await?))
            }),
        )
        .route(
            "/v1/referrals/{id}/answer",
            post(|State(s): State<ApiState>, Path(id): Path<String>, body: Bytes| async move {
                let answer: Answer = parse(&body)?;
                Ok::<_, ApiError>(Json(s.client()?.answer_referral(&id, answer).await?))
            }),
        )
        .layer(middleware::from_fn_with_state(state.clone(), require_token))
        .with_state(state)
}

async fn require_token(State(state): State<ApiState>, headers: HeaderMap, request: Request, next: Next) -> Response {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if constant_time_eq(presented.as_bytes(), state.token.as_bytes()) {
        next.run(request).await
    } else {
        ApiError(
            StatusCode::UNAUTHORIZED,
            ErrorBody {
                code: "unauthorized".into(),
                message: "missing or wrong bearer token (see api.token in the node's home)".into(),
                problems: Vec::new(),
            },
        )
        .into_response()
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Binds the API on `addr` (loopback only), writes a fresh token and the bound address into the home,
/// and serves until the returned sender fires.
pub(crate) async fn serve(
    home: &Home,
    addr: SocketAddr,
    service: Arc<Service>,
) -> Result<(SocketAddr, oneshot::Sender<()>, JoinHandle<()>), StartError> {
    if !addr.ip().is_loopback() {
        return Err(StartError::ApiNotLoopback(addr));
    }
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|e| StartError::ApiBind { addr, detail: e.to_string() })?;
    let bound = listener.local_addr().map_err(|e| StartError::ApiBind { addr, detail: e.to_string() })?;
    let token = hex::encode(random_bytes::<32>());
    let creds = |path: std::path::PathBuf, e: std::io::Error| StartError::Credentials {
        path: path.display().to_string(),
        detail: e.to_string(),
    };
    write_private(&home.token_path(), token.as_bytes()).map_err(|e| creds(home.token_path(), e))?;
    write_private(&home.api_addr_path(), bound.to_string().as_bytes()).map_err(|e| creds(home.api_addr_path(), e))?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = app(service, token, bound);
    let task = tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
            tracing::warn!("local API stopped: {e}");
        }
    });
    Ok((bound, stop, task))
}
