//! Sign-in: argon2id passwords, server-side sessions in the database (so any
//! instance can serve any request), login throttling, and bearer tokens.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine;
use domain::{Permission, Role, Timestamp};
use sha2::{Digest, Sha256};

use crate::{AppError, AppState};

pub const SESSION_COOKIE: &str = "heatdesk_session";

/// Who is making the request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// Username, or `token:NAME` for an integration; recorded as the actor.
    pub name: String,
    pub display_name: String,
    pub role: Role,
    pub station_id: Option<i64>,
    pub station_code: Option<String>,
    pub user_id: Option<i64>,
    pub locale: Option<String>,
    /// The staff member this user is, when linked (see `user add --staff-phone`).
    pub staff_id: Option<i64>,
}

impl CurrentUser {
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.role.has(permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// The store's view of the actor: station users are confined to their station.
    pub fn actor(&self) -> store::tickets::Actor {
        store::tickets::Actor {
            name: self.name.clone(),
            station_id: if self.role.has(Permission::SeeAllStations) {
                None
            } else {
                self.station_id
            },
            assigned_only: self.role == Role::Repairer,
            staff_id: self.staff_id,
        }
    }

    /// The station this user is confined to, if any.
    pub fn scope(&self) -> Option<i64> {
        self.actor().station_id
    }
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A fresh random secret, URL-safe, with a prefix saying what it is.
pub fn new_secret(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::random();
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Secrets are stored only as their SHA-256: a database leak reveals no session.
pub fn secret_hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a username and password with throttling; on success opens a
/// session and returns its secret (for the cookie) and the user.
pub async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
) -> Result<(String, store::users::UserRow), AppError> {
    let now = state.now();
    let cfg = &state.settings.config;
    let window = cfg.login_window_minutes * Timestamp::MINUTE;
    let username = username.trim();
    let failures = state
        .db
        .login_failures_since(username, now.plus_millis(-window))
        .await?;
    if failures >= cfg.login_max_failures {
        return Err(AppError::TooManyAttempts {
            retry_after_s: window / 1000,
        });
    }
    let user = state.db.user_by_name(username).await?;
    // Verify against a dummy hash when the user is unknown, so timing does not tell.
    let hash = user
        .as_ref()
        .map_or(DUMMY_HASH, |u| u.password_hash.as_str())
        .to_string();
    let password = password.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    match user {
        Some(user) if ok && user.disabled == 0 => {
            state.db.clear_login_failures(username).await?;
            let secret = new_secret("s_");
            let expires = now.plus_millis(cfg.session_hours * Timestamp::HOUR);
            state
                .db
                .create_session(&secret_hash(&secret), user.id, now, expires)
                .await?;
            Ok((secret, user))
        }
        _ => {
            state.db.record_login_failure(username, now).await?;
            Err(AppError::Unauthorized)
        }
    }
}

/// A valid argon2id hash of a random string nobody knows.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Oa8VsJv0bS8o3Ix4gq3dWQ3N2r8n0QvVxj7d1Ttq3mE";

pub fn session_cookie(secret: &str, state: &AppState) -> String {
    let cfg = &state.settings.config;
    let secure = if cfg.secure_cookies { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        cfg.session_hours * 3600
    )
}

pub fn clear_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// The session secret from the request's cookies, if any.
pub fn session_secret(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let user = if let Some(token) = bearer {
            let row = state
                .db
                .token(&secret_hash(token.trim()))
                .await?
                .ok_or(AppError::Unauthorized)?;
            CurrentUser {
                name: format!("token:{}", row.name),
                display_name: row.name,
                role: Role::parse(&row.role)?,
                station_id: row.station_id,
                station_code: row.station_code,
                user_id: None,
                staff_id: None,
                locale: None,
            }
        } else {
            let secret = session_secret(parts).ok_or(AppError::Unauthorized)?;
            let row = state
                .db
                .session_user(&secret_hash(&secret), state.now())
                .await?
                .ok_or(AppError::Unauthorized)?;
            CurrentUser {
                name: row.username,
                display_name: row.display_name,
                role: Role::parse(&row.role)?,
                station_id: row.station_id,
                station_code: row.station_code,
                user_id: Some(row.id),
                staff_id: row.staff_id,
                locale: row.locale,
            }
        };
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_dummy_hash_parses() {
        let h = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify_password("", DUMMY_HASH));
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = new_secret("s_");
        assert_ne!(a, new_secret("s_"));
        assert!(a.starts_with("s_") && a.len() > 40);
        assert_eq!(secret_hash(&a).len(), 64);
    }
}
