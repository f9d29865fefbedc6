"""Choices of the orgs app. Unit kinds are not here: they come from the rule set."""
