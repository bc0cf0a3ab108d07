//! Signed profiles: the byte-level test vector, and one test per way a received profile must be refused.

use ed25519_dalek::SigningKey;
use samenloop_protocol::*;

/// 2026-11-22T00:00:00Z.
const T0: UnixTime = UnixTime(1_795_305_600);
const WEEK: u64 = 7 * 24 * 3600;

/// The test vector in docs/protocol.md: secrets 0x00..0x1f (signing) and 0x42 x 32 (encryption).
fn vector_identity() -> Identity {
    let mut signing = [0u8; 32];
    for (i, b) in signing.iter_mut().enumerate() {
        *b = i as u8;
    }
    Identity::from_secrets(signing, [0x42; 32])
}

fn vector_profile() -> Profile {
    Profile {
        name: "Anna Jansen".into(),
        bio: String::new(),
        expertise: vec!["ggz".into(), "jeugdbescherming".into()],
        regions: vec!["Utrecht".into()],
        languages: vec!["nl".into()],
        hours_per_month: 16,
        available_from: Some("2026-12-01".parse().unwrap()),
        available_until: Some("2027-05-31".parse().unwrap()),
        accreditation: AccreditationLevel::Accredited,
        attestation: None,
        affiliations: vec![Affiliation {
            organisation: "GGZ Centraal".into(),
            from: Some("2015-01-01".parse().unwrap()),
            until: Some("2021-06-30".parse().unwrap()),
        }],
        rate_eur_cents: Some(13_000),
    }
}

const VECTOR_HEX: &str = include_str!("vectors/profile.hex");
/// The first release's vector, before profiles carried [`Reach`].
const VECTOR_V1_HEX: &str = include_str!("vectors/profile-v1.hex");

fn vector_reach() -> Reach {
    Reach {
        relays: vec!["/ip4/192.0.2.10/tcp/4001/p2p/12D3KooWKBE4wYJ37FRfTQAoeb5hM2Zu6rWy3rVHoDrGcf7ig9BH".into()],
        mailboxes: vec!["/ip4/192.0.2.10/tcp/4001/p2p/12D3KooWKBE4wYJ37FRfTQAoeb5hM2Zu6rWy3rVHoDrGcf7ig9BH".into()],
    }
}

#[test]
fn a_first_release_profile_without_reach_still_verifies() {
    let bytes = hex::decode(VECTOR_V1_HEX.trim()).unwrap();
    let verified = SignedProfile::verify(&bytes, T0).unwrap();
    assert_eq!(verified.profile(), &vector_profile());
    assert_eq!(verified.record().reach, Reach::default());
    assert_eq!(verified.bytes(), &bytes[..], "kept exactly as received, to forward unchanged");
}

#[test]
fn reach_is_checked_like_every_other_field() {
    let mut reach = vector_reach();
    reach.relays.push("not an address".into());
    let err = SignedProfile::sign_reachable(&vector_identity(), vector_profile(), reach, 1, T0, WEEK).unwrap_err();
    assert!(matches!(err, SignError::Invalid(p) if p[0].field == "relays"));
    let too_many = Reach { relays: vec![vector_reach().relays[0].clone(); 5], mailboxes: vec![] };
    assert!(SignedProfile::sign_reachable(&vector_identity(), vector_profile(), too_many, 1, T0, WEEK).is_err());
}

#[test]
fn test_vector_is_stable_and_documented() {
    let signed =
        SignedProfile::sign_reachable(&vector_identity(), vector_profile(), vector_reach(), 1, T0, WEEK).unwrap();
    let hex = hex::encode(signed.bytes());
    if std::env::var_os("SAMENLOOP_PRINT_VECTOR").is_some() {
        println!("{hex}");
        println!("peer {}", signed.peer());
    }
    assert_eq!(hex, VECTOR_HEX.trim(), "the signed profile encoding changed: update docs/protocol.md deliberately");
    let bytes = hex::decode(VECTOR_HEX.trim()).unwrap();
    let verified = SignedProfile::verify(&bytes, T0).unwrap();
    assert_eq!(verified.profile(), &vector_profile());
    assert_eq!(verified.record().reach, vector_reach());
    assert_eq!(verified.peer().to_string(), vector_identity().peer_id().to_string());
    // The documentation carries the same hex, wrapped at 64 characters per line.
    let doc = include_str!("../../docs/protocol.md").replace(['\n', ' '], "");
    assert!(doc.contains(VECTOR_HEX.trim()), "docs/protocol.md does not contain the current test vector");
    assert!(doc.contains(&format!("`{}`", signed.peer())), "docs/protocol.md names another peer id");
}

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

