"""Support: read-side reporting, performance KPIs, notifications."""
