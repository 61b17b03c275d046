//! `elicense inspect`: one license for a human (or, with `--json`, a
//! machine): its fields with the type's labels, validity, seals,
//! certificates, and every verification step with its outcome.

use std::io::Read;
use std::process::ExitCode;

use anyhow::{Context, Result};
use elicense::{
    Certificate, FieldValue, LicenseSignature, Outcome, Report, SealCertRef, SignedLicense,
    Verifier,
};
use serde_json::{Value, json};

use crate::common::{self, TrustArgs};

/// `elicense inspect`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct InspectArgs {
    /// The license document (`-`: standard input)
    #[arg(value_name = "FILE")]
    pub(crate) file: String,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// 核验时间 verification time: RFC 3339 or a date [default: now]
    #[arg(long, value_name = "TIME")]
    pub(crate) at: Option<String>,
    /// 证照状态 license status from the status events of this store (SQLite file or postgres:// URL)
    #[arg(long, value_name = "DB")]
    pub(crate) status: Option<String>,
    /// Print JSON instead of text
    #[arg(long)]
    pub(crate) json: bool,
    /// Show personal data (个人信息) unmasked: the holder's identity number and personal fields
    #[arg(long)]
    pub(crate) show_personal: bool,
}

/// `elicense inspect`: exit 0 when the license verifies, 1 when not.
pub(crate) fn run(args: InspectArgs) -> Result<ExitCode> {
    let bytes = read_input(&args.file)?;
    let at = common::at_or_now(args.at.as_deref())?;
    let status = match &args.status {
        Some(db) => Some(common::store_status(
            db,
            common::revocation_source(&args.trust)?,
        )?),
        None => None,
    };
    let untrusted = args.trust.anchors.is_empty() && args.trust.keys.is_none();
    let verifier = if untrusted {
        // Nothing trusted: the document is shown, the certificate steps fail.
        let v = Verifier::new(common::load_types(args.trust.types.as_deref())?)
            .with_status(common::revocation_source(&args.trust)?);
        match status {
            Some(s) => v.with_shared_status(s),
            None => v,
        }
    } else {
        common::verifier(&args.trust, status)?
    };
    let (report, valid) = match verifier.verify(&bytes, at) {
        Ok(v) => (v.report().clone(), true),
        Err(r) => (r.report().clone(), false),
    };
    let doc = SignedLicense::decode_with(&bytes, &verifier.options().limits).ok();
    let value = describe(doc.as_ref(), &verifier, &report, at, args.show_personal);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print_text(&value, untrusted);
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn read_input(file: &str) -> Result<Vec<u8>> {
    // Larger than any document the decoder accepts, so an oversized one is
    // still read far enough to be rejected by it with its reason.
    const MAX: u64 = 64 << 20;
    let mut bytes = Vec::new();
    if file == "-" {
        std::io::stdin()
            .lock()
            .take(MAX)
            .read_to_end(&mut bytes)
            .context("reading standard input")?;
    } else {
        std::fs::File::open(file)
            .with_context(|| format!("cannot open {file}"))?
            .take(MAX)
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {file}"))?;
    }
    while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        bytes.pop();
    }
    Ok(bytes)
}

fn mask_text(s: &str) -> String {
    let n = s.chars().count();
    let shown = if n >= 6 {
        2
    } else {
        1.min(n.saturating_sub(1))
    };
    s.chars()
        .enumerate()
        .map(|(i, c)| if i < shown { c } else { '*' })
        .collect()
}

fn field_text(v: &FieldValue) -> String {
    match v {
        FieldValue::Text(s) => s.clone(),
        FieldValue::Integer(i) => i.to_string(),
        FieldValue::Bool(b) => b.to_string(),
        _ => format!("{v:?}"),
    }
}

