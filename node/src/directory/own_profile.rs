//! The reviewer's own profile: applying the reviewer's edits, signing and publishing it (gossip and the
//! DHT), republishing before it expires, and attesting others' accreditation as a supervisor.

use std::time::Instant;

use samenloop_protocol::directory::expertise;
use samenloop_protocol::{AccreditationLevel, PeerId, Profile, SignedAttestation, SignedProfile};

use crate::api::types::{ProfileField, ProfileUpdate, ProfileView};
use crate::error::NodeError;
use crate::network::client::DirectoryEvent;
use crate::network::event_loop::{EventLoop, now};
use samenloop_protocol::{FieldProblem, ProblemKind};

impl EventLoop {
    // ---- own profile out ----------------------------------------------------------------------------

    /// Signs `profile` as the next revision, persists it, and announces it by gossip and DHT.
    pub(crate) fn publish(&mut self, profile: Profile) -> Result<SignedProfile, NodeError> {
        let me = self.identity.peer_id();
        let seen = self.directory.get(&me).map(SignedProfile::revision).unwrap_or(0);
        let revision = self
            .own_revision
            .max(seen)
            .checked_add(1)
            .ok_or_else(|| NodeError::Storage("the profile revision counter is exhausted".into()))?;
        let validity = self.config.profile_validity.as_secs().max(1);
        let reach = self.reach.advertised();
        let signed = SignedProfile::sign_reachable(&self.identity, profile, reach, revision, now(), validity)?;
        // Persist first: a revision number must never be reused after a crash.
        self.store.set_own_published(&signed).map_err(|e| NodeError::Storage(e.to_string()))?;
        self.own_revision = revision;
        self.own = Some(signed.clone());
        self.republish_due = Some(Instant::now() + self.config.republish_every);
        if self.directory.offer_own(signed.clone()).changed() {
            let _ = self.events.send(DirectoryEvent { peer: me, revision });
        }
        self.cache_in_dht(&signed);
        self.announce(&signed);
        Ok(signed)
    }

    /// The profile as the reviewer edits it: the published one, or before the first publication the
    /// draft (the name given at `init` or on the first-run page).
    pub(crate) fn editable_profile(&self) -> Result<Profile, NodeError> {
        Ok(match &self.own {
            Some(own) => own.profile().clone(),
            None => self
                .store
                .own_draft()
                .map_err(|e| NodeError::Storage(e.to_string()))?
                .unwrap_or_else(|| Profile::named("")),
        })
    }

    pub(crate) fn apply_update(&self, update: ProfileUpdate) -> Result<Profile, NodeError> {
        let mut p = self.editable_profile()?;
        let mut problems = Vec::new();
        for field in &update.clear {
            match field {
                ProfileField::Bio => p.bio.clear(),
                ProfileField::Expertise => p.expertise.clear(),
                ProfileField::Region => p.regions.clear(),
                ProfileField::Language => p.languages.clear(),
                ProfileField::AvailableFrom => p.available_from = None,
                ProfileField::AvailableUntil => p.available_until = None,
                ProfileField::Attestation => p.attestation = None,
                ProfileField::Affiliation => p.affiliations.clear(),
                ProfileField::Rate => p.rate_eur_cents = None,
            }
        }
        if let Some(v) = update.name {
            p.name = v.trim().to_string();
        }
        if let Some(v) = update.bio {
            p.bio = v;
        }
        if let Some(tags) = update.expertise {
            p.expertise.clear();
            for t in tags {
                match expertise::normalise_tag(&t) {
                    Ok(t) if !p.expertise.contains(&t) => p.expertise.push(t),
                    Ok(_) => {}
                    Err(e) => problems.push(FieldProblem::new("expertise", ProblemKind::InvalidTag, e.to_string())),
                }
            }
        }
        if let Some(v) = update.regions {
            p.regions = v.into_iter().map(|r| r.trim().to_string()).collect();
        }
        if let Some(v) = update.languages {
            p.languages = Vec::new();
            for l in v {
                let l = l.trim().to_lowercase();
                if !p.languages.contains(&l) {
                    p.languages.push(l);
                }
            }
        }
        if let Some(v) = update.hours_per_month {
            p.hours_per_month = v;
        }
        if let Some(v) = update.available_from {
            p.available_from = Some(v);
        }
        if let Some(v) = update.available_until {
            p.available_until = Some(v);
        }
        if let Some(v) = update.accreditation {
            p.accreditation = v;
        }
        if let Some(hex_att) = update.attestation {
            if hex_att.trim().is_empty() {
                p.attestation = None;
            } else {
                match hex::decode(hex_att.trim()) {
                    Ok(bytes) => p.attestation = Some(bytes),
                    Err(_) => problems.push(FieldProblem::new("attestation", ProblemKind::Other, "is not hex")),
                }
            }
        }
        if let Some(v) = update.affiliations {
            p.affiliations = v;
        }
        if let Some(v) = update.rate_eur_cents {
            p.rate_eur_cents = Some(v);
        }
        if let Err(more) = p.validate() {
            problems.extend(more);
        }
        if problems.is_empty() { Ok(p) } else { Err(NodeError::InvalidProfile(problems)) }
    }

    pub(crate) fn view(&self, p: &SignedProfile) -> ProfileView {
        let dir = &self.directory;
        ProfileView::of(p, &self.trusted, |peer| dir.get(peer).map(|a| a.profile().accreditation), now())
    }

    pub(crate) fn attest(
        &self,
        subject: PeerId,
        level: AccreditationLevel,
        valid_until: samenloop_protocol::CalendarDate,
    ) -> Result<String, NodeError> {
        let own_level = self.own.as_ref().map(|p| p.profile().accreditation);
        if own_level != Some(AccreditationLevel::Supervisor) {
            return Err(NodeError::BadRequest(
                "only a reviewer whose profile is at supervisor level can attest accreditation".into(),
            ));
        }
        let now = now();
        let until = valid_until.start().plus_secs(86_400);
        let att = SignedAttestation::issue(self.identity.signing_key(), subject, level, now, until)
            .map_err(|e| NodeError::BadRequest(format!("valid-until: {e}")))?;
        Ok(hex::encode(att.bytes))
    }
}
