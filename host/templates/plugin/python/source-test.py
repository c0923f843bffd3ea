"""Native tests of the page rules: python3 tests/test_page.py"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import page  # noqa: E402


class PageRules(unittest.TestCase):
    def test_playlist_and_title(self):
        text = '<title>Summer - Alpha</title><script>var hlsUrl = "http://x/m.m3u8";</script>'
        self.assertEqual(page.between(text, 'var hlsUrl = "', '"'), "http://x/m.m3u8")
        self.assertEqual(page.title(text), "Summer")
        self.assertIsNone(page.between(text, "missing", '"'))


if __name__ == "__main__":
    unittest.main()
