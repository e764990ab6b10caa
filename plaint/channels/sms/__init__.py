"""SMS from residents (Twilio)."""
