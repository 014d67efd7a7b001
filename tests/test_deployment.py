"""The deployment guide and the files in ``deploy/`` stay true to the code: every ``shopcrm``
command they run exists and accepts its arguments, the compose file has the services the guide
describes, the systemd units are valid, and the limits the nginx site sets are ShopCRM's own."""
from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from shopcrm.cli import build_cli
from shopcrm.web.api.payload import MAX_BODY_BYTES
from shopcrm.web.app_config import MAX_REQUEST_BYTES

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "deployment.md"
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
NGINX = DEPLOY / "nginx" / "shopcrm.conf"
ENV_EXAMPLE = DEPLOY / "systemd" / "shopcrm.env.example"
SHELL_OPERATORS = {"|", "||", "&&", ";", ">", ">>", "<", "&"}
SYSTEMD_SPECIFIERS = {"%I": "send", "%i": "send", "%H": "web1"}


def shopcrm_commands(words: list[str]) -> list[list[str]]:
    """The argument lists of every ``shopcrm`` (or ``…/bin/shopcrm``) run in ``words``: the
    words after it up to a shell operator. A ``shopcrm`` that is a user name (after ``-u`` or
    ``useradd …``, i.e. with nothing after it) is not a command."""
    found = []
    for i, word in enumerate(words):
        if word != "shopcrm" and not word.endswith("/bin/shopcrm"):
            continue
        if i and words[i - 1] in ("-u", "--user", "-g", "--group", "-o", "--owner", "alias"):
            continue
        args = []
        for arg in words[i + 1:]:
            if arg in SHELL_OPERATORS:
                break
            args.append(arg)
        if args:
            found.append(args)
    return found


