"""Alert publishers: tell people about regressions where they already look."""
