//! The caches of the request path: verified tokens and loaded principals.
//!
//! **Verified tokens.** An EdDSA check costs tens of microseconds; a token that passed it is
//! kept (its claims, keyed by the SHA-256 of the token — never the token itself) until its
//! `exp`. A token's claims never change, so this cache needs no invalidation.
//!
//! **Principals.** A user's status, account and grants (with the paths of the granted units),
//! or an API client's status and scopes, are kept by user id / client id. They do change, so
//! the database says when: triggers on `users`, `role_grants`, `api_clients` and `units`
//! (path changes) call `pg_notify('gonghui_principals', …)` and one listener per process
//! (a dedicated connection running `LISTEN gonghui_principals`) evicts the entry — on every
//! instance, whoever made the change (the API, another instance, a hand-written SQL fix).
//!
//! Safety rules:
//! - While the listener is not connected (not yet, or lost), the principal cache is bypassed:
//!   every request loads from the database, as if there were no cache. On loss it is emptied;
//!   the listener reconnects with backoff and the cache serves again only once `LISTEN` runs
//!   and the notifying triggers are found in the database (migrations applied).
//! - A load that raced with an invalidation is not stored: every eviction bumps an epoch,
//!   and an entry is inserted only if the epoch is the one seen before the load began.
//! - A half-open connection (a silent network partition) is found by a ping every
//!   [`PING_EVERY`]; entries also expire after [`PRINCIPAL_TTL`] whatever happens.
//! - PostgreSQL delivers a notification after the change commits, so there is a window of a
//!   few milliseconds between a commit and the eviction during which an instance may still
//!   serve the old principal. The API's own write paths (`/users`, `/api-clients`) also evict
//!   the local entry synchronously after their commit, so on one instance a revocation made
//!   through the API is refused on the very next request.
//!
//! Both caches are bounded ([`TOKEN_CAPACITY`], [`PRINCIPAL_CAPACITY`]): when full, expired
//! entries go first, then arbitrary ones, down to 90 % so the sweep is amortised.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};
use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::StreamExt;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::auth::principal::Principal;
use crate::auth::tokens::{AccessClaims, ClientClaims, now_secs};

/// The notification channel the triggers of migration `…_principal_notify` signal on.
pub const CHANNEL: &str = "gonghui_principals";
/// `application_name` of the listener's connection (visible in `pg_stat_activity`).
pub const LISTENER_APPLICATION_NAME: &str = "gonghui-principal-listener";
pub const TOKEN_CAPACITY: usize = 10_000;
pub const PRINCIPAL_CAPACITY: usize = 10_000;
/// The longest a principal is served from memory, even with no notification.
pub const PRINCIPAL_TTL: Duration = Duration::from_secs(60);
/// How often an idle listener checks its connection.
pub const PING_EVERY: Duration = Duration::from_secs(5);
const PING_TIMEOUT: Duration = Duration::from_secs(3);
const BACKOFF_MIN: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(10);

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Makes room in a full map: drops expired entries, then arbitrary ones down to 90 %.
fn make_room<K: Eq + Hash + Clone, V>(map: &mut HashMap<K, V>, capacity: usize, expired: impl Fn(&V) -> bool) {
    if map.len() < capacity {
        return;
    }
    map.retain(|_, v| !expired(v));
    let target = capacity - capacity / 10;
    if map.len() >= target.max(1) {
        let excess = map.len() + 1 - target.max(1);
        let victims: Vec<K> = map.keys().take(excess).cloned().collect();
        for k in victims {
            map.remove(&k);
        }
    }
}

/// The claims of a token whose signature, algorithm, key, issuer, audience and times passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifiedToken {
    User(AccessClaims),
    Client(ClientClaims),
}

impl VerifiedToken {
    pub fn exp(&self) -> u64 {
        match self {
            VerifiedToken::User(c) => c.exp,
            VerifiedToken::Client(c) => c.exp,
        }
    }
}

/// Verified tokens by SHA-256 of the token, each until its `exp`.
pub struct TokenCache {
    map: RwLock<HashMap<[u8; 32], VerifiedToken>>,
    capacity: usize,
}

