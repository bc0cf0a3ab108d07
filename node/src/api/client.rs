//! A blocking client for the local API, used by the `samenloop` command.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::types::ErrorBody;
use crate::home::Home;

/// Why a command could not talk to its node.
#[derive(Debug, thiserror::Error)]
pub enum ApiClientError {
    /// No node is running for this home (or it crashed and left a stale address).
    #[error("no samenloop node is running for {home}: start one with `samenloop --home {home} node run`")]
    NotRunning {
        /// The home directory.
        home: String,
    },
    /// The node answered with an error.
    #[error("{}{}", .body.message, problems(.body))]
    Api {
        /// HTTP status.
        status: u16,
        /// The error body.
        body: ErrorBody,
    },
    /// The node's answer could not be understood.
    #[error("unexpected answer from the node: {0}")]
    Protocol(String),
}

fn problems(body: &ErrorBody) -> String {
    if body.problems.is_empty() {
        return String::new();
    }
    let lines: Vec<String> = body.problems.iter().map(|p| format!("\n  --{}: {}", p.field, p.problem)).collect();
    lines.concat()
}

/// A connection to the node of one home.
pub struct ApiClient {
    home: String,
    base: String,
    token: String,
    agent: ureq::Agent,
}

impl ApiClient {
    /// Finds the running node of `home` through its `api.addr` and `api.token` files.
    pub fn for_home(home: &Home) -> Result<ApiClient, ApiClientError> {
        let not_running = || ApiClientError::NotRunning { home: home.root().display().to_string() };
        let addr = std::fs::read_to_string(home.api_addr_path()).map_err(|_| not_running())?;
        let token = std::fs::read_to_string(home.token_path()).map_err(|_| not_running())?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Ok(ApiClient {
            home: home.root().display().to_string(),
            base: format!("http://{}", addr.trim()),
            token: token.trim().to_string(),
            agent,
        })
    }

    fn not_running(&self, e: ureq::Error) -> ApiClientError {
        match e {
            ureq::Error::Io(_) | ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => {
                // A stale api.addr left by a node that crashed: the node is not running.
                ApiClientError::NotRunning { home: self.home.clone() }
            }
            other => ApiClientError::Protocol(other.to_string()),
        }
    }

    fn finish<T: DeserializeOwned>(
        &self,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<T, ApiClientError> {
        let mut response = response.map_err(|e| self.not_running(e))?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().map_err(|e| ApiClientError::Protocol(e.to_string()))?;
        if (200..300).contains(&status) {
            let text = if text.is_empty() { "null" } else { &text };
            serde_json::from_str(text).map_err(|e| ApiClientError::Protocol(e.to_string()))
        } else {
            let body = serde_json::from_str(&text).unwrap_or(ErrorBody {
                code: "http".into(),
                message: format!("HTTP {status}: {text}"),
                problems: Vec::new(),
            });
            Err(ApiClientError::Api { status, body })
        }
    }

    fn auth(&self) -> String {
        format!("Bearer {}", self.token)
    }

    /// GET `path`.
    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiClientError> {
        let r = self.agent.get(format!("{}{path}", self.base)).header("Authorization", self.auth()).call();
        self.finish(r)
    }

    /// POST `body` to `path`.
    pub fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ApiClientError> {
        let r = self.agent.post(format!("{}{path}", self.base)).header("Authorization", self.auth()).send_json(body);
        self.finish(r)
    }

    /// PUT `body` to `path`.
    pub fn put<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ApiClientError> {
        let r = self.agent.put(format!("{}{path}", self.base)).header("Authorization", self.auth()).send_json(body);
        self.finish(r)
    }
}