fn identity(n: u8) -> Identity {
    Identity::from_secrets([n; 32], [n.wrapping_add(100); 32])
}

fn sample(n: u8) -> SignedProfile {
    let mut p = Profile::named(&format!("Reviewer {n}"));
    p.expertise = vec!["ggz".into()];
    SignedProfile::sign(&identity(n), p, 1, T0, WEEK).unwrap()
}

/// Signs any record with any key, bypassing the checks `SignedProfile::sign` applies: what an attacker can do.
fn forge(signer: &SigningKey, record: &ProfileRecord) -> Vec<u8> {
    seal_envelope(signer, RecordKind::Profile, &postcard::to_allocvec(record).unwrap()).unwrap()
}

#[test]
fn round_trip() {
    let s = sample(1);
    let v = SignedProfile::verify(s.bytes(), T0).unwrap();
    assert_eq!(v, s);
    assert_eq!(v.peer(), &identity(1).peer_id());
    assert_eq!(v.record().encryption_key, identity(1).encryption_public());
}

#[test]
fn bad_signature_is_rejected() {
    let mut bytes = sample(1).bytes().to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let e = SignedProfile::verify(&bytes, T0).unwrap_err();
    assert_eq!(e.code(), "bad-signature", "{e}");
    // Tampering with the content is caught the same way.
    let mut bytes = sample(1).bytes().to_vec();
    let at = bytes.len() - 70;
    bytes[at] ^= 1;
    assert!(SignedProfile::verify(&bytes, T0).is_err());
}

#[test]
fn profile_signed_by_another_key_than_its_peer_id_is_rejected() {
    let record = sample(1).record().clone(); // claims reviewer 1
    let bytes = forge(&key(2), &record); // signed by reviewer 2
    let e = SignedProfile::verify(&bytes, T0).unwrap_err();
    assert!(matches!(e, ProfileRejection::SignerMismatch { .. }), "{e}");
    assert_eq!(e.code(), "signer-mismatch");
}

#[test]
fn oversized_profile_is_rejected_before_parsing() {
    let e = SignedProfile::verify(&vec![1u8; MAX_PROFILE_BYTES + 1], T0).unwrap_err();
    assert_eq!(e, ProfileRejection::TooLarge { size: MAX_PROFILE_BYTES + 1 });
    // A genuinely signed, otherwise valid profile that is too big.
    let mut record = sample(1).record().clone();
    record.profile.bio = "x".repeat(limits::BIO);
    record.profile.affiliations = (0..limits::AFFILIATIONS)
        .map(|i| Affiliation { organisation: format!("{i:03}{}", "o".repeat(190)), from: None, until: None })
        .collect();
    let bytes = forge(&key(1), &record);
    assert!(bytes.len() > MAX_PROFILE_BYTES);
    assert_eq!(SignedProfile::verify(&bytes, T0).unwrap_err().code(), "too-large");
    // And signing refuses to produce one.
    let e = SignedProfile::sign(&identity(1), record.profile, 2, T0, WEEK).unwrap_err();
    assert!(matches!(e, SignError::TooLarge(_)), "{e}");
}

#[test]
fn expired_profile_is_rejected() {
    let s = sample(1);
    assert!(SignedProfile::verify(s.bytes(), T0.plus_secs(WEEK - 1)).is_ok());
    let e = SignedProfile::verify(s.bytes(), T0.plus_secs(WEEK)).unwrap_err();
    assert!(matches!(e, ProfileRejection::Expired { .. }), "{e}");
}