def guide_commands() -> list[list[str]]:
    """The commands of the guide's code blocks: complete, to be run as they are."""
    commands = []
    for block in re.findall(r"```(?:sh|bash)\n(.*?)```", GUIDE.read_text(), flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            commands += shopcrm_commands(shlex.split(line, comments=True))
    return commands


def guide_mentions() -> list[list[str]]:
    """The commands the guide's text names in backquotes (perhaps without their arguments)."""
    commands = []
    for line in re.findall(r"`([^`\n]*shopcrm [^`\n]*)`", GUIDE.read_text()):
        commands += shopcrm_commands(shlex.split(line))
    return commands


def compose_commands() -> list[list[str]]:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    commands = [args for spec in services.values() if isinstance(spec.get("command"), list)
                for args in shopcrm_commands(spec["command"])]
    for line in COMPOSE.read_text().splitlines():  # the usage in the header comment
        if line.startswith("#"):
            commands += shopcrm_commands(shlex.split(line.lstrip("# ")))
    return commands


def unit_commands() -> list[list[str]]:
    commands = []
    for unit in UNITS:
        for line in unit.read_text().splitlines():
            if line.startswith("ExecStart="):
                for specifier, value in SYSTEMD_SPECIFIERS.items():
                    line = line.replace(specifier, value)
                commands += shopcrm_commands(shlex.split(line.removeprefix("ExecStart=")))
    return commands


def check_command(args: list[str], complete: bool = True) -> None:
    """``shopcrm ARGS`` names a real command whose ``--help`` works and, when ``complete``,
    whose options and arguments parse."""
    cli = build_cli()
    command: click.Command = cli
    path: list[str] = []
    rest = list(args)
    while isinstance(command, click.Group):
        assert rest, f"shopcrm {' '.join(args)}: a command group without a command"
        name = rest.pop(0)
        assert name in command.commands, f"shopcrm {' '.join(args)}: no command {name!r} in {' '.join(path) or 'shopcrm'}"
        command = command.commands[name]
        path.append(name)
    if complete:
        try:
            command.make_context(" ".join(["shopcrm", *path]), rest)
        except click.UsageError as exc:
            pytest.fail(f"shopcrm {' '.join(args)}: {exc.format_message()}")
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output


def test_every_command_the_guide_names_exists() -> None:
    commands = guide_commands()
    for wanted in (["db", "upgrade"], ["users", "create"], ["tokens", "create"], ["backup"], ["restore"]):
        assert any(args[:len(wanted)] == wanted for args in commands), f"the guide no longer shows shopcrm {wanted}"
    for args in commands:
        check_command(args)
    mentions = guide_mentions()
    assert ["scheduler"] in mentions
    for args in mentions:
        check_command(args, complete=False)


def test_every_command_of_the_compose_file_and_the_units_exists() -> None:
    commands = compose_commands() + unit_commands()
    assert ["serve"] in commands and ["scheduler"] in commands and ["db", "upgrade"] in commands
    assert ["worker", "--queues", "send"] in commands and ["worker", "--queues", "main"] in commands
    for args in commands:
        check_command(args)


def test_a_misspelt_command_or_option_is_caught() -> None:
    with pytest.raises(AssertionError, match="no command 'upgrayed'"):
        check_command(["db", "upgrayed"])
    with pytest.raises(pytest.fail.Exception, match="No such option '--queue'"):
        check_command(["worker", "--queue", "send"])


def test_compose_file_has_the_services_of_the_guide() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker-send", "worker-main", "scheduler"}
    assert services["migrate"]["command"] == ["shopcrm", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    shopcrm = {name: spec for name, spec in services.items() if spec.get("image") == "shopcrm:latest"}
    assert set(shopcrm) == {"migrate", "web", "worker-send", "worker-main", "scheduler"}
    for name, spec in shopcrm.items():
        env = spec["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://") and env["REDIS_URL"].startswith("redis://")
        assert env["SHOPCRM_SECRET_KEY"].startswith("${SHOPCRM_SECRET_KEY:?")  # one key for all, required
        assert "instance:/var/lib/shopcrm" in spec["volumes"]
        assert spec["build"]["dockerfile"] == "deploy/Dockerfile"
        if name != "migrate":
            assert spec["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert "replicas" not in services["scheduler"].get("deploy", {})  # exactly one
    assert services["worker-send"]["deploy"]["replicas"] == 2
    assert any("/healthz" in part for part in services["web"]["healthcheck"]["test"])


def compose_command() -> tuple[list[str], bool] | None:
    """``docker compose`` (the Compose specification), else Debian's ``docker-compose`` 1.29
    (``True``: it predates the top-level ``name``), else ``None``."""
    docker = shutil.which("docker")
    if docker is not None and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"], False
    legacy = shutil.which("docker-compose")
    return ([legacy], True) if legacy is not None else None


def test_compose_file_passes_docker_compose_config(tmp_path: Path) -> None:
    command = compose_command()
    if command is None:
        if os.environ.get("CI"):
            pytest.fail("neither docker compose nor docker-compose is installed: .ci/run installs docker-compose")
        pytest.skip("docker compose is not installed here; the file is checked as YAML above")
    argv, legacy = command
    compose = COMPOSE
    if legacy:  # the same file without the project's name, which docker-compose 1.29 does not know
        spec = yaml.safe_load(COMPOSE.read_text())
        assert spec.pop("name") == "shopcrm"
        compose = tmp_path / "compose.yaml"
        compose.write_text(yaml.safe_dump(spec, allow_unicode=True))
    env = tmp_path / ".env"
    env.write_text("POSTGRES_PASSWORD=pw\nSHOPCRM_SECRET_KEY=" + "k" * 64 + "\n")
    done = subprocess.run([*argv, "-f", str(compose), "--env-file", str(env), "config", "--quiet"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_dockerfile_installs_the_core_and_every_plugin() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert "pip install . ./plugins/*/" in text
    for folder in ("core", "web", "migrations", "plugins"):
        assert f"COPY {folder} ./{folder}" in text


def test_units_read_the_environment_file_and_run_as_shopcrm() -> None:
    assert {unit.name for unit in UNITS} == {"shopcrm-web.service", "shopcrm-worker@.service",
                                             "shopcrm-scheduler.service"}
    for unit in UNITS:
        parser = configparser.ConfigParser(interpolation=None, strict=True)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read_string(unit.read_text())
        service = parser["Service"]
        assert service["EnvironmentFile"] == "/etc/shopcrm/shopcrm.env"
        assert service["User"] == "shopcrm"
        assert parser["Install"]["WantedBy"] == "multi-user.target"


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    shopcrm = shutil.which("shopcrm") or str(Path(__file__).resolve().parent.parent / ".venv" / "bin" / "shopcrm")
    env = tmp_path / "shopcrm.env"
    env.write_text(ENV_EXAMPLE.read_text())
    copies = []
    for unit in UNITS:  # the units as installed, with this machine's shopcrm and environment file
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text().replace("/opt/shopcrm/venv/bin/shopcrm", shopcrm)
                        .replace("/etc/shopcrm/shopcrm.env", str(env)))
        copies.append(copy)
    instance = tmp_path / "shopcrm-worker@send.service"
    instance.symlink_to(tmp_path / "shopcrm-worker@.service")
    done = subprocess.run([analyze, "verify", *(str(c) for c in copies if "@." not in c.name), str(instance)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr + done.stdout


def test_environment_example_sets_what_the_guide_documents() -> None:
    documented = set(re.findall(r"`((?:SHOPCRM_|DATABASE_|REDIS_)[A-Z_]+)`", GUIDE.read_text()))
    example = {line.split("=", 1)[0] for line in ENV_EXAMPLE.read_text().splitlines()
               if line and not line.startswith("#")}
    assert example <= documented, f"undocumented in docs/deployment.md: {sorted(example - documented)}"
    assert {"DATABASE_URL", "REDIS_URL", "SHOPCRM_INSTANCE", "SHOPCRM_SECRET_KEY", "SHOPCRM_PROXIES",
            "SHOPCRM_COOKIE_SECURE"} <= example


def _megabytes(size: str) -> int:
    assert size.endswith("m"), size
    return int(size[:-1]) * 1024 * 1024


def test_nginx_limits_are_shopcrms_own() -> None:
    text = NGINX.read_text()
    server_wide = re.search(r"^    client_max_body_size (\d+m);", text, flags=re.M)
    assert server_wide and _megabytes(server_wide.group(1)) == MAX_REQUEST_BYTES
    api = re.search(r"location /api/ \{[^}]*client_max_body_size (\d+m);", text)
    assert api and _megabytes(api.group(1)) >= MAX_BODY_BYTES
    assert "location /plugins/sms_aliyun/" in text  # the blueprint's mount point (callback-urls prints it)
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in text  # one hop, as SHOPCRM_PROXIES=1 trusts
