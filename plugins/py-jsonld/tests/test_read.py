"""Native tests of the reading rules (no component, no bindings): python3 tests/test_read.py
The pages in tests/pages/ were saved from the fixture site (tools/fixture-site, port 8399)."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))

import jsonld_read as r  # noqa: E402


def page(name):
    with open(os.path.join(HERE, "pages", name), encoding="utf-8") as handle:
        return handle.read()


class Durations(unittest.TestCase):
    def test_durations(self):
        for text, expected in [
            ("PT2H5M30S", 7530), ("PT125M", 7500), ("P1DT1S", 86_401), ("PT90.5S", 91),
            ("pt1h", 3600), ("P1M", None), ("PT", None), ("PT5", None), ("125", None),
        ]:
            self.assertEqual(r.parse_duration(text), expected, text)

    def test_dates(self):
        self.assertEqual(r.iso_date("2024-03-05T00:00:00Z"), "2024-03-05")
        self.assertIsNone(r.iso_date("March 5"))
        self.assertIsNone(r.iso_date("2024-3-5"))


class JsonLd(unittest.TestCase):
    def test_finds_movies_in_graphs_and_arrays(self):
        html = """<script type="application/ld+json">{"@context":"https://schema.org","@graph":[
            {"@type":"WebPage","name":"page"},
            {"@type":["Movie","CreativeWork"],"name":"T &amp; x","alternateName":["Orig"],
             "datePublished":"2024-03-05T00:00:00Z","duration":"PT1H30M",
             "actor":[{"@type":"Person","name":"A","url":"http://x/p/1"},"B"],
             "director":{"@type":"Person","name":"D"},"genre":["g1","g2"],
             "productionCompany":{"@type":"Organization","name":"S"},
             "image":{"@type":"ImageObject","url":"http://x/c.jpg"},"description":" d "}]}</script>
            <script type="application/ld+json">not json</script>"""
        blocks, _ = r.parse_page(html)
        movie = r.read_movie(r.find_by_type(blocks, r.MOVIE_TYPES)[0])
        self.assertEqual(movie["name"], "T &amp; x")  # script text is raw, as in Rust
        self.assertEqual(movie["alternate_name"], "Orig")
        self.assertEqual(movie["date_published"], "2024-03-05")
        self.assertEqual(movie["duration_seconds"], 5400)
        self.assertEqual([a["name"] for a in movie["actors"]], ["A", "B"])
        self.assertEqual(movie["actors"][0]["url"], "http://x/p/1")
        self.assertEqual(movie["directors"][0]["name"], "D")
        self.assertEqual(movie["genres"], ["g1", "g2"])
        self.assertEqual(movie["production_company"], "S")
        self.assertEqual(movie["image"], "http://x/c.jpg")
        self.assertEqual(movie["description"], "d")

    def test_top_level_arrays_and_prefixed_types(self):
        blocks = [[{"@type": "Thing"}, {"@type": "schema:VideoObject", "name": "v"}]]
        found = r.find_by_type(blocks, ["VideoObject"])
        self.assertEqual(len(found), 1)
        self.assertEqual(r.read_movie(found[0])["name"], "v")


class Metadata(unittest.TestCase):
    def test_fixture_movie(self):
        url = "http://127.0.0.1:8399/meta/DEMO-001"
        m = r.read_metadata("DEMO-001", page("meta-demo-001.html"), url)
        self.assertEqual(m["page_url"], url)
        self.assertEqual(m["title"], "夏の海辺")
        self.assertIsNone(m["original_title"])  # alternateName is the code itself
        self.assertEqual(m["release_date"], "2019-01-12")
        self.assertEqual(m["duration_seconds"], 82 * 60)
        self.assertEqual(m["studio"], "Blue Kite Studio")
        self.assertEqual([p["name"] for p in m["people"]], ["雪代 まどか", "天羽 ゆきな"])
        self.assertEqual(m["people"][0]["page_url"], "http://127.0.0.1:8399/meta/person/8")
        self.assertEqual(m["tags"], ["Documentary", "Sports", "Fantasy"])
        self.assertEqual(m["cover_url"], "http://127.0.0.1:8399/media/cover/DEMO-001.jpg")
        self.assertTrue(m["description"].startswith("「夏の海辺」"))

    def test_opengraph_page(self):
        url = "http://127.0.0.1:8399/alpha/v/DEMO-001"
        m = r.read_metadata("DEMO-001", page("alpha-demo-001.html"), url)
        self.assertEqual(m["page_url"], url)
        self.assertEqual(m["cover_url"], "http://127.0.0.1:8399/alpha/img/DEMO-001.jpg")
        self.assertEqual(m["people"], [])

    def test_opengraph_only(self):
        html = """<meta property="og:title" content="T"><meta property="og:image" content="/c.jpg">
            <meta property="og:video:actor" content="A"><meta property="og:video:tag" content="g">
            <meta property="og:video:release_date" content="2023-01-02T10:00:00Z"><meta property="og:video:duration" content="600">"""
        m = r.read_metadata("X-1", html, "http://a.test/p/X-1")
        self.assertEqual(m["title"], "T")
        self.assertEqual(m["cover_url"], "http://a.test/c.jpg")
        self.assertEqual(m["people"], [{"name": "A", "page_url": None, "avatar_url": None}])
        self.assertEqual(m["tags"], ["g"])
        self.assertEqual(m["release_date"], "2023-01-02")
        self.assertEqual(m["duration_seconds"], 600)

    def test_json_ld_wins_over_opengraph(self):
        html = """<meta property="og:title" content="OG">
            <script type="application/ld+json">{"@type":"VideoObject","name":"LD","alternateName":"Original"}</script>"""
        m = r.read_metadata("X-1", html, "http://a.test/")
        self.assertEqual(m["title"], "LD")
        self.assertEqual(m["original_title"], "Original")

    def test_plain_page_is_a_parse_error(self):
        with self.assertRaises(r.NoMetadata):
            r.read_metadata("X-1", page("alpha-search.html"), "http://a.test/")
        with self.assertRaises(r.NoMetadata):
            r.read_metadata("X-1", "<p>hi</p>", "http://a.test/")


class Urls(unittest.TestCase):
    def test_join(self):
        base = "http://127.0.0.1:8399/alpha/search?q=x"
        self.assertEqual(r.join(base, "/alpha/v/DEMO-001"), "http://127.0.0.1:8399/alpha/v/DEMO-001")
        self.assertEqual(r.join(base, "v/1"), "http://127.0.0.1:8399/alpha/v/1")
        self.assertEqual(r.join(base, "https://cdn.test/a.jpg"), "https://cdn.test/a.jpg")
        self.assertIsNone(r.join("not a url", "/x"))
        self.assertIsNone(r.join(base, "  "))


if __name__ == "__main__":
    unittest.main()
