"""Rewrite the shipped sample day from its recipe (bounded_contexts/ingestion/adapters/
sample_bars.py); tests/ingestion/unit/test_shipped_sample.py fails while the two differ.

Run: .venv/bin/python tools/regenerate_sample.py
"""

from __future__ import annotations

from bounded_contexts.ingestion.adapters.csv_replay import sample_path
from bounded_contexts.ingestion.adapters.sample_bars import sample_lines


def main() -> None:
    path = sample_path("sample_bars.csv")
    text = "".join(f"{line}\r\n" for line in sample_lines())
    with open(path, "w", encoding="ascii", newline="") as out:
        out.write(text)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
