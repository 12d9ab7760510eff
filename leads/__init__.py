"""Leads: investors' contact details, stored with consent (store.models.Lead) and handed off to the
park's officers through a webhook (WeCom group-robot format), with retries and a dead-letter state.

    repository  reads and writes Lead rows
    webhook     the notification's text and its delivery with retries (httpx)
    handoff     delivers one lead, or every pending/dead one, and records the outcome
    cli         `make leads` (`python -m leads`): a table of leads; `--retry` delivers undelivered ones
"""
