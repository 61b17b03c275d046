//! Entry points shared by the fuzz targets under `fuzz/` and by the test that
//! replays their corpora. Not a stable API. Each function panics only when a
//! property of the crate is violated — that is what the fuzzer looks for.

use crate::document::SignedLicense;
use crate::ids::{
    CitizenId, HolderCode, HolderCodeType, LicenseId, LicenseTypeCode, RegionCode, Uscc,
};

/// Arbitrary bytes through the document decoder: never panics; whatever
/// decodes has a license whose canonical encoding is exactly the bytes it was
/// decoded from, and verification of it (with no trust) fails cleanly.
#[expect(clippy::panic, reason = "a fuzz property violation must abort")]
pub fn license_decode(data: &[u8]) {
    let fresh = SignedLicense::decode(data);
    // The batch verifier's way: buffers of documents decoded before reused.
    let limits = crate::DecodeLimits::default();
    let mut cache = crate::document::DecodeCache::default();
    for _ in 0..2 {
        match (
            &fresh,
            crate::document::Decoded::decode(data, &limits, &mut cache),
        ) {
            (Ok(doc), Ok(reused)) => {
                let view = reused.view(data);
                if view.license() != doc.license() || view.signatures() != doc.signatures() {
                    panic!("decoding with reused buffers decoded something else");
                }
                reused.recycle(&mut cache);
            }
            (Err(e), Err(reused)) if *e == reused => {}
            _ => panic!("decoding with reused buffers gave another result"),
        }
    }
    if let Ok(doc) = fresh {
        if doc.license().to_canonical_bytes() != doc.license_bytes() {
            panic!("decoded license does not re-encode to its bytes");
        }
        if doc.as_bytes() != data {
            panic!("document bytes changed by decoding");
        }
        let verifier = crate::Verifier::new(crate::LicenseTypes::new());
        if verifier.verify(data, crate::Timestamp::MIN).is_ok() {
            panic!("a document verified with no trusted key");
        }
    }
}

/// Arbitrary bytes through the seal decoder: never panics; whatever decodes
/// keeps exactly the input as its bytes, and its info bytes are a slice of them.
#[expect(clippy::panic, reason = "a fuzz property violation must abort")]
pub fn seal_decode(data: &[u8]) {
    if let Ok(seal) = crate::seal::Seal::decode(data) {
        if seal.as_bytes() != data {
            panic!("seal bytes changed by decoding");
        }
        let info = seal.info_bytes();
        if info.is_empty() || !data.windows(info.len()).any(|w| w == info) {
            panic!("seal info bytes are not a slice of the seal");
        }
        let _ = seal.binds_maker();
    }
}

/// Arbitrary text through every identifier parser: never panics, and what
/// parses prints back as the same text.
#[expect(clippy::panic, reason = "a fuzz property violation must abort")]
pub fn id_parse(data: &[u8]) {
    let Ok(s) = core::str::from_utf8(data) else {
        return;
    };
    fn same(ok: bool) {
        if !ok {
            panic!("identifier does not print back as parsed");
        }
    }
    if let Ok(v) = Uscc::parse(s) {
        same(v.as_str() == s);
    }
    if let Ok(v) = CitizenId::parse(s) {
        same(v.as_str() == s);
    }
    if let Ok(v) = RegionCode::parse(s) {
        same(v.as_str() == s);
    }
    if let Ok(v) = LicenseTypeCode::parse(s) {
        same(v.as_str() == s);
    }
    if let Ok(v) = LicenseId::parse(s) {
        same(v.as_str() == s);
        let rebuilt = LicenseId::from_parts(*v.type_code(), *v.issuer(), v.serial(), v.version());
        same(rebuilt.is_ok_and(|r| r == v));
    }
    if let Ok(t) = HolderCodeType::parse(s) {
        same(t.as_str() == s);
    }
    if let Some((t, v)) = s.split_once(':')
        && let Ok(code) = HolderCode::new(t, v)
    {
        same(code.value() == v && code.code_type().as_str() == t);
    }
}

