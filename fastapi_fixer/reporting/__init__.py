"""Turning results into output for people (console) and machines (json, sarif, ...)."""
