//! A sample resource library over a real store (the repository's test PKI,
//! two issuers with 证照专用章 seals, a copy maker), access tokens, and the
//! service on 127.0.0.1 with an ephemeral port. Shared by the tests and the
//! `service_report` example.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::net::SocketAddr;

use elicense::*;
use elicense_service::{Clock, Limits, Service};

macro_rules! pki {
    ($name:literal) => {
        include_str!(concat!("../../../tests/data/pki/", $name))
    };
}

/// Verification and service time of the fixture.
pub fn at() -> Timestamp {
    Timestamp::parse("2026-01-01T00:00:00Z").unwrap()
}

pub fn issued_at() -> Timestamp {
    Timestamp::parse("2025-06-01T02:00:00Z").unwrap()
}

fn sealer(
    maker: &SealMaker<SigningKey>,
    cert_pem: &str,
    key_pem: &str,
    name: &str,
    seal_id: &str,
) -> (Organisation, Sealer<Box<dyn Signer>>) {
    let signer_ca = Certificate::from_pem(pki!("signer_ca.cert.pem")).unwrap();
    let cert = Certificate::from_pem(cert_pem).unwrap();
    let org = Organisation::new(name, *cert.organization().unwrap()).unwrap();
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" width="42mm" height="42mm"><circle cx="21" cy="21" r="20"/></svg>"##;
    let seal = maker
        .make(SealSpec {
            vendor: "elicense-service-test".into(),
            id: seal_id.into(),
            seal_type: SealType::License,
            name: format!("{name}证照专用章"),
            holder: org.clone(),
            certs: vec![SealCertRef::Certificate(cert.clone())],
            created_at: Timestamp::parse("2024-06-01T00:00:00Z").unwrap(),
            valid_from: Timestamp::parse("2024-06-01T00:00:00Z").unwrap(),
            valid_to: Timestamp::parse("2029-06-01T00:00:00Z").unwrap(),
            picture: SealPicture::new(PictureType::Svg, svg.to_vec(), 42, 42).unwrap(),
            extensions: vec![],
        })
        .unwrap();
    let signer: Box<dyn Signer> = Box::new(SigningKey::from_pkcs8_pem(key_pem).unwrap());
    (
        org,
        Sealer::new(seal, cert, vec![signer_ca], signer).unwrap(),
    )
}

pub fn holder_code(i: usize) -> Uscc {
    let body = format!("91330100MA{:07}", i % 10_000_000);
    let c = uscc_check_char(&body).unwrap();
    format!("{body}{c}").parse().unwrap()
}

pub fn type_named(name: &str) -> LicenseTypeCode {
    *LicenseTypes::builtin()
        .iter()
        .find(|t| t.name() == name)
        .unwrap()
        .code()
}

pub fn food() -> LicenseTypeCode {
    type_named("食品经营许可证")
}

pub fn business() -> LicenseTypeCode {
    type_named("营业执照")
}

/// The fields of a 食品经营许可证 (odd `i`) or 营业执照 (even `i`).
pub fn fields(i: usize) -> BTreeMap<String, FieldValue> {
    let f = |k: &str, v: &str| (k.to_owned(), FieldValue::from(v));
    if i % 2 == 1 {
        [
            f("KZ_JYCS", &format!("杭州市上城区解放路{i}号")),
            f("KZ_FDDBR", "张三"),
            f("KZ_JYXM", "预包装食品销售"),
            f("KZ_ZTYT", "餐饮服务经营者"),
        ]
        .into()
    } else {
        [
            f("KZ_LX", "有限责任公司"),
            f("KZ_FDDBR", "李四"),
            f("KZ_CLRQ", "2020-01-01"),
            f("KZ_YYQX", "长期"),
            f("KZ_ZS", &format!("杭州市上城区延安路{i}号")),
            f("KZ_JYFW", "软件开发"),
            f("KZ_DJJG", "杭州市上城区市场监督管理局"),
        ]
        .into()
    }
}

pub fn request(i: usize) -> IssueRequest {
    let is_food = i % 2 == 1;
    IssueRequest {
        type_code: if is_food { food() } else { business() },
        number: format!("{}{:012}", if is_food { "JY" } else { "YZ" }, i),
        holder: Holder::new(
            format!("杭州第{i}号科技有限公司"),
            holder_code(i / 2).into(),
        )
        .unwrap(),
        valid_from: Date::parse("2025-06-01").unwrap(),
        valid_to: if is_food {
            Some(Date::parse("2030-05-31").unwrap())
        } else {
            None
        },
        fields: fields(i),
        attachments: vec![],
    }
}

