"""The resiliency matrix's data: it parses, covers every link of the topology, rejects
malformed entries with the reason, and README.md shows exactly what it holds."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sandbox.chaos.matrix import (
    BEGIN,
    END,
    MatrixError,
    check_covers,
    load_matrix,
    main,
    parse_matrix,
    render_markdown,
    splice,
)
from sandbox.errors import SandboxError
from sandbox.topology import compose_file, load_topology

ROOT = Path(__file__).resolve().parents[2]
MATRIX_FILE = ROOT / "scenarios" / "chaos" / "matrix.yaml"
FAULTS = ("latency", "down", "timeout", "reset_peer")


def raw_matrix() -> dict:
    return yaml.safe_load(MATRIX_FILE.read_text())


def test_the_committed_matrix_covers_every_link_and_the_four_faults() -> None:
    matrix = load_matrix(MATRIX_FILE)
    check_covers(matrix, [link.name for link in load_topology(compose_file()).links], MATRIX_FILE)
    assert tuple(matrix.faults) == FAULTS
    assert matrix.faults["latency"].attributes == {"latency": 1000}
    assert matrix.faults["down"].kind == "down"
    assert len(matrix.cells()) == 4 * len(matrix.links)


def test_the_readme_shows_the_matrix_as_committed() -> None:
    readme = (ROOT / "README.md").read_text()
    table = render_markdown(load_matrix(MATRIX_FILE))
    assert splice(readme, table) == readme, (
        "README.md's matrix differs from scenarios/chaos/matrix.yaml: "
        "run `python -m sandbox.chaos.matrix --write`"
    )


def test_a_cell_renders_its_statuses() -> None:
    matrix = load_matrix(MATRIX_FILE)
    row = next(line for line in render_markdown(matrix).splitlines()
               if line.startswith("| `gateway->monolith`"))
    cells = [c.strip() for c in row.strip("|").split("|")][1:]
    assert cells == [" or ".join(map(str, matrix.expected["gateway->monolith"][f]))
                     for f in FAULTS]


def test_a_missing_link_is_named() -> None:
    matrix = load_matrix(MATRIX_FILE)
    with pytest.raises(MatrixError, match=r"links not in the matrix: \['new->link'\]"):
        check_covers(matrix, [*matrix.links, "new->link"], MATRIX_FILE)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda m: m.update(extra=1), r"unknown keys \['extra'\]"),
        (lambda m: m["links"]["gateway->auth"].update(down=[500]), r"links.gateway->auth.down"),
        (lambda m: m["links"]["gateway->auth"].pop("down"), r"not one entry per fault"),
        (lambda m: m["faults"].update(latency="latency=fast"), r"faults.latency"),
        (lambda m: m["traffic"].update(rate="fast"), r"traffic.rate 'fast'"),
        (lambda m: m.update(recovery="soon"), r"recovery"),
        (lambda m: m["faults"].update(timeout={"fault": "timeout=0", "for": "0s"}),
         r"faults.timeout.for must be positive"),
    ],
)
def test_malformed_matrices_are_refused_with_the_reason(change, reason) -> None:
    raw = raw_matrix()
    change(raw)
    with pytest.raises(MatrixError, match=reason) as caught:
        parse_matrix(raw, MATRIX_FILE)
    assert str(MATRIX_FILE) in str(caught.value)


def test_the_cli_writes_the_table_between_the_markers(tmp_path, capsys) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n{BEGIN}\nold\n{END}\nafter\n")
    assert main(["--matrix", str(MATRIX_FILE), "--readme", str(readme), "--write"]) == 0
    text = readme.read_text()
    assert "old" not in text and "| `gateway->monolith` |" in text and text.endswith(f"{END}\nafter\n")
    readme.write_text("no markers\n")
    assert main(["--matrix", str(MATRIX_FILE), "--readme", str(readme), "--write"]) == 2
    assert "no matrix markers" in capsys.readouterr().err


def test_splice_needs_both_markers() -> None:
    with pytest.raises(SandboxError):
        splice(f"{END} then {BEGIN}", "table")