/// Arbitrary bytes as a DER certificate: never panics; whatever parses keeps
/// its exact bytes and round-trips through PEM, and path validation of it
/// (against the given root, with the given intermediate and itself as
/// intermediates, a small budget) ends in a verdict.
#[expect(clippy::panic, reason = "a fuzz property violation must abort")]
pub fn cert_chain(data: &[u8], root_pem: &str, intermediate_pem: &str) {
    use crate::cert::{CertUsage, Certificate, ChainPolicy, TrustAnchors, verify_chain};
    use crate::status::{InMemoryStatus, UnknownStatus};

    let Ok(cert) = Certificate::from_der(data) else {
        return;
    };
    if cert.der() != data {
        panic!("certificate bytes changed by parsing");
    }
    if Certificate::from_pem(&cert.to_pem()).ok().as_ref() != Some(&cert) {
        panic!("certificate does not round-trip through PEM");
    }
    let (Ok(root), Ok(signer_ca)) = (
        Certificate::from_pem(root_pem),
        Certificate::from_pem(intermediate_pem),
    ) else {
        panic!("the anchor or intermediate given to the target does not parse");
    };
    let at = crate::Timestamp::from_unix(1_772_323_200).unwrap_or(crate::Timestamp::MIN);
    let policy = ChainPolicy::default()
        .with_max_depth(4)
        .with_max_signature_checks(4);
    let result = verify_chain(
        &cert,
        &[signer_ca, cert.clone()],
        &TrustAnchors::new().with(root),
        at,
        CertUsage::Signer,
        &policy,
        &InMemoryStatus::complete_revocation_list(),
        UnknownStatus::Deny,
    );
    match result {
        Ok(chain) => {
            if chain.leaf() != &cert || chain.certificates().len() < 2 {
                panic!("a verified chain does not start at its leaf");
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// The license store's fixtures for [`store_ops`]: license types (two codes,
/// a conflicting definition, a second version) and signed licenses (six
/// identifiers, two different documents each).
struct StoreFixtures {
    types: Vec<crate::LicenseType>,
    licenses: Vec<SignedLicense>,
    holders: Vec<HolderCode>,
}

fn store_fixtures() -> Option<&'static StoreFixtures> {
    static FIXTURES: std::sync::OnceLock<Option<StoreFixtures>> = std::sync::OnceLock::new();
    FIXTURES.get_or_init(make_store_fixtures).as_ref()
}

fn make_store_fixtures() -> Option<StoreFixtures> {
    use crate::{
        Date, Holder, HolderKind, IssuerCode, License, LicenseData, LicenseType, Organisation,
        SigningKey, Timestamp, ValidityRule,
    };
    let samr = Uscc::parse("11100000000013338W").ok()?;
    let bureau = Uscc::parse("11330105002500287C").ok()?;
    let other = Uscc::parse("11430000006122244L").ok()?;
    let definer = Organisation::new("国家市场监督管理总局", samr).ok()?;
    let food = LicenseTypeCode::from_parts(&samr, 9).ok()?;
    let business = LicenseTypeCode::from_parts(&samr, 1).ok()?;
    let ty = |code, name: &str, version| {
        LicenseType::new(
            code,
            name,
            definer.clone(),
            version,
            None,
            HolderKind::Any,
            ValidityRule::Unrestricted,
            vec![],
        )
        .ok()
    };
    let types = vec![
        ty(food, "食品经营许可证", 1)?,
        ty(food, "食品经营许可证（旧）", 1)?,
        ty(business, "营业执照", 1)?,
        ty(business, "营业执照", 2)?,
    ];
    let holders = vec![
        HolderCode::from(Uscc::parse("91350100M000100Y43").ok()?),
        HolderCode::from(Uscc::from_body("91330102MA0000001").ok()?),
        HolderCode::from(CitizenId::parse("11010519491231002X").ok()?),
    ];
    let holder_names = ["杭州某某餐饮管理有限公司", "宁波百货_%商店", "张三"];
    let regions = ["330102", "330106", "330203", "110101"];
    let key = SigningKey::from_seed(&[7; 32]);
    let at = Timestamp::parse("2025-05-22T02:00:00Z").ok()?;
    let mut licenses = Vec::new();
    for k in 0..6usize {
        for variant in 0..2u8 {
            let (type_code, name) = if k % 2 == 0 {
                (food, "食品经营许可证")
            } else {
                (business, "营业执照")
            };
            let issuer = if k % 3 == 2 { other } else { bureau };
            let serial = format!("F{k:06}");
            let data = LicenseData {
                id: LicenseId::from_parts(type_code, IssuerCode::Uscc(issuer), &serial, 1).ok()?,
                name: name.into(),
                type_code,
                number: format!("N{k}V{variant}"),
                issuer: Organisation::new("某市场监督管理局", issuer).ok()?,
                issue_date: Date::parse("2025-05-22").ok()?,
                holder: Holder::new(*holder_names.get(k % 3)?, holders.get(k % 3)?.clone()).ok()?,
                valid_from: Date::parse(if k < 3 { "2025-05-22" } else { "2024-01-01" }).ok()?,
                valid_to: if k % 4 == 3 {
                    None
                } else {
                    Some(Date::parse(if k < 2 { "2030-05-21" } else { "2025-12-31" }).ok()?)
                },
                region: regions.get(k % 4)?.parse().ok()?,
                seal: None,
                created_at: at,
                fields: Default::default(),
                attachments: vec![],
                predecessor: None,
            };
            let license = License::new(data).ok()?;
            licenses.push(SignedLicense::sign(license, &key, at).ok()?);
        }
    }
    Some(StoreFixtures {
        types,
        licenses,
        holders,
    })
}

/// A byte reader that yields zeros when the input runs out.
struct Bytes<'a>(core::slice::Iter<'a, u8>);

impl Bytes<'_> {
    fn next(&mut self) -> u8 {
        self.0.next().copied().unwrap_or(0)
    }
    fn pick<'t, T>(&mut self, items: &'t [T]) -> Option<&'t T> {
        let n = items.len().max(1);
        items.get(usize::from(self.next()) % n)
    }
}

