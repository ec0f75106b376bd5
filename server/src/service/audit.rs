//! What goes into the audit log, and the admins' view of it. Every entry
//! names the caller (account and address) and what they acted on; secrets
//! never go in: tokens, links and invitations by id, and a failed sign-in
//! names the account only if there is one (so a password typed into the
//! username field is not kept).

use app::api::ssr::Refusal;
use app::api::*;

use super::{internal, Service};
use crate::store::{AuditEntry, AuditFilter, AuditRow};

/// Entries per page of the admin's view.
const PAGE: i64 = 100;

/// An entry being made: the action, then what it was done to.
pub(super) struct Audit(AuditEntry);

impl Audit {
    pub fn new(action: &'static str) -> Audit {
        Audit(AuditEntry { action, ..AuditEntry::default() })
    }

    pub fn target(mut self, kind: &'static str, id: impl Into<String>, name: Option<String>) -> Audit {
        self.0.target_kind = Some(kind);
        self.0.target_id = Some(id.into());
        self.0.target_name = name;
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Audit {
        self.0.detail = Some(detail.into());
        self
    }

    /// Done by this account, whoever the caller is (a sign-in before the
    /// session holds it).
    pub fn by(mut self, id: &str, username: &str) -> Audit {
        self.0.actor_id = Some(id.to_string());
        self.0.actor_name = Some(username.to_string());
        self
    }
}

impl Service {
    /// Appends an entry, done by the caller from their address. A failure
    /// to write it is logged and does not undo what was done.
    pub(super) async fn record(&self, audit: Audit) {
        let mut entry = audit.0;
        if entry.actor_id.is_none() {
            if let Some(user) = &self.caller.user {
                entry.actor_id = Some(user.id.clone());
                entry.actor_name = Some(user.username.clone());
            }
        }
        entry.address = self.ip.map(|ip| ip.to_string());
        if let Err(error) = self.state.store.append_audit(&entry).await {
            tracing::error!(%error, action = entry.action, "could not write to the audit log");
        }
    }

    /// A page of the log, newest first (admins only). `category` is one of
    /// [`AUDIT_CATEGORIES`] or empty; `since` a day (`YYYY-MM-DD`, UTC) or empty.
    pub async fn audit_page(
        &self,
        category: &str,
        actor: &str,
        since: &str,
        before: Option<i64>,
    ) -> Result<AuditView, Refusal> {
        self.admin().await?;
        let category = match category.trim() {
            "" => None,
            wanted => Some(
                AUDIT_CATEGORIES
                    .iter()
                    .map(|(name, _)| *name)
                    .find(|name| *name == wanted)
                    .ok_or_else(|| Refusal::Invalid("There is no such kind of entry.".into()))?,
            ),
        };
        let since = match since.trim() {
            "" => None,
            day => Some(day_start_ms(day).ok_or_else(|| Refusal::Invalid("Give the day as YYYY-MM-DD.".into()))?),
        };
        let actor = Some(normalize_username(actor)).filter(|actor| !actor.is_empty());
        let filter = AuditFilter { category, actor, since, before, limit: PAGE + 1 };
        let mut rows = self.state.store.audit_entries(&filter).await.map_err(internal)?;
        let more = rows.len() as i64 > PAGE;
        rows.truncate(PAGE as usize);
        let next_before = if more { rows.last().map(|row| row.id) } else { None };
        Ok(AuditView { entries: rows.into_iter().map(entry).collect(), next_before, now: crate::store::now_ms() })
    }
}

fn entry(row: AuditRow) -> AuditEntryView {
    AuditEntryView {
        id: row.id,
        at: row.at,
        actor: row.actor_name,
        action: row.action,
        target_kind: row.target_kind,
        target_id: row.target_id,
        target_name: row.target_name,
        detail: row.detail,
        address: row.address,
    }
}

/// Unix ms at 00:00 UTC of a `YYYY-MM-DD` day (years 1970–9999).
fn day_start_ms(day: &str) -> Option<i64> {
    let mut parts = day.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let date: i64 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&date) {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + date - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some((era * 146_097 + day_of_era - 719_468) * 86_400_000)
}

#[cfg(test)]
mod tests {
    use super::day_start_ms;

    #[test]
    fn days_start_at_midnight_utc() {
        assert_eq!(day_start_ms("1970-01-01"), Some(0));
        assert_eq!(day_start_ms("2026-12-04"), Some(1_796_342_400_000));
        assert_eq!(day_start_ms("2024-02-29"), Some(1_709_164_800_000));
        for bad in ["", "2026-13-01", "2026-1", "yesterday", "1969-12-31", "2026-12-04; DROP TABLE"] {
            assert_eq!(day_start_ms(bad), None, "{bad:?}");
        }
    }
}
