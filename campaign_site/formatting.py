"""Template filters for showing numbers to people."""

from flask import Flask


def thousands(value: int) -> str:
    """12345 as '12,345'."""
    return f"{value:,}"


def register(app: Flask) -> None:
    """Make the filters available in every template."""
    app.add_template_filter(thousands)
