//! Making SM2 certificates, DER seals and DER seal signatures (feature `gm`),
//! for issuers who must use SM2 and for tests.

use super::der::{self, tag};
use super::error::SesError;
use super::ses::{SesSeal, SesSealInfo, SesSignature, SesTime, SesToSign, SesVersion};
use super::sm::{Sm2SigningKey, sm3};
use crate::cert::{CertError, Certificate};
use crate::date::Timestamp;
use crate::ids::Uscc;

/// What an SM2 certificate says (X.509 v3, SM2-with-SM3, standard user id).
#[derive(Debug, Clone)]
pub struct Sm2CertificateSpec {
    /// Subject commonName.
    pub common_name: String,
    /// Subject organizationName and organizationIdentifier (`NTRCN-<USCC>`), if any.
    pub organization: Option<(String, Uscc)>,
    /// Serial number (positive).
    pub serial: u64,
    /// Valid from.
    pub not_before: Timestamp,
    /// Valid to.
    pub not_after: Timestamp,
    /// A CA (basicConstraints CA:true, keyCertSign) or a signer (digitalSignature, nonRepudiation).
    pub ca: bool,
}

fn name(out: &mut Vec<u8>, spec: &Sm2CertificateSpec) {
    let attr = |o: &mut Vec<u8>, oid: &str, t: u8, v: &str| {
        der::write_constructed(o, 0x31, |o| {
            der::write_constructed(o, tag::SEQUENCE, |o| {
                der::write_tlv(o, tag::OID, &der::oid_bytes(oid).unwrap_or_default());
                der::write_tlv(o, t, v.as_bytes());
            });
        });
    };
    der::write_constructed(out, tag::SEQUENCE, |o| {
        attr(o, "2.5.4.6", tag::PRINTABLE_STRING, "CN");
        if let Some((org, uscc)) = &spec.organization {
            attr(o, "2.5.4.10", tag::UTF8_STRING, org);
            attr(
                o,
                "2.5.4.97",
                tag::UTF8_STRING,
                &format!("NTRCN-{}", uscc.as_str()),
            );
        }
        attr(o, "2.5.4.3", tag::UTF8_STRING, &spec.common_name);
    });
}

/// Issues an SM2 certificate for `key`'s public key, signed by `issuer`
/// (its certificate and key), or self-signed when `issuer` is `None`.
pub fn issue_sm2_certificate(
    spec: &Sm2CertificateSpec,
    key: &Sm2SigningKey,
    issuer: Option<(&Certificate, &Sm2SigningKey)>,
) -> Result<Certificate, CertError> {
    let sig_alg = |o: &mut Vec<u8>| {
        der::write_constructed(o, tag::SEQUENCE, |o| {
            der::write_tlv(o, tag::OID, &super::ses::sm2_with_sm3_oid());
        });
    };
    let mut tbs = Vec::new();
    der::write_constructed(&mut tbs, tag::SEQUENCE, |o| {
        der::write_constructed(o, 0xa0, |o| der::write_u64(o, 2));
        der::write_u64(o, spec.serial.max(1));
        sig_alg(o);
        match issuer {
            Some((cert, _)) => o.extend_from_slice(cert.subject_raw()),
            None => name(o, spec),
        }
        der::write_constructed(o, tag::SEQUENCE, |o| {
            for t in [spec.not_before, spec.not_after] {
                let kind = if (1950..2050).contains(&t.utc_date().year()) {
                    der::TimeKind::Utc
                } else {
                    der::TimeKind::Generalized
                };
                der::write_time(o, t, kind);
            }
        });
        name(o, spec);
        der::write_constructed(o, tag::SEQUENCE, |o| {
            der::write_constructed(o, tag::SEQUENCE, |o| {
                der::write_tlv(
                    o,
                    tag::OID,
                    &der::oid_bytes("1.2.840.10045.2.1").unwrap_or_default(),
                );
                der::write_tlv(
                    o,
                    tag::OID,
                    &der::oid_bytes("1.2.156.10197.1.301").unwrap_or_default(),
                );
            });
            der::write_bits(o, &key.public_key().to_sec1());
        });
        der::write_constructed(o, 0xa3, |o| {
            der::write_constructed(o, tag::SEQUENCE, |o| {
                // basicConstraints, critical
                der::write_constructed(o, tag::SEQUENCE, |o| {
                    der::write_tlv(
                        o,
                        tag::OID,
                        &der::oid_bytes("2.5.29.19").unwrap_or_default(),
                    );
                    der::write_bool(o, true);
                    let mut bc = Vec::new();
                    der::write_constructed(&mut bc, tag::SEQUENCE, |b| {
                        if spec.ca {
                            der::write_bool(b, true);
                        }
                    });
                    der::write_tlv(o, tag::OCTET_STRING, &bc);
                });
                // keyUsage, critical
                der::write_constructed(o, tag::SEQUENCE, |o| {
                    der::write_tlv(
                        o,
                        tag::OID,
                        &der::oid_bytes("2.5.29.15").unwrap_or_default(),
                    );
                    der::write_bool(o, true);
                    let mut ku = Vec::new();
                    // digitalSignature|nonRepudiation = 0xC0 (6 unused bits);
                    // keyCertSign|cRLSign = 0x06 (1 unused bit).
                    let bits: &[u8] = if spec.ca {
                        &[0x01, 0x06]
                    } else {
                        &[0x06, 0xc0]
                    };
                    der::write_tlv(&mut ku, tag::BIT_STRING, bits);
                    der::write_tlv(o, tag::OCTET_STRING, &ku);
                });
            });
        });
    });
    let signer = issuer.map_or(key, |(_, k)| k);
    let signature = signer.sign(&tbs).to_der();
    let mut cert = Vec::new();
    der::write_constructed(&mut cert, tag::SEQUENCE, |o| {
        o.extend_from_slice(&tbs);
        sig_alg(o);
        der::write_bits(o, &signature);
    });
    Certificate::from_der(&cert)
}

