"""Leads reach the officers' webhook: retries with backoff, the dead-letter state, later retries."""

from __future__ import annotations

from webhook_receiver import receiver

from knowledge.settings import LeadSettings, load
from leads import repository
from leads.handoff import deliver, retry_undelivered
from leads.webhook import lead_message, post_with_retries
from store.db import Database

CONSENT = "我同意……"


def new_lead(db: Database, **changes: object) -> int:
    fields = {"contact": "13812345678", "contact_kind": "mobile", "consent_text": CONSENT, "company": "明远新材料",
              "industry": "锂电池材料", "needs": "land,policy", "preferred_time": "工作日下午", "channel": "rest",
              "lang": "zh", "questions": ["园区有人才公寓吗？", "科创中心在哪里？"], **changes}
    return repository.save(db, repository.NewLead(**fields))  # type: ignore[arg-type]


def settings(url: str, attempts: int = 3) -> LeadSettings:
    return load(LeadSettings, {"LEAD_WEBHOOK_URL": url, "LEAD_WEBHOOK_ATTEMPTS": str(attempts),
                               "LEAD_WEBHOOK_BACKOFF": "0.01", "LEAD_WEBHOOK_TIMEOUT": "2"})


def test_failures_are_retried_with_growing_waits_until_accepted() -> None:
    waits: list[float] = []
    plan = [(500, "boom"), (200, '{"errcode": 45009, "errmsg": "api freq out of limit"}')]
    with receiver(plan) as hook:
        result = post_with_retries(hook.url, {"msgtype": "markdown"}, attempts=4, backoff=0.5, timeout=2,
                                   sleep=waits.append)
    assert result.ok and result.attempts == 3
    assert waits == [0.5, 1.0]  # doubled before each next call
    assert len(hook.received) == 3


def test_a_lead_is_sent_in_wecom_markdown_with_its_questions(db: Database) -> None:
    lead_id = new_lead(db)
    with receiver([(503, "busy")]) as hook:
        result = deliver(db, settings(hook.url), lead_id)
    assert result is not None and result.ok
    body = hook.received[-1]
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert f"#{lead_id}" in content and "13812345678" in content and "明远新材料" in content
    assert "科创中心在哪里？" in content
    row = repository.get(db, lead_id)
    assert row is not None and (row.notify_status, row.notify_attempts, row.notify_error) == ("sent", 2, "")
    assert row.notified_at is not None


def test_exhausted_retries_leave_the_lead_dead_with_its_error_then_a_retry_sends_it(db: Database) -> None:
    lead_id = new_lead(db)
    with receiver([(500, "down")] * 3) as hook:
        result = deliver(db, settings(hook.url, attempts=3), lead_id)
        assert result is not None and not result.ok
        row = repository.get(db, lead_id)
        assert row is not None and row.notify_status == "dead" and "HTTP 500" in row.notify_error
        assert row.contact == "13812345678"  # never lost

        results = retry_undelivered(db, settings(hook.url))  # `make leads --retry`, or start-up
    assert results[lead_id] is not None and results[lead_id].ok
    row = repository.get(db, lead_id)
    assert row is not None and row.notify_status == "sent" and row.notify_attempts == 4
    assert repository.undelivered(db) == []


def test_an_unreachable_webhook_is_an_error_not_a_crash(db: Database) -> None:
    lead_id = new_lead(db)
    result = deliver(db, settings("http://127.0.0.1:9/hook", attempts=2), lead_id)
    assert result is not None and not result.ok and "ConnectError" in result.error
    assert repository.undelivered(db) == [lead_id]


def test_without_a_webhook_leads_stay_pending(db: Database) -> None:
    lead_id = new_lead(db)
    assert deliver(db, LeadSettings(), lead_id) is None
    assert repository.undelivered(db) == [lead_id]


def test_investor_text_cannot_format_the_officers_message(db: Database) -> None:
    lead_id = new_lead(db, company="[点我](http://evil.example) <@all> **x**", questions=["q" * 300] * 20)
    lead = repository.get(db, lead_id)
    assert lead is not None
    content = lead_message(lead)["markdown"]["content"]
    assert "[点我](http" not in content and "<@all>" not in content
    assert len(content.encode()) <= 4096
