"""Pure playlist rules, tested natively (tests/test_rules.py) before componentizing."""


def drop_breaks(text: str) -> str:
    """Every line outside CUE-OUT..CUE-IN, without the discontinuities around a break."""
    kept: list[str] = []
    in_break = after_break = False
    for line in text.splitlines():
        tag = line.strip()
        if not tag:
            continue
        if tag.startswith("#EXT-X-CUE-OUT") and not tag.startswith("#EXT-X-CUE-OUT-CONT"):
            in_break = True
            if kept and kept[-1] == "#EXT-X-DISCONTINUITY":
                kept.pop()
        elif tag.startswith("#EXT-X-CUE-IN"):
            in_break, after_break = False, True
        elif in_break:
            # Keys and maps apply after the break too.
            if tag.startswith(("#EXT-X-KEY", "#EXT-X-MAP")):
                kept.append(line)
        elif after_break and tag == "#EXT-X-DISCONTINUITY":
            after_break = False
        else:
            after_break = False
            kept.append(line)
    return "\n".join(kept) + "\n"
