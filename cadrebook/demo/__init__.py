"""The demo: a fictional organization for trying Cadrebook and for the benchmarks.

The synthetic data generator (`generator.generate`, at demo or national scale), the demo
logins and targets, and the `demo` command. It sits on top, with `imports` and `api`: it
writes through the apps' services and bulk writers, and no app imports it. No models.
"""