fn cert_json(role: &str, c: &Certificate) -> Value {
    json!({
        "role": role,
        "subject": c.subject(),
        "issuer": c.issuer(),
        "serial": c.serial_hex(),
        "not_before": c.not_before().to_string(),
        "not_after": c.not_after().to_string(),
        "key": match c.ed25519_key() {
            Ok(k) => format!("Ed25519 {}", hex(k.as_bytes())),
            Err(e) => format!("unusable: {e}"),
        },
        "sha256": hex(&c.fingerprint()),
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn signature_json(i: usize, s: &LicenseSignature, certs: &mut Vec<Value>) -> Value {
    let signer = s.signer().certificate();
    if let Some(c) = signer {
        certs.push(cert_json(&format!("signer of signature {i}"), c));
    }
    let seal = s.seal().map(|seal| {
        certs.push(cert_json(
            &format!("maker of seal {}", seal.id()),
            seal.maker(),
        ));
        for c in seal.maker_chain() {
            certs.push(cert_json(&format!("maker chain of seal {}", seal.id()), c));
        }
        json!({
            "id": seal.id(),
            "name": seal.name(),
            "type": seal.seal_type().name_zh(),
            "vendor": seal.vendor(),
            "holder": format!("{} ({})", seal.holder().name(), seal.holder().code()),
            "maker": seal.maker().subject(),
            "valid_from": seal.valid_from().to_string(),
            "valid_to": seal.valid_to().to_string(),
            "picture": {
                "type": seal.picture().kind().as_str(),
                "width_mm": seal.picture().width_mm(),
                "height_mm": seal.picture().height_mm(),
                "bytes": seal.picture().data().len(),
            },
            "certificates": seal.certs().iter().map(|c| match c {
                SealCertRef::Certificate(c) => c.subject().to_owned(),
                SealCertRef::Digest(d) => format!("sha256:{}", hex(d)),
                _ => "?".to_owned(),
            }).collect::<Vec<_>>(),
        })
    });
    json!({
        "index": i,
        "signed_at": s.tbs().signed_at().to_string(),
        "algorithm": s.tbs().algorithm().as_str(),
        "signer": match signer {
            Some(c) => c.subject().to_owned(),
            None => "raw key".to_owned(),
        },
        "seal": seal,
    })
}

fn report_json(report: &Report) -> Value {
    Value::Array(
        report
            .checks()
            .iter()
            .map(|c| {
                let (outcome, reason, message) = match c.outcome() {
                    Outcome::Passed => ("passed", None, None),
                    Outcome::Failed(f) => ("failed", Some(f.kind()), Some(f.to_string())),
                    Outcome::NotRun => ("not_run", None, None),
                    Outcome::NotApplicable => ("not_applicable", None, None),
                    _ => ("other", None, None),
                };
                json!({"step": c.step().name(), "outcome": outcome, "reason": reason, "message": message})
            })
            .collect(),
    )
}

fn describe(
    doc: Option<&SignedLicense>,
    verifier: &Verifier,
    report: &Report,
    at: elicense::Timestamp,
    show_personal: bool,
) -> Value {
    let mut certs = Vec::new();
    let license = doc.map(|d| {
        let l = d.license();
        let t = verifier.license_types().get(l.type_code());
        let fields: Vec<Value> = l
            .fields()
            .iter()
            .map(|(k, v)| {
                let spec = t.and_then(|t| t.field(k));
                let text = field_text(v);
                let personal = spec.is_some_and(|s| s.personal);
                json!({
                    "key": k,
                    "label": spec.map(|s| s.label.as_str()),
                    "value": if personal && !show_personal { mask_text(&text) } else { text },
                    "personal": personal,
                })
            })
            .collect();
        let holder = l.holder().code();
        json!({
            "id": l.id().to_string(),
            "name": l.name(),
            "type": {"code": l.type_code().to_string(), "name": t.map(|t| t.name())},
            "number": l.number(),
            "holder": {
                "name": l.holder().name(),
                "code": if show_personal { holder.value().to_owned() } else { holder.masked() },
                "code_type": holder.code_type().to_string(),
            },
            "issuer": {"name": l.issuer().name(), "code": l.issuer().code().to_string()},
            "region": l.region().to_string(),
            "issue_date": l.issue_date().to_string(),
            "valid_from": l.valid_from().to_string(),
            "valid_to": l.valid_to().map(|d| d.to_string()),
            "valid_at": l.is_valid_at(at),
            "fields": fields,
            "attachments": l.attachments().len(),
            "predecessor": l.predecessor().map(|p| p.to_string()),
        })
    });
    let signatures: Vec<Value> = doc
        .map(|d| {
            d.signatures()
                .iter()
                .enumerate()
                .map(|(i, s)| signature_json(i, s, &mut certs))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "verified_at": at.to_string(),
        "verdict": if report.passed() { "valid" } else { "rejected" },
        "failed_step": report.failed_step().map(|s| s.name()),
        "license": license,
        "signatures": signatures,
        "certificates": certs,
        "report": report_json(report),
    })
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".to_owned(),
        other => other.to_string(),
    }
}

fn print_text(v: &Value, untrusted: bool) {
    let l = &v["license"];
    if l.is_null() {
        println!("The document could not be decoded (see the report below).");
    } else {
        println!("证照 License {}", s(&l["id"]));
        println!("  证照名称 name:          {}", s(&l["name"]));
        println!(
            "  证照类型 type:          {} ({})",
            s(&l["type"]["name"]),
            s(&l["type"]["code"])
        );
        println!("  证照编号 number:        {}", s(&l["number"]));
        println!(
            "  持证主体 holder:        {} ({}: {})",
            s(&l["holder"]["name"]),
            s(&l["holder"]["code_type"]),
            s(&l["holder"]["code"])
        );
        println!(
            "  颁证单位 issuer:        {} ({})",
            s(&l["issuer"]["name"]),
            s(&l["issuer"]["code"])
        );
        println!("  行政区划 region:        {}", s(&l["region"]));
        println!("  颁证日期 issued:        {}", s(&l["issue_date"]));
        println!(
            "  有效期 validity:        {} – {} ({})",
            s(&l["valid_from"]),
            if l["valid_to"].is_null() {
                "长期 no end".to_owned()
            } else {
                s(&l["valid_to"])
            },
            if l["valid_at"] == Value::Bool(true) {
                "within validity at the verification time"
            } else {
                "NOT within validity at the verification time"
            }
        );
        if !l["predecessor"].is_null() {
            println!("  前序证照 predecessor:   {}", s(&l["predecessor"]));
        }
        println!("  照面信息 fields:");
        for f in l["fields"].as_array().into_iter().flatten() {
            println!(
                "    {} ({}): {}",
                s(&f["label"]),
                s(&f["key"]),
                s(&f["value"])
            );
        }
    }
    for sig in v["signatures"].as_array().into_iter().flatten() {
        println!(
            "签名 Signature {}: {} by {}, signed at {}",
            s(&sig["index"]),
            s(&sig["algorithm"]),
            s(&sig["signer"]),
            s(&sig["signed_at"])
        );
        let seal = &sig["seal"];
        if !seal.is_null() {
            println!(
                "  印章 seal {} ({}): {}",
                s(&seal["id"]),
                s(&seal["type"]),
                s(&seal["name"])
            );
            println!("    holder 持有者:  {}", s(&seal["holder"]));
            println!("    maker 制章者:   {}", s(&seal["maker"]));
            println!(
                "    validity 有效期: {} – {}",
                s(&seal["valid_from"]),
                s(&seal["valid_to"])
            );
            let p = &seal["picture"];
            println!(
                "    picture 印模:   {}, {}×{} mm, {} bytes",
                s(&p["type"]),
                s(&p["width_mm"]),
                s(&p["height_mm"]),
                s(&p["bytes"])
            );
        }
    }
    for c in v["certificates"].as_array().into_iter().flatten() {
        println!("证书 Certificate ({})", s(&c["role"]));
        println!("    subject: {}", s(&c["subject"]));
        println!("    issuer:  {}", s(&c["issuer"]));
        println!("    serial:  {}", s(&c["serial"]));
        println!(
            "    valid:   {} – {}",
            s(&c["not_before"]),
            s(&c["not_after"])
        );
        println!("    key:     {}", s(&c["key"]));
    }
    println!(
        "核验 Verification at {}: {}",
        s(&v["verified_at"]),
        if v["verdict"] == "valid" {
            "VALID 有效".to_owned()
        } else {
            format!("REJECTED at {}", s(&v["failed_step"]))
        }
    );
    for c in v["report"].as_array().into_iter().flatten() {
        let mark = match c["outcome"].as_str() {
            Some("passed") => "[pass]",
            Some("failed") => "[FAIL]",
            Some("not_run") => "[ -- ]",
            _ => "[ na ]",
        };
        if c["outcome"] == "failed" {
            println!(
                "  {mark} {}: {} ({})",
                s(&c["step"]),
                s(&c["message"]),
                s(&c["reason"])
            );
        } else {
            println!("  {mark} {}", s(&c["step"]));
        }
    }
    if untrusted {
        println!(
            "(no --anchors or --keys given: nothing is trusted, so the certificate steps fail)"
        );
    }
}
