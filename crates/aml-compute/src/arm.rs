//! Moves a request built by aml-model into aml-arm's request type.

use aml_model::request::Request;

pub(crate) fn to_arm(r: &Request) -> aml_arm::ArmRequest {
    let method = match *r.method() {
        http::Method::PUT => aml_arm::Method::Put,
        http::Method::PATCH => aml_arm::Method::Patch,
        http::Method::POST => aml_arm::Method::Post,
        http::Method::DELETE => aml_arm::Method::Delete,
        _ => aml_arm::Method::Get,
    };
    let mut request = aml_arm::ArmRequest::new(method, r.uri().to_string());
    if !r.body().is_empty() {
        request = request.json_bytes(r.body().as_bytes().to_vec());
    }
    request
}
