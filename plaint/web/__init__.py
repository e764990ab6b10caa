"""The web side of plaint: an ASGI app (FastAPI) that is a thin shell over
:mod:`plaint.service`.

Paths other parts rely on: ``GET /healthz`` (the process is alive), ``GET /readyz`` (the
database and Redis answer), ``GET /openapi.json``, the staff REST API under ``/api/v1/``
(bearer tokens), and later Twilio webhooks under ``/webhooks/``.

Build the app with :func:`plaint.web.app.create_app` (nothing is configured at import);
``plaint web`` serves it (:func:`plaint.web.serve.serve`).
"""
