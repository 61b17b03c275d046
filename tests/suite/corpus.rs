//! Replays the committed fuzz corpora through the same entry points as the
//! fuzz targets, so every `cargo test` re-runs what the fuzzers found.

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_file() {
            run(&std::fs::read(&path).unwrap());
            n += 1;
        }
    }
    assert!(n > 0, "corpus {target} is empty");
}

#[test]
fn license_decode_corpus() {
    replay("license_decode", elicense::fuzzing::license_decode);
}

#[test]
fn id_parse_corpus() {
    replay("id_parse", elicense::fuzzing::id_parse);
}

#[test]
fn cert_chain_corpus() {
    replay("cert_chain", |data| {
        elicense::fuzzing::cert_chain(
            data,
            include_str!("../data/pki/root.cert.pem"),
            include_str!("../data/pki/signer_ca.cert.pem"),
        )
    });
}

#[test]
fn seal_decode_corpus() {
    replay("seal_decode", elicense::fuzzing::seal_decode);
}

#[test]
fn store_ops_corpus() {
    replay("store_ops", elicense::fuzzing::store_ops);
}

#[test]
fn batch_lines_corpus() {
    replay("batch_lines", |data| {
        elicense::fuzzing::batch_lines(
            data,
            include_str!("../data/pki/root.cert.pem"),
            include_str!("../data/food_type.json"),
        )
    });
}

#[test]
fn small_decoders_corpus() {
    replay("small_decoders", elicense::fuzzing::small_decoders);
}

#[test]
fn annotated_copy_corpus() {
    const PKI: elicense::fuzzing::CopyPki<'static> = elicense::fuzzing::CopyPki {
        root: include_str!("../data/pki/root.cert.pem"),
        seal_maker_cert: include_str!("../data/pki/seal_maker.cert.pem"),
        seal_maker_key: include_str!("../data/pki/seal_maker.key.pem"),
        signer_cert: include_str!("../data/pki/signer_b.cert.pem"),
        signer_key: include_str!("../data/pki/signer_b.key.pem"),
        signer_ca: include_str!("../data/pki/signer_ca.cert.pem"),
    };
    replay("annotated_copy", |d| {
        elicense::fuzzing::annotated_copy(d, &PKI)
    });
}

#[test]
fn batch_signatures_corpus() {
    replay("batch_signatures", elicense::fuzzing::batch_signatures);
}

#[test]
fn present_decode_corpus() {
    replay("present_decode", elicense::fuzzing::present_decode);
}

#[cfg(feature = "gm")]
#[test]
fn ses_seal_decode_corpus() {
    replay("ses_seal_decode", elicense::fuzzing::ses_seal_decode);
}

#[cfg(feature = "gm")]
#[test]
fn ses_signature_decode_corpus() {
    replay(
        "ses_signature_decode",
        elicense::fuzzing::ses_signature_decode,
    );
}

#[test]
fn snapshot_decode_corpus() {
    replay("snapshot_decode", elicense::fuzzing::snapshot_decode);
}

#[test]
fn trustlist_decode_corpus() {
    replay("trustlist_decode", elicense::fuzzing::trustlist_decode);
}
