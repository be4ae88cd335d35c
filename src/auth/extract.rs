//! The `Principal` extractor: `Authorization: Bearer <jwt>` → the caller, through the
//! verified-token and principal caches of `auth::cache` (bypassed while their listener is
//! down). Kept apart from `principal` (the types and their loading) so that the state, which
//! holds the caches, never depends on the extractor that reads it.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};

use crate::auth::cache::{PrincipalKey, VerifiedToken};
use crate::auth::principal::{Principal, bearer_token, load_user};
use crate::error::ApiError;
use crate::state::AppState;

/// Loads an active user and their grants from the database (never from the cache: the
/// refresh endpoint relies on that); `None` when absent, disabled or deleted.
pub async fn load_principal(state: &AppState, user_id: i64) -> Result<Option<Principal>, ApiError> {
    let mut conn = state.pool.get().await?;
    load_user(&mut conn, user_id).await
}

/// The claims of a user's access token or, failing that, of an API client's token (its own
/// audience); a token verified before comes from the cache without a signature check.
fn verify(state: &AppState, token: &str) -> Result<VerifiedToken, ApiError> {
    if let Some(verified) = state.auth_cache.tokens.get(token) {
        return Ok(verified);
    }
    let verified = match state.tokens.verify_access(token) {
        Ok(claims) => VerifiedToken::User(claims),
        Err(_) => VerifiedToken::Client(
            state.tokens.verify_client(token).map_err(|_| ApiError::Unauthenticated("invalid_token"))?,
        ),
    };
    state.auth_cache.tokens.insert(token, verified.clone());
    Ok(verified)
}

/// [`load_principal`] through the principal cache (bypassed while its listener is down).
async fn cached_principal(state: &AppState, user_id: i64) -> Result<Option<Principal>, ApiError> {
    let key = PrincipalKey::User(user_id);
    let cache = &state.auth_cache.principals;
    if let Some(principal) = cache.get(key) {
        return Ok(Some(principal));
    }
    let ticket = cache.ticket();
    let principal = load_principal(state, user_id).await?;
    if let (Some(ticket), Some(p)) = (ticket, &principal) {
        cache.insert(key, p.clone(), ticket);
    }
    Ok(principal)
}

async fn authenticate(req: HttpRequest) -> Result<Principal, ApiError> {
    if let Some(p) = req.extensions().get::<Principal>() {
        return Ok(p.clone());
    }
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("AppState missing")))?
        .clone();
    let token = bearer_token(&req)?.ok_or(ApiError::Unauthenticated("missing_token"))?;
    let principal = match verify(&state, token)? {
        VerifiedToken::User(claims) => {
            let user_id = claims.user_id().ok_or(ApiError::Unauthenticated("invalid_token"))?;
            tracing::Span::current().record("user_id", user_id);
            cached_principal(&state, user_id).await?
        }
        VerifiedToken::Client(claims) => crate::auth::clients::store::load_principal(&state, &claims).await?,
    };
    let principal = principal.ok_or(ApiError::Unauthenticated("invalid_token"))?;
    req.extensions_mut().insert(principal.clone());
    Ok(principal)
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}
