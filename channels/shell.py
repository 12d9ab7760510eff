"""`rasa shell` as `make shell` runs it (installed by scripts/rasa_cli.py for the `shell` command).

Two changes to Rasa's command-line channel:
- buttons are printed as a numbered list and never become an interactive menu. Rasa turned the
  buttons of a turn's last message (the greeting's topics) into a selection prompt that took the
  next typed line as "pick the highlighted option", so a typed question sent option 1;
- the shell's messages go through the same guard as REST and the widget (channels/rest.py):
  typing an option's number sends that option, numbered across the turn's messages as printed.
"""

from __future__ import annotations

from typing import Any

from channels.rest import CappedRestInput


class GuardedCmdlineInput(CappedRestInput):
    """Rasa's `cmdline` channel (the REST webhook the shell posts to), guarded like REST."""

    @classmethod
    def name(cls) -> str:
        return "cmdline"

    def url_prefix(self) -> str:
        return "rest"  # the shell posts to /webhooks/rest/webhook

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GuardedCmdlineInput:
        return cls()


def install() -> None:
    """Patch Rasa's console before `rasa shell` starts."""
    import rasa.shared.utils.cli as cli
    from rasa.core import channels
    from rasa.core.channels import console

    channels.BUILTIN_CHANNELS["cmdline"] = GuardedCmdlineInput
    shown = [0]  # options printed so far in this turn: the next button's number is shown[0] + 1

    def print_buttons(message: dict[str, Any], is_latest_message: bool = False,
                      color: str = console.rasa.shared.utils.io.bcolors.OKBLUE) -> None:
        cli.print_color("Buttons:", color=color)
        for button in message.get("buttons") or []:
            shown[0] += 1
            cli.print_color(f"{shown[0]}: {button.get('title', '')} ({button.get('payload', '')})", color=color)

    read_input = console._get_user_input

    async def get_user_input(previous_response: dict[str, Any] | None) -> str | None:
        text = await read_input(previous_response)
        shown[0] = 0  # a new turn: its options are numbered from 1 again
        return text

    console.print_buttons = print_buttons
    console._get_user_input = get_user_input
