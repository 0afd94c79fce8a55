"""What a result was measured on: machine, versions, database."""

import datetime as dt
import os
import platform
import shutil
import subprocess
from importlib import metadata


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def memory_gb() -> float | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def tool_version(cmd: list[str]) -> str | None:
    if not shutil.which(cmd[0]):
        return None
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else None


def load_average() -> list[float] | None:
    """1/5/15-minute load: these machines are shared, so a result records how busy it was."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine_info() -> dict:
    return {
        "load_average": load_average(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gb": memory_gb(),
        "python": platform.python_version(),
        "django": _version("Django"),
        "django_ninja": _version("django-ninja"),
        "gunicorn": _version("gunicorn"),
        "psycopg": _version("psycopg"),
    }


def database_info(connection) -> dict:
    """Vendor and server version of a configured Django connection."""
    vendor = connection.vendor
    with connection.cursor() as cur:
        if vendor == "postgresql":
            cur.execute("SELECT version()")
            version = cur.fetchone()[0].split(" on ")[0]
        elif vendor == "sqlite":
            cur.execute("SELECT sqlite_version()")
            version = "SQLite " + cur.fetchone()[0]
        else:
            version = vendor
    return {"vendor": vendor, "version": version, "name": str(connection.settings_dict.get("NAME"))}


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
