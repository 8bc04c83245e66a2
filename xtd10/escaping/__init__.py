"""Making untrusted text inert where the toolkit writes it, one module per destination.

Captions, worker ids, model names and notes come from people the user does not control.
Each destination has its own rules and its own module: :mod:`~xtd10.escaping.csv_cells`
(spreadsheet cells: one line, no formula), :mod:`~xtd10.escaping.markup` (Markdown and
HTML text, links) and :mod:`~xtd10.escaping.csp` (the Content-Security-Policy source that
allows a page's own inline blocks and nothing injected). Plain helpers: no xtd10 imports.
"""
