//! The `tags` table.

use diesel::prelude::*;

use super::listing::{lower, Listing};
use super::schema::tags;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tags)]
pub struct Tag {
    pub id: i64,
    pub public_id: String,
    pub workspace_id: i64,
    pub name: String,
    pub archived: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = tags)]
pub struct NewTag<'a> {
    pub public_id: &'a str,
    pub workspace_id: i64,
    pub name: &'a str,
    pub archived: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Every editable field, written whole (the service merges what the request left out).
#[derive(AsChangeset)]
#[diesel(table_name = tags, treat_none_as_null = true)]
pub struct TagChange<'a> {
    pub name: &'a str,
    pub archived: bool,
    pub updated_at: i64,
}

impl Tag {
    pub fn insert(conn: &mut DbConnection, new: &NewTag) -> QueryResult<Tag> {
        diesel::insert_into(tags::table).values(new).returning(tags::all_columns).get_result(conn)
    }

    /// A client of the workspace; another workspace's is not found.
    pub fn find_in(conn: &mut DbConnection, workspace_id: i64, public_id: &str) -> QueryResult<Option<Tag>> {
        tags::table
            .filter(tags::workspace_id.eq(workspace_id))
            .filter(tags::public_id.eq(public_id))
            .select(Tag::as_select())
            .first(conn)
            .optional()
    }

    pub fn named(conn: &mut DbConnection, workspace_id: i64, name: &str) -> QueryResult<Option<Tag>> {
        tags::table
            .filter(tags::workspace_id.eq(workspace_id))
            .filter(tags::name.eq(name))
            .select(Tag::as_select())
            .first(conn)
            .optional()
    }

    /// One page (plus one row) of the workspace's tags by name.
    pub fn list(conn: &mut DbConnection, workspace_id: i64, listing: &Listing) -> QueryResult<Vec<Tag>> {
        let mut query = tags::table.filter(tags::workspace_id.eq(workspace_id)).into_boxed();
        if let Some(pattern) = listing.name_pattern() {
            query = query.filter(lower(tags::name).like(pattern).escape('\\'));
        }
        if let Some(archived) = listing.archived {
            query = query.filter(tags::archived.eq(archived));
        }
        query
            .order((lower(tags::name).asc(), tags::name.asc(), tags::id.asc()))
            .offset(listing.offset())
            .limit(listing.limit_plus_one())
            .select(Tag::as_select())
            .load(conn)
    }

    pub fn change(conn: &mut DbConnection, id: i64, change: &TagChange) -> QueryResult<Tag> {
        diesel::update(tags::table.find(id)).set(change).returning(tags::all_columns).get_result(conn)
    }

    pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
        diesel::delete(tags::table.find(id)).execute(conn).map(drop)
    }
}
