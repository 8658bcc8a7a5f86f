"""Putting fixes where they belong: files in place, or a git branch and a pull request."""
