//! Who wrote what: the person behind each log row, how each person was shown
//! in a document, and which yrs clock ranges their connections introduced.
//!
//! All of it comes from the server's side of a connection (the session's
//! person), never from anything a client sends. Clock ranges are recorded as
//! few rows as possible: the writer remembers the open range of each client
//! and extends it while the same person keeps typing with it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sqlx::{Any, Row, Transaction};

use super::{Store, Write};
use crate::doc_id::DocId;
use crate::error::Result;

/// A person as they were shown when they wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// "user:<id>" for accounts, a random key for guests; never shown.
    pub key: String,
    pub name: String,
    pub color: String,
}

/// A client's clocks `start..end` that a person's connection introduced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRange {
    pub client: u64,
    pub start: u32,
    pub end: u32,
    pub author: String,
}

/// Open ranges remembered at most; past it the writer starts afresh (which
/// costs a few more rows, never correctness).
const MAX_OPEN_RANGES: usize = 100_000;

/// The writer's memory of what it already recorded.
#[derive(Default)]
pub struct Authorship {
    known_people: HashSet<(DocId, String)>,
    /// Per (document, client): the range last recorded, and by whom.
    open: HashMap<(DocId, u64), (u32, u32, String)>,
}

/// What one batch records, decided before its transaction and remembered
/// only once it committed (a retried batch decides the same again).
#[derive(Default)]
pub struct Plan {
    people: Vec<(DocId, Arc<Author>)>,
    ranges: Vec<PlannedRange>,
}

/// (document, client, start, end, author, extends an existing row)
type PlannedRange = (DocId, u64, u32, u32, String, bool);

impl Authorship {
    /// Plans the rows for these writes (those without an author record none).
    pub fn plan_for(&self, batch: &[Write]) -> Plan {
        self.plan(
            batch.iter().filter_map(|w| w.author.as_ref().map(|author| (&w.doc, author, w.introduced.as_slice()))),
        )
    }

    /// Plans the rows for updates of `doc` by `author` that introduced `introduced`.
    fn plan<'a>(&self, writes: impl Iterator<Item = (&'a DocId, &'a Arc<Author>, &'a [(u64, u32, u32)])>) -> Plan {
        let mut plan = Plan::default();
        let mut people_here = HashSet::new();
        let mut open_here: HashMap<(DocId, u64), (u32, u32, String)> = HashMap::new();
        for (doc, author, introduced) in writes {
            let person = (doc.clone(), author.key.clone());
            if !self.known_people.contains(&person) && people_here.insert(person) {
                plan.people.push((doc.clone(), author.clone()));
            }
            for &(client, start, end) in introduced {
                let key = (doc.clone(), client);
                let open = open_here.get(&key).or_else(|| self.open.get(&key));
                let range = match open {
                    Some((open_start, open_end, by)) if *open_end == start && *by == author.key => {
                        (*open_start, end, author.key.clone())
                    }
                    _ => (start, end, author.key.clone()),
                };
                // A range that does not continue the open one closes it.
                if let Some(closed) = open_here.insert(key.clone(), range.clone()) {
                    if closed.0 != range.0 {
                        plan.ranges.push(self.row(&key, closed));
                    }
                }
            }
        }
        for (key, range) in open_here {
            plan.ranges.push(self.row(&key, range));
        }
        plan
    }

    fn row(&self, key: &(DocId, u64), (start, end, author): (u32, u32, String)) -> PlannedRange {
        let extends = self.open.get(key).is_some_and(|(open_start, ..)| *open_start == start);
        (key.0.clone(), key.1, start, end, author, extends)
    }

    /// Remembers a committed plan.
    pub fn settle(&mut self, plan: Plan) {
        if self.open.len() > MAX_OPEN_RANGES {
            self.open.clear();
            self.known_people.clear();
        }
        for (doc, author) in plan.people {
            self.known_people.insert((doc, author.key.clone()));
        }
        for (doc, client, start, end, author, _) in plan.ranges {
            self.open.insert((doc, client), (start, end, author));
        }
    }

    /// Forgets a document (its room unloaded).
    pub fn forget(&mut self, doc: &DocId) {
        self.open.retain(|(open_doc, _), _| open_doc != doc);
        self.known_people.retain(|(known_doc, _)| known_doc != doc);
    }
}

