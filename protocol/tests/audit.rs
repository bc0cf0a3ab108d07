//! The audit-trail test vectors in docs/protocol.md (section 7.12): one audit entry (record kind 10) and the
//! checkpoint over it (record kind 11), so another implementation can check its encoder and verifier.

use samenloop_protocol::UnixTime;
use samenloop_protocol::cases::audit::{
    AuditCheckpoint, AuditEvent, AuditRecord, ChainHead, StoredEntry, TrailLedger, sign_checkpoint, sign_entry,
    verify_trail,
};
use samenloop_protocol::cases::ledger::{CaseId, DocKind};
use samenloop_protocol::ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};

const VECTOR: &str = include_str!("vectors/audit.hex");

/// Signer secret 0x05 x 32, case 0x03 x 16: entry 0 "exported analysis as json, 1234 bytes, digest 0x0a x 32"
/// at 1 700 000 000 with 2 ledger operations held; the checkpoint over it at 1 700 000 100, ledger of 2
/// operations whose last hashes to 0x0b x 32.
fn vector() -> (Vec<u8>, Vec<u8>) {
    let signer = SigningKey::from_bytes(&[5; 32]);
    let case = CaseId([3; 16]);
    let entry = sign_entry(
        &signer,
        &AuditRecord {
            case,
            seq: 0,
            prev: [0; 32],
            at: UnixTime(1_700_000_000),
            ledger_len: 2,
            event: AuditEvent::Exported {
                doc: DocKind::Analysis,
                format: "json".into(),
                bytes: 1234,
                digest: [0x0a; 32],
            },
        },
    );
    let checkpoint = sign_checkpoint(
        &signer,
        &AuditCheckpoint {
            case,
            at: UnixTime(1_700_000_100),
            ledger_len: 2,
            ledger_last: [0x0b; 32],
            chains: vec![ChainHead {
                author: signer.verifying_key().to_bytes(),
                count: 1,
                last: Sha256::digest(&entry).into(),
            }],
            archived: vec![],
        },
    );
    (entry, checkpoint)
}

#[test]
fn audit_vectors_are_stable_and_documented() {
    let (entry, checkpoint) = vector();
    let text = format!("entry {}\ncheckpoint {}", hex::encode(&entry), hex::encode(&checkpoint));
    if std::env::var("SAMENLOOP_PRINT_VECTORS").is_ok() {
        println!("{text}");
    }
    assert_eq!(text, VECTOR.trim(), "the audit encoding changed: update docs/protocol.md deliberately");
    let doc = include_str!("../../docs/protocol.md").replace(['\n', ' '], "");
    for line in VECTOR.lines() {
        let value = line.split_whitespace().last().unwrap_or_default();
        assert!(doc.contains(value), "docs/protocol.md does not contain the current audit vector");
    }
    // The checkpoint covers the entry but not a ledger of two operations this test does not have: the
    // verifier says exactly that.
    let signer = SigningKey::from_bytes(&[5; 32]).verifying_key().to_bytes();
    let entries = [StoredEntry { author: signer, seq: 0, bytes: entry }];
    let err = verify_trail(CaseId([3; 16]), TrailLedger::Live(&[]), &entries, &checkpoint, &signer, None);
    assert_eq!(
        err.unwrap_err().to_string(),
        "the ledger ends after 0 entries but the checkpoint signed at 2023-11-14T22:15:00Z covers 2: the log was truncated"
    );
}
