"""Alumni data centre (REC): person records, custom fields, query, tags, import/sync, export,
duplicates and merge, batch update, change log and rollback, statistics, birthday greetings.
Its table of contents is `module.py`."""