/// Panics unless both stores gave the same observable result (and no
/// database error).
#[expect(clippy::panic, reason = "a fuzz property violation must abort")]
fn same<T: PartialEq + core::fmt::Debug>(
    what: &str,
    model: Result<T, crate::StoreError>,
    sqlite: Result<T, crate::StoreError>,
) -> Option<T> {
    if let Err(e @ crate::StoreError::Backend(_)) = &sqlite {
        panic!("{what}: SQLite failed: {e}");
    }
    if model != sqlite {
        panic!("{what}: the model gave {model:?}, SQLite {sqlite:?}");
    }
    model.ok()
}

fn both<T: PartialEq + core::fmt::Debug>(
    stores: &[&dyn crate::LicenseStore; 2],
    what: &str,
    run: impl Fn(&dyn crate::LicenseStore) -> Result<T, crate::StoreError>,
) -> Option<T> {
    let [model, sqlite] = stores;
    same(what, run(*model), run(*sqlite))
}

fn fuzz_query(b: &mut Bytes<'_>, f: &StoreFixtures) -> Option<crate::Query> {
    use crate::{Date, LicenseStatus, Query};
    let flags = b.next();
    let mut q = Query::new();
    if flags & 1 != 0 {
        q = q.holder(b.pick(&f.holders)?.clone());
    }
    if flags & 2 != 0 {
        q = q.type_code(*b.pick(&f.types)?.code());
    }
    if flags & 4 != 0 {
        let issuers = [
            "11330105002500287C",
            "11430000006122244L",
            "11100000000013338W",
        ];
        q = q.issuer(Uscc::parse(b.pick(&issuers)?).ok()?);
    }
    if flags & 8 != 0 {
        q = q.status(*b.pick(LicenseStatus::ALL)?);
    }
    if flags & 16 != 0 {
        let regions = ["330000", "330100", "330102", "330200", "110000", "110101"];
        q = q.region(RegionCode::parse(b.pick(&regions)?).ok()?);
    }
    if flags & 32 != 0 {
        let days = [
            "2023-06-01",
            "2025-05-22",
            "2025-12-31",
            "2026-01-01",
            "2031-01-01",
        ];
        q = q.valid_at(Date::parse(b.pick(&days)?).ok()?);
    }
    if flags & 64 != 0 {
        let texts = [
            "餐饮",
            "某某餐饮",
            "_%",
            "%",
            "_",
            "张",
            "许可证",
            "营业执照",
            "x",
            "百货_%商店",
            "\"",
            "食品经营许可证",
        ];
        q = q.name_contains(*b.pick(&texts)?).ok()?;
    }
    q.limit(u32::from(b.next() % 5) + 1).ok()
}

