"""Validation spread over machines: one JSON report per part, merged into the whole."""
