"""Email in triage, end to end through the poller and the triage actor on real Dovecot:
our own mail coming back, bounces of it, threading by the ticket number, attachments."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from plaint.channels.email.msgid import make_message_id
from plaint.models import Inbox, Notification, StoredAttachment
from plaint.service.mailtriage import email_failing
from tests.plant import SECRET_KEY, Plant
from tests.workers.test_flow import complaint

OURS = make_message_id("notification:ack:1", secret=SECRET_KEY, domain="plaint.example")


def _mail(headers: str, body: str) -> bytes:
    return (headers.replace("\n", "\r\n") + "\r\n").encode() + body.encode()


def test_our_own_auto_reply_coming_back_opens_no_ticket(plant: Plant) -> None:
    plant.mailbox.append(_mail(
        f"From: 物业客服 <desk@plaint.example>\nTo: desk@plaint.example\nSubject: 已受理\n"
        f"Message-ID: {OURS}\nContent-Type: text/plain; charset=utf-8\n",
        "您的投诉已受理，编号 TS-2026-000001",
    ))  # fmt: skip
    plant.poll()
    assert plant.tickets() == []
    [row] = plant.inbox()
    assert (row.status, row.error) == ("quarantined", "loop:own_mail")


def test_a_bounce_of_our_mail_opens_nothing_and_marks_the_address_failing(plant: Plant) -> None:
    bounce = _mail(
        "From: MAILER-DAEMON@mx.example.com\nTo: desk@plaint.example\n"
        "Subject: Undelivered Mail Returned to Sender\nMessage-ID: <b1@mx.example.com>\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n',
        "--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        "Final-Recipient: rfc822; Gone@Example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {OURS}\r\n"
        "To: gone@example.com\r\n--b--\r\n",
    )
    plant.mailbox.append(bounce)
    plant.poll()
    assert plant.tickets() == []
    assert plant.inbox()[0].error == "automatic:bounce"
    with plant.sessions() as session:
        assert email_failing(session, "gone@example.com")
        assert not email_failing(session, "resident1@example.com")


def test_a_strangers_mail_with_another_tickets_number_opens_a_new_ticket(plant: Plant) -> None:
    plant.mailbox.append(complaint(1, "3号楼电梯困人了，快来人！"))
    plant.poll()
    [first] = plant.tickets()
    stranger = complaint(2, "小区门口的路灯坏了好几天")
    stranger = stranger.replace(b"Subject: ", f"Subject: Re: [{first.number}] ".encode(), 1)
    plant.mailbox.append(stranger)
    plant.poll()
    tickets = plant.tickets()
    assert len(tickets) == 2
    assert len(tickets[0].messages) == 1


def test_the_residents_reply_with_the_number_joins_the_ticket(plant: Plant) -> None:
    plant.mailbox.append(complaint(1, "3号楼电梯困人了，快来人！"))
    plant.poll()
    [first] = plant.tickets()
    reply = _mail(
        f"From: 王女士 <resident1@example.com>\nSubject: 回复：[{first.number}] 进展\n"
        "Message-ID: <r1@example.com>\nContent-Type: text/plain; charset=utf-8\n",
        "小区门口的路灯也坏了，请一起看看",
    )
    plant.mailbox.append(reply)
    plant.poll()
    [ticket] = plant.tickets()
    assert [m.message_id for m in ticket.messages] == ["c1@example.com", "r1@example.com"]


def test_attachments_are_stored_by_hash_outside_the_database(plant: Plant) -> None:
    photo = bytes(range(256)) * 40
    import base64

    plant.mailbox.append(_mail(
        "From: 王女士 <resident1@example.com>\nSubject: 漏水照片\nMessage-ID: <p1@example.com>\n"
        'Content-Type: multipart/mixed; boundary="b"\n',
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n卫生间漏水，见照片\r\n"
        "--b\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n"
        "Content-Disposition: attachment; filename*=UTF-8''%E6%BC%8F%E6%B0%B4.jpg\r\n\r\n"
        + base64.encodebytes(photo).decode() + "--b--\r\n",
    ))  # fmt: skip
    plant.poll()
    assert len(plant.tickets()) == 1
    digest = hashlib.sha256(photo).hexdigest()
    with plant.sessions() as session:
        [row] = session.scalars(select(StoredAttachment)).all()
        inbox = session.scalars(select(Inbox)).one()
    assert (row.filename, row.content_type, row.size, row.sha256) == (
        "漏水.jpg",
        "image/jpeg",
        len(photo),
        digest,
    )
    assert row.inbox_id == inbox.id
    blob = Path(plant.rt.settings.data_dir) / "blobs" / digest[:2] / digest[2:4] / digest
    assert blob.read_bytes() == photo


def test_a_mail_over_the_size_limit_is_recorded_and_its_sender_told(
    make_plant: Callable[[str], Plant],
) -> None:
    plant = make_plant("max_message_bytes = 2048\n")  # continues the [[sources]] table
    plant.mailbox.append(complaint(1, "漏水" * 2000))
    plant.mailbox.append(complaint(2))
    plant.poll()
    big, small = plant.inbox()
    assert (big.status, big.error) == ("quarantined", "too_large")
    assert b"Subject:" in big.payload
    assert small.status == "done"
    with plant.sessions() as session:
        [told] = session.scalars(
            select(Notification).where(Notification.template == "email_too_large")
        ).all()
    assert (told.template, told.recipient_kind, told.recipient) == (
        "email_too_large",
        "email",
        "resident1@example.com",
    )
    assert told.data["bytes"] > 2048


def test_the_clocks_start_when_the_mail_arrived_not_when_it_was_polled(plant: Plant) -> None:
    arrived = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    plant.clock.set(arrived + timedelta(hours=5))  # the poller was down for five hours
    client = plant.mailbox.client()
    client.append(plant.mailbox.folder, complaint(1, "卫生间漏水"), msg_time=arrived)
    client.logout()
    plant.poll()
    [ticket] = plant.tickets()
    assert ticket.received_at == arrived
    assert ticket.first_response_due is not None
    assert ticket.first_response_due <= arrived + timedelta(hours=24)