#[test]
fn profile_from_more_than_five_minutes_in_the_future_is_rejected() {
    let s = SignedProfile::sign(&identity(1), Profile::named("Early"), 1, T0.plus_secs(301), WEEK).unwrap();
    let e = SignedProfile::verify(s.bytes(), T0).unwrap_err();
    assert!(matches!(e, ProfileRejection::FromTheFuture { .. }), "{e}");
    let s = SignedProfile::sign(&identity(1), Profile::named("Slightly early"), 1, T0.plus_secs(299), WEEK).unwrap();
    assert!(SignedProfile::verify(s.bytes(), T0).is_ok(), "small clock skew must be tolerated");
}

#[test]
fn unknown_version_is_rejected() {
    let mut bytes = sample(1).bytes().to_vec();
    bytes[0] = 2;
    let e = SignedProfile::verify(&bytes, T0).unwrap_err();
    assert_eq!(e, ProfileRejection::Envelope(EnvelopeError::UnknownVersion(2)));
    assert_eq!(e.code(), "unknown-version");
}

#[test]
fn undecodable_profiles_are_rejected() {
    for junk in [&b""[..], b"\x01", b"hello world", &[0xff; 200]] {
        assert!(SignedProfile::verify(junk, T0).is_err());
    }
    // A correctly signed envelope whose body is not a profile record.
    let bytes = seal_envelope(&key(1), RecordKind::Profile, b"\xff\xff\xff not postcard").unwrap();
    assert_eq!(SignedProfile::verify(&bytes, T0).unwrap_err().code(), "malformed");
    // An attestation is not a profile.
    let att =
        SignedAttestation::issue(&key(1), identity(2).peer_id(), AccreditationLevel::Accredited, T0, T0.plus_secs(10))
            .unwrap();
    assert_eq!(SignedProfile::verify(&att.bytes, T0).unwrap_err().code(), "malformed");
}

#[test]
fn validity_and_content_rules_apply_to_received_profiles() {
    let mut record = sample(1).record().clone();
    record.expires_at = record.issued_at.plus_secs(MAX_VALIDITY_SECS + 1);
    assert_eq!(SignedProfile::verify(&forge(&key(1), &record), T0).unwrap_err().code(), "bad-validity");
    let mut record = sample(1).record().clone();
    record.profile.expertise = vec!["Not A Tag".into()];
    record.profile.hours_per_month = 10_000;
    let e = SignedProfile::verify(&forge(&key(1), &record), T0).unwrap_err();
    let ProfileRejection::Invalid(problems) = &e else { panic!("{e}") };
    let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["expertise", "hours-per-month"]);
}

#[test]
fn forged_or_misdirected_attestations_are_rejected() {
    let sup = key(9);
    let me = identity(1);
    let att =
        SignedAttestation::issue(&sup, me.peer_id(), AccreditationLevel::Accredited, T0, T0.plus_secs(WEEK)).unwrap();
    let mut p = Profile::named("Attested");
    p.accreditation = AccreditationLevel::Accredited;
    p.attestation = Some(att.bytes.clone());
    let ok = SignedProfile::sign(&me, p.clone(), 1, T0, WEEK).unwrap();
    assert_eq!(ok.attestation().unwrap().attester, peer_id_of(&sup.verifying_key()));

    let mut forged = att.bytes.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let mut record = ok.record().clone();
    record.profile.attestation = Some(forged);
    assert_eq!(SignedProfile::verify(&forge(&key(1), &record), T0).unwrap_err().code(), "bad-attestation");

    let other =
        SignedAttestation::issue(&sup, identity(2).peer_id(), AccreditationLevel::Supervisor, T0, T0.plus_secs(WEEK))
            .unwrap();
    let mut record = ok.record().clone();
    record.profile.attestation = Some(other.bytes);
    assert_eq!(SignedProfile::verify(&forge(&key(1), &record), T0).unwrap_err().code(), "bad-attestation");
}

#[test]
fn mutations_never_panic_and_never_verify() {
    let good = sample(3).bytes().to_vec();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..5_000 {
        let mut b = good.clone();
        match next() % 3 {
            0 => {
                let i = (next() as usize) % b.len();
                b[i] ^= 1 << (next() % 8);
            }
            1 => b.truncate((next() as usize) % b.len()),
            _ => {
                let i = (next() as usize) % b.len();
                b.insert(i, next() as u8);
            }
        }
        assert!(SignedProfile::verify(&b, T0).is_err());
    }
}
