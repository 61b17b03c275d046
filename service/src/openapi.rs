//! The OpenAPI document, generated from the handlers' annotations.

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;

struct Token;

impl Modify for Token {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("elt_<key id>_<secret>")
                    .description(Some("an access token made by `elicense token create`"))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "elicense resource library service (统一对外服务接口)",
        description = "Verification (在线核验), catalog search, authorised fetch, lifecycle, disputes and annotated copies of electronic licenses (电子证照)."
    ),
    modifiers(&Token),
    paths(
        api::healthz,
        api::metrics,
        api::openapi,
        api::verify,
        api::verify_batch,
        api::verify_id,
        api::search,
        api::fetch,
        api::uses,
        api::issue,
        api::suspend,
        api::resume,
        api::revoke,
        api::cancel,
        api::renew,
        api::change,
        api::copy,
        api::raise_dispute,
        api::uphold_dispute,
        api::reject_dispute,
        crate::distribution::status_snapshot,
        crate::distribution::trust_list,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail))
)]
struct Doc;

/// The service's OpenAPI document (JSON), generated once.
pub fn openapi_json() -> String {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| Doc::openapi().to_pretty_json().unwrap_or_default())
        .clone()
}
