"""Background jobs of the messenger, thin: payload → the service that owns the rule. Schedules are in module.py."""
from app.core import jobs
from app.im import attachments, governance

FILES_PURGE_KIND = "im.files.purge"  # IM-11: stored files past `im.file_retention_days`


@jobs.handler(FILES_PURGE_KIND)
async def purge_files(ctx: jobs.JobContext) -> dict:
    return await attachments.purge()


TEMP_GROUPS_KIND = "im.temp_groups.purge"  # IM-11: temporary groups idle past `im.temp_group_idle_days`


@jobs.handler(TEMP_GROUPS_KIND)
async def purge_temporary_groups(ctx: jobs.JobContext) -> dict:
    return await governance.purge_idle_temporary()
