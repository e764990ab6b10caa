"""Twilio: the REST client plaint configures (:mod:`.client`), webhook signatures
(:mod:`.signature`), the SMS sender (:mod:`.sender`), pull adapters for messages and call
records (:mod:`.pull`, :mod:`.calls`) and MMS media (:mod:`.media`)."""
