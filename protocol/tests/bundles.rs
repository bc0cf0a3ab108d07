//! The sealed-bundle and document-parts test vectors in docs/protocol.md, so another implementation can check
//! its encoder.

use samenloop_protocol::cases::bundle::{BundleHeader, BundleKey, SealedBundle, SignedHead};
use samenloop_protocol::cases::ledger::{CaseId, DocKind, EpochKey};
use samenloop_protocol::ed25519_dalek::SigningKey;
use zeroize::Zeroizing;

/// Epoch key 0x09 x 32, case 0x03 x 16, analysis, epoch 1, author secret 0x05 x 32, seq 1, nonce 0x02 x 24,
/// plaintext "samenloop bundle vector".
fn vector() -> (SealedBundle, SignedHead) {
    let case = CaseId([3; 16]);
    let key = BundleKey::derive(&EpochKey(Zeroizing::new([9; 32])), &case, DocKind::Analysis, 1);
    let signer = SigningKey::from_bytes(&[5; 32]);
    let header = BundleHeader {
        case,
        doc: DocKind::Analysis,
        epoch: 1,
        author: signer.verifying_key().to_bytes(),
        seq: 1,
        prev: [0; 32],
    };
    let bundle = SealedBundle::seal(&key, header, b"samenloop bundle vector", [2; 24]).unwrap();
    let head = SignedHead::sign(&signer, case, DocKind::Analysis, 1, bundle.chain_hash());
    (bundle, head)
}

const VECTOR: &str = include_str!("vectors/bundle.hex");

#[test]
fn bundle_vector_is_stable_and_documented() {
    let (bundle, head) = vector();
    let text = format!(
        "bundle {}\nchain-hash {}\nhead {}",
        hex::encode(bundle.bytes()),
        hex::encode(bundle.chain_hash()),
        hex::encode(head.encode())
    );
    if std::env::var("SAMENLOOP_PRINT_VECTORS").is_ok() {
        println!("{text}");
    }
    assert_eq!(text, VECTOR.trim(), "the bundle encoding changed: update docs/protocol.md deliberately");
    let doc = include_str!("../../docs/protocol.md").replace(['\n', ' '], "");
    for line in VECTOR.lines() {
        let value = line.split_whitespace().last().unwrap_or_default();
        assert!(doc.contains(value), "docs/protocol.md does not contain the current bundle vector");
    }
    let key = BundleKey::derive(&EpochKey(Zeroizing::new([9; 32])), &CaseId([3; 16]), DocKind::Analysis, 1);
    assert_eq!(&bundle.open(&key).unwrap()[..], b"samenloop bundle vector");
}

#[test]
fn parts_vector_is_stable_and_documented() {
    use samenloop_protocol::cases::parts::{Sections, decode, encode, entity_part, part_actor};
    let bytes = encode(&[vec![0x41], Vec::new(), vec![0x42, 0x43]]);
    assert_eq!(hex::encode(&bytes), "534c50010300000000014102000000024243");
    assert_eq!(
        decode(&bytes).unwrap(),
        Sections { count: 3, sections: vec![(0, &[0x41][..]), (2, &[0x42, 0x43][..])] }
    );
    assert_eq!(entity_part("e1", 5), 4);
    assert_eq!(part_actor(&[7; 32], 3), [&[7u8; 32][..], &[3]].concat());
    assert_eq!(part_actor(&[7; 32], 0), vec![7; 32]);
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/protocol.md")).unwrap();
    assert!(doc.contains("53 4c 50 01 03  00 00 00 00 01 41  02 00 00 00 02 42 43"));
    assert!(doc.contains("`0x841acf03`"));
}
