"""A Rasa-side server with this project's REST channel and a stand-in bot, for the rate-limit tests.

Run with the Rasa venv's Python (tests/integration/test_rate_limits.py starts it):

    .venv-rasa/bin/python tests/integration/guard_server.py --port 27001

The channel is built as Rasa builds it (`CappedRestInput.from_credentials`, settings from the
environment: BOT_RATE_LIMIT*, BOT_TRUSTED_PROXIES, REDIS_HOST, ...) and mounted where Rasa
mounts it (/webhooks/rest/); the bot behind it answers "ok" at once, so the tests measure the
channel and not Rasa's NLU.
"""

from __future__ import annotations

import argparse
import logging

from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from channels.rest import CappedRestInput


async def answer_ok(message: UserMessage) -> None:
    # As Rasa sends a bot message: through `send_response`, which the guard counts.
    await message.output_channel.send_response(message.sender_id, {"text": "ok"})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    channel = CappedRestInput.from_credentials(None)
    app = Sanic("guard_server")
    app.blueprint(channel.blueprint(answer_ok), url_prefix="/webhooks/rest")
    app.run(host="127.0.0.1", port=args.port, access_log=False, workers=1)


if __name__ == "__main__":
    main()
