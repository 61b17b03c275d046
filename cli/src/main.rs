//! `elicense`: the command a department runs over its electronic licenses
//! (电子证照). Thin over the library: arguments are parsed here, the work is
//! done by `elicense`.
//!
//! Exit codes: 0 — done, every license verified; 1 — done, some license
//! rejected (or, for `show`/`history`/`present`, not found; for
//! `scan`, refused); 2 — usage, input, trust
//! or store error (nothing was written).

mod common;
mod demo;
mod inspect;
mod present;
mod serve;
mod status;
mod store;
mod token;
mod trust;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Government electronic licenses (电子证照) and electronic seals (电子印章):
/// verify, inspect, archive and search them.
///
/// Exit codes: 0 all verified / done, 1 some rejected / not found,
/// 2 usage, input, trust or store error.
#[derive(Debug, Parser)]
#[command(name = "elicense", version, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// 核验: verify licenses (JSON Lines, single documents, directories) in bulk
    Verify(verify::VerifyArgs),
    /// 查看: one license for a human — fields, seals, certificates, every verification step
    Inspect(inspect::InspectArgs),
    /// 存量归集: import existing licenses into the store (resumable)
    Archive(store::ArchiveArgs),
    /// 目录查询: search the catalog (目录库) of a store
    Query(store::QueryArgs),
    /// 调取: the exact stored bytes of one license
    Show(store::ShowArgs),
    /// 业务记录: a license's status events and version chain
    History(store::HistoryArgs),
    /// 亮证: a short-lived signed presentation of a stored license as a QR image (PNG or SVG)
    Present(present::PresentArgs),
    /// 扫码核验: verify a scanned presentation string on the spot, every step shown
    Scan(present::ScanArgs),
    /// 演示: build a sample library (test PKI, seals, licenses), export it and verify the export
    Demo(demo::DemoArgs),
    /// 统一对外服务接口: serve the resource library over HTTP (verify, search, fetch, lifecycle)
    Serve(serve::ServeArgs),
    /// API access tokens for `serve`: create, list, revoke
    Token(token::TokenArgs),
    /// 信任列表 trust lists for cross-region recognition (互通互认): publish, verify, merge
    Trust(trust::TrustCmd),
    /// 状态快照: publish an issuer's signed status snapshot for offline verifiers
    Status(status::StatusArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and version requests are not errors.
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Verify(a) => verify::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Archive(a) => store::archive(a),
        Command::Query(a) => store::query(a),
        Command::Show(a) => store::show(a),
        Command::History(a) => store::history(a),
        Command::Present(a) => present::present(a),
        Command::Scan(a) => present::scan(a),
        Command::Demo(a) => demo::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Token(a) => token::run(a),
        Command::Trust(a) => trust::run(a),
        Command::Status(a) => status::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("elicense: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
