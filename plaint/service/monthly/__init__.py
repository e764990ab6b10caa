"""The monthly report (``plaint report monthly``): its figures from the database
(:mod:`~plaint.service.monthly.figures`), charts (:mod:`~plaint.service.monthly.charts`,
needs the ``reports`` extra: matplotlib), the HTML page and CSV files
(:mod:`~plaint.service.monthly.render`), and a generated month of realistic tickets for
tests and benchmarks (:mod:`~plaint.service.monthly.sample`).

Import the submodules themselves: this package imports nothing, so the CLI stays light.
"""
