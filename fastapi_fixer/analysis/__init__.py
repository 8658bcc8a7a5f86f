"""Analysis: per-file facts on `ast`, the project index over them, the collectors that add
rule-specific facts, and the catalogues of blocking calls (what the rules read)."""
