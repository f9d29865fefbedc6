"""Management commands of the members app."""
