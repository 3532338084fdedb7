"""One plausible wrong answer per exercise, by lesson and answer grade id.

The end-to-end autograde test submits them (half of a lesson's answers wrong at a time) and
checks that every test cell of a wrong answer scores 0 while the others keep their points.
A wrong answer here runs without raising NotImplementedError: it is a mistake a student makes.
"""

WRONG_ANSWERS: dict[str, dict[str, str]] = {
    "00-start-here": {
        # counts 400 as a success and divides by zero on an empty batch
        "ex0_1_share_failed": (
            "def share_failed(status_codes):\n"
            "    codes = list(status_codes)\n"
            "    return sum(code > 400 for code in codes) / len(codes)\n"
        ),
    },
}
