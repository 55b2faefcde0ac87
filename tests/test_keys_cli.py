"""`rtchat keys` through real subprocesses; the keyring backend is the one fake (no OS keyring in CI)."""

from tests.support.env import run_rtchat

CANARY = "sk-canary-7f3a9d1e2b4c"


def test_set_where_list_delete_never_print_the_key(tmp_path):
    ring = {"PYTHON_KEYRING_BACKEND": "tests.support.file_keyring.TestKeyring", "RTCHAT_TEST_KEYRING": str(tmp_path / "ring.json")}
    outputs = []
    result = run_rtchat(tmp_path, "keys", "set", "openai", input=CANARY + "\n", **ring)
    outputs.append(result)
    assert result.returncode == 0 and "stored" in result.stdout
    result = run_rtchat(tmp_path, "keys", "where", "openai", **ring)
    outputs.append(result)
    assert result.stdout.strip() == "openai: keyring"
    result = run_rtchat(tmp_path, "keys", "where", "openai", **ring, OPENAI_API_KEY="sk-env-wins-0000")
    outputs.append(result)
    assert result.stdout.strip() == "openai: env:OPENAI_API_KEY"
    result = run_rtchat(tmp_path, "keys", "list", **ring)
    outputs.append(result)
    assert "openai\tkeyring" in result.stdout
    result = run_rtchat(tmp_path, "keys", "delete", "openai", **ring)
    outputs.append(result)
    assert result.returncode == 0
    assert run_rtchat(tmp_path, "keys", "where", "openai", **ring).returncode == 1
    for result in outputs:
        assert CANARY not in result.stdout + result.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name != "ring.json":
            assert CANARY not in path.read_text(errors="replace")


def test_no_keyring_backend_explains_env_var(tmp_path):
    result = run_rtchat(tmp_path, "keys", "set", "deepseek", input=CANARY + "\n", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    assert result.returncode == 2
    assert "export DEEPSEEK_API_KEY" in result.stderr and "Traceback" not in result.stderr
    assert CANARY not in result.stdout + result.stderr
