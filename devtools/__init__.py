"""Helpers shared by the tests and the scripts: real processes on loopback, contract checks.

Not part of the installed distribution; tests and scripts import it with the repository
root on `sys.path`.
"""
