"""WeChat connector settings: the development token is refused once a real account is set."""

from __future__ import annotations

import logging

import pytest

from channels.wechat.config import DEV_TOKEN, WeChatSettings

AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"  # 43 characters


def test_without_an_account_the_dev_token_is_used_with_a_warning(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="channels.wechat.config"):
        settings = WeChatSettings.from_env({})
    assert settings.token == DEV_TOKEN
    assert "WECHAT_TOKEN" in caplog.text and DEV_TOKEN in caplog.text


@pytest.mark.parametrize(
    "env",
    [
        {"WECHAT_APPID": "wx1234567890"},  # token not set at all
        {"WECHAT_APPID": "wx1234567890", "WECHAT_TOKEN": "   "},  # blank counts as not set
        {"WECHAT_APPID": "wx1234567890", "WECHAT_TOKEN": DEV_TOKEN},  # the public one, spelled out
        {"WECHAT_APPID": "wx1", "WECHAT_APPSECRET": "s", "WECHAT_AES_KEY": AES_KEY},
    ],
)
def test_a_real_account_without_its_own_token_refuses_to_start(env: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="WECHAT_TOKEN") as caught:
        WeChatSettings.from_env(env)
    assert "WECHAT_APPID" in str(caught.value)


def test_the_token_may_come_from_credentials_yml() -> None:
    settings = WeChatSettings.from_env({"WECHAT_APPID": "wx1"}, credentials={"token": "Tok3n"})
    assert settings.token == "Tok3n"


def test_a_real_account_with_its_token_starts_quietly(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="channels.wechat.config"):
        settings = WeChatSettings.from_env(
            {"WECHAT_APPID": "wx1", "WECHAT_TOKEN": "s3cretToken", "WECHAT_AES_KEY": AES_KEY}
        )
    assert (settings.token, settings.appid) == ("s3cretToken", "wx1")
    assert caplog.text == ""


def test_an_empty_token_is_refused_even_without_an_account() -> None:
    with pytest.raises(ValueError, match="WECHAT_TOKEN"):
        WeChatSettings(token="").validate()