impl TokenCache {
    pub fn new(capacity: usize) -> Self {
        TokenCache { map: RwLock::new(HashMap::new()), capacity: capacity.max(1) }
    }

    fn key(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    /// The claims of `token` if it was verified before and has not expired.
    pub fn get(&self, token: &str) -> Option<VerifiedToken> {
        self.get_at(token, now_secs())
    }

    fn get_at(&self, token: &str, now: u64) -> Option<VerifiedToken> {
        read(&self.map).get(&Self::key(token)).filter(|v| now < v.exp()).cloned()
    }

    /// Remembers a verified token (one already expired is not kept).
    pub fn insert(&self, token: &str, verified: VerifiedToken) {
        self.insert_at(token, verified, now_secs());
    }

    fn insert_at(&self, token: &str, verified: VerifiedToken, now: u64) {
        if now >= verified.exp() {
            return;
        }
        let mut map = write(&self.map);
        make_room(&mut map, self.capacity, |v| now >= v.exp());
        map.insert(Self::key(token), verified);
    }

    pub fn len(&self) -> usize {
        read(&self.map).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whose principal an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKey {
    User(i64),
    Client(i64),
}

struct Entry {
    principal: Principal,
    loaded_at: Instant,
}

struct Inner {
    map: HashMap<PrincipalKey, Entry>,
    /// Bumped by every eviction and every change of `live`.
    epoch: u64,
    /// The listener is connected and listening: entries are kept and served.
    live: bool,
}

/// Taken before a principal is loaded from the database; the load may be stored only if
/// nothing was invalidated since.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

/// Loaded principals by user id / client id, invalidated by notification.
pub struct PrincipalCache {
    inner: RwLock<Inner>,
    capacity: usize,
    ttl: Duration,
    sessions: AtomicU64,
    losses: AtomicU64,
    synced: AtomicU64,
}

impl PrincipalCache {
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        PrincipalCache {
            inner: RwLock::new(Inner { map: HashMap::new(), epoch: 0, live: false }),
            capacity: capacity.max(1),
            ttl,
            sessions: AtomicU64::new(0),
            losses: AtomicU64::new(0),
            synced: AtomicU64::new(0),
        }
    }

    /// The cached principal; `None` when absent, too old, or while the listener is down.
    pub fn get(&self, key: PrincipalKey) -> Option<Principal> {
        let inner = read(&self.inner);
        if !inner.live {
            return None;
        }
        inner.map.get(&key).filter(|e| e.loaded_at.elapsed() < self.ttl).map(|e| e.principal.clone())
    }

    /// A ticket for a load about to start; `None` while the listener is down (bypass).
    pub fn ticket(&self) -> Option<Ticket> {
        let inner = read(&self.inner);
        inner.live.then_some(Ticket(inner.epoch))
    }

    /// Stores a principal loaded under `ticket`, unless something was invalidated meanwhile.
    pub fn insert(&self, key: PrincipalKey, principal: Principal, ticket: Ticket) {
        let mut inner = write(&self.inner);
        if !inner.live || inner.epoch != ticket.0 {
            return;
        }
        let ttl = self.ttl;
        make_room(&mut inner.map, self.capacity, |e| e.loaded_at.elapsed() >= ttl);
        inner.map.insert(key, Entry { principal, loaded_at: Instant::now() });
    }

    pub fn evict(&self, key: PrincipalKey) {
        let mut inner = write(&self.inner);
        inner.epoch = inner.epoch.wrapping_add(1);
        inner.map.remove(&key);
    }

    pub fn evict_user(&self, user_id: i64) {
        self.evict(PrincipalKey::User(user_id));
    }

    pub fn evict_client(&self, client_id: i64) {
        self.evict(PrincipalKey::Client(client_id));
    }

    pub fn clear(&self) {
        let mut inner = write(&self.inner);
        inner.epoch = inner.epoch.wrapping_add(1);
        inner.map.clear();
    }

    /// Whether the listener is connected (the cache is in use).
    pub fn is_live(&self) -> bool {
        read(&self.inner).live
    }

    /// Sets the listener's state; either way the cache starts empty.
    fn set_live(&self, live: bool) {
        let mut inner = write(&self.inner);
        inner.epoch = inner.epoch.wrapping_add(1);
        inner.map.clear();
        inner.live = live;
        drop(inner);
        if live {
            self.sessions.fetch_add(1, Ordering::SeqCst);
        } else {
            self.losses.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// How many times the listener has connected.
    pub fn sessions(&self) -> u64 {
        self.sessions.load(Ordering::SeqCst)
    }

    /// How many times the listener lost its connection.
    pub fn losses(&self) -> u64 {
        self.losses.load(Ordering::SeqCst)
    }

    pub fn contains(&self, key: PrincipalKey) -> bool {
        read(&self.inner).map.contains_key(&key)
    }

    pub fn len(&self) -> usize {
        read(&self.inner).map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The highest `{"sync": n}` marker the listener has received. Notifications arrive in
    /// commit order, so once a marker sent after a change is seen, that change's eviction has
    /// been applied (a barrier for tests and probes).
    pub fn synced(&self) -> u64 {
        self.synced.load(Ordering::SeqCst)
    }

    /// Applies one notification payload; one it cannot read empties the cache (the safe side).
    pub fn apply(&self, payload: &str) {
        #[derive(Deserialize)]
        struct Change {
            user: Option<i64>,
            client: Option<i64>,
            sync: Option<u64>,
            #[serde(default)]
            all: bool,
        }
        match serde_json::from_str::<Change>(payload) {
            Ok(Change { all: false, user: Some(id), client: None, sync: None }) => self.evict_user(id),
            Ok(Change { all: false, user: None, client: Some(id), sync: None }) => self.evict_client(id),
            Ok(Change { all: false, user: None, client: None, sync: Some(n) }) => {
                self.synced.fetch_max(n, Ordering::SeqCst);
            }
            _ => self.clear(),
        }
    }
}

/// Both caches, shared by every worker of a process.
pub struct AuthCache {
    pub tokens: TokenCache,
    pub principals: PrincipalCache,
}

impl Default for AuthCache {
    fn default() -> Self {
        AuthCache {
            tokens: TokenCache::new(TOKEN_CAPACITY),
            principals: PrincipalCache::new(PRINCIPAL_CAPACITY, PRINCIPAL_TTL),
        }
    }
}

impl AuthCache {
    /// A cache with its listener running on the current Tokio runtime. Outside a runtime the
    /// listener cannot run, and the principal cache stays bypassed.
    pub fn start(database_url: &str, connect_timeout: Duration) -> Arc<AuthCache> {
        let cache = Arc::new(AuthCache::default());
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(listen(Arc::downgrade(&cache), database_url.to_owned(), connect_timeout));
            }
            Err(_) => tracing::warn!("no async runtime: the principal cache stays off"),
        }
        cache
    }
}

/// The listener: connects, listens, evicts; on any failure bypasses the cache and reconnects
/// with backoff. Ends when the cache is dropped.
async fn listen(cache: Weak<AuthCache>, url: String, connect_timeout: Duration) {
    let mut backoff = BACKOFF_MIN;
    while cache.strong_count() > 0 {
        match connect(&url, connect_timeout).await {
            Ok(mut conn) => {
                let Some(strong) = cache.upgrade() else { return };
                strong.principals.set_live(true);
                drop(strong);
                tracing::info!(channel = CHANNEL, "principal cache listening");
                backoff = BACKOFF_MIN;
                let reason = follow(&mut conn, &cache).await;
                let Some(strong) = cache.upgrade() else { return };
                strong.principals.set_live(false);
                tracing::warn!(reason, "principal cache listener lost its connection: cache bypassed");
            }
            Err(error) => tracing::warn!(%error, "principal cache listener cannot connect: cache bypassed"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

async fn connect(url: &str, timeout: Duration) -> anyhow::Result<AsyncPgConnection> {
    let mut conn = tokio::time::timeout(timeout, AsyncPgConnection::establish(url))
        .await
        .map_err(|_| anyhow::anyhow!("connect timed out"))??;
    conn.batch_execute(&format!("SET application_name = '{LISTENER_APPLICATION_NAME}'; LISTEN {CHANNEL}")).await?;
    // Without the triggers nothing would ever be evicted: stay bypassed until they exist
    // (e.g. a server started with GONGHUI_RUN_MIGRATIONS=false before `migrate` ran).
    conn.batch_execute(
        "DO $$ BEGIN
           IF (SELECT count(*) FROM pg_trigger WHERE tgname IN ('users_notify_principals',
                 'role_grants_notify_principals', 'api_clients_notify_principals',
                 'units_path_notify_principals')) < 4 THEN
             RAISE EXCEPTION 'the principal notification triggers are missing (migrations not applied)';
           END IF;
         END $$",
    )
    .await?;
    Ok(conn)
}

/// Follows notifications until the connection fails; returns why it stopped.
async fn follow(conn: &mut AsyncPgConnection, cache: &Weak<AuthCache>) -> &'static str {
    loop {
        let next = {
            let mut stream = std::pin::pin!(conn.notifications_stream());
            tokio::time::timeout(PING_EVERY, stream.next()).await
        };
        match next {
            Ok(Some(Ok(notification))) => {
                let Some(strong) = cache.upgrade() else { return "stopped" };
                if notification.channel == CHANNEL {
                    strong.principals.apply(&notification.payload);
                }
            }
            Ok(Some(Err(_))) => return "connection error",
            Ok(None) => return "connection closed",
            Err(_idle) => {
                if cache.strong_count() == 0 {
                    return "stopped";
                }
                match tokio::time::timeout(PING_TIMEOUT, conn.batch_execute("SELECT 1")).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => return "ping failed",
                    Err(_) => return "ping timed out",
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: u64) -> VerifiedToken {
        VerifiedToken::User(AccessClaims {
            iss: "i".into(),
            aud: "a".into(),
            sub: "user:1".into(),
            iat: 0,
            nbf: 0,
            exp,
            jti: "j".into(),
        })
    }

    fn principal(id: i64) -> Principal {
        Principal {
            user_id: Some(crate::kernel::ids::UserId(id)),
            client: None,
            username: format!("u{id}"),
            display_name: "U".into(),
            member_id: None,
            grants: Vec::new(),
            scopes: Vec::new(),
        }
    }

    #[test]
    fn tokens_are_kept_until_exp_and_keyed_by_digest() {
        let cache = TokenCache::new(10);
        cache.insert_at("t1", claims(100), 50);
        assert_eq!(cache.get_at("t1", 99), Some(claims(100)));
        assert_eq!(cache.get_at("t1", 100), None, "expired at exp");
        assert_eq!(cache.get_at("t2", 50), None);
        // Already expired: not kept at all.
        cache.insert_at("t3", claims(10), 50);
        assert_eq!(cache.len(), 1);
        // The key is the digest, not the token.
        let map = read(&cache.map);
        assert!(map.contains_key(&TokenCache::key("t1")));
        assert_eq!(TokenCache::key("t1"), <[u8; 32]>::from(Sha256::digest(b"t1")));
    }

    #[test]
    fn token_cache_is_bounded_expired_first() {
        let cache = TokenCache::new(100);
        for i in 0..50 {
            cache.insert_at(&format!("old{i}"), claims(60), 0);
        }
        for i in 0..50 {
            cache.insert_at(&format!("new{i}"), claims(1000), 0);
        }
        assert_eq!(cache.len(), 100);
        // Full: the expired half goes, every live one stays.
        cache.insert_at("fresh", claims(1000), 100);
        assert_eq!(cache.len(), 51);
        assert!((0..50).all(|i| cache.get_at(&format!("new{i}"), 100).is_some()));
        // Full of live entries: arbitrary ones go, never beyond capacity.
        for i in 0..10_000 {
            cache.insert_at(&format!("more{i}"), claims(1000), 100);
            assert!(cache.len() <= 100);
        }
        assert!(cache.get_at("more9999", 100).is_some(), "the newest is kept");
    }

    fn live_cache(capacity: usize, ttl: Duration) -> PrincipalCache {
        let cache = PrincipalCache::new(capacity, ttl);
        cache.set_live(true);
        cache
    }

    #[test]
    fn principals_are_bypassed_while_the_listener_is_down() {
        let cache = PrincipalCache::new(10, PRINCIPAL_TTL);
        assert!(cache.ticket().is_none());
        assert!(cache.get(PrincipalKey::User(1)).is_none());
        cache.set_live(true);
        let ticket = cache.ticket().unwrap();
        cache.insert(PrincipalKey::User(1), principal(1), ticket);
        assert_eq!(cache.get(PrincipalKey::User(1)).unwrap().user_id, Some(crate::kernel::ids::UserId(1)));
        // Lost: emptied and bypassed, and a load begun before cannot be stored afterwards.
        let before = cache.ticket().unwrap();
        cache.set_live(false);
        assert!(cache.get(PrincipalKey::User(1)).is_none());
        assert!(cache.is_empty());
        cache.insert(PrincipalKey::User(2), principal(2), before);
        assert!(cache.is_empty());
        // Back: a ticket from before the outage is still refused.
        cache.set_live(true);
        cache.insert(PrincipalKey::User(2), principal(2), before);
        assert!(cache.is_empty());
        assert_eq!((cache.sessions(), cache.losses()), (2, 1));
    }

    #[test]
    fn a_load_that_raced_an_eviction_is_not_stored() {
        let cache = live_cache(10, PRINCIPAL_TTL);
        let ticket = cache.ticket().unwrap();
        cache.evict_user(99);
        cache.insert(PrincipalKey::User(1), principal(1), ticket);
        assert!(!cache.contains(PrincipalKey::User(1)));
        let ticket = cache.ticket().unwrap();
        cache.insert(PrincipalKey::User(1), principal(1), ticket);
        assert!(cache.contains(PrincipalKey::User(1)));
    }

    #[test]
    fn notifications_evict_users_clients_or_everything() {
        let cache = live_cache(10, PRINCIPAL_TTL);
        let fill = |cache: &PrincipalCache| {
            for key in [PrincipalKey::User(1), PrincipalKey::User(2), PrincipalKey::Client(1)] {
                let ticket = cache.ticket().unwrap();
                cache.insert(key, principal(1), ticket);
            }
        };
        fill(&cache);
        cache.apply(r#"{"user":1}"#);
        assert!(!cache.contains(PrincipalKey::User(1)));
        assert!(cache.contains(PrincipalKey::User(2)) && cache.contains(PrincipalKey::Client(1)));
        cache.apply(r#"{"client":1}"#);
        assert!(!cache.contains(PrincipalKey::Client(1)) && cache.contains(PrincipalKey::User(2)));
        fill(&cache);
        cache.apply(r#"{"sync":7}"#);
        assert_eq!((cache.len(), cache.synced()), (3, 7), "a sync marker evicts nothing");
        cache.apply(r#"{"sync":3}"#);
        assert_eq!(cache.synced(), 7);
        for payload in [r#"{"all":true}"#, "garbage", r#"{"user":"x"}"#, "{}", r#"{"user":1,"client":1}"#] {
            fill(&cache);
            cache.apply(payload);
            assert!(cache.is_empty(), "{payload}");
        }
    }

    #[test]
    fn principal_cache_is_bounded_and_entries_expire() {
        let cache = live_cache(100, PRINCIPAL_TTL);
        for id in 0..1000 {
            let ticket = cache.ticket().unwrap();
            cache.insert(PrincipalKey::User(id), principal(id), ticket);
            assert!(cache.len() <= 100);
        }
        assert!(cache.contains(PrincipalKey::User(999)));

        let cache = live_cache(10, Duration::from_millis(200));
        for id in 1..=9 {
            let ticket = cache.ticket().unwrap();
            cache.insert(PrincipalKey::User(id), principal(id), ticket);
        }
        assert!(cache.get(PrincipalKey::User(1)).is_some());
        std::thread::sleep(Duration::from_millis(250));
        assert!(cache.get(PrincipalKey::User(1)).is_none(), "older than the TTL");
        // Expired entries are the first to go when the cache is full.
        for id in 10..=11 {
            let ticket = cache.ticket().unwrap();
            cache.insert(PrincipalKey::User(id), principal(id), ticket);
        }
        assert_eq!(cache.len(), 2, "the stale ones were swept, the fresh ones kept");
    }
}
