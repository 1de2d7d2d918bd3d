"""The secrets scanner tries its costly expressions only where their anchors occur: the matches
must be exactly those of trying every position."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rescans.scanners.secrets import SHAPES, _matches, scan_text

ANCHORED = [shape for shape in SHAPES if shape.anchors]
FRAGMENTS = st.sampled_from(
    [
        "password",
        "PASSWORD",
        "Passwd",
        "pwd",
        "db_password",
        "SECRET_KEY",
        "api_key",
        "ApiKey",
        "access_token",
        "AUTH_TOKEN",
        "private_key",
        " = ",
        ": ",
        "=> ",
        ":=",
        "'",
        '"',
        "os.getenv(",
        "\n",
        " ",
        "aB3dE5gH7jK9mN2q",
        "Zz9Yy8Xx7Ww6Vv5U",
        "postgres://",
        "postgresql://",
        "mongodb+srv://",
        "redis://",
        "amqps://",
        "xredis://",
        "://",
        "user:",
        "S3cr3tPassW0rd",
        "@db.example.org",
        "İ",
        "ß",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(FRAGMENTS, max_size=40).map("".join))
def test_anchored_matches_are_those_of_every_position(text: str) -> None:
    lowered = text.lower()
    for shape in ANCHORED:
        assert [m.span() for m in _matches(shape, text, lowered)] == [
            m.span() for m in shape.pattern.finditer(text)
        ], shape.rule_id


def test_anchored_shapes_still_find_their_secrets() -> None:
    text = (
        'DATABASE_URL = "postgresql://app:Xq7vR2mK9wLp@db.internal/app"\n'
        'SERVICE_API_KEY = "Zq8Lm3Vt7Rn2Wx5Ks9"\n'
    )
    findings, _ = scan_text("app/settings.py", text)
    assert sorted(f.rule_id for f in findings) == ["password-assignment", "url-credentials"]
