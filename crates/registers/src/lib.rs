//! Register files → records. Being written.
