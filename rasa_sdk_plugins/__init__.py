"""rasa-sdk's plugin hook (rasa_sdk/plugin.py imports this package by name when it exists).

rasa-sdk answers every exception with its catch-all handler: a browser's GET on the action
server's root (or /favicon.ico) got a 500 and a full traceback in the log. Unknown paths and
methods now get a plain 404/405 naming what the server does serve, and log nothing.

The action server finds this package because the repository root is on its PYTHONPATH
(scripts/stack.py sets it), in its main process and in each Sanic worker.
"""

from __future__ import annotations

import sys
from typing import Any

import pluggy
from sanic import Request, Sanic, response
from sanic.exceptions import MethodNotAllowed, NotFound
from sanic.response import HTTPResponse

hookimpl = pluggy.HookimplMarker("rasa_sdk")

ENDPOINTS = "POST /webhook, GET /health, GET /actions"


async def _client_error(request: Request, exception: Exception) -> HTTPResponse:
    status = getattr(exception, "status_code", 404)
    return response.json({"error": f"no {request.method} {request.path} here; this server has {ENDPOINTS}"},
                         status=status)  # fmt: skip


@hookimpl
def attach_sanic_app_extensions(app: Sanic) -> None:
    # More specific than rasa-sdk's handler for Exception, so Sanic picks this one.
    app.error_handler.add(NotFound, _client_error)
    app.error_handler.add(MethodNotAllowed, _client_error)


def init_hooks(manager: Any) -> None:
    manager.register(sys.modules[__name__])
