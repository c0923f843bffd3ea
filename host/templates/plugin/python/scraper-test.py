"""Native tests of the page rules: python3 tests/test_page.py"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import page  # noqa: E402

PAGE = """<script type="application/ld+json">{"@type":"Movie","name":"Summer","duration":"PT1H22M",
"datePublished":"2019-01-12","image":"/c.jpg","actor":[{"@type":"Person","name":"A"}],"genre":["Drama"]}</script>"""


class PageRules(unittest.TestCase):
    def test_movie_fields(self):
        fields = page.metadata(page.movie(PAGE), "http://x/meta/DEMO-001")
        self.assertEqual(fields["title"], "Summer")
        self.assertEqual(fields["duration_seconds"], 4920)
        self.assertEqual(fields["cover_url"], "http://x/c.jpg")
        self.assertEqual(fields["people"], [("A", None, None)])
        self.assertEqual(fields["tags"], ["Drama"])

    def test_no_movie(self):
        self.assertIsNone(page.movie("<html></html>"))


if __name__ == "__main__":
    unittest.main()
