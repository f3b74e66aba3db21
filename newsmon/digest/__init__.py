"""The weekly digest: queries, rendering (Jinja2, autoescaped) and, later, sending."""
