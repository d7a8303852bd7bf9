"""BENCHMARKS.md: the machine it ran on and one dated section per benchmark.

Each benchmark script renders its own Markdown table and calls `update_section`,
which replaces only that benchmark's section (between HTML comment markers) and
refreshes the machine facts, so `python -m bench all` fills the whole file and a
single script rerun updates its own table.

    python -m bench.report            # print the machine facts
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

REPORT = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
ORDER = [
    "index10000",
    "index100000",
    "search2000",
    "search10000",
    "search50000",
    "search100000",
    "scaling",
    "crawl",
    "relevance",
    "export",
    "ui",
    "embedding",
    "dense",
    "similar",
]
_TITLE = "# Benchmarks\n"
_INTRO = (
    "Written by the scripts in `bench/` (`python -m bench all`); do not edit by hand. "
    "These machines are shared and noisy: compare the ratios within one table, measured "
    "side by side in one run, more than absolute figures across tables.\n"
)


def machine_facts() -> str:
    mem = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            kb = int(fh.readline().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        mem = "unknown"
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"- cores: {os.cpu_count()} ({cpu})\n"
        f"- memory: {mem}\n"
        f"- Python: {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.release()}\n"
    )


def md_table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _sections(text: str) -> dict[str, str]:
    found = re.findall(r"<!-- bench:(\w+) -->\n(.*?)<!-- /bench:\1 -->\n", text, flags=re.S)
    return dict(found)


def update_section(key: str, title: str, body: str, path: Path = REPORT) -> None:
    """Replace (or add) the section `key` of BENCHMARKS.md with a dated `body`."""
    sections = _sections(path.read_text(encoding="utf-8")) if path.exists() else {}
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections[key] = f"## {title}\n\nMeasured {stamp}.\n\n{body.strip()}\n\n"
    keys = [k for k in ORDER if k in sections] + sorted(k for k in sections if k not in ORDER)
    out = [_TITLE, "\n", _INTRO, "\n## Machine\n\n", machine_facts(), "\n"]
    for k in keys:
        out.append(f"<!-- bench:{k} -->\n{sections[k]}<!-- /bench:{k} -->\n")
    # Written aside and renamed: a benchmark killed mid-write must not empty the report.
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(out), encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.report",
        description="Print the machine facts that head BENCHMARKS.md.",
    )
    parser.parse_args(argv)
    print(machine_facts(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