/// Random sequences of store operations, applied to the in-memory model and
/// to an in-memory SQLite store: every result must be the same (values,
/// errors, pages and counts), and SQLite must never fail.
#[expect(clippy::panic, reason = "a fuzz property violation must abort")]
pub fn store_ops(data: &[u8]) {
    use crate::{LicenseStore, MemoryStore, Operation, SqliteStore, StatusEvent, Timestamp};
    let Some(f) = store_fixtures() else {
        panic!("the store fixtures do not build");
    };
    let model = MemoryStore::new();
    let sqlite = match SqliteStore::open_in_memory() {
        Ok(s) => s,
        Err(e) => panic!("SQLite does not open: {e}"),
    };
    let stores: [&dyn LicenseStore; 2] = [&model, &sqlite];
    let mut b = Bytes(data.iter());
    let mut digests: Vec<[u8; 32]> = vec![[0; 32]];
    for _ in 0..64 {
        if b.0.len() == 0 {
            break;
        }
        let op = b.next() % 11;
        match op {
            0 => {
                let Some(t) = b.pick(&f.types) else { continue };
                both(&stores, "register_type", |s| s.register_type(t));
            }
            1 => {
                let Some(l) = b.pick(&f.licenses) else {
                    continue;
                };
                both(&stores, "insert", |s| s.insert(l));
            }
            2 => {
                let n = b.next() % 5;
                let batch: Vec<SignedLicense> = (0..n)
                    .filter_map(|_| b.pick(&f.licenses).cloned())
                    .collect();
                both(&stores, "insert_batch", |s| s.insert_batch(&batch));
            }
            3 => {
                let Some(l) = b.pick(&f.licenses) else {
                    continue;
                };
                let mut bytes = l.as_bytes().to_vec();
                match b.next() % 3 {
                    0 => {}
                    1 => {
                        let at = usize::from(b.next()) * 7 % bytes.len().max(1);
                        if let Some(x) = bytes.get_mut(at) {
                            *x ^= b.next() | 1;
                        }
                    }
                    _ => bytes.truncate(usize::from(b.next()) * 9),
                }
                both(&stores, "insert_bytes", |s| s.insert_bytes(&bytes));
            }
            4 => {
                let Some(l) = b.pick(&f.licenses) else {
                    continue;
                };
                let Some(op) = b.pick(Operation::ALL) else {
                    continue;
                };
                let at = Timestamp::from_unix(1_767_225_600 + i64::from(b.next()) * 86_400)
                    .unwrap_or(Timestamp::MIN);
                let Ok(mut event) = StatusEvent::new(l.license().id().clone(), *op, at, "审核员")
                else {
                    continue;
                };
                if b.next() % 2 == 1 {
                    let Ok(e) = event.clone().with_reason("依法处理") else {
                        continue;
                    };
                    event = e;
                }
                both(&stores, "record_event", |s| s.record_event(&event));
            }
            5 => {
                let len = match b.next() % 4 {
                    0 => 0,
                    1 | 2 => usize::from(b.next()),
                    _ => crate::store_limits::ATTACHMENT_CHUNK_BYTES + usize::from(b.next()),
                };
                let seed = b.next();
                let file: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(seed)).collect();
                use sha2::Digest;
                digests.push(sha2::Sha256::digest(&file).into());
                both(&stores, "put_attachment", |s| s.put_attachment(&file));
            }
            6 => {
                let Some(d) = b.pick(&digests) else { continue };
                both(&stores, "attachment", |s| s.attachment(d));
            }
            7 => {
                let Some(mut q) = fuzz_query(&mut b, f) else {
                    continue;
                };
                both(&stores, "count", |s| s.count(&q));
                for _ in 0..20 {
                    let Some(page) = both(&stores, "query", |s| s.query(&q)) else {
                        break;
                    };
                    let Some(next) = page.next() else { break };
                    q = q.after(next.clone());
                }
            }
            8 => {
                let Some(l) = b.pick(&f.licenses) else {
                    continue;
                };
                let id = l.license().id();
                both(&stores, "document", |s| s.document(id));
                both(&stores, "entry", |s| s.entry(id));
                both(&stores, "events", |s| s.events(id));
            }
            9 => {
                let Some(t) = b.pick(&f.types) else { continue };
                both(&stores, "license_type", |s| s.license_type(t.code()));
                both(&stores, "license_types", |s| s.license_types());
            }
            _ => {
                let Some(l) = b.pick(&f.licenses) else {
                    continue;
                };
                both(&stores, "get", |s| s.get(l.license().id()));
            }
        }
    }
}

