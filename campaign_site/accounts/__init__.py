"""Admin accounts as a domain of their own: who may do what (permissions.py), the second
factor (second_factor.py) and the audit log (audit.py). Below both the admin blueprint and
the command line, so a command never depends on a blueprint (.importlinter)."""
