"""Pure task rules, tested natively (tests/test_rules.py) before componentizing."""
from dataclasses import dataclass

DAY_MS = 86_400_000


@dataclass
class Options:
    """The task's options: resources written before `cutoff_ms` are stale."""

    cutoff_ms: int
    source: str | None
    limit: int

    @classmethod
    def from_payload(cls, payload: dict, now_ms: int) -> "Options":
        days = max(0, int(payload.get("older_than_days", 7)))
        return cls(now_ms - days * DAY_MS, payload.get("source"), int(payload.get("limit", 1000)))

    def stale_codes(self, items, report: dict) -> list[str]:
        """The codes of the stale items of one page, within the limit; counts what it read."""
        report["checked"] += len(items)
        room = max(0, self.limit - report["queued"])
        return [item.code for item in items if item.updated_at_ms < self.cutoff_ms][:room]