/// Arbitrary bytes, split into lines, through the batch verifier and the
/// single verifier (trusting `anchor_pem`, knowing the type in `type_json`, a
/// complete revocation list): every line gets the same result from both.
#[expect(clippy::panic, reason = "a fuzz property violation must abort")]
pub fn batch_lines(data: &[u8], anchor_pem: &str, type_json: &str) {
    let (Ok(anchor), Ok(ty)) = (
        crate::cert::Certificate::from_pem(anchor_pem),
        crate::model::LicenseType::from_json(type_json),
    ) else {
        panic!("the anchor or type given to the target does not parse");
    };
    let verifier = crate::Verifier::new(crate::LicenseTypes::new().with(ty))
        .with_trust_anchors(crate::TrustAnchors::new().with(anchor))
        .with_status(crate::InMemoryStatus::complete_revocation_list());
    let at = crate::Timestamp::from_unix(1_772_323_200).unwrap_or(crate::Timestamp::MIN);
    let batch = crate::BatchVerifier::new(verifier.clone()).with_chunk_size(3);
    let mut outcomes = Vec::new();
    if batch.verify_lines(data, at, |o| outcomes.push(o)).is_err() {
        panic!("reading from memory failed");
    }
    // One line per "\n"-terminated piece, and one for a last unterminated piece.
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    let lines: Vec<&[u8]> = if data.is_empty() {
        Vec::new()
    } else {
        body.split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .collect()
    };
    if outcomes.len() != lines.len() {
        panic!("one outcome per line expected");
    }
    for (o, line) in outcomes.iter().zip(lines) {
        let single = verifier.verify(line, at).map(|_| ());
        if o.result() != &single {
            panic!("batch and single verdicts differ");
        }
    }
}

/// Arbitrary bytes through the smaller decoders of outside input — license
/// type definitions (JSON), PKCS#8 and SPKI keys (PEM and DER), dates and
/// timestamps: never panics; what a text decoder accepts prints back the same
/// (dates, timestamps) or round-trips (types, keys).
#[expect(clippy::panic, reason = "a fuzz property violation must abort")]
pub fn small_decoders(data: &[u8]) {
    use crate::sign::{PublicKey, SigningKey};
    if let Ok(key) = SigningKey::from_pkcs8_der(data) {
        let back = key
            .to_pkcs8_der()
            .ok()
            .and_then(|d| SigningKey::from_pkcs8_der(&d).ok());
        if back.map(|b| b.public_key()) != Some(key.public_key()) {
            panic!("a PKCS#8 key does not round-trip");
        }
    }
    if let Ok(key) = PublicKey::from_public_key_der(data) {
        let pem = key.to_public_key_pem().ok();
        if pem.and_then(|p| PublicKey::from_public_key_pem(&p).ok()) != Some(key) {
            panic!("an SPKI key does not round-trip");
        }
    }
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let _ = SigningKey::from_pkcs8_pem(text);
    let _ = PublicKey::from_public_key_pem(text);
    if let Ok(d) = crate::date::Date::parse(text)
        && d.to_string() != text
    {
        panic!("a date does not print back as parsed");
    }
    if let Ok(t) = crate::date::Timestamp::parse(text)
        && t.to_string() != text
    {
        panic!("a timestamp does not print back as parsed");
    }
    if text.len() <= 64 * 1024
        && let Ok(ty) = crate::model::LicenseType::from_json(text)
    {
        let json = serde_json::to_string(&ty).unwrap_or_default();
        if crate::model::LicenseType::from_json(&json).ok().as_ref() != Some(&ty) {
            panic!("a license type does not round-trip through JSON");
        }
    }
}

