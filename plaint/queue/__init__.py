"""The work queue as seen from any process: the dramatiq broker plaint uses
(:mod:`plaint.queue.broker`) and a producer that sends messages to plaint's actors by name
(:mod:`plaint.queue.producer`), so a webhook or the clock can enqueue without importing the
worker runtime or its actors."""
