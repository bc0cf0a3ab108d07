//! The local HTTP API: how the `samenloop` command talks to a running node. The web app ([`crate::web`])
//! is served on the same address, and both sit behind the same guard (Host and Origin checks).
//!
//! It listens on loopback only and every request must carry `Authorization: Bearer <token>`, where the
//! token is in the home's `api.token` (owner-only). Routes, all JSON:
//!
//! | method | path                    | body / answer                                   |
//! |--------|-------------------------|-------------------------------------------------|
//! | GET    | `/v1/phase`             | [`types::PhaseView`]: no-identity, locked, running |
//! | POST   | `/v1/web/login-link`    | [`types::LoginLink`]: a one-time sign-in link for the app |
//! | GET    | `/v1/status`            | [`types::NodeStatus`]                           |
//! | GET    | `/v1/profile`           | own [`types::ProfileView`]                      |
//! | PUT    | `/v1/profile`           | [`types::ProfileUpdate`] -> [`types::ProfileView`] |
//! | GET    | `/v1/profiles/{peer}`   | [`types::ProfileView`]                          |
//! | POST   | `/v1/directory/search`  | [`types::SearchRequest`] -> [`types::SearchResponse`] |
//! | POST   | `/v1/attestations`      | [`types::AttestRequest`] -> [`types::AttestResponse`] |
//! | POST   | `/v1/peers`             | [`types::DialRequest`]                          |
//! | GET/POST | `/v1/requests`        | list / create (a `ReviewRequest`) -> `RequestRecord` |
//! | GET    | `/v1/requests/{id}`     | `RequestRecord` with referrals and history      |
//! | GET    | `/v1/requests/{id}/match` | `MatchResult`                                 |
//! | POST   | `/v1/requests/{id}/referrals` | [`types::ReferRequest`] -> `RequestRecord` |
//! | POST   | `/v1/requests/{id}/withdraw` | `RequestRecord`                            |
//! | GET    | `/v1/referrals`, `/v1/referrals/{id}` | received referrals; one with its request opened |
//! | POST   | `/v1/referrals/{id}/answer` | `Answer` -> `ReceivedReferral`              |
//! | POST   | `/v1/requests/{id}/call` | [`types::CallRequest`] -> `CallView`           |
//! | GET    | `/v1/calls`             | open calls seen on the network                  |
//! | POST   | `/v1/calls/{id}/interest` | `CallView`                                    |
//!
//! Errors are [`types::ErrorBody`] with a stable `code`. Until the node is unlocked every route but the two
//! above answers 503 with code `no-identity` or `locked`.

pub mod client;
pub(crate) mod server;
pub mod types;
