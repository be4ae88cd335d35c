//! Authentication and authorization: access tokens (EdDSA JWT + JWKS), rotating refresh
//! tokens, password login with throttling, the principal extractor, the role →
//! permission table, and administrative accounts (`/users`).

pub mod api;
pub mod cas_api;
pub mod clients_api;
pub mod clients_store;
pub mod dto;
pub mod member_accounts;
pub mod password;
pub mod permissions;
pub mod principal;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users_api;
pub mod users_store;

use utoipa_actix_web::service_config::ServiceConfig;

/// Routes under `/api/v1`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(api::login)
        .service(api::refresh)
        .service(api::logout)
        .service(api::me)
        .service(cas_api::cas_login)
        .service(users_api::list_users)
        .service(users_api::create_user)
        .service(users_api::get_user)
        .service(users_api::update_user)
        .service(users_api::delete_user)
        .service(users_api::add_grant)
        .service(users_api::remove_grant)
        .service(crate::audit::list_audit_log)
        .service(clients_api::client_token)
        .service(clients_api::list_api_clients)
        .service(clients_api::create_api_client)
        .service(clients_api::get_api_client)
        .service(clients_api::rotate_api_client_secret)
        .service(clients_api::revoke_api_client);
}
