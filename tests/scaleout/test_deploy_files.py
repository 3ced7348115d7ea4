"""The deploy/ files agree with each other and with the app (no Docker or cluster needed).

docker-compose.yml and the Kubernetes manifests cannot run here (no Docker engine, no
cluster): they are parsed and their contract checked. nginx.conf is also run for real by
test_nginx_scaleout.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.render_nginx import render

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
CHECKPOINTS = "/data/checkpoints"


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def k8s_objects() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in load_all(path):
            found[doc["kind"]] = doc
    return found


def env_of(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def image_uid() -> str:
    m = re.search(r"^USER\s+(\d+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert m, "the Dockerfile sets no numeric USER"
    return m.group(1)


# -- nginx.conf ---------------------------------------------------------------------------------


def nginx_conf() -> str:
    return (DEPLOY / "nginx.conf").read_text()


def location(conf: str, name: str) -> str:
    m = re.search(r"location\s+" + re.escape(name) + r"\s*\{([^}]*)\}", conf)
    assert m, f"nginx.conf has no `location {name}`"
    return m.group(1)


def seconds(value: str) -> int:
    m = re.fullmatch(r"(\d+)(s|m|h)?", value)
    assert m, value
    return int(m.group(1)) * {"s": 1, None: 1, "m": 60, "h": 3600}[m.group(2)]


def test_nginx_conf_routes_by_cookie_and_proxies_websockets() -> None:
    conf = nginx_conf()
    code = "\n".join(line.split("#", 1)[0] for line in conf.splitlines())
    assert "ip_hash" not in code, "never route by client IP: a classroom shares one address"
    assert re.search(r"hash\s+\$bpl_route_key\s+consistent;", code)
    assert re.search(r"map\s+\$cookie_bpl_browser\s+\$bpl_route_key", code)
    # Cookie-less clients route by the session id, from the query or an /api/sessions/ path.
    assert re.search(
        r"map\s+\$arg_session\s+\$bpl_session_key\s*\{[^}]*default\s+\$arg_session;", code
    )
    assert re.search(r'""\s+\$bpl_session_key;', code)
    assert "~^/api/sessions/(?<bpl_sid>" in code
    assert "proxy_set_header Host $http_host;" in code  # the app's same-origin check
    assert "proxy_set_header Upgrade $http_upgrade;" in code
    assert "proxy_set_header Connection $connection_upgrade;" in code
    assert "proxy_http_version 1.1;" in code
    ws = location(code, "= /ws")
    read = re.search(r"proxy_read_timeout\s+(\S+);", ws)
    send = re.search(r"proxy_send_timeout\s+(\S+);", ws)
    assert read and seconds(read.group(1)) >= 3600, "nginx drops idle sockets after 60 s"
    assert send and seconds(send.group(1)) >= 3600
    assert re.search(r"proxy_buffering\s+off;", ws)
    assert "proxy_pass http://backprop_lab;" in location(code, "= /healthz")
    # The access log must not write query strings: /ws?session=…&token=… is a secret.
    fmt = re.search(r"log_format\s+bpl\s+(.*?);", code, re.DOTALL)
    assert fmt and "$request " not in fmt.group(1) and "$args" not in fmt.group(1)
    assert "$request_uri" not in fmt.group(1)


def test_rendered_nginx_conf_changes_only_marked_lines(tmp_path: Path) -> None:
    committed = nginx_conf().splitlines()
    rendered = render("127.0.0.1:1", ["127.0.0.1:2", "127.0.0.1:3"], tmp_path).splitlines()
    marked = {  # the BEGIN marker line itself stays
        line.strip() for line in committed if "# RENDER:" in line and "# BEGIN" not in line
    }
    servers = {line.strip() for line in committed if re.match(r"\s*server\s+app\d+:8000", line)}
    assert {line.strip() for line in committed} - {line.strip() for line in rendered} == (
        marked | servers
    )
    assert "server 127.0.0.1:3 max_fails=1 fail_timeout=10s;" in {s.strip() for s in rendered}
    assert not [line for line in rendered if "/var/" in line or "/run/" in line]


def test_rendered_nginx_conf_passes_nginx_t(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx is not installed: run scripts/system-deps.sh", pytrace=False)
    (tmp_path / "tmp").mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(render("127.0.0.1:1", ["127.0.0.1:2"], tmp_path))
    done = subprocess.run(
        [nginx, "-t", "-q", "-p", str(tmp_path), "-e", "stderr", "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert done.returncode == 0, done.stderr


def test_render_cli_writes_the_same_config(tmp_path: Path) -> None:
    out = tmp_path / "out.conf"
    subprocess.run(
        [
            sys.executable,
            str(DEPLOY / "render_nginx.py"),
            "--listen",
            "8080",
            "--server",
            "127.0.0.1:8001",
            "--prefix",
            str(tmp_path),
            "-o",
            str(out),
        ],
        check=True,
        timeout=10,
    )
    assert out.read_text() == render("8080", ["127.0.0.1:8001"], tmp_path)


# -- docker-compose.yml -------------------------------------------------------------------------


def test_compose_apps_share_the_checkpoint_volume_and_match_nginx_upstreams() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]
    apps = sorted(name for name in services if name != "nginx")
    assert len(apps) >= 2
    for name in apps:
        app = services[name]
        assert app["build"]["context"] == ".." and app["build"]["dockerfile"] == "Dockerfile"
        assert (DEPLOY / app["build"]["context"] / app["build"]["dockerfile"]).is_file()
        assert app["environment"]["BPL_CHECKPOINT_DIR"] == CHECKPOINTS
        assert f"checkpoints:{CHECKPOINTS}" in app["volumes"]
    assert "checkpoints" in compose["volumes"]

    # nginx's upstream lists exactly the app services, on the image's port.
    upstream = re.findall(r"^\s*server\s+(\S+:\d+)\s", nginx_conf(), re.MULTILINE)
    assert upstream == [f"{name}:8000" for name in apps]
    nginx = services["nginx"]
    assert set(nginx["depends_on"]) == set(apps)
    assert all(v["condition"] == "service_healthy" for v in nginx["depends_on"].values())
    assert (DEPLOY / nginx["build"]["context"] / nginx["build"]["dockerfile"]).is_file()


# -- Kubernetes ---------------------------------------------------------------------------------


def test_k8s_manifests_parse_and_agree() -> None:
    objs = k8s_objects()
    assert {"Deployment", "Service", "Ingress", "PersistentVolumeClaim"} <= set(objs)
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(
        p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml"
    )

    deploy = objs["Deployment"]
    assert deploy["spec"]["replicas"] >= 2
    pod = deploy["spec"]["template"]["spec"]
    labels = deploy["spec"]["template"]["metadata"]["labels"]
    assert deploy["spec"]["selector"]["matchLabels"].items() <= labels.items()
    security = pod["securityContext"]
    assert security["runAsNonRoot"] is True
    assert str(security["runAsUser"]) == image_uid()
    assert str(security["fsGroup"]) == image_uid()
    (container,) = pod["containers"]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/healthz", probe
    assert container["resources"]["requests"] and container["resources"]["limits"]
    assert env_of(container)["BPL_CHECKPOINT_DIR"] == CHECKPOINTS
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    (ckpt,) = [name for name, path in mounts.items() if path == CHECKPOINTS]
    pvc = objs["PersistentVolumeClaim"]
    assert volumes[ckpt]["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"], "every replica writes checkpoints"

    service = objs["Service"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"].get("sessionAffinity", "None") == "None", "never by client IP"
    (port,) = service["spec"]["ports"]
    assert port["targetPort"] in {p["name"] for p in container["ports"]}

    ingress = objs["Ingress"]
    notes = ingress["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    assert notes[prefix + "affinity"] == "cookie"
    assert notes[prefix + "session-cookie-name"]
    assert int(notes[prefix + "proxy-read-timeout"]) >= 3600
    assert int(notes[prefix + "proxy-send-timeout"]) >= 3600
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"]["name"] == port["name"]
