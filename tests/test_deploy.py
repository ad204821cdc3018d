"""The Docker image's build, replayed without a Docker engine.

The builder stage copies a few paths, builds the project wheel and installs it; the runtime
stage runs `collectstatic` with production settings. Here the same COPY sources (read from the
Dockerfile) go to a scratch build context, the wheel is built with `pip wheel --no-deps` and
installed into a fresh virtualenv whose dependencies come from .venv (nothing is downloaded
again), and `collectstatic` and `check --deploy` run from a directory outside the source tree
(`python -m django` is the image's `django-admin`: the same entry point). Last, the image's
CMD (gunicorn) serves the installed package and the image's HEALTHCHECK command passes.
So a module, template, translation, data file or static file that the wheel forgets fails
here, not in production.
"""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
PACKAGES = ("backend", "api", "services", "notifications", "web", "demo")
# Non-Python files that must ship inside the wheel: directories named like this in a package.
DATA_DIRS = {"locale", "templates", "data", "static"}


def dummy_secrets() -> dict[str, str]:
    """Throw-away production environment: long random keys, a scratch database."""
    return {
        "DJANGO_SETTINGS_MODULE": "backend.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "sqlite:////tmp/voisinage-deploy-check.sqlite3",
        "ALLOWED_HOSTS": "api.voisinage.test",
    }


def clean_env(**extra: str) -> dict[str, str]:
    """The machine's environment without anything that would point Python at the source."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTHON", "PYTEST", "VIRTUAL_ENV"))
        and key
        not in {
            "SECRET_KEY",
            "JWT_SIGNING_KEY",
            "DATABASE_URL",
            "ALLOWED_HOSTS",
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "STATIC_ROOT",
            "MEDIA_ROOT",
            "DEBUG",
        }
    }
    env.update(extra)
    return env


def _dotenv() -> str:
    """A developer's .env is read by the settings: a variable set there is never 'unset'."""
    path = ROOT / ".env"
    return path.read_text() if path.exists() else ""


def run(cmd, *, cwd, env, timeout=120) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(part) for part in cmd],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, cmd))} exited {result.returncode}\n"
        f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
    )
    return result


def builder_copy_sources() -> list[str]:
    """The paths the builder stage COPYs from the build context (not `COPY --from=`)."""
    sources: list[str] = []
    stage = None
    for line in DOCKERFILE.read_text().splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0].upper() == "FROM":
            stage = words[-1] if len(words) >= 4 and words[-2].upper() == "AS" else None
        elif words[0].upper() == "COPY" and stage == "builder":
            args = [w for w in words[1:] if not w.startswith("--")]
            assert not any(w.startswith("--from") for w in words), line
            sources.extend(args[:-1])
    return sources


def shipped_data_files(context: Path) -> list[Path]:
    """Files under locale/, templates/, data/ and static/ directories of the packages.

    Read from the build context (the copy the wheel was built from), not from the working
    tree, which other work may change while the test runs.
    """
    found = []
    for package in PACKAGES:
        for path in (context / package).rglob("*"):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            relative = path.relative_to(context)
            if DATA_DIRS.intersection(relative.parts[:-1]):
                found.append(relative)
    return sorted(found)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """Build the wheel as the Dockerfile does and install it into a fresh virtualenv.

    Returns (python of that virtualenv, its site-packages, a working directory outside the
    source tree).
    """
    base = tmp_path_factory.mktemp("deploy")
    context = base / "context"
    context.mkdir()
    for source in builder_copy_sources():
        origin = ROOT / source
        assert origin.exists(), f"the Dockerfile copies {source}, which does not exist"
        if origin.is_dir():
            shutil.copytree(
                origin, context / source, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy2(origin, context / source)

    env = clean_env(PIP_DISABLE_PIP_VERSION_CHECK="1")
    wheels = base / "wheels"
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", wheels, "."],
        cwd=context,
        env=env,
        timeout=180,
    )
    (wheel,) = wheels.glob("voisinage-*.whl")

    venv = base / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=base, env=env)
    python = venv / "bin" / "python"
    site_packages = Path(
        run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            cwd=base,
            env=env,
        ).stdout.strip()
    )
    # Dependencies come from .venv, behind the fresh site-packages: a plain path line (no
    # `import`), so .venv's own .pth files (an editable install of the source) are not loaded.
    (site_packages / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            wheel,
        ],
        cwd=base,
        env=env,
        timeout=180,
    )
    outside = base / "app"
    outside.mkdir()
    return python, site_packages, outside


