"""Config problems as a user meets them: `ask` refuses with the line to fix, `config check` lists all."""

from __future__ import annotations


from tests.support.env import run_rtchat, write_config


def test_retries_zero_is_refused_by_ask_with_the_line_to_fix(tmp_path):
    path = write_config(tmp_path, "[network]\nretries = 0\n")
    result = run_rtchat(tmp_path, "ask", "-m", "loopback/echo", "hi")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"rtchat: {path} line 2: [network] retries must be a whole number between 1 and 10 (got 0)\n"


def test_config_check_lists_every_problem_and_exits_2(tmp_path):
    path = write_config(tmp_path, 'theme = "dark"\n[network]\nstall_timeout = -1\nretries = 0\n')
    result = run_rtchat(tmp_path, "config", "check")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"rtchat: {path} line 3: [network] stall_timeout must be a number of seconds between 1 and 3600 (got -1)",
        f"rtchat: {path} line 4: [network] retries must be a whole number between 1 and 10 (got 0)",
    ]


def test_config_check_names_a_theme_that_does_not_exist(tmp_path):
    path = write_config(tmp_path, '\ntheme = "rtchat-dark"\n')
    result = run_rtchat(tmp_path, "config", "check")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"rtchat: {path} line 2: theme 'rtchat-dark' does not exist (themes: ")
    assert "dark, " in result.stderr and "high-contrast" in result.stderr
    (path.parent / "themes").mkdir()
    (path.parent / "themes" / "mine.toml").write_text('name = "rtchat-dark"\nprimary = "#ff0000"\n')
    assert run_rtchat(tmp_path, "config", "check").returncode == 0


def test_unknown_keys_warn_with_their_line_and_do_not_stop_anything(tmp_path):
    path = write_config(tmp_path, "[network]\nretry = 3\n")
    checked = run_rtchat(tmp_path, "config", "check")
    assert checked.returncode == 0 and checked.stdout.startswith(f"{path}: exists")
    assert checked.stderr.startswith(f"rtchat: warning: {path} line 2: unknown setting [network] retry (ignored; known: ")
    asked = run_rtchat(tmp_path, "ask", "-m", "loopback/echo", "hi")
    assert asked.returncode == 0 and "hi" in asked.stdout and "unknown setting [network] retry" in asked.stderr


def test_config_check_warns_about_unknown_binding_ids_and_key_names_with_their_lines(tmp_path):
    path = write_config(tmp_path, '[keys]\nnot_a_binding = "f10"\ncycle_effort = "ctrl+nosuchkey"\nregenerate = "f11"\npick_model = "f12"\n')
    result = run_rtchat(tmp_path, "config", "check")
    assert result.returncode == 0 and result.stdout.startswith(f"{path}: exists")
    assert result.stderr.splitlines() == [
        f"rtchat: warning: {path} line 2: [keys] not_a_binding is not a binding id (ignored; F1 lists every binding with its id)",
        f"rtchat: warning: {path} line 3: [keys] cycle_effort: 'nosuchkey' is not a key Textual knows"
        ' (e.g. "f10", "ctrl+s", "a", "left_square_bracket") (ignored)',
        f"rtchat: warning: {path} line 4: [keys] regenerate is now called regenerate_message (the old name works in this release)",
    ]
