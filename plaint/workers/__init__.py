"""The layer that wires channels, the database and the pipeline together: the dramatiq
broker and actors, the clock process, the supervisor and the ``plaint`` command."""
