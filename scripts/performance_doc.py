"""Shared by the benchmark scripts: replace one "## " section of docs/performance.md."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PERFORMANCE = os.path.join(ROOT, "docs/performance.md")
HEADER = ("# Performance\n\nEvery figure here comes from the command written next to it, run on the "
          "machine named there. The machines are shared and noisy: compare ratios measured in the same "
          "run, not absolute times across runs.\n\n")


def write_section(title, section):
    """Replaces the section headed `## {title}` (or appends it); `section` starts with that heading."""
    existing = open(PERFORMANCE).read() if os.path.exists(PERFORMANCE) else HEADER
    start = existing.find(f"## {title}")
    if start >= 0:
        end = existing.find("\n## ", start + 1)
        existing = existing[:start] + existing[end + 1:] if end >= 0 else existing[:start]
    with open(PERFORMANCE, "w") as f:
        f.write(existing.rstrip("\n") + "\n\n" + section)