def test_the_dockerfile_builds_a_slim_non_root_gunicorn_image():
    text = DOCKERFILE.read_text()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, flags=re.MULTILINE | re.I)
    assert [name for _, name in stages] == ["builder", "runtime"]
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", text, flags=re.MULTILINE)
    assert "COPY --from=builder /opt/venv /opt/venv" in text
    assert "pip wheel --no-deps" in text
    assert "DJANGO_SETTINGS_MODULE=backend.settings.production" in text
    assert "django-admin collectstatic --noinput" in text
    user = re.findall(r"^USER\s+(\S+)", text, flags=re.MULTILINE)
    assert user and user[-1] not in {"root", "0"}
    assert re.search(r"^EXPOSE 8000$", text, flags=re.MULTILINE)
    healthcheck = re.search(r"^HEALTHCHECK (?:.*\\\n)*\s*CMD (.*)$", text, flags=re.MULTILINE)
    assert healthcheck, "no HEALTHCHECK"
    probe = healthcheck.group(1)
    assert probe.startswith('["python", "-c"') and "/healthz" in probe  # no curl in slim
    assert re.search(r'^CMD \["gunicorn", "backend\.wsgi:application"', text, flags=re.MULTILINE)
    # The build-time secrets are per-command, never ENV lines baked into the image.
    env_lines = " ".join(re.findall(r"^ENV (?:.*\\\n)*.*$", text, flags=re.MULTILINE))
    assert "SECRET_KEY" not in env_lines and "JWT_SIGNING_KEY" not in env_lines


def test_dockerignore_keeps_local_secrets_and_databases_out():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", ".venv", ".git", "db.sqlite3"} <= ignored
    copied = builder_copy_sources()
    assert set(copied) == {"pyproject.toml", *PACKAGES}
    assert not ignored.intersection(copied)


def test_the_installed_wheel_carries_its_data_files(installed):
    _, site_packages, outside = installed
    context = outside.parent / "context"
    assert (site_packages / "backend" / "settings" / "production.py").is_file()
    files = shipped_data_files(context)
    missing = [str(path) for path in files if not (site_packages / path).is_file()]
    assert missing == [], f"not in the wheel (see [tool.setuptools.package-data]): {missing}"
    migrations = [
        path.relative_to(context)
        for package in PACKAGES
        for path in (context / package).rglob("migrations/0*.py")
    ]
    assert migrations
    missing = [str(path) for path in migrations if not (site_packages / path).is_file()]
    assert missing == [], f"migrations not in the wheel: {missing}"


@pytest.fixture(scope="module")
def collected(installed):
    """`collectstatic` as the image's build runs it; returns (python, workdir, environment)."""
    python, site_packages, outside = installed
    env = clean_env(
        **{
            **dummy_secrets(),
            "DATABASE_URL": f"sqlite:///{outside / 'db.sqlite3'}",
            "STATIC_ROOT": str(outside / "staticfiles"),
            "MEDIA_ROOT": str(outside / "media"),
        }
    )
    located = run(
        [python, "-c", "import backend, services; print(backend.__file__, services.__file__)"],
        cwd=outside,
        env=env,
    ).stdout.split()
    assert all(Path(path).is_relative_to(site_packages) for path in located), located
    run([python, "-m", "django", "collectstatic", "--noinput", "-v", "0"], cwd=outside, env=env)
    return python, outside, env


def test_collectstatic_collects_from_the_installed_package(collected):
    _, outside, _ = collected
    static_root = outside / "staticfiles"
    assert (static_root / "staticfiles.json").is_file()  # the manifest production serves from
    assert (static_root / "admin" / "css" / "base.css").is_file()
    assert list((static_root / "drf_spectacular_sidecar").rglob("swagger-ui-bundle.js"))
    for path in shipped_data_files(outside.parent / "context"):
        parts = path.parts
        if "static" in parts[:-1]:
            inside = Path(*parts[parts.index("static") + 1 :])
            assert (static_root / inside).is_file(), f"{path} was not collected"


