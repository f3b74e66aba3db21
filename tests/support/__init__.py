"""Helpers shared by test modules (test modules do not import from each other)."""
