"""Settings precedence and the endpoint safety rules of CONTRACT §4."""

import pytest

from reconciler.config import ConfigError, Secret, resolve


def test_flag_beats_env_beats_file_beats_default(tmp_path):
    (tmp_path / "reconciler.toml").write_text('endpoint = "https://file.example/pipedrive"\nconnection = "c-file"\n')
    env = {"RECONCILER_ENDPOINT": "https://env.example/pipedrive"}
    s = resolve(first_path=str(tmp_path), env=env)
    assert s.endpoint == "https://env.example/pipedrive"
    assert s.connection == "c-file"
    s = resolve(first_path=str(tmp_path), env=env, endpoint="https://flag.example/pipedrive")
    assert s.endpoint == "https://flag.example/pipedrive"
    s = resolve(first_path=str(tmp_path), env={})
    assert s.endpoint == "https://file.example/pipedrive"
    assert resolve(env={}).endpoint == "https://gateway.maton.ai/pipedrive"


def test_control_endpoint_defaults_to_ctrl_or_origin():
    assert resolve(env={}).control_endpoint == "https://ctrl.maton.ai"
    s = resolve(env={}, endpoint="http://127.0.0.1:8765/pipedrive")
    assert s.control_endpoint == "http://127.0.0.1:8765"


@pytest.mark.parametrize("url", ["http://example.com/pipedrive", "http://10.0.0.1/pipedrive", "ftp://x/y"])
def test_plain_http_refused_off_loopback(url):
    with pytest.raises(ConfigError):
        resolve(env={}, endpoint=url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:1/pipedrive", "http://localhost/pipedrive", "http://[::1]:8/p"])
def test_plain_http_allowed_on_loopback(url):
    assert resolve(env={}, endpoint=url).endpoint == url


def test_secret_never_prints():
    s = resolve(env={"MATON_API_KEY": "sk-very-secret"})
    assert "sk-very-secret" not in repr(s)
    assert "sk-very-secret" not in str(s.api_key)
    assert s.api_key.reveal() == "sk-very-secret"
    assert "x" not in f"{Secret('x')}".replace("Secret('***')", "")


def test_unknown_setting_in_project_file(tmp_path):
    (tmp_path / "reconciler.toml").write_text('endpoit = "x"\n')
    with pytest.raises(ConfigError, match="unknown setting"):
        resolve(first_path=str(tmp_path), env={})


def test_bad_timeout(monkeypatch):
    with pytest.raises(ConfigError):
        resolve(env={"RECONCILER_TIMEOUT": "soon"})


def test_global_options_after_every_command():
    """CONTRACT §3: --debug, --quiet and --no-color go before or after the command."""
    import click

    from reconciler.cli import cli

    def walk(command, path):
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])
        else:
            yield path, command

    for path, command in walk(cli, []):
        names = {opt for p in command.params for opt in getattr(p, "opts", [])}
        assert {"--debug", "--quiet", "--no-color"} <= names, " ".join(path)