pub struct Orgs {
    pub a: Organisation,
    pub b: Organisation,
    pub bank: Organisation,
    pub other: Organisation,
}

pub fn orgs_of(a: Organisation, b: Organisation) -> Orgs {
    Orgs {
        a,
        b,
        bank: Organisation::new("某某银行杭州分行", holder_code(9_000_001)).unwrap(),
        other: Organisation::new("某某保险公司", holder_code(9_000_002)).unwrap(),
    }
}

/// A library over `store` (its ledger in the same database) with issuers A
/// (杭州市上城区, 330102) and B (湖南省, 430000) and a copy maker; `n`
/// licenses issued by A.
pub fn library<S: LicenseStore + 'static>(
    store: S,
    ledger: Box<dyn Ledger>,
    n: usize,
) -> (ResourceLibrary<S>, Orgs, Vec<SignedLicense>) {
    let maker = SealMaker::new(
        Certificate::from_pem(pki!("seal_maker.cert.pem")).unwrap(),
        vec![],
        SigningKey::from_pkcs8_pem(pki!("seal_maker.key.pem")).unwrap(),
    )
    .unwrap();
    let (org_a, sealer_a) = sealer(
        &maker,
        pki!("signer_a.cert.pem"),
        pki!("signer_a.key.pem"),
        "杭州市上城区市场监督管理局",
        "3301020000001",
    );
    let (org_b, sealer_b) = sealer(
        &maker,
        pki!("signer_b.cert.pem"),
        pki!("signer_b.key.pem"),
        "湖南省市场监督管理局",
        "4300000000001",
    );
    let (_, copy_sealer) = sealer(
        &maker,
        pki!("signer_b.cert.pem"),
        pki!("signer_b.key.pem"),
        "湖南省市场监督管理局",
        "4300000000002",
    );
    let verifier = Verifier::new(LicenseTypes::builtin())
        .with_trust_anchors(
            TrustAnchors::new().with(Certificate::from_pem(pki!("root.cert.pem")).unwrap()),
        )
        .with_status(InMemoryStatus::complete_revocation_list());
    let lib = ResourceLibrary::new(store, verifier)
        .unwrap()
        .with_ledger(ledger)
        .with_issuer(org_a.clone(), "330102".parse().unwrap(), sealer_a)
        .unwrap()
        .with_issuer(org_b.clone(), "430000".parse().unwrap(), sealer_b)
        .unwrap()
        .with_copy_maker(copy_sealer);
    let mut docs = Vec::with_capacity(n);
    let mut start = 0;
    while start < n {
        let end = (start + 5000).min(n);
        let reqs = (start..end).map(request).collect();
        docs.extend(lib.issue_batch(org_a.code(), reqs, issued_at()).unwrap());
        start = end;
    }
    (lib, orgs_of(org_a, org_b), docs)
}

/// The service's tokens: a bank with a grant for 食品经营许可证, an insurer
/// with none, and issuer tokens for A and B.
pub struct Tokens {
    pub bank: String,
    pub other: String,
    pub issuer_a: String,
    pub issuer_b: String,
}

pub fn tokens<S: elicense_service::ServiceStore>(lib: &ResourceLibrary<S>, o: &Orgs) -> Tokens {
    let make = |org: &Organisation, grants: Vec<LicenseTypeCode>, role| {
        elicense_service::issue_token(lib, org.clone(), grants, role, at())
            .unwrap()
            .1
            .expose()
            .to_owned()
    };
    Tokens {
        bank: make(&o.bank, vec![food()], TokenRole::Reader),
        other: make(&o.other, vec![], TokenRole::Reader),
        issuer_a: make(&o.a, vec![food(), business()], TokenRole::Issuer),
        issuer_b: make(&o.b, vec![], TokenRole::Issuer),
    }
}

/// A running service.
pub struct Server {
    pub addr: SocketAddr,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub done: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Starts `service` on 127.0.0.1 (ephemeral port) on the current runtime.
pub async fn start<S: elicense_service::ServiceStore>(service: Service<S>) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let router = elicense_service::router(service);
    let done = tokio::spawn(elicense_service::serve(listener, router, async move {
        let _ = rx.await;
    }));
    Server {
        addr,
        stop: Some(tx),
        done,
    }
}

/// The service with the fixture's fixed clock and `limits`.
pub fn service<S: elicense_service::ServiceStore>(
    lib: ResourceLibrary<S>,
    limits: Limits,
) -> Service<S> {
    Service::with(lib, Clock::Fixed(at()), limits)
}
