"""Meaningful measures: the measure registry (each measure tied to a results-logic node), the
aggregation jobs that store values per authority, team and period, the dashboards, the SVG charts,
the quarterly PDF outcome reports and the CSV/XLSX exports."""
