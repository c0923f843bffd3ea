"""Native tests of the task rules: python3 tests/test_rules.py"""
import os
import sys
import unittest
from types import SimpleNamespace

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import rules  # noqa: E402

DAY = rules.DAY_MS


class Rules(unittest.TestCase):
    def test_older_than_the_cutoff_is_stale_within_the_limit(self):
        options = rules.Options.from_payload({"older_than_days": 7, "limit": 1}, 100 * DAY)
        self.assertEqual(options.cutoff_ms, 93 * DAY)
        items = [SimpleNamespace(code="A-1", updated_at_ms=90 * DAY), SimpleNamespace(code="B-2", updated_at_ms=99 * DAY)]
        report = {"checked": 0, "queued": 0}
        self.assertEqual(options.stale_codes(items, report), ["A-1"])
        self.assertEqual(report["checked"], 2)


if __name__ == "__main__":
    unittest.main()
