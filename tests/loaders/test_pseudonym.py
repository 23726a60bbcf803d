"""Pseudonyms equal the standard library's HMAC-SHA256; keys are checked."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lake.errors import ConfigError
from loaders.pseudonym import KEY_FILE_ENV, load_key, pseudonym, pseudonymise

KEY = b"k" * 32


@given(
    st.lists(st.one_of(st.none(), st.text(min_size=1, max_size=20)), max_size=30),
    st.binary(min_size=32, max_size=100),
)
def test_batch_equals_hmac_digest_per_id(ids: list[str | None], key: bytes) -> None:
    result = pseudonymise(pl.Series(ids, dtype=pl.String), key=key, site="IT-X").to_list()
    expected = [
        None
        if raw is None
        else hmac.new(key, f"IT-X:{raw}".encode(), hashlib.sha256).hexdigest()[:32]
        for raw in ids
    ]
    assert result == expected


@given(
    st.lists(st.one_of(st.none(), st.text(min_size=1, max_size=20)), max_size=30),
    st.text(min_size=32, max_size=120),
)
def test_text_keys_take_the_vectorised_path_and_still_equal_hmac(
    ids: list[str | None], text_key: str
) -> None:
    # text keys (hex from openssl, passphrases, non-ASCII, longer than a SHA-256 block) go
    # through the polars-hash plugin; the result must be the standard HMAC all the same
    key = text_key.encode()
    result = pseudonymise(pl.Series(ids, dtype=pl.String), key=key, site="IT-X").to_list()
    expected = [
        None if raw is None else hmac.new(key, f"IT-X:{raw}".encode(), "sha256").hexdigest()[:32]
        for raw in ids
    ]
    assert result == expected


def test_reference_function_matches_hmac() -> None:
    expected = hmac.new(KEY, b"IT-BOL:P1", hashlib.sha256).hexdigest()[:32]
    assert pseudonym(KEY, "IT-BOL", "P1") == expected


def test_site_prefix_separates_equal_local_ids() -> None:
    ids = pl.Series(["P1"])
    a = pseudonymise(ids, key=KEY, site="A")
    b = pseudonymise(ids, key=KEY, site="B")
    assert a[0] != b[0]


def test_key_from_environment_and_trailing_newline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "key"
    path.write_bytes(KEY + b"\n")
    monkeypatch.setenv(KEY_FILE_ENV, str(path))
    assert load_key() == KEY


def test_missing_key_says_how_to_provide_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    with pytest.raises(ConfigError, match=f"set {KEY_FILE_ENV}"):
        load_key()


def test_short_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_bytes(b"short")
    with pytest.raises(ConfigError, match="5 bytes; use at least 32"):
        load_key(path)


def test_unreadable_key_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the pseudonym key"):
        load_key(tmp_path / "absent")


def test_a_key_inside_the_lake_is_refused_even_through_a_symlink(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    (lake / "patients").mkdir(parents=True)
    inside = lake / "patients" / "pseudonym.key"
    inside.write_bytes(KEY)
    link = tmp_path / "key-link"
    link.symlink_to(inside)
    for path in (inside, link):
        with pytest.raises(ConfigError, match=r"inside the lake .* outside the lake root"):
            load_key(path, lake_root=lake)
    # a sibling directory sharing the lake's name as a prefix is outside it
    sibling = tmp_path / "lake-keys" / "pseudonym.key"
    sibling.parent.mkdir()
    sibling.write_bytes(KEY)
    assert load_key(sibling, lake_root=lake) == KEY
