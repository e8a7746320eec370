"""The few newest inbox messages of a user (H5 home); the full inbox lives in the inbox pages."""
from app.core import db


async def latest(user_id: int, limit: int = 5) -> list[dict]:
    return await db.fetch('SELECT id, title, body, url, read_at, created_at FROM inbox_message WHERE "user" = $1 '
                          "ORDER BY created_at DESC, id DESC LIMIT $2", user_id, limit)
