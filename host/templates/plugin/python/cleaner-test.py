"""Native tests of the cleaning rules (no component, no bindings):

    python3 tests/test_rules.py [GOLDEN_JSON] [unittest options]

The golden cases (every cleaner must pass them) are read from the first argument, else from
$GOLDEN, else from this project's wit/cleaner-golden.json (tests/../wit). The extra cases are
those of the JS cleaner's test.js, plus a few that pin down where JavaScript's and Python's
regular expressions differ (rules.py follows JavaScript).
"""
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))

import rules  # noqa: E402

DEFAULT_GOLDEN = os.path.normpath(os.path.join(HERE, "..", "wit", "cleaner-golden.json"))

# Extra cases of the JS cleaner (test.js): what must stay, what must go, what is unusable.
# `labels` is the `extra_labels` setting; "" expected means nothing usable (an error).
EXTRA_CASES = [
    {"rule": "bold-after-label", "input": 'Translation: **"Summer Seaside"** (Note: literal)', "expected": "Summer Seaside"},
    {"rule": "bold-label", "input": "**Translation**: Summer Seaside", "expected": "Summer Seaside"},
    {"rule": "keep-colon", "input": "Star Wars: A New Hope", "expected": "Star Wars: A New Hope"},
    {"rule": "keep-hyphen", "input": "Spider-Man - Far From Home", "expected": "Spider-Man - Far From Home"},
    {"rule": "keep-brackets", "input": "Alien (1979)", "expected": "Alien (1979)"},
    {"rule": "empty", "input": "   \n\n ", "expected": ""},
    {"rule": "empty", "input": '""', "expected": ""},
    {"rule": "empty", "input": "**  **", "expected": ""},
    {"rule": "label-only", "input": "Translation:", "expected": ""},
    {"rule": "colon-title", "input": "Re: Zero:", "expected": "Re: Zero:"},
    {"rule": "extra-label", "input": "Titel: Sommerfest", "expected": "Sommerfest", "labels": "Titel|Übersetzung"},
    {"rule": "courtesy-label", "input": "Sure! Here is the translation: Summer Festival", "expected": "Summer Festival"},
    # Chinese titles the Chinese rules must leave: a label word inside a longer word before a
    # colon, a quoted work followed by more title, a copula that is no explanation, a count.
    {"rule": "keep-colon", "input": "标题党：流量时代", "expected": "标题党：流量时代"},
    {"rule": "keep-quoted", "input": "《红楼梦》续集", "expected": "《红楼梦》续集"},
    {"rule": "keep-quoted", "input": "“我”是谁", "expected": "“我”是谁"},
    {"rule": "keep-list-like", "input": "1、2、3木头人", "expected": "1、2、3木头人"},
]

# Where Python's `re` and str methods would differ from the JS cleaner; each expectation
# is what clean.js answers (checked with node).
JS_SEMANTICS_CASES = [
    # JS /i does not equate "ı" or "İ" with "i"; Python's re.IGNORECASE does.
    {"rule": "js-case-folding", "input": "Tıtle: Summer Festival", "expected": "Tıtle: Summer Festival"},
    {"rule": "js-case-folding", "input": "TİTLE: Summer Festival", "expected": "TİTLE: Summer Festival"},
    {"rule": "js-case-folding", "input": "TITLE: Summer Festival", "expected": "Summer Festival"},
    {"rule": "js-case-folding", "input": "ÜBERSETZUNG: Sommerfest", "expected": "Sommerfest", "labels": "übersetzung"},
    # JS trim() strips U+FEFF but not U+0085; str.strip() does the opposite.
    {"rule": "js-whitespace", "input": "\ufeffSummer Festival\ufeff", "expected": "Summer Festival"},
    {"rule": "js-whitespace", "input": "Summer\x85Festival", "expected": "Summer\x85Festival"},
    # JS \d is ASCII: an Arabic-Indic "١." is not a list marker.
    {"rule": "js-digits", "input": "١. Summer Festival", "expected": "١. Summer Festival"},
    # JS splits lines at \r, \n, U+2028 and U+2029 only (not at \v or \f).
    {"rule": "js-line-ends", "input": "Summer Festival\u2028Note: literal", "expected": "Summer Festival"},
    {"rule": "js-line-ends", "input": "Summer\x0bFestival", "expected": "Summer Festival"},
]


def golden_path() -> str:
    """The first argument (taken out of argv before unittest reads it), $GOLDEN or the default."""
    if __name__ == "__main__" and len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        return sys.argv.pop(1)
    return os.environ.get("GOLDEN") or DEFAULT_GOLDEN


def load_golden(path: str) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as handle:
            cases = json.load(handle)
    except OSError as error:
        sys.exit(f"cannot read the golden cases ({error}); pass their path as the first "
                 f"argument or in $GOLDEN")
    if not isinstance(cases, list) or not cases:
        sys.exit(f"{path}: expected a non-empty list of {{rule, input, expected}}")
    return cases


def add_cases(test_class: type, prefix: str, cases: list[dict]) -> None:
    """One test method per case, so a failure names its rule and input."""
    for number, case in enumerate(cases):
        def test(self, case=case):
            title = rules.clean_title(case["input"], rules.parse_labels(case.get("labels")))
            self.assertEqual(title, case["expected"], f"[{case['rule']}] {case['input']!r}")

        name = f"test_{prefix}_{number:03d}_{case['rule'].replace('-', '_')}"
        test.__doc__ = f"[{case['rule']}] {case['input']!r}"
        setattr(test_class, name, test)


class Golden(unittest.TestCase):
    """Every case of wit/cleaner-golden.json."""


class Extra(unittest.TestCase):
    """The JS cleaner's own extra cases, and JS semantics."""


class ParseLabels(unittest.TestCase):
    def test_unset_or_empty(self):
        self.assertEqual(rules.parse_labels(None), [])
        self.assertEqual(rules.parse_labels(""), [])
        self.assertEqual(rules.parse_labels(" | \n "), [])

    def test_pipes_and_newlines(self):
        self.assertEqual(
            rules.parse_labels(" Titel | Übersetzung\r\nTraduction\n\nTítulo|"),
            ["Titel", "Übersetzung", "Traduction", "Título"],
        )

    def test_labels_with_spaces_match_any_whitespace(self):
        labels = rules.parse_labels("deutscher titel")
        title = rules.clean_title("Deutscher\u3000 Titel: Sommerfest", labels)
        self.assertEqual(title, "Sommerfest")


class Steps(unittest.TestCase):
    def test_steps_name_the_rules_that_changed_something(self):
        steps: list[str] = []
        title = rules.clean_title('Translation: "Summer Festival"\nNote: literal', [], steps)
        self.assertEqual(title, "Summer Festival")
        self.assertEqual(steps, ["first-line", "prefix", "quotes"])

    def test_nothing_usable_is_empty(self):
        for raw in ["", None, "...", "「」", "Here is the translation:\nTranslation:"]:
            self.assertEqual(rules.clean_title(raw, []), "", repr(raw))


GOLDEN_CASES = load_golden(golden_path())
add_cases(Golden, "golden", GOLDEN_CASES)
add_cases(Extra, "extra", EXTRA_CASES)
add_cases(Extra, "js", JS_SEMANTICS_CASES)

if __name__ == "__main__":
    print(
        f"{len(GOLDEN_CASES)} golden + {len(EXTRA_CASES)} extra + "
        f"{len(JS_SEMANTICS_CASES)} JS-semantics cases",
        file=sys.stderr,
    )
    unittest.main()
