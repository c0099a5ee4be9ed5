"""The stages of the data flow as functions over settings and a store: check (detect and
keep verdicts), triage, publish. The CLI, the nox sessions and the plugin only build settings
and call these."""