/// An SM2 seal maker (制章机构): its certificate and key.
#[derive(Debug)]
pub struct SesSealMaker {
    cert: Certificate,
    key: Sm2SigningKey,
}

impl SesSealMaker {
    /// A maker; `key` must be the certificate's key.
    pub fn new(cert: Certificate, key: Sm2SigningKey) -> Result<SesSealMaker, SesError> {
        if cert.sm2_key().ok() != Some(key.public_key()) {
            return Err(SesError::Invalid {
                field: "SES_Seal.cert",
                reason: "the maker key is not the certificate's SM2 key",
            });
        }
        Ok(SesSealMaker { cert, key })
    }

    /// Makes a seal: signs the DER of `info` and decodes the result (so what
    /// is made obeys every limit and reads back as made).
    pub fn make(&self, info: &SesSealInfo) -> Result<SesSeal, SesError> {
        let mut tbs = Vec::new();
        super::ses::write_seal_info(&mut tbs, info);
        let signature = self.key.sign(&tbs).to_der();
        let seal = SesSeal::assemble(info, &self.cert, &signature)?;
        if seal.info() != info {
            return Err(SesError::Invalid {
                field: "SES_SealInfo",
                reason: "does not read back as made (an element breaks the standard)",
            });
        }
        Ok(seal)
    }
}

/// An SM2 signer with a seal: the seal, the signer's certificate (listed in
/// the seal) and key.
#[derive(Debug)]
pub struct SesSealer {
    seal: SesSeal,
    cert: Certificate,
    key: Sm2SigningKey,
}

impl SesSealer {
    /// A sealer; `key` must be the certificate's key. (Whether the seal lists
    /// the certificate is the verifier's question.)
    pub fn new(
        seal: SesSeal,
        cert: Certificate,
        key: Sm2SigningKey,
    ) -> Result<SesSealer, SesError> {
        if cert.sm2_key().ok() != Some(key.public_key()) {
            return Err(SesError::Invalid {
                field: "SES_Signature.cert",
                reason: "the signer key is not the certificate's SM2 key",
            });
        }
        Ok(SesSealer { seal, cert, key })
    }

    /// The seal.
    pub fn seal(&self) -> &SesSeal {
        &self.seal
    }

    /// Signs `data` at `at`: dataHash = SM3(data), the seal's edition.
    pub fn sign(
        &self,
        data: &[u8],
        property_info: &str,
        at: Timestamp,
    ) -> Result<SesSignature, SesError> {
        let version: SesVersion = self.seal.version();
        let tbs = SesToSign {
            version,
            seal: self.seal.clone(),
            time: SesTime {
                at,
                kind: der::TimeKind::Generalized,
            },
            data_hash: sm3(data).to_vec(),
            property_info: property_info.to_owned(),
            extensions: None,
        };
        let mut bytes = Vec::new();
        super::ses::write_tbs(&mut bytes, &tbs);
        let signature = self.key.sign(&bytes).to_der();
        SesSignature::assemble(&tbs, &self.cert, &signature)
    }
}
