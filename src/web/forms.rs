//! Collecting every field's problem at once, so a form shows all its errors in one go.

use std::collections::BTreeMap;

use crate::services::ServiceError;

#[derive(Debug, Default, Clone)]
pub struct FieldErrors(BTreeMap<&'static str, String>);

impl FieldErrors {
    /// Keeps `field`'s parse error, answering the value when it parsed.
    pub fn check<T>(&mut self, field: &'static str, parsed: Result<T, String>) -> Option<T> {
        parsed.map_err(|message| self.add(field, message)).ok()
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    /// The message for `field`, for the template to show beside it.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Turns a service's answer into field errors when it is a user's mistake, and hands
    /// anything else back to be answered as an error page.
    pub fn absorb(error: ServiceError) -> Result<Self, ServiceError> {
        match error {
            ServiceError::Invalid { field, message } => {
                let mut errors = Self::default();
                errors.add(field, message);
                Ok(errors)
            }
            other => Err(other),
        }
    }
}