/// The certificates and keys (PEM) an annotated-copy fuzz target sets its
/// library up with: a trust anchor, a seal maker, and the copy maker's
/// signing certificate (with its key and issuing CA).
#[derive(Debug, Clone, Copy)]
pub struct CopyPki<'a> {
    /// Trust anchor.
    pub root: &'a str,
    /// Seal maker certificate.
    pub seal_maker_cert: &'a str,
    /// Seal maker key (PKCS#8).
    pub seal_maker_key: &'a str,
    /// Copy maker's signing certificate (its organisation holds the seal).
    pub signer_cert: &'a str,
    /// Its key (PKCS#8).
    pub signer_key: &'a str,
    /// The signing certificate's issuing CA.
    pub signer_ca: &'a str,
}

/// Arbitrary bytes as an annotated copy (加注件) presented to a library whose
/// copy maker seals with a real seal: never panics, and nothing verifies (the
/// library holds no license, and only the maker's seal can make a copy).
#[expect(clippy::panic, reason = "a fuzz property violation must abort")]
pub fn annotated_copy(data: &[u8], pki: &CopyPki<'_>) {
    use crate::cert::{Certificate, TrustAnchors};
    use crate::resource::{CopyCheck, Purpose, ResourceLibrary};
    use crate::seal::{PictureType, SealCertRef, SealMaker, SealPicture, SealSpec, SealType};
    use crate::sign::{Signer, SigningKey};

    let ts = |s: &str| crate::Timestamp::parse(s).ok();
    let made = (|| {
        let signer = Certificate::from_pem(pki.signer_cert).ok()?;
        let org = crate::model::Organisation::new("copy maker", *signer.organization()?).ok()?;
        let maker = SealMaker::new(
            Certificate::from_pem(pki.seal_maker_cert).ok()?,
            vec![],
            SigningKey::from_pkcs8_pem(pki.seal_maker_key).ok()?,
        )
        .ok()?;
        let seal = maker
            .make(SealSpec {
                vendor: "elicense-fuzz".into(),
                id: "copy-seal".into(),
                seal_type: SealType::OfficialName,
                name: "加注件专用章".into(),
                holder: org,
                certs: vec![SealCertRef::Certificate(signer.clone())],
                created_at: ts("2024-06-01T00:00:00Z")?,
                valid_from: ts("2024-06-01T00:00:00Z")?,
                valid_to: ts("2029-06-01T00:00:00Z")?,
                picture: SealPicture::new(PictureType::Png, b"\x89PNG\r\n\x1a\n".to_vec(), 40, 40)
                    .ok()?,
                extensions: vec![],
            })
            .ok()?;
        let key: Box<dyn Signer> = Box::new(SigningKey::from_pkcs8_pem(pki.signer_key).ok()?);
        let sealer = crate::Sealer::new(
            seal,
            signer,
            vec![Certificate::from_pem(pki.signer_ca).ok()?],
            key,
        )
        .ok()?;
        let verifier = crate::Verifier::new(crate::LicenseTypes::builtin())
            .with_trust_anchors(TrustAnchors::new().with(Certificate::from_pem(pki.root).ok()?))
            .with_status(crate::InMemoryStatus::complete_revocation_list());
        let lib = ResourceLibrary::new(crate::store::MemoryStore::new(), verifier).ok()?;
        Some(lib.with_copy_maker(sealer))
    })();
    let (Some(lib), Ok(user), Ok(purpose), Some(at)) = (
        made,
        "91350100M000100Y43".parse::<crate::ids::Uscc>(),
        Purpose::new("办理贷款"),
        ts("2026-03-01T00:00:00Z"),
    ) else {
        panic!("fixed inputs must build a library");
    };
    if let Ok(CopyCheck::Valid(_)) = lib.verify_copy(data, &purpose, &user, at) {
        panic!("a copy nobody made verified");
    }
}

