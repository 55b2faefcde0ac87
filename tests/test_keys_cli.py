"""`rtchat keys` through real subprocesses; the keyring backend is the one fake (no OS keyring in CI)."""

import subprocess

from tests.support.env import isolated_env, rtchat_cmd

CANARY = "sk-canary-7f3a9d1e2b4c"


def run(args, env, stdin=None):
    return subprocess.run(rtchat_cmd(*args), env=env, input=stdin, capture_output=True, text=True, timeout=30)


def test_set_where_list_delete_never_print_the_key(tmp_path):
    env = isolated_env(tmp_path, PYTHON_KEYRING_BACKEND="tests.support.file_keyring.TestKeyring", RTCHAT_TEST_KEYRING=str(tmp_path / "ring.json"))
    outputs = []
    result = run(["keys", "set", "openai"], env, stdin=CANARY + "\n")
    outputs.append(result)
    assert result.returncode == 0 and "stored" in result.stdout
    result = run(["keys", "where", "openai"], env)
    outputs.append(result)
    assert result.stdout.strip() == "openai: keyring"
    result = run(["keys", "where", "openai"], env | {"OPENAI_API_KEY": "sk-env-wins-0000"})
    outputs.append(result)
    assert result.stdout.strip() == "openai: env:OPENAI_API_KEY"
    result = run(["keys", "list"], env)
    outputs.append(result)
    assert "openai\tkeyring" in result.stdout
    result = run(["keys", "delete", "openai"], env)
    outputs.append(result)
    assert result.returncode == 0
    assert run(["keys", "where", "openai"], env).returncode == 1
    for result in outputs:
        assert CANARY not in result.stdout + result.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name != "ring.json":
            assert CANARY not in path.read_text(errors="replace")


def test_no_keyring_backend_explains_env_var(tmp_path):
    env = isolated_env(tmp_path, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    result = run(["keys", "set", "deepseek"], env, stdin=CANARY + "\n")
    assert result.returncode == 2
    assert "export DEEPSEEK_API_KEY" in result.stderr and "Traceback" not in result.stderr
    assert CANARY not in result.stdout + result.stderr
