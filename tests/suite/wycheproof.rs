//! All 151 Wycheproof Ed25519 cases through the crate's signature check.

use serde_json::Value;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// (tcId, public key, message, signature, expected valid)
pub type Case = (u64, Vec<u8>, Vec<u8>, Vec<u8>, bool);

pub fn cases() -> Vec<Case> {
    let j: Value =
        serde_json::from_str(include_str!("../data/wycheproof/ed25519_test.json")).unwrap();
    let mut out = Vec::new();
    for g in j["testGroups"].as_array().unwrap() {
        let pk = unhex(g["publicKey"]["pk"].as_str().unwrap());
        for t in g["tests"].as_array().unwrap() {
            out.push((
                t["tcId"].as_u64().unwrap(),
                pk.clone(),
                unhex(t["msg"].as_str().unwrap()),
                unhex(t["sig"].as_str().unwrap()),
                t["result"].as_str().unwrap() == "valid",
            ));
        }
    }
    assert_eq!(out.len(), j["numberOfTests"].as_u64().unwrap() as usize);
    out
}

#[test]
fn every_wycheproof_verdict_as_expected() {
    let cases = cases();
    assert_eq!(cases.len(), 151);
    let mut valid = 0;
    for (id, pk, msg, sig, expected) in &cases {
        let ours = elicense::verify_signature(pk, msg, sig).is_ok();
        assert_eq!(ours, *expected, "tcId {id}");
        valid += usize::from(*expected);
    }
    // The file has both kinds; make sure neither side is vacuous.
    assert!(valid > 0 && valid < cases.len());
}
