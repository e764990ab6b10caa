"""The contract every channel adapter keeps (:mod:`plaint.channels.base`), as one test class.

An adapter's tests subclass :class:`ChannelContract` and define a ``contract_source``
fixture returning a :class:`ContractSource` on a real server (or folder): the class's tests
then check that pull returns the oldest items first and at most ``limit``; that un-acked
items come back, on the same adapter and on a new one; that acked ones do not; that acking
twice is a no-op and the position never moves back; that close may be called twice; that
a dead server raises ChannelUnavailableError; and that a malformed item does not block the
next. For a :class:`~plaint.channels.base.StagedAck` adapter: that a staged position is
saved once (not again by the ack), and that a stage whose transaction never committed is
not trusted.
"""

from __future__ import annotations

from typing import Protocol

import pytest

from plaint.channels.base import Channel, Delivery, StagedAck
from plaint.errors import ChannelUnavailableError

__all__ = ["ChannelContract", "ContractSource", "MemoryCursors"]


class MemoryCursors:
    """A CursorStore in a dict, counting saves; the database one is tested with the workers."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.saves = 0

    def load(self, source: str) -> str | None:
        return self.values.get(source)

    def save(self, source: str, position: str) -> None:
        self.values[source] = position
        self.saves += 1


class ContractSource(Protocol):
    """A source under test, fresh for each test."""

    def add(self, count: int) -> list[str]:
        """Make ``count`` new items arrive, after any earlier ones; return the external
        ids the adapter will give them, oldest first."""

    def add_malformed(self) -> None:
        """Make an item arrive that cannot be understood (``pytest.skip`` if the source
        has no such thing)."""

    def open(self, cursors: MemoryCursors) -> Channel:
        """A new adapter of the source, keeping its position in ``cursors``."""

    def open_unreachable(self, cursors: MemoryCursors) -> Channel:
        """An adapter whose server is down (or folder gone)."""


def ids(deliveries: list[Delivery]) -> list[str]:
    return [d.external_id for d in deliveries]


class ChannelContract:
    """Subclass with a ``contract_source`` fixture; every test here must pass."""

    def inbox_source(self, channel: Channel) -> str:
        """The inbox source a delivery of ``channel`` is filed under: the configured source
        name, unless the adapter shares its items' key with a webhook (Twilio)."""
        return channel.source

    def test_empty_pull_returns_nothing(self, contract_source: ContractSource) -> None:
        channel = contract_source.open(MemoryCursors())
        assert channel.pull(limit=10) == []
        channel.close()

    def test_pull_returns_the_oldest_first_and_at_most_limit(
        self, contract_source: ContractSource
    ) -> None:
        added = contract_source.add(3) + contract_source.add(2)
        channel = contract_source.open(MemoryCursors())
        first = channel.pull(limit=2)
        assert ids(first) == added[:2]
        assert all(d.source == self.inbox_source(channel) and d.channel == channel.kind
                   for d in first)  # fmt: skip
        channel.close()

    def test_unacked_items_come_back_and_acked_ones_do_not(
        self, contract_source: ContractSource
    ) -> None:
        cursors = MemoryCursors()
        added = contract_source.add(3)
        channel = contract_source.open(cursors)
        first = channel.pull(limit=10)
        assert ids(first) == added
        assert ids(channel.pull(limit=10)) == added  # not acked: comes back
        again = channel.pull(limit=10)
        channel.ack(again[:2])
        assert ids(channel.pull(limit=10)) == added[2:]
        channel.close()
        reopened = contract_source.open(cursors)  # a new adapter: still there
        rest = reopened.pull(limit=10)
        assert ids(rest) == added[2:]
        reopened.ack(rest)
        assert reopened.pull(limit=10) == []
        reopened.close()

    def test_acking_twice_is_a_no_op(self, contract_source: ContractSource) -> None:
        cursors = MemoryCursors()
        contract_source.add(2)
        channel = contract_source.open(cursors)
        items = channel.pull(limit=10)
        channel.ack(items)
        stored, saves = dict(cursors.values), cursors.saves
        channel.ack(items)
        channel.ack(items[:1])
        assert (cursors.values, cursors.saves) == (stored, saves)
        assert channel.pull(limit=10) == []
        channel.close()

    def test_the_position_never_moves_back(self, contract_source: ContractSource) -> None:
        cursors = MemoryCursors()
        contract_source.add(3)
        channel = contract_source.open(cursors)
        items = channel.pull(limit=10)
        channel.ack(items)
        channel.ack(items[:1])  # an older ack arriving late
        later = contract_source.add(1)
        assert ids(channel.pull(limit=10)) == later
        channel.close()

    def test_close_may_be_called_twice(self, contract_source: ContractSource) -> None:
        contract_source.add(1)
        channel = contract_source.open(MemoryCursors())
        channel.pull(limit=10)
        channel.close()
        channel.close()

    def test_a_dead_server_raises_channel_unavailable(
        self, contract_source: ContractSource
    ) -> None:
        channel = contract_source.open_unreachable(MemoryCursors())
        with pytest.raises(ChannelUnavailableError):
            channel.pull(limit=10)
        channel.close()

    def test_a_malformed_item_does_not_block_the_next(
        self, contract_source: ContractSource
    ) -> None:
        contract_source.add_malformed()
        good = contract_source.add(1)
        cursors = MemoryCursors()
        channel = contract_source.open(cursors)
        items = channel.pull(limit=10)
        assert len(items) == 2
        assert ids(items[1:]) == good
        channel.ack(items)
        assert channel.pull(limit=10) == []
        channel.close()

    @staticmethod
    def _skip_unless_staged(channel: Channel) -> None:
        if not isinstance(channel, StagedAck):
            channel.close()
            pytest.skip("the adapter does not stage its position")

    def test_a_staged_position_is_saved_once_with_the_items(
        self, contract_source: ContractSource
    ) -> None:
        cursors = MemoryCursors()  # stands for the transaction that stores the items
        added = contract_source.add(3)
        channel = contract_source.open(cursors)
        self._skip_unless_staged(channel)
        assert isinstance(channel, StagedAck)
        items = channel.pull(limit=10)
        assert ids(items) == added
        channel.stage(items, cursors=cursors)
        assert cursors.saves == 1
        channel.ack(items)  # after the commit: nothing more to save
        channel.ack(items)
        assert cursors.saves == 1
        assert channel.pull(limit=10) == []
        channel.close()
        later = contract_source.add(1)
        reopened = contract_source.open(cursors)
        assert ids(reopened.pull(limit=10)) == later
        reopened.close()

    def test_a_stage_whose_transaction_failed_is_not_trusted(
        self, contract_source: ContractSource
    ) -> None:
        cursors = MemoryCursors()
        added = contract_source.add(2)
        channel = contract_source.open(cursors)
        self._skip_unless_staged(channel)
        assert isinstance(channel, StagedAck)
        items = channel.pull(limit=10)
        channel.stage(items, cursors=MemoryCursors())  # rolled back: never acked
        again = channel.pull(limit=10)  # the next poll starts from the durable position
        assert ids(again) == added
        channel.ack(again)  # acked without a stage of its own: saves the position itself
        assert cursors.saves == 1
        channel.close()
        reopened = contract_source.open(cursors)
        assert reopened.pull(limit=10) == []
        reopened.close()
