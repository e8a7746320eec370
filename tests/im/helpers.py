from app.core import db
from app.core.audit import Actor


async def actor_of(username: str) -> Actor:
    row = await db.fetchrow("SELECT id, username FROM app_user WHERE username = $1", username)
    return Actor(row["id"], row["username"], "127.0.0.1")