/// Arbitrary bytes as signature records through [`crate::verify_signatures`]
/// (the batch equation, on the AVX-512 IFMA lanes where the CPU has them):
/// every verdict equals [`crate::verify_signature`]'s.
///
/// Each record is 43 bytes: a mode byte, an edit position and value, an
/// 8-byte message, and 32 bytes used as `R` or as a key. Mode bits: 1 picks
/// one of two keys; 2 flips the edit into the signature; 4 puts the 32 bytes
/// in place of `R`; 8 uses them as the public key; 16 puts them in place of
/// `S`. Real signatures are made first, so valid, tampered and garbage
/// signatures mix in one batch.
#[expect(clippy::panic, reason = "a fuzz property violation must abort")]
pub fn batch_signatures(data: &[u8]) {
    use crate::sign::SigningKey;
    let keys = [
        SigningKey::from_seed(&[0x11; 32]),
        SigningKey::from_seed(&[0x22; 32]),
    ];
    let mut triples: Vec<([u8; 32], Vec<u8>, [u8; 64])> = Vec::new();
    for rec in data.chunks_exact(43).take(600) {
        let (head, rest) = rec.split_at(3);
        let (msg, bytes) = rest.split_at(8);
        let [mode, pos, edit] = [0, 1, 2].map(|i| head.get(i).copied().unwrap_or(0));
        let mut b = [0u8; 32];
        b.copy_from_slice(bytes);
        let key = if mode & 1 == 0 { &keys[0] } else { &keys[1] };
        let mut sig = key.sign_message(msg).to_bytes();
        if let Some(x) = sig.get_mut(usize::from(pos) % 64).filter(|_| mode & 2 != 0) {
            *x ^= edit | 1;
        }
        let (r, s) = sig.split_at_mut(32);
        if mode & 4 != 0 {
            r.copy_from_slice(&b);
        }
        if mode & 16 != 0 {
            s.copy_from_slice(&b);
        }
        let pk = if mode & 8 != 0 {
            b
        } else {
            *key.public_key().as_bytes()
        };
        triples.push((pk, msg.to_vec(), sig));
    }
    let refs: Vec<(&[u8], &[u8], &[u8])> = triples
        .iter()
        .map(|(k, m, s)| (&k[..], &m[..], &s[..]))
        .collect();
    let batch = crate::verify_signatures(&refs);
    for (i, ((k, m, s), got)) in refs.iter().zip(&batch).enumerate() {
        let single = crate::verify_signature(k, m, s).is_ok();
        if single != *got {
            panic!("signature {i}: batch says {got}, single says {single}");
        }
    }
}

/// Arbitrary text → presentation decoder (亮证码): never panics; what decodes
/// re-encodes to the same string, and a verifier with no issuer refuses it at
/// the issuer step, never earlier.
#[expect(clippy::panic, reason = "a fuzz property violation must abort")]
pub fn present_decode(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::present::Presentation::decode(data);
    if let Ok(p) = crate::present::Presentation::from_qr_string(&text) {
        if crate::present::Presentation::from_qr_string(&p.to_qr_string()).as_ref() != Ok(&p) {
            panic!("a presentation does not round-trip");
        }
        let v = crate::present::PresentationVerifier::without_status();
        match v.verify(p, crate::date::Timestamp::now()) {
            Err(r) if r.step() == crate::present::PresentStep::Issuer => {}
            _ => panic!("an unknown issuer was not refused at the issuer step"),
        }
    }
}

