"""Phone calls: call records written by the desk or a telephone system."""
