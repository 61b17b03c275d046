//! `elicense token`: API access tokens for `elicense serve`, kept in the
//! store's database as the SHA-256 of their secret.

use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use elicense::{
    Ledger, LicenseStore, LicenseTypeCode, Organisation, ResourceLibrary, Timestamp, TokenRole,
    TokenStore, Uscc, Verifier,
};

use crate::common::StoreArgs;
use crate::on_store;

/// `elicense token`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct TokenArgs {
    #[command(subcommand)]
    pub(crate) command: TokenCommand,
}

/// What to do with tokens.
#[derive(Debug, Clone, clap::Subcommand)]
pub(crate) enum TokenCommand {
    /// Make a token; its secret is printed once
    Create(CreateArgs),
    /// List the stored tokens (key ids, accessors, grants; never secrets)
    List(ListArgs),
    /// Remove a token by key id (its grants in the ledger stay)
    Revoke(RevokeArgs),
}

/// `elicense token create`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct CreateArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// 用证方 the accessor's name
    #[arg(long, value_name = "NAME")]
    pub(crate) accessor: String,
    /// The accessor's USCC (统一社会信用代码)
    #[arg(long, value_name = "USCC")]
    pub(crate) uscc: String,
    /// 授权 a license type code the accessor may fetch (repeatable); granted by policy in the ledger
    #[arg(long = "grant", value_name = "TYPE")]
    pub(crate) grants: Vec<String>,
    /// issuer: may also issue and change its own licenses, decide disputes and read use records
    #[arg(long, value_name = "ROLE", default_value = "reader")]
    pub(crate) role: String,
}

/// `elicense token list`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

/// `elicense token revoke`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RevokeArgs {
    /// The token's key id (16 hex digits, as `token list` shows)
    #[arg(value_name = "KEY_ID")]
    pub(crate) key_id: String,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

/// `elicense token …`.
pub(crate) fn run(args: TokenArgs) -> Result<ExitCode> {
    match args.command {
        TokenCommand::Create(a) => create(a),
        TokenCommand::List(a) => {
            let store = a.store.open(false)?;
            let tokens = on_store!(store, |s| s.tokens()?);
            for t in &tokens {
                let grants: Vec<String> = t.grants().iter().map(ToString::to_string).collect();
                println!(
                    "{} {:<6} {} {} grants: {}",
                    t.key_id(),
                    t.role(),
                    t.accessor().code(),
                    t.accessor().name(),
                    if grants.is_empty() {
                        "-".to_owned()
                    } else {
                        grants.join(",")
                    }
                );
            }
            eprintln!("{} tokens", tokens.len());
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::Revoke(a) => {
            let store = a.store.open(false)?;
            if on_store!(store, |s| s.remove_token(&a.key_id)?) {
                eprintln!("token {} removed", a.key_id);
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("elicense token revoke: no token {}", a.key_id);
                Ok(ExitCode::from(1))
            }
        }
    }
}

fn create(a: CreateArgs) -> Result<ExitCode> {
    let code: Uscc = a.uscc.parse().map_err(|e| anyhow!("--uscc: {e}"))?;
    let accessor =
        Organisation::new(a.accessor.as_str(), code).map_err(|e| anyhow!("--accessor: {e}"))?;
    let role = TokenRole::parse(&a.role).map_err(|_| anyhow!("--role: reader or issuer"))?;
    let grants = a
        .grants
        .iter()
        .map(|g| {
            g.parse::<LicenseTypeCode>()
                .map_err(|e| anyhow!("--grant {g}: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let store = a.store.open(false)?;
    on_store!(store, |s| {
        let ledger: Box<dyn Ledger> = Box::new(s.ledger());
        create_in(s, ledger, accessor, grants, role)
    })
}

fn create_in<S: LicenseStore + TokenStore + 'static>(
    store: S,
    ledger: Box<dyn Ledger>,
    accessor: Organisation,
    grants: Vec<LicenseTypeCode>,
    role: TokenRole,
) -> Result<ExitCode> {
    let types = store.types()?;
    if let Some(g) = grants.iter().find(|g| types.get(g).is_none()) {
        bail!("--grant {g}: no such license type in the store's catalog");
    }
    let lib = ResourceLibrary::new(store, Verifier::new(types))?.with_ledger(ledger);
    let (token, secret) =
        elicense_service::issue_token(&lib, accessor, grants, role, Timestamp::now())?;
    eprintln!(
        "token {} for {} ({}), role {}, {} grants; the secret below is shown only now:",
        token.key_id(),
        token.accessor().name(),
        token.accessor().code(),
        token.role(),
        token.grants().len()
    );
    println!("{}", secret.expose());
    Ok(ExitCode::SUCCESS)
}
