"""Exporters: each turns a `Graph` (or a value, which it traces) into one format."""
