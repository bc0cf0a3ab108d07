//! Errors a running node reports to its callers (the local API, tests, the demo).

use samenloop_protocol::{FieldProblem, ProblemKind, SignError};

/// Why a command to the node failed. Variants map one-to-one to API error codes.
#[derive(Debug, Clone, thiserror::Error)]
pub enum NodeError {
    /// The caller's input is invalid; every problem is listed by field.
    #[error("invalid input: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidProfile(Vec<FieldProblem>),
    /// The request is malformed (bad peer id, bad hex, bad address).
    #[error("{0}")]
    BadRequest(String),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The operation needs a published profile first.
    #[error("this node has not published a profile yet: run `samenloop profile set --name NAME ...`")]
    NoProfile,
    /// This node's role does not allow the operation.
    #[error("{0}")]
    Forbidden(String),
    /// Storage failed (disk full, I/O error); nothing was published.
    #[error("storage: {0}")]
    Storage(String),
    /// The node is shutting down or its event loop is gone.
    #[error("the node is shutting down")]
    Stopped,
}

impl NodeError {
    /// The stable code used in API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            NodeError::InvalidProfile(_) => "invalid-profile",
            NodeError::BadRequest(_) => "bad-request",
            NodeError::NotFound(_) => "not-found",
            NodeError::NoProfile => "no-profile",
            NodeError::Forbidden(_) => "forbidden",
            NodeError::Storage(_) => "storage",
            NodeError::Stopped => "stopped",
        }
    }
}

impl From<SignError> for NodeError {
    fn from(e: SignError) -> Self {
        match e {
            SignError::Invalid(problems) => NodeError::InvalidProfile(problems),
            SignError::TooLarge(_) => {
                NodeError::InvalidProfile(vec![FieldProblem::new("profile", ProblemKind::Other, e.to_string())])
            }
            SignError::Attestation(m) => {
                NodeError::InvalidProfile(vec![FieldProblem::new("attestation", ProblemKind::Other, m)])
            }
            SignError::BadValidity => NodeError::BadRequest(e.to_string()),
        }
    }
}