/// Writes a plan inside the transaction that appends its updates.
pub async fn record(tx: &mut Transaction<'_, Any>, plan: &Plan) -> Result<()> {
    for (doc, author) in &plan.people {
        sqlx::query(
            "INSERT INTO doc_people (doc_id, key, name, color) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (doc_id, key) DO UPDATE SET name = excluded.name, color = excluded.color",
        )
        .bind(doc.as_str())
        .bind(author.key.as_str())
        .bind(author.name.as_str())
        .bind(author.color.as_str())
        .execute(&mut **tx)
        .await?;
    }
    for (doc, client, start, end, author, extends) in &plan.ranges {
        let query = if *extends {
            "UPDATE doc_clients SET end_clock = $1 WHERE doc_id = $2 AND client_id = $3 AND start_clock = $4 \
             AND author = $5 AND end_clock < $1"
        } else {
            "INSERT INTO doc_clients (end_clock, doc_id, client_id, start_clock, author) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (doc_id, client_id, start_clock) DO NOTHING"
        };
        sqlx::query(query)
            .bind(i64::from(*end))
            .bind(doc.as_str())
            // Client ids are u53 in Yjs; an i64 holds every one.
            .bind(*client as i64)
            .bind(i64::from(*start))
            .bind(author.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Everyone who wrote in a document, as they were shown.
    pub async fn people(&self, id: &DocId) -> Result<Vec<Author>> {
        let rows = sqlx::query("SELECT key, name, color FROM doc_people WHERE doc_id = $1 ORDER BY name")
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Author { key: row.try_get("key")?, name: row.try_get("name")?, color: row.try_get("color")? })
            })
            .collect()
    }

    /// Which person introduced which clocks of which client, in a document.
    pub async fn client_ranges(&self, id: &DocId) -> Result<Vec<ClientRange>> {
        let rows = sqlx::query(
            "SELECT client_id, start_clock, end_clock, author FROM doc_clients WHERE doc_id = $1 \
             ORDER BY client_id, start_clock",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ClientRange {
                    client: row.try_get::<i64, _>("client_id")? as u64,
                    start: row.try_get::<i64, _>("start_clock")? as u32,
                    end: row.try_get::<i64, _>("end_clock")? as u32,
                    author: row.try_get("author")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> DocId {
        DocId::parse("6f2c1b0e-4d3a-4c5b-9e8f-0a1b2c3d4e5f").unwrap()
    }

    fn person(key: &str) -> Arc<Author> {
        Arc::new(Author { key: key.into(), name: key.into(), color: "#000".into() })
    }

    #[test]
    fn one_person_typing_with_one_client_extends_one_row() {
        let (doc, ada) = (doc(), person("ada"));
        let mut authorship = Authorship::default();
        let first = authorship.plan([(&doc, &ada, &[(7, 0, 3)][..])].into_iter());
        assert_eq!(first.people.len(), 1);
        assert_eq!(first.ranges, vec![(doc.clone(), 7, 0, 3, "ada".into(), false)]);
        authorship.settle(first);
        let next = authorship.plan([(&doc, &ada, &[(7, 3, 4)][..]), (&doc, &ada, &[(7, 4, 9)][..])].into_iter());
        assert!(next.people.is_empty(), "ada is known here already");
        assert_eq!(next.ranges, vec![(doc.clone(), 7, 0, 9, "ada".into(), true)]);
    }

    #[test]
    fn someone_else_continuing_a_client_starts_their_own_range() {
        let (doc, ada, eve) = (doc(), person("ada"), person("eve"));
        let mut authorship = Authorship::default();
        authorship.settle(authorship.plan([(&doc, &ada, &[(7, 0, 3)][..])].into_iter()));
        let plan = authorship.plan([(&doc, &eve, &[(7, 3, 5)][..])].into_iter());
        assert_eq!(plan.ranges, vec![(doc.clone(), 7, 3, 5, "eve".into(), false)]);
        // Both in one batch: ada's range is not lost under eve's.
        let fresh = Authorship::default();
        let plan = fresh.plan([(&doc, &ada, &[(7, 0, 3)][..]), (&doc, &eve, &[(7, 3, 5)][..])].into_iter());
        assert_eq!(
            plan.ranges,
            vec![(doc.clone(), 7, 0, 3, "ada".into(), false), (doc.clone(), 7, 3, 5, "eve".into(), false)]
        );
    }
}
