"""``run.py: web_command``, the one gunicorn command line (run.py and the benchmark harness):
threaded workers by default (decision 0003), sync workers with ZHIYUAN_THREADS=1."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _run_module():
    spec = importlib.util.spec_from_file_location("zhiyuan_run_script", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_threaded_workers_by_default(monkeypatch):
    monkeypatch.delenv("ZHIYUAN_THREADS", raising=False)
    monkeypatch.delenv("ZHIYUAN_WORKERS", raising=False)
    cmd = _run_module().web_command("gunicorn", "8000")
    assert cmd[:2] == ["gunicorn", "zhiyuan.wsgi:application"]
    assert cmd[cmd.index("--workers") + 1] == "2"
    assert cmd[cmd.index("--worker-class") + 1] == "gthread" and cmd[cmd.index("--threads") + 1] == "4"
    assert cmd[cmd.index("--bind") + 1] == "127.0.0.1:8000"


def test_one_thread_is_the_sync_worker(monkeypatch):
    monkeypatch.setenv("ZHIYUAN_THREADS", "1")
    monkeypatch.setenv("ZHIYUAN_WORKERS", "3")
    cmd = _run_module().web_command("gunicorn", "8001")
    assert "--worker-class" not in cmd and "--threads" not in cmd
    assert cmd[cmd.index("--workers") + 1] == "3"
