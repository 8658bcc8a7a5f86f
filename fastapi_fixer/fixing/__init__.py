"""Fixing: applying the rules' edits to a file in one pass, then tidying what they wrote
(imports in their sorted place, lines within the project's length, the project's formatter)."""
