"""Support platform (SUP): org tree, users, roles, menus, dictionary, settings, login security,
audit, todos, messages, jobs, imports. Its table of contents is `module.py`."""
