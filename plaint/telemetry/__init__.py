"""What plaint shows its operators as Prometheus metrics: :mod:`.metrics` counted in the
processes that do the work, :mod:`.state` read from the database, Redis and the broker when
scraped, :mod:`.exporter` serving a worker's. Every metric is named ``plaint_*``; no label
ever carries personal data (sources, channels, queues, statuses and SLA clocks only). Log
lines are formatted by :mod:`plaint.workers.logs`."""
