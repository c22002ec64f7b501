"""The docs' ops table is generated from the registry; it must not drift."""
from conftest import ROOT
from tflm_py import ops
from tflm_py.docs import ops_markdown


def test_ops_table_is_current():
    on_disk = (ROOT / "docs" / "ops.md").read_text()
    assert on_disk == ops_markdown(), "docs/ops.md is stale: run python -m tflm_py.docs"


def test_ops_table_lists_every_registered_op():
    text = (ROOT / "docs" / "ops.md").read_text()
    for name in ops.supported_ops():
        assert f"| {name} |" in text


def test_boards_table_is_current():
    from tflm_py.docs import boards_markdown
    on_disk = (ROOT / "docs" / "boards.md").read_text()
    assert on_disk == boards_markdown(), "docs/boards.md is stale: run python -m tflm_py.docs"


def test_boards_table_lists_every_board():
    from tflm_py.boards import get_board, list_boards
    text = (ROOT / "docs" / "boards.md").read_text()
    for name in list_boards():
        b = get_board(name)
        row = next(ln for ln in text.splitlines() if ln.startswith(f"| `{name}` |"))
        assert b.platformio["platform"] in row and f"`{b.port}`" in row
