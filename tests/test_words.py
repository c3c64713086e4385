"""Messages name an option as their reader sets it (issue 28, item 3): a flag on the
command line, the control in the studio's page; one mechanism, settings.named()."""

import pytest

from deepstart.errors import DataError
from deepstart.modalities import read_labeled
from deepstart.settings import CONTROLS, named, speaking_to
from deepstart.train.diagnostics import _fit_r2 as diagnose_regression_fit


def test_an_unclear_column_is_asked_for_with_a_flag_or_the_pages_menu(tmp_path):
    (tmp_path / "n.csv").write_text("a,b,c\n" + "".join(f"{i},{2 * i},{i % 3}\n" for i in range(30)))
    with pytest.raises(DataError, match="choose it with --target"):
        read_labeled(str(tmp_path / "n.csv"))
    with speaking_to("page"), pytest.raises(DataError) as refused:
        read_labeled(str(tmp_path / "n.csv"))
    assert "the menu “Column to predict”" in str(refused.value) and "--" not in str(refused.value)


def test_every_option_has_its_words_for_the_page():
    with speaking_to("page"):
        said = {option: named(option, "speaker" if option == "group_split" else None) for option in CONTROLS}
    assert not [w for w in said.values() if "--" in w]
    assert said["group_split"] == "the box “Test on speakers it has never heard”"
    with speaking_to("page"):
        assert named("task", "text") == "the menu “Read it as” (“texts”)"
    assert named("task", "text") == "--task text" and named("lr") == "--lr"


def test_a_diagnostics_fix_is_said_for_the_page_too():
    with speaking_to("page"):
        over, _ = diagnose_regression_fit(0.99, 0.2)
    assert "dropout" in over["fix"] and "--" not in over["fix"]
    assert "--dropout" in diagnose_regression_fit(0.99, 0.2)[0]["fix"]
