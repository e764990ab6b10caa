"""Pure functions of the complaint flow: no DB, no Redis, no network, no clock reads.

Everything here takes plain values (``now`` is always an argument) and returns plain values,
so it is tested with tables and reused by every worker. It imports only ``plaint.inbound``
and ``plaint.errors`` from plaint, and none of sqlalchemy, redis, dramatiq, imapclient, twilio.
"""
