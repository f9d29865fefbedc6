"""The members app's management commands: `demo`."""
