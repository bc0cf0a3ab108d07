//! Browser sessions: how a browser gets in without a password form, and how it stays in.
//!
//! The command line (which can read the home's `api.token`) asks the node for a **one-time link**: a random
//! token in the URL, valid once and for two minutes. Opening it sets an HttpOnly, SameSite=Strict session
//! cookie and redirects to a URL without the token, so the token never stays in the address bar or the
//! history. The session id is random too; both live only in the node's memory, so a restart signs every
//! browser out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header;

use crate::keystore::random_bytes;

/// How long a one-time link can be used.
pub(crate) const LINK_VALIDITY: Duration = Duration::from_secs(120);
/// How long a session lasts without use.
pub(crate) const SESSION_IDLE: Duration = Duration::from_secs(12 * 3600);
/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "samenloop_session";
/// The language cookie's name (the user's choice; not a secret).
pub(crate) const LANG_COOKIE: &str = "samenloop_lang";
/// At most this many one-time links wait at once; older ones are dropped first.
const MAX_PENDING_LINKS: usize = 16;
/// At most this many sessions at once; the least recently used goes first.
const MAX_SESSIONS: usize = 64;

/// Why a one-time link did not sign the browser in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LinkRefusal {
    /// No such link: mistyped, already used, or from before the node restarted.
    Unknown,
    /// The link is older than two minutes.
    Expired,
}

/// The node's one-time links and sessions.
#[derive(Default)]
pub(crate) struct Sessions {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    links: HashMap<String, Instant>,
    sessions: HashMap<String, Instant>,
}

impl Sessions {
    /// A fresh one-time link token.
    pub(crate) fn new_link(&self, now: Instant) -> String {
        let token = hex::encode(random_bytes::<32>());
        let mut inner = self.lock();
        inner.links.retain(|_, made| now.saturating_duration_since(*made) < LINK_VALIDITY);
        while inner.links.len() >= MAX_PENDING_LINKS {
            let oldest = inner.links.iter().min_by_key(|(_, t)| **t).map(|(k, _)| k.clone());
            match oldest {
                Some(k) => inner.links.remove(&k),
                None => break,
            };
        }
        inner.links.insert(token.clone(), now);
        token
    }

    /// Uses up the link `token` and opens a session: its id for the cookie.
    pub(crate) fn redeem(&self, token: &str, now: Instant) -> Result<String, LinkRefusal> {
        let mut inner = self.lock();
        // Removed whatever happens: a link is good for one try.
        let made = inner.links.remove(token).ok_or(LinkRefusal::Unknown)?;
        if now.saturating_duration_since(made) >= LINK_VALIDITY {
            return Err(LinkRefusal::Expired);
        }
        inner.sessions.retain(|_, used| now.saturating_duration_since(*used) < SESSION_IDLE);
        while inner.sessions.len() >= MAX_SESSIONS {
            let oldest = inner.sessions.iter().min_by_key(|(_, t)| **t).map(|(k, _)| k.clone());
            match oldest {
                Some(k) => inner.sessions.remove(&k),
                None => break,
            };
        }
        let id = hex::encode(random_bytes::<32>());
        inner.sessions.insert(id.clone(), now);
        Ok(id)
    }

    /// Whether `id` is a live session; using it keeps it alive.
    pub(crate) fn touch(&self, id: &str, now: Instant) -> bool {
        let mut inner = self.lock();
        match inner.sessions.get_mut(id) {
            Some(used) if now.saturating_duration_since(*used) < SESSION_IDLE => {
                *used = now;
                true
            }
            Some(_) => {
                inner.sessions.remove(id);
                false
            }
            None => false,
        }
    }

    /// Ends the session `id` (sign out).
    pub(crate) fn end(&self, id: &str) {
        self.lock().sessions.remove(id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-changed in a way that matters.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The `Set-Cookie` value for a session.
pub(crate) fn session_cookie(id: &str) -> String {
    format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict")
}

/// The `Set-Cookie` value that ends a session in the browser.
pub(crate) fn cleared_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// The `Set-Cookie` value that remembers the language (a year).
pub(crate) fn lang_cookie(code: &str) -> String {
    format!("{LANG_COOKIE}={code}; Path=/; SameSite=Strict; Max-Age=31536000")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_works_once_and_only_for_two_minutes() {
        let s = Sessions::default();
        let t0 = Instant::now();
        let link = s.new_link(t0);
        let session = s.redeem(&link, t0 + Duration::from_secs(5)).unwrap();
        assert!(s.touch(&session, t0 + Duration::from_secs(6)));
        assert_eq!(s.redeem(&link, t0 + Duration::from_secs(7)), Err(LinkRefusal::Unknown));
        let late = s.new_link(t0);
        assert_eq!(s.redeem(&late, t0 + LINK_VALIDITY), Err(LinkRefusal::Expired));
        assert_eq!(s.redeem(&late, t0), Err(LinkRefusal::Unknown), "an expired link is gone");
    }

    #[test]
    fn sessions_expire_when_idle_and_end_on_sign_out() {
        let s = Sessions::default();
        let t0 = Instant::now();
        let id = s.redeem(&s.new_link(t0), t0).unwrap();
        assert!(s.touch(&id, t0 + SESSION_IDLE - Duration::from_secs(1)));
        assert!(!s.touch(&id, t0 + SESSION_IDLE * 2));
        let id = s.redeem(&s.new_link(t0), t0).unwrap();
        s.end(&id);
        assert!(!s.touch(&id, t0));
        assert!(!s.touch("not-a-session", t0));
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, "a=1; samenloop_session=abc".parse().unwrap());
        h.append(header::COOKIE, "samenloop_lang=en".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, LANG_COOKIE), Some("en"));
        assert_eq!(cookie(&h, "b"), None);
    }
}
