"""Signed Message-IDs: our own mail is recognised, nobody else's id passes."""

from plaint.channels.email.msgid import is_our_message_id, make_message_id


def test_one_notification_one_message_id_recognised_only_under_our_secret() -> None:
    first = make_message_id("ack:42", secret="s3cret", domain="wy.example.cn")
    assert first == make_message_id("ack:42", secret="s3cret", domain="wy.example.cn")
    assert first != make_message_id("ack:43", secret="s3cret", domain="wy.example.cn")
    assert is_our_message_id(first, secret="s3cret")
    assert is_our_message_id(first.strip("<>"), secret="s3cret")
    assert not is_our_message_id(first, secret="other")
    forged = first.replace(first[8:24], "0" * 16)
    assert not is_our_message_id(forged, secret="s3cret")
    assert not is_our_message_id("<CAF=abc@mail.gmail.com>", secret="s3cret")
