"""Native tests of the playlist rules: python3 tests/test_rules.py"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import rules  # noqa: E402


class Rules(unittest.TestCase):
    def test_an_ad_break_goes(self):
        text = "#EXTM3U\n#EXTINF:4.0,\na.ts\n#EXT-X-DISCONTINUITY\n#EXT-X-CUE-OUT:4\n#EXTINF:4.0,\nad.ts\n#EXT-X-CUE-IN\n#EXT-X-DISCONTINUITY\n#EXTINF:4.0,\nb.ts\n#EXT-X-ENDLIST\n"
        self.assertEqual(
            rules.drop_breaks(text),
            "#EXTM3U\n#EXTINF:4.0,\na.ts\n#EXTINF:4.0,\nb.ts\n#EXT-X-ENDLIST\n",
        )


if __name__ == "__main__":
    unittest.main()
