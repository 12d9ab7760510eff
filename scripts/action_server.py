"""The action server in one process: rasa-sdk's own app, served without Sanic's process manager.

`python -m rasa_sdk` serves through Sanic's manager: a second Python process that imports the
actions (and with them numpy, faiss and the knowledge library, about 140 MB) only to watch the
one worker that answers. This serves the same app, built by rasa-sdk's `create_app_for_serve`
(its routes, the tracing listener, plugins such as `rasa_sdk_plugins`), from a single process.

    python -m scripts.action_server --actions actions --port 5055 [--host 127.0.0.1]
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app_for_serve
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m scripts.action_server", description=__doc__.splitlines()[0])
    parser.add_argument("--actions", default="actions", help="package of the custom actions")
    parser.add_argument("--port", type=int, default=5055)
    # rasa-sdk reads SANIC_HOST too (it has no --host): the same variable keeps both on loopback.
    parser.add_argument("--host", default=os.environ.get("SANIC_HOST", "127.0.0.1"))
    # `make shell` asks for WARNING: the server shares the terminal with the conversation.
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    args = parser.parse_args(argv)

    utils.configure_colored_logging(args.log_level)
    utils.update_sanic_log_level()
    executor = ActionExecutor()
    executor.register_package(args.actions)
    # Only Rasa calls this server (server to server): no browser origin needs CORS.
    app = create_app_for_serve(executor, cors_origins=None)
    app.prepare(host=args.host, port=args.port, single_process=True, motd=False)
    Sanic.serve_single(app)


if __name__ == "__main__":
    main()
