"""Shared by the measuring scripts: replace one "## " section of a generated document
(docs/performance.md, docs/validation.md)."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PERFORMANCE = os.path.join(ROOT, "docs/performance.md")
HEADER = ("# Performance\n\nEvery figure here comes from the command written next to it, run on the "
          "machine named there. The machines are shared and noisy: compare ratios measured in the same "
          "run, not absolute times across runs.\n\n")


VALIDATION = os.path.join(ROOT, "docs/validation.md")
VALIDATION_HEADER = ("# Validation: how far a verdict can be trusted\n\nError rates of the tool measured on model "
                     "organisms whose cause the project planted. Every figure comes from the script named in its "
                     "section, which rewrites that section.\n\n")


def write_section(title, section, document=PERFORMANCE, header=HEADER):
    """Replaces the section headed `## {title}` of `document` (or appends it); `section` starts with
    that heading."""
    existing = open(document).read() if os.path.exists(document) else header
    start = existing.find(f"## {title}")
    if start >= 0:
        end = existing.find("\n## ", start + 1)
        existing = existing[:start] + existing[end + 1:] if end >= 0 else existing[:start]
    with open(document, "w") as f:
        f.write(existing.rstrip("\n") + "\n\n" + section)


def publish(title, section, section_out=None):
    """Prints a measuring script's section, then writes it to `section_out` when given (a run to
    look at) or into docs/performance.md."""
    print(section)
    if section_out:
        with open(section_out, "w") as f:
            f.write(section)
    else:
        write_section(title, section)
