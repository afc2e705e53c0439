//! The store: the only module that speaks SQL.
