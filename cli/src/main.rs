//! `elicense`: the command a department runs over its electronic licenses
//! (电子证照). Thin over the library: arguments are parsed here, the work is
//! done by `elicense`.

use clap::Parser;

/// Government electronic licenses (电子证照) and electronic seals (电子印章).
#[derive(Debug, Parser)]
#[command(name = "elicense", version)]
struct Cli {}

fn main() -> anyhow::Result<()> {
    let _cli = Cli::parse();
    Ok(())
}
