"""TOML snippets the configuration tests share."""

from __future__ import annotations

# One valid ``[[sources]]`` table; tests replace parts of it to break it.
SOURCE = """
[[sources]]
name = "mail"
kind = "imap"
host = "imap.example.com"
port = 993
username = "complaints"
password_env = "IMAP_PASSWORD"
"""
