//! Tests (fixtures from tests/data/pki/).
