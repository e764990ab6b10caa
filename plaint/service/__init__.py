"""The application layer: every operation on plaint's state (store an inbound item,
triage, dedupe, assign, the SLA clocks and sweep, staff actions, reports, explain,
corrections, the resident directory) as functions of a session, values and ``now``.

The CLI, the actors and the web app are thin shells over these functions; this is the one
place where business rules touch the database."""
