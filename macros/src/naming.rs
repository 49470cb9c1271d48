//! Name conversions (PascalCase operations, camelCase parameters, WCF action URIs) and
//! "did you mean" suggestions.
