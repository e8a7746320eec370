"""SMS platform (SMS-01 … SMS-13): gateway, console, HTTP API, channels.
Its table of contents is `module.py`."""
