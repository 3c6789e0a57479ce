//! Login users, their sessions, login throttling and API tokens.

use domain::{Role, Timestamp};

use crate::{Db, Result, StoreError};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub station_id: Option<i64>,
    pub station_code: Option<String>,
    pub password_hash: String,
    pub locale: Option<String>,
    pub disabled: i64,
    /// The staff register entry of this person, if linked: the messages
    /// sent to them are theirs to see.
    pub staff_id: Option<i64>,
}

/// What an administrator may change about a user (the login name stays).
#[derive(Debug, Clone, PartialEq)]
pub struct UserUpdate<'a> {
    pub display_name: &'a str,
    pub role: Role,
    /// Required for station and repairer users.
    pub station_code: Option<&'a str>,
    pub disabled: bool,
    /// Canonical phone of their staff register entry, if they are on it.
    pub staff_phone: Option<&'a str>,
    /// A new password's hash, or `None` to keep the password.
    pub password_hash: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub station_id: Option<i64>,
    pub station_code: Option<String>,
}

const USER_SELECT: &str = "SELECT u.id, u.username, u.display_name, u.role, u.station_id, (SELECT code FROM stations WHERE id = u.station_id) AS station_code, \
    u.password_hash, u.locale, u.disabled, u.staff_id FROM users u";

impl Db {
    /// Creates a user; `station_code` is required for station-bound roles.
    /// Links a user to the staff member with this phone (their position
    /// decides which messages reach them); `None` unlinks.
    pub async fn link_user_to_staff(
        &self,
        username: &str,
        staff_phone: Option<&str>,
    ) -> Result<()> {
        let staff_id = match staff_phone {
            Some(phone) => Some(self.staff_id_by_phone(phone).await?),
            None => None,
        };
        let done = sqlx::query("UPDATE users SET staff_id = $1 WHERE username = $2")
            .bind(staff_id)
            .bind(username.to_string())
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("user", username));
        }
        Ok(())
    }

    /// The staff member with this (canonical) phone.
    pub async fn staff_id_by_phone(&self, phone: &str) -> Result<i64> {
        sqlx::query_scalar::<_, i64>("SELECT id FROM staff WHERE phone = $1")
            .bind(phone.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("staff", phone))
    }

    /// Changes a user in one transaction. Disabling the user or setting a new
    /// password ends their sessions at once.
    pub async fn update_user(&self, username: &str, u: &UserUpdate<'_>) -> Result<UserRow> {
        let station_id = self.station_for_role(u.role, u.station_code).await?;
        let staff_id = match u.staff_phone {
            Some(phone) => Some(self.staff_id_by_phone(phone).await?),
            None => None,
        };
        let user = self
            .user_by_name(username)
            .await?
            .ok_or_else(|| StoreError::not_found("user", username))?;
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "UPDATE users SET display_name = $1, role = $2, station_id = $3, disabled = $4, staff_id = $5 WHERE id = $6",
        )
        .bind(u.display_name.to_string())
        .bind(u.role.code())
        .bind(station_id)
        .bind(i64::from(u.disabled))
        .bind(staff_id)
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
        if let Some(hash) = u.password_hash {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(hash.to_string())
                .bind(user.id)
                .execute(&mut *tx)
                .await?;
        }
        if u.disabled || u.password_hash.is_some() {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user.id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.user_by_name(username)
            .await?
            .ok_or_else(|| StoreError::not_found("user", username))
    }

    /// The phone of the staff member a user is linked to.
    pub async fn staff_phone(&self, staff_id: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT phone FROM staff WHERE id = $1")
            .bind(staff_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn create_user(
        &self,
        username: &str,
        display_name: &str,
        role: Role,
        station_code: Option<&str>,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<UserRow> {
        let station_id = self.station_for_role(role, station_code).await?;
        let inserted = sqlx::query(
            "INSERT INTO users (username, display_name, role, station_id, password_hash, locale, disabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, NULL, 0, $6) ON CONFLICT (username) DO NOTHING",
        )
        .bind(username.to_string())
        .bind(display_name.to_string())
        .bind(role.code())
        .bind(station_id)
        .bind(password_hash.to_string())
        .bind(now.millis())
        .execute(&self.writer)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::Duplicate {
                field: "username",
                value: username.to_string(),
            });
        }
        self.user_by_name(username)
            .await?
            .ok_or_else(|| StoreError::not_found("user", username))
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{USER_SELECT} WHERE u.username = $1"
        )))
        .bind(username.to_string())
        .fetch_optional(&self.writer)
        .await?)
    }

    pub async fn users(&self) -> Result<Vec<UserRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{USER_SELECT} ORDER BY u.username"
        )))
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn count_users(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn set_user_locale(&self, user_id: i64, locale: &str) -> Result<()> {
        sqlx::query("UPDATE users SET locale = $1 WHERE id = $2")
            .bind(locale.to_string())
            .bind(user_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        sqlx::query("INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(id_hash.to_string())
            .bind(user_id)
            .bind(now.millis())
            .bind(expires_at.millis())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The enabled user behind an unexpired session.
    pub async fn session_user(&self, id_hash: &str, now: Timestamp) -> Result<Option<UserRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{USER_SELECT} WHERE u.id = (SELECT user_id FROM sessions WHERE id_hash = $1 AND expires_at > $2) AND u.disabled = 0"
        )))
        .bind(id_hash.to_string())
        .bind(now.millis())
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash.to_string())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now.millis())
            .execute(&self.writer)
            .await?
            .rows_affected())
    }

    pub async fn record_login_failure(&self, username: &str, at: Timestamp) -> Result<()> {
        sqlx::query("INSERT INTO login_failures (username, at) VALUES ($1, $2)")
            .bind(username.to_string())
            .bind(at.millis())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Failed logins for `username` since `since` (shared by every instance).
    pub async fn login_failures_since(&self, username: &str, since: Timestamp) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_failures WHERE username = $1 AND at > $2",
        )
        .bind(username.to_string())
        .bind(since.millis())
        .fetch_one(&self.writer)
        .await?)
    }

    pub async fn clear_login_failures(&self, username: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE username = $1")
            .bind(username.to_string())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn create_token(
        &self,
        name: &str,
        role: Role,
        station_code: Option<&str>,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<()> {
        let station_id = self.station_for_role(role, station_code).await?;
        let inserted = sqlx::query(
            "INSERT INTO api_tokens (name, role, station_id, token_hash, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name.to_string())
        .bind(role.code())
        .bind(station_id)
        .bind(token_hash.to_string())
        .bind(now.millis())
        .execute(&self.writer)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::Duplicate {
                field: "name",
                value: name.to_string(),
            });
        }
        Ok(())
    }

    pub async fn token(&self, token_hash: &str) -> Result<Option<TokenRow>> {
        Ok(sqlx::query_as(
            "SELECT t.id, t.name, t.role, t.station_id, (SELECT code FROM stations WHERE id = t.station_id) AS station_code \
             FROM api_tokens t WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        )
        .bind(token_hash.to_string())
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn station_for_role(
        &self,
        role: Role,
        station_code: Option<&str>,
    ) -> Result<Option<i64>> {
        match (role.needs_station(), station_code) {
            (true, None) => Err(domain::DomainError::required("station").into()),
            (_, None) => Ok(None),
            (_, Some(code)) => Ok(Some(
                self.station_by_code(code)
                    .await?
                    .ok_or_else(|| domain::DomainError::unknown("station", code))?
                    .id,
            )),
        }
    }
}
