//! Authentication and authorization: access tokens (EdDSA JWT + JWKS), rotating refresh
//! tokens, password login with throttling, the principal extractor, the role →
//! permission table, and administrative accounts (`/users`).

pub mod actor;
pub mod api;
pub mod cache;
pub mod clients;
pub mod dto;
pub mod extract;
pub mod login;
pub mod member_accounts;
pub mod password;
pub mod permissions;
pub mod principal;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

use utoipa_actix_web::service_config::ServiceConfig;

/// Routes under `/api/v1`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(api::login)
        .service(api::refresh)
        .service(api::logout)
        .service(api::me)
        .service(login::cas::cas_login)
        .service(users::api::list_users)
        .service(users::api::create_user)
        .service(users::api::get_user)
        .service(users::api::update_user)
        .service(users::api::delete_user)
        .service(users::api::add_grant)
        .service(users::api::remove_grant)
        .service(crate::audit::api::list_audit_log)
        .service(clients::api::client_token)
        .service(clients::api::list_api_clients)
        .service(clients::api::create_api_client)
        .service(clients::api::get_api_client)
        .service(clients::api::rotate_api_client_secret)
        .service(clients::api::revoke_api_client);
}
