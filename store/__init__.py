"""The bot's own database: the question log, feedback, curated answers (FAQ), staff accounts and
leads. One schema for every process that writes to it (the action server, the channels' feedback
endpoint, the staff console), SQLite by default and PostgreSQL in scale-out, migrated by Alembic.

    from store.db import Database
    db = Database.from_env()          # BOT_DATABASE_URL, or DB_* (scale-out), or var/bot.db
    db.upgrade()                      # alembic upgrade head (idempotent)
    with db.session() as session: ...
"""
