"""``plaint notice share`` and ``plaint notice revoke``: share links of the public notice
(公示) of one community and month, for the owners' committee (业主委员会).

``share`` prints the link once (only its hash is stored): ``PLAINT_PUBLIC_URL`` +
``/public/notices/TOKEN``, or the web app's own address when ``PLAINT_PUBLIC_URL`` is not
set. ``revoke ID`` stops a link (its id is printed by ``share`` and shown on the notice
page). Who acts is named with ``--by CODE`` (desk, property or regional manager, admin).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from plaint.cli.common import open_db

__all__ = ["register"]

_DEFAULT_DAYS = 30  # plaint.service.notice_links.DEFAULT_DAYS, without importing the service


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``notice`` command and its ``share`` and ``revoke`` sub-commands."""
    notice = subparsers.add_parser("notice", help="public notices (公示) and their share links")
    commands = notice.add_subparsers(dest="notice_command", required=True, metavar="NOTICE")
    share = commands.add_parser(
        "share", help="make a link to a community's notice of a month, valid for N days",
        description="Make an unguessable link to the public notice of one community and "
        "month (no personal data); it answers for --days days unless revoked.",
    )  # fmt: skip
    share.add_argument("--community", required=True, help="the community (小区), as registered")
    share.add_argument("--month", required=True, metavar="YYYY-MM", help="the month shown")
    share.add_argument("--days", type=int, default=_DEFAULT_DAYS,
                       help=f"how long the link answers (default {_DEFAULT_DAYS})")  # fmt: skip
    share.add_argument("--by", required=True, metavar="CODE", help="who shares (a staff code)")
    share.add_argument("--json", action="store_true", help="print one JSON object")
    share.set_defaults(handler=_share)
    revoke = commands.add_parser("revoke", help="stop a share link from answering")
    revoke.add_argument("link", type=int, metavar="ID", help="the link's id")
    revoke.add_argument("--by", required=True, metavar="CODE", help="who revokes (a staff code)")
    revoke.set_defaults(handler=_revoke)


def _share(args: argparse.Namespace) -> int:
    """Make the link and print it; ConfigError for a bad month, PlaintError for an unknown
    community, member or role, or days out of range."""
    import os
    from datetime import UTC, datetime

    from plaint.cli.desk import _staff_known
    from plaint.cli.report import _parse_month
    from plaint.config import load_settings
    from plaint.service.directory import find_staff
    from plaint.service.notice_links import share_notice

    year, month = _parse_month(args.month)
    base = load_settings(os.environ).site_url
    with open_db() as (sessions, config), sessions.begin() as session:
        _staff_known(session, config)
        who = find_staff(session, args.by)
        token, link = share_notice(session, community=args.community,
                                   month=f"{year:04d}-{month:02d}", days=args.days, actor=who,
                                   now=datetime.now(UTC))  # fmt: skip
    url = f"{base}/public/notices/{token}"
    if args.json:
        print(json.dumps(_as_json(link, url), ensure_ascii=False))
    else:
        print(f"link {link.id} to {link.community} {link.month}, valid until "
              f"{link.expires_at.astimezone(config.timezone):%Y-%m-%d %H:%M}:")  # fmt: skip
        print(url)
    return 0


def _as_json(link: Any, url: str) -> dict[str, Any]:
    return {"id": link.id, "url": url, "community": link.community, "month": link.month,
            "expires_at": link.expires_at.isoformat(), "created_by": link.created_by}  # fmt: skip


def _revoke(args: argparse.Namespace) -> int:
    """Revoke the link; NotFoundError (one line) when there is none."""
    from datetime import UTC, datetime

    from plaint.cli.desk import _staff_known
    from plaint.service.directory import find_staff
    from plaint.service.notice_links import revoke_link

    with open_db() as (sessions, config), sessions.begin() as session:
        _staff_known(session, config)
        link = revoke_link(session, args.link, actor=find_staff(session, args.by),
                           now=datetime.now(UTC))  # fmt: skip
    print(f"link {link.id} to {link.community} {link.month} revoked")
    return 0
