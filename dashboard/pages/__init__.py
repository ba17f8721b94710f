"""One module per page; each calls ``dash.register_page`` and defines ``layout`` as a function
(nothing queries at import) and ``register_callbacks(app)``."""
