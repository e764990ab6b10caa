"""The queue runtime: the dramatiq actors (thin shells over :mod:`plaint.service`), the
worker entry module, the clock process, the supervisor of ``plaint run`` and its embedded
Redis."""
