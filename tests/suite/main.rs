//! Integration tests: one binary, one module per area.
#![allow(
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod archive;
mod batch;
mod corpus;
mod fixtures;
#[cfg(feature = "gm")]
mod gm;
#[cfg(feature = "gm")]
mod gm_license;
mod gm_license_fixture;
mod ledger;
mod pki;
mod present;
mod resource;
mod seal;
mod snapshot;
mod store;
mod tamper;
mod trustlist;
mod vectors;
mod verify;
mod wycheproof;
