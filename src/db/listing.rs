//! What the API's list endpoints share: a name filter, an archived filter and a page.

/// A page of a list, 1-based, and its filters.
#[derive(Debug, Clone)]
pub struct Listing {
    /// Keep names containing this, case-insensitively.
    pub name: Option<String>,
    /// `Some(true)`: archived only; `Some(false)`: active only; `None`: both.
    pub archived: Option<bool>,
    pub page: i64,
    pub page_size: i64,
}

impl Listing {
    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.page_size
    }

    /// One row more than a page: whether it comes back tells if this page is the last.
    pub fn limit_plus_one(&self) -> i64 {
        self.page_size + 1
    }

    /// The `LIKE` pattern for the name filter, its wildcards escaped with `\`, lowercased (the
    /// column is lowercased too, as PostgreSQL's `LIKE` is case-sensitive and SQLite's is not).
    pub fn name_pattern(&self) -> Option<String> {
        self.name.as_deref().filter(|n| !n.is_empty()).map(|name| {
            let escaped = name.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            format!("%{escaped}%")
        })
    }

    /// Cuts the extra row off; answers the page and whether it is the last.
    pub fn page_of<T>(&self, mut rows: Vec<T>) -> (Vec<T>, bool) {
        let last = rows.len() as i64 <= self.page_size;
        rows.truncate(usize::try_from(self.page_size).unwrap_or(usize::MAX));
        (rows, last)
    }
}

diesel::define_sql_function! {
    /// `lower(text)`, on both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_matched_literally_and_pages_know_if_they_are_last() {
        let listing = Listing { name: Some("50%_Off\\".into()), archived: None, page: 2, page_size: 2 };
        assert_eq!(listing.name_pattern().as_deref(), Some("%50\\%\\_off\\\\%"));
        assert_eq!(listing.offset(), 2);
        assert_eq!(listing.page_of(vec![1, 2, 3]), (vec![1, 2], false));
        assert_eq!(listing.page_of(vec![1, 2]), (vec![1, 2], true));
    }
}
