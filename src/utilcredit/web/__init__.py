"""The operator console: server-rendered pages (Jinja2), htmx for interaction, ECharts charts."""
