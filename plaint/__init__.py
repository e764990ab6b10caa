"""plaint: residents' complaints from every channel, routed and answered in time."""

__version__ = "0.1.0"
