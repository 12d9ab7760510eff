"""Hands leads to the officers' webhook and records the outcome; never deletes or loses a lead."""

from __future__ import annotations

import logging
import threading

from knowledge.settings import LeadSettings
from leads import repository
from leads.webhook import Delivery, lead_message, post_with_retries
from store.db import Database

log = logging.getLogger(__name__)


def deliver(db: Database, settings: LeadSettings, lead_id: int) -> Delivery | None:
    """Post lead `lead_id`; None (and the lead stays pending) when no webhook is configured."""
    if not settings.webhook_url:
        log.info("lead %s stored; LEAD_WEBHOOK_URL is not set, so nobody is notified", lead_id)
        return None
    lead = repository.get(db, lead_id)
    if lead is None:
        return None
    result = post_with_retries(settings.webhook_url, lead_message(lead), settings.webhook_attempts,
                               settings.webhook_backoff, settings.webhook_timeout)
    repository.record_delivery(db, lead_id, result.ok, result.attempts, result.error)
    if not result.ok:
        log.error("lead %s could not be handed off after %d attempts (%s); it is kept as dead: "
                  "`make leads --retry` tries again", lead_id, result.attempts, result.error)
    return result


def retry_undelivered(db: Database, settings: LeadSettings) -> dict[int, Delivery | None]:
    """Deliver every pending or dead lead, oldest first."""
    return {lead_id: deliver(db, settings, lead_id) for lead_id in repository.undelivered(db)}


def in_background(target: object, *args: object) -> threading.Thread:
    """Run a hand-off beside the conversation: the investor's reply never waits for the webhook."""

    def run() -> None:
        try:
            target(*args)  # type: ignore[operator]
        except Exception:
            log.exception("lead hand-off failed; the lead stays in the database for `make leads --retry`")

    thread = threading.Thread(target=run, name="lead-handoff", daemon=True)
    thread.start()
    return thread
