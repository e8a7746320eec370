"""Background jobs of the content platform, thin: payload → the service that owns the rule."""
from app.content import remote_images
from app.core import jobs


@jobs.handler(remote_images.JOB_KIND)
async def copy_remote_images(ctx: jobs.JobContext) -> dict:
    """A saved article body's pasted remote images → copies in storage (or links), see remote_images."""
    return await remote_images.localise_article(int(ctx.payload["article"]))
