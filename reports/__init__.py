"""Weekly, monthly and quarterly PDF reports: periods, the PDF writer, the archive,
mail delivery, and ``publish``, the one service builders call."""
