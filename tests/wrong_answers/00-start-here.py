"""Wrong answers for lesson 00 (see tests/wrong_answers/__init__.py)."""

WRONG = {
    # counts 400 as a success and divides by zero on an empty batch
    "ex0_1_share_failed": (
        "def share_failed(status_codes):\n"
        "    codes = list(status_codes)\n"
        "    return sum(code > 400 for code in codes) / len(codes)\n"
    ),
}
