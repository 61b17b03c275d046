//! The test vectors printed in docs/FORMAT.md are recomputed here, so the
//! document cannot drift from the code. Run with ELICENSE_PRINT_VECTORS=1 to
//! print the current values.

use crate::fixtures::*;
use elicense::*;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Fenced blocks of docs/FORMAT.md whose first line is `# vector: NAME`.
pub fn doc_vectors() -> Vec<(String, String)> {
    let text = include_str!("../../docs/FORMAT.md");
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("```") {
            let mut block: Vec<&str> = Vec::new();
            for l in lines.by_ref() {
                if l.starts_with("```") {
                    break;
                }
                block.push(l);
            }
            if let Some(name) = block.first().and_then(|l| l.strip_prefix("# vector: ")) {
                out.push((name.trim().to_string(), block[1..].join("\n")));
            }
        }
    }
    out
}

pub fn vector_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    for (i, b) in seed.iter_mut().enumerate() {
        *b = i as u8 + 1;
    }
    seed
}

fn computed() -> Vec<(&'static str, String)> {
    let key = SigningKey::from_seed(&vector_seed());
    let doc = SignedLicense::sign(food_license(), &key, ts("2025-05-22T02:00:00Z")).unwrap();
    let sig = &doc.signatures()[0];
    vec![
        ("seed", hex(&vector_seed())),
        ("public-key", hex(key.public_key().as_bytes())),
        (
            "license-canonical",
            String::from_utf8(doc.license_bytes().to_vec()).unwrap(),
        ),
        ("license-sha256", hex(&doc.data_hash())),
        ("tbs", String::from_utf8(sig.tbs_bytes().to_vec()).unwrap()),
        ("message-hex", hex(&sig.message())),
        ("signature", hex(sig.signature().as_bytes())),
        (
            "document",
            String::from_utf8(doc.as_bytes().to_vec()).unwrap(),
        ),
    ]
    .into_iter()
    .chain(sealed_vectors())
    .collect()
}

/// The sealed license of the seal tests: seal by the test seal maker for org A,
/// sealed with signer_a (tests/data/pki) at 2025-05-22T02:00:00Z.
fn sealed_vectors() -> Vec<(&'static str, String)> {
    let doc = crate::seal::sealed_food();
    let sig = &doc.signatures()[0];
    let seal = sig.seal().unwrap();
    let text = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
    vec![
        ("seal-info", text(seal.info_bytes())),
        ("seal-maker-signature", hex(seal.signature().as_bytes())),
        ("seal", text(seal.as_bytes())),
        ("seal-sha256", hex(&seal.digest())),
        ("sealed-tbs", text(sig.tbs_bytes())),
        ("sealed-signature", hex(sig.signature().as_bytes())),
        ("sealed-document", text(doc.as_bytes())),
    ]
}

#[test]
fn the_documented_seal_signatures_verify_with_raw_ed25519() {
    let doc = crate::seal::sealed_food();
    let sig = &doc.signatures()[0];
    let seal = sig.seal().unwrap();
    // The maker signed "elicense/1/seal" 0x00 || info bytes.
    let maker_key = seal.maker().ed25519_key().unwrap();
    let vk = ed25519_dalek::VerifyingKey::from_bytes(maker_key.as_bytes()).unwrap();
    let msg = [b"elicense/1/seal\0".as_slice(), seal.info_bytes()].concat();
    vk.verify_strict(
        &msg,
        &ed25519_dalek::Signature::from_bytes(seal.signature().as_bytes()),
    )
    .unwrap();
    // The signer signed "elicense/1/signature" 0x00 || tbs bytes, with the
    // key of its certificate.
    let signer_key = sig.signer().certificate().unwrap().ed25519_key().unwrap();
    let vk = ed25519_dalek::VerifyingKey::from_bytes(signer_key.as_bytes()).unwrap();
    vk.verify_strict(
        &sig.message(),
        &ed25519_dalek::Signature::from_bytes(sig.signature().as_bytes()),
    )
    .unwrap();
    // The tbs names the seal by the SHA-256 of its canonical bytes.
    use sha2::Digest;
    assert_eq!(
        sig.tbs().seal_digest().unwrap(),
        &<[u8; 32]>::from(sha2::Sha256::digest(seal.as_bytes()))
    );
}

#[test]
fn format_md_vectors_match_the_code() {
    let computed = computed();
    if std::env::var_os("ELICENSE_PRINT_VECTORS").is_some() {
        for (name, value) in &computed {
            println!("```text\n# vector: {name}\n{value}\n```\n");
        }
    }
    let documented = doc_vectors();
    for (name, value) in &computed {
        let doc = documented
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("docs/FORMAT.md lacks vector {name}"));
        assert_eq!(&doc.1, value, "vector {name} in docs/FORMAT.md is stale");
    }
}

#[test]
fn the_documented_signature_verifies_with_raw_ed25519() {
    // An implementer's check, with no elicense type involved: Ed25519 over
    // context || tbs under the documented public key.
    let computed = computed();
    let get = |n: &str| computed.iter().find(|(k, _)| *k == n).unwrap().1.clone();
    let unhex = |s: &str| -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    };
    let pk: [u8; 32] = unhex(&get("public-key")).try_into().unwrap();
    let sig: [u8; 64] = unhex(&get("signature")).try_into().unwrap();
    let msg = unhex(&get("message-hex"));
    assert_eq!(msg, [SIGNATURE_CONTEXT, get("tbs").as_bytes()].concat());
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&pk).unwrap();
    vk.verify_strict(&msg, &ed25519_dalek::Signature::from_bytes(&sig))
        .unwrap();
    // And the data hash is SHA-256 of the canonical license bytes.
    use sha2::Digest;
    assert_eq!(
        hex(&sha2::Sha256::digest(get("license-canonical").as_bytes())),
        get("license-sha256")
    );
    // And serde_json_canonicalizer (an independent RFC 8785 implementation)
    // produces the same canonical license bytes.
    let v: serde_json::Value = serde_json::from_str(&get("license-canonical")).unwrap();
    assert_eq!(
        serde_json_canonicalizer::to_string(&v).unwrap(),
        get("license-canonical")
    );
}
