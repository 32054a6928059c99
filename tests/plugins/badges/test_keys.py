"""The signing key file: created once, owner-only, even when two processes start together."""

from __future__ import annotations

import subprocess
import sys

import pytest

from plugins.badges import credentials, keys

READ_KEY = ("import sys; from plugins.badges import credentials, keys; "
            "key = keys._secret_key(keys.BadgeSettings(signing_key_file=sys.argv[1])); "
            "print(credentials.public_multibase(key.public_key()))")


def test_two_processes_starting_together_share_one_new_key(tmp_path):
    path = tmp_path / "cles" / "badges.key"
    starting = [subprocess.Popen([sys.executable, "-c", READ_KEY, str(path)], stdout=subprocess.PIPE, text=True)
                for _ in range(4)]
    publics = {process.communicate(timeout=60)[0].strip() for process in starting}
    assert all(process.returncode == 0 for process in starting)
    [public] = publics
    assert public == credentials.public_multibase(credentials.secret_key(path.read_text()).public_key())
    assert path.stat().st_mode & 0o777 == 0o600
    assert [file.name for file in path.parent.iterdir()] == ["badges.key"]  # no temporary file left


def test_an_unreadable_key_is_a_clear_error_that_does_not_show_the_key(tmp_path):
    path = tmp_path / "badges.key"
    path.write_text("z3u2pas-une-cle")
    with pytest.raises(keys.SigningKeyError) as refused:
        keys._secret_key(keys.BadgeSettings(signing_key_file=str(path)))
    assert str(path) in str(refused.value) and "pas-une-cle" not in str(refused.value)