def test_check_deploy_passes_on_the_installed_package(collected):
    python, outside, env = collected
    checked = run(
        [python, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=outside,
        env=env,
    )
    assert "System check identified no issues" in checked.stdout


def _instruction_argv(keyword: str) -> list[str]:
    """The exec-form argument list of the Dockerfile's last CMD (or HEALTHCHECK's CMD)."""
    text = DOCKERFILE.read_text()
    if keyword == "HEALTHCHECK":
        match = re.search(r"^HEALTHCHECK (?:.*\\\n)*\s*CMD (\[.*\])$", text, flags=re.MULTILINE)
        assert match
        return json.loads(match.group(1))
    return json.loads(re.findall(r"^CMD (\[.*\])$", text, flags=re.MULTILINE)[-1])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port: int, path: str, **headers: str):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        headers={"Host": "api.voisinage.test", "X-Forwarded-Proto": "https", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_image_command_serves_the_api_and_the_healthcheck_passes(collected):
    python, outside, env = collected
    port = _free_port()
    command = _instruction_argv("CMD")
    assert command[0] == "gunicorn"
    # The settings come from the installed package (backend/gunicorn_conf.py); only the
    # address and the worker count are moved for the test, through their variables.
    assert command[1:] == ["backend.wsgi:application", "--config", "python:backend.gunicorn_conf"]
    arguments = command[1:]
    probe = [
        argument.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        for argument in _instruction_argv("HEALTHCHECK")
    ]
    assert probe[0] == "python"
    server = subprocess.Popen(
        [python, "-m", "gunicorn", *arguments],
        cwd=outside,
        env={**env, "WEB_CONCURRENCY": "1", "GUNICORN_BIND": f"127.0.0.1:{port}"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            healthy = subprocess.run(
                [python, *probe[1:]],
                cwd=outside,
                env=env,
                capture_output=True,
                timeout=15,
                check=False,
            )
            if healthy.returncode == 0 or time.monotonic() > deadline or server.poll() is not None:
                break
            time.sleep(0.3)
        assert healthy.returncode == 0, healthy.stderr

        status, body = _get(port, "/readyz")
        assert (status, json.loads(body)["status"]) == (200, "ok")
        status, body = _get(port, "/api/v1/no-such-thing/")
        assert status == 404 and json.loads(body)["code"] == "not_found"
        status, body = _get(port, "/api/docs/")
        assert status == 200 and "swagger-ui" in body
        bundle = re.search(r'src="(/static/[^"]*swagger-ui-bundle[^"]*\.js)"', body)
        assert bundle, "Swagger UI does not load its bundle from our static files"
        assert _get(port, bundle.group(1))[0] == 200  # WhiteNoise, hashed name from the manifest
        # Without the proxy's header, production redirects to HTTPS; the probes are exempt.
        plain = {"X-Forwarded-Proto": "http"}
        assert _get(port, "/healthz", **plain)[0] == 200
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_french_catalogues_are_found_in_the_installed_package(installed):
    python, site_packages, outside = installed
    catalogues = sorted(site_packages.glob("*/**/locale/fr/LC_MESSAGES/django.mo"))
    if not catalogues:
        pytest.skip("no French catalogue committed yet")
    script = """
import gettext, sys
import django
django.setup()
from django.utils import translation
failures = []
for path in sys.argv[1:]:
    catalogue = gettext.GNUTranslations(open(path, "rb"))._catalog
    pairs = [(k, v) for k, v in catalogue.items() if k and isinstance(k, str) and v and k != v]
    with translation.override("fr"):
        if pairs and not any(translation.gettext(k) == v for k, v in pairs):
            failures.append(path)
print("\\n".join(failures))
"""
    env = clean_env(**dummy_secrets())
    result = run([python, "-c", script, *catalogues], cwd=outside, env=env)
    assert result.stdout.strip() == "", f"catalogues not used: {result.stdout}"


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY must be set in production"),
        ("JWT_SIGNING_KEY", "JWT_SIGNING_KEY must be set in production"),
        ("DATABASE_URL", "DATABASE_URL must be set in production"),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS must be set in production"),
    ],
)
@pytest.mark.parametrize("how", ["unset", "empty"])
def test_production_settings_refuse_to_start_without_a_secret(tmp_path, missing, message, how):
    env = clean_env(**dummy_secrets(), PYTHONPATH=str(ROOT))
    if how == "unset":
        if re.search(rf"^\s*{missing}\s*=", _dotenv(), flags=re.MULTILINE):
            pytest.skip(f"the local .env sets {missing}")
        del env[missing]
    else:
        env[missing] = ""
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode != 0
    if missing == "DATABASE_URL" and how == "empty":
        # base.py parses an empty DATABASE_URL before production.py can name it: refused, but
        # with django-environ's KeyError instead of the message.
        assert message in result.stderr or "KeyError: 'ENGINE'" in result.stderr
    else:
        assert f"ImproperlyConfigured: {message}" in result.stderr


def test_production_settings_refuse_a_jwt_key_equal_to_the_secret_key(tmp_path):
    env = clean_env(**dummy_secrets(), PYTHONPATH=str(ROOT))
    env["JWT_SIGNING_KEY"] = env["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode != 0
    assert "JWT_SIGNING_KEY must differ from SECRET_KEY" in result.stderr