/// Arbitrary bytes through the GB/T 38540 DER seal decoder (feature `gm`):
/// never panics; whatever decodes re-encodes to exactly its input, and its
/// SES_SealInfo bytes are a slice of it; verification with no trust fails.
#[cfg(feature = "gm")]
#[expect(clippy::panic, reason = "a fuzz property violation must abort")]
pub fn ses_seal_decode(data: &[u8]) {
    if let Ok(seal) = crate::gm::SesSeal::decode(data) {
        if seal.encode() != data || seal.as_bytes() != data {
            panic!("DER seal does not re-encode to its input");
        }
        let info = seal.info_bytes();
        if info.is_empty() || !data.windows(info.len()).any(|w| w == info) {
            panic!("seal info bytes are not a slice of the seal");
        }
        let verifier = crate::Verifier::new(crate::LicenseTypes::new());
        if verifier
            .verify_ses_seal(data, seal.info().valid_from.at)
            .is_ok()
        {
            panic!("a DER seal verified with no trust anchor");
        }
    }
}

/// Arbitrary bytes through the GB/T 38540 DER seal-signature decoder
/// (feature `gm`): never panics; whatever decodes re-encodes to exactly its
/// input, and verification with no trust fails.
#[cfg(feature = "gm")]
#[expect(clippy::panic, reason = "a fuzz property violation must abort")]
pub fn ses_signature_decode(data: &[u8]) {
    if let Ok(sig) = crate::gm::SesSignature::decode(data) {
        if sig.encode() != data || sig.as_bytes() != data {
            panic!("DER signature does not re-encode to its input");
        }
        if sig.seal().encode() != sig.seal().as_bytes() {
            panic!("the seal inside does not re-encode to its bytes");
        }
        let verifier = crate::Verifier::new(crate::LicenseTypes::new());
        if verifier
            .verify_ses_signature(data, b"", sig.to_sign().time.at)
            .is_ok()
        {
            panic!("a DER signature verified with no trust anchor");
        }
    }
}

/// Arbitrary bytes → status snapshot decoder: never panics; what decodes
/// re-encodes to exactly its body (one encoding per status set), its names
/// are sorted and unique, and no signature check accepts it under an
/// unrelated key.
#[expect(clippy::panic, reason = "a fuzz property violation must abort")]
pub fn snapshot_decode(data: &[u8]) {
    let Ok(s) = crate::snapshot::StatusSnapshot::decode(data) else {
        return;
    };
    let body = data.get(..data.len().saturating_sub(64)).unwrap_or(&[]);
    if s.encode_body() != body {
        panic!("a decoded snapshot does not re-encode to its body");
    }
    let key = crate::sign::SigningKey::from_seed(&[7; 32]).public_key();
    if crate::snapshot::StatusSnapshot::from_signed_bytes(data, &key).is_ok() {
        panic!("a fuzzed snapshot verified under an unrelated key");
    }
}

/// Arbitrary bytes → trust list decoder (and rollback state reader): never
/// panics; what decodes re-encodes to exactly the bytes given (one encoding
/// per list), a state read back round-trips, and a list
/// that verifies its own signature still does not chain to an empty set of
/// anchors.
#[expect(clippy::panic, reason = "a fuzz property violation must abort")]
pub fn trustlist_decode(data: &[u8]) {
    // The same bytes as a rollback state file (the CLI's `--state`): what
    // reads back writes out and reads back equal.
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(state) = crate::trustlist::AcceptedSequences::from_json(text)
        && crate::trustlist::AcceptedSequences::from_json(&state.to_json()).ok() != Some(state)
    {
        panic!("a trust list state does not round-trip");
    }
    let Ok((list, sig, _)) = crate::trustlist::decode(data) else {
        return;
    };
    match list.reencode(sig.as_bytes()) {
        Ok(again) if again == data => {}
        _ => panic!("a decoded trust list does not re-encode to its bytes"),
    }
    let Ok(verified) = crate::trustlist::TrustList::from_signed_bytes(data) else {
        return;
    };
    let at = verified.issued_at();
    let verifier = crate::trustlist::TrustListVerifier::new(crate::cert::TrustAnchors::new());
    let mut state = crate::trustlist::AcceptedSequences::new();
    if verifier.verify(data, at, &mut state).is_ok() {
        panic!("a trust list verified with no trust anchor");
    }
}
