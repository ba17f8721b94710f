"""Building blocks shared by the dashboard pages: formatting, tiles, tables, figures, filters."""
