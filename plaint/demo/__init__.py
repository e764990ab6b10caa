"""``plaint demo``: a seeded local IMAP server and the whole flow on embedded defaults.
Nothing in plaint imports this package but the ``plaint demo`` command, lazily; its IMAP
server needs the ``demo`` extra."""
