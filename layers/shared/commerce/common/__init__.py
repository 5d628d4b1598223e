"""Cross-cutting pieces shared by every handler: errors, HTTP resolver, observability, settings."""
