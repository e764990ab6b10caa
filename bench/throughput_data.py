"""The items of ``bench/throughput.py``: diverse residents' complaints as the channel
adapters store them in the inbox, and the configuration the workers run with.

Chinese and English texts (bench/triage.py's and bench/data/property_complaints.jsonl),
email, SMS and phone calls; ~0.24 senders per item (1,200 for 5,000), each sending once
and then a skewed share of repeats; 70 % of the senders in the resident directory with
community, building and unit, the others often naming their place in the text. Repeats
re-word the sender's last complaint (near-duplicates, continuations), email replies
thread, and some residents report their building's problem of the day (series).

Also the names of the bench-only actors (``bench/throughput_actors.py``), shared with the
bench, which sends them messages without importing that module (importing it configures
a broker).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from bench.triage import TEXTS
from plaint.inbound import ChannelKind

__all__ = [
    "BENCH_QUEUE",
    "BUILDINGS",
    "COMMUNITIES",
    "INSERT",
    "NOOP",
    "ROW_PREFIX",
    "Dataset",
    "Item",
    "make_dataset",
    "write_config",
]

# The bench-only actors: their queue, their names, and the prefix of the rows (b) writes.
BENCH_QUEUE, NOOP, INSERT, ROW_PREFIX = "bench", "bench_noop", "bench_insert", "b:"

DATA = Path(__file__).resolve().parent / "data" / "property_complaints.jsonl"
SENDERS_PER_ITEM = 0.24  # 1,200 senders for 5,000 items
KNOWN_SHARE = 0.7  # senders in the resident directory
COMMUNITIES = ("翠湖苑", "锦绣园", "金桂花园")
BUILDINGS = 25  # per community
DEPARTMENTS = ("engineering", "cleaning", "security", "landscaping", "finance",
               "customer_service", "developer", "external")  # fmt: skip
BUILDING_PROBLEMS = (
    "{b}号楼今天一直停水，没有任何通知",
    "{b}号楼电梯坏了，停在一楼不动",
    "{b}号楼楼道灯全坏了，晚上黑漆漆的",
    "{b}号楼门口垃圾堆了两天没人清运",
)
REWORDS = ("又", "还是", "今天", "到现在")
FOLLOW_UPS = ("还没处理，请尽快安排", "Still not fixed, please hurry.", "请问什么时候来修？")


@dataclass(frozen=True)
class Item:
    """One inbound item as a channel adapter would store it in the inbox."""

    channel: ChannelKind
    external_id: str
    payload: bytes
    received_at: datetime


@dataclass(frozen=True)
class Sender:
    key: int
    email: str | None
    phone: str | None
    community: str
    building: int
    unit: str
    known: bool


@dataclass
class Dataset:
    items: list[Item]
    directory: list[dict[str, str]]
    senders: int


def _texts() -> list[str]:
    rows = [json.loads(line) for line in DATA.read_text("utf-8").splitlines() if line.strip()]
    return [r["text"] for r in rows] + list(TEXTS)


def _senders(count: int, rng: random.Random, tag: str) -> list[Sender]:
    out = []
    for k in range(count):
        community = COMMUNITIES[k % len(COMMUNITIES)]
        building = rng.randrange(1, BUILDINGS + 1)
        unit = f"{rng.randrange(1, 4)}-{rng.randrange(1, 30)}0{rng.randrange(1, 5)}"
        by_mail = rng.random() < 0.55
        email = f"{tag}{k}@residents.example" if by_mail else None
        phone = None if by_mail else f"+86139{ord(tag[0]) % 10}{k:07d}"
        out.append(Sender(k, email, phone, community, building, unit, rng.random() < KNOWN_SHARE))
    return out


def _place(sender: Sender, text: str, rng: random.Random) -> str:
    """Residents outside the directory often say where they live."""
    if sender.known and rng.random() < 0.7:
        return text
    if text.isascii():
        return f"Building {sender.building}, unit {sender.unit}: {text}"
    return f"{sender.building}号楼{sender.unit}，{text}"


def _payload(sender: Sender, item: int, text: str, tag: str, reply_to: str | None,
             rng: random.Random) -> tuple[ChannelKind, str, bytes]:  # fmt: skip
    if sender.email is not None:
        message = EmailMessage()
        message["From"] = f"业主{sender.key} <{sender.email}>"
        message["Subject"] = text[:12]
        message["Message-ID"] = f"<{tag}-{item}@residents.example>"
        if reply_to is not None:
            message["In-Reply-To"] = reply_to
        message.set_content(text)
        return ChannelKind.EMAIL, str(message["Message-ID"]), bytes(message)
    if rng.random() < 0.85:
        data = {"From": sender.phone, "Body": text, "MessageSid": f"SM{tag}{item}"}
        return ChannelKind.SMS, f"SM{tag}{item}", json.dumps(data).encode()
    data = {"caller": sender.phone, "call_id": f"CA{tag}{item}", "notes": text}
    return ChannelKind.PHONE, f"CA{tag}{item}", json.dumps(data).encode()


def make_dataset(n: int, *, seed: int = 7, tag: str = "r", end: datetime) -> Dataset:
    """``n`` items over the two days before ``end``: each sender once, then repeat senders
    drawn with a skew; repeats re-word the sender's last complaint (near-duplicates and
    continuations), email replies thread, and some residents report their building's
    problem of the day (series)."""
    rng = random.Random(seed)
    texts = _texts()
    senders = _senders(max(10, round(n * SENDERS_PER_ITEM)), rng, tag)
    weights = [1 / (k + 1) ** 0.7 for k in range(len(senders))]
    order = list(senders) + rng.choices(senders, weights, k=max(0, n - len(senders)))
    rng.shuffle(order)
    last: dict[int, tuple[str, str | None]] = {}
    start = end - timedelta(days=2)
    items = []
    for i, sender in enumerate(order[:n]):
        text, reply_to = _text_for(sender, last.get(sender.key), texts, rng)
        channel, external_id, payload = _payload(sender, i, text, tag, reply_to, rng)
        last[sender.key] = (text, external_id if channel is ChannelKind.EMAIL else None)
        items.append(Item(channel, external_id, payload, start + (end - start) * i / n))
    directory = [
        {"name": f"业主{s.key}", "email": s.email or "", "phone": s.phone or "",
         "community": s.community, "building": str(s.building), "unit": s.unit}
        for s in senders if s.known
    ]  # fmt: skip
    return Dataset(items, directory, len({s.key for s in order[:n]}))


def _text_for(sender: Sender, previous: tuple[str, str | None] | None, texts: list[str],
              rng: random.Random) -> tuple[str, str | None]:  # fmt: skip
    roll = rng.random()
    if previous is not None and previous[1] is not None and roll < 0.15:
        return rng.choice(FOLLOW_UPS), previous[1]
    if previous is not None and roll < 0.45:
        return _reword(previous[0], rng), None
    if sender.known and roll > 0.93:
        problem = BUILDING_PROBLEMS[sender.building % len(BUILDING_PROBLEMS)]
        return problem.format(b=sender.building), None
    return _place(sender, rng.choice(texts), rng), None


def _reword(text: str, rng: random.Random) -> str:
    if text.isascii():
        return f"Again: {text}"
    cut = rng.randrange(0, max(1, len(text) // 3))
    return text[:cut] + rng.choice(REWORDS) + text[cut:] + "，请尽快处理"


def write_config(directory: Path) -> Path:
    """The packaged defaults plus three members on duty in every department."""
    staff = "".join(
        f'[[staff]]\ncode = "{d}.{i}"\nname = "{d} {i}"\ndepartment = "{d}"\n'
        for d in DEPARTMENTS for i in range(3)
    )  # fmt: skip
    path = directory / "plaint.toml"
    path.write_text(staff, "utf-8")
    return path
