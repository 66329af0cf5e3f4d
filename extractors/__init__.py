"""Readers of source systems and export files: raw records to staged, canonical rows."""
