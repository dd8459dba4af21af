"""``suanli catalog classify`` and ``suanli catalog list`` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from suanli.catalog.accelerators import load_accelerators
from suanli.catalog.cli import catalog_app

runner = CliRunner()

H100 = {
    "model": "H100",
    "bf16_tflops_dense": 989.5,
    "int8_tops_dense": 1979,
    "die_mm2": 814,
    "datacenter": True,
}


def run_classify(tmp_path: Path, payload: str | object) -> tuple[int, str, str]:
    path = tmp_path / "chips.json"
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload), "utf-8")
    result = runner.invoke(catalog_app, ["classify", str(path)])
    return result.exit_code, result.stdout, result.stderr


def test_classify_prints_a_json_list(tmp_path: Path) -> None:
    h20 = {"model": "H20", "bf16_tflops_dense": 148, "int8_tops_dense": 296}
    h20 |= {"die_mm2": 814, "datacenter": True}
    unknown_die = {"model": "K100", "bf16_tflops_dense": 196, "int8_tops_dense": None}
    unknown_die |= {"datacenter": True}  # die_mm2 left out: unknown
    code, out, err = run_classify(tmp_path, [H100, h20, unknown_die])
    assert (code, err) == (0, "")
    assert json.loads(out) == [
        {
            "model": "H100",
            "tpp": 15832,
            "performance_density": 19.44,
            "eccn": "3A090.a",
            "reason": "TPP 15,832 >= 4,800 (BF16 989.5 TFLOPS x 16)",
        },
        {
            "model": "H20",
            "tpp": 2368,
            "performance_density": 2.9,
            "eccn": "not-3A090",
            "reason": "TPP 2,368 < 2,400 and PD 2.9 < 3.2, so no clause applies "
            "(BF16 148 TFLOPS x 16)",
        },
        {
            "model": "K100",
            "tpp": 3136,
            "performance_density": None,
            "eccn": "undetermined",
            "reason": json.loads(out)[2]["reason"],
        },
    ]
    assert out.startswith('[\n  {\n    "model"')  # indent 2


def test_classify_keeps_one_decimal_of_tpp_and_ignores_extra_keys(tmp_path: Path) -> None:
    rtx = {"model": "RTX 4090", "bf16_tflops_dense": 330.4, "int8_tops_dense": 660.8}
    rtx |= {"die_mm2": None, "datacenter": False, "vendor": "NVIDIA"}
    code, out, _ = run_classify(tmp_path, [rtx])
    assert code == 0
    assert json.loads(out)[0] | {"reason": ""} == {
        "model": "RTX 4090",
        "tpp": 5286.4,
        "performance_density": None,
        "eccn": "3A090.a",
        "reason": "",
    }


def test_classify_empty_list_and_stdin() -> None:
    result = runner.invoke(catalog_app, ["classify", "-"], input=json.dumps([H100]))
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["eccn"] == "3A090.a"
    assert runner.invoke(catalog_app, ["classify", "-"], input="[]").stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("payload", "lines"),
    [
        ({"model": "x"}, ["input: must be a JSON list of objects"]),
        ([H100, 3, "H100"], ["[1]: must be an object", "[2]: must be an object"]),
        (
            [{}],
            [
                "[0].model: missing",
                "[0].bf16_tflops_dense: missing (use null when unknown)",
                "[0].int8_tops_dense: missing (use null when unknown)",
                "[0].datacenter: missing",
            ],
        ),
        (
            [H100, H100, H100, H100 | {"datacenter": "yes"}],
            ["[3].datacenter: must be true or false"],
        ),
        ([H100 | {"datacenter": None}], ["[0].datacenter: must be true or false"]),
        ([H100 | {"model": ""}], ["[0].model: must be a non-empty string"]),
        ([H100 | {"model": 100}], ["[0].model: must be a non-empty string"]),
        ([H100 | {"bf16_tflops_dense": True}], ["[0].bf16_tflops_dense: must be a number or null"]),
        ([H100 | {"int8_tops_dense": "1979"}], ["[0].int8_tops_dense: must be a number or null"]),
        ([H100 | {"bf16_tflops_dense": -1}], ["[0].bf16_tflops_dense: must not be negative"]),
        ([H100 | {"die_mm2": 0}], ["[0].die_mm2: must be greater than 0"]),
        ([H100 | {"die_mm2": False}], ["[0].die_mm2: must be a number or null"]),
        (
            [H100 | {"int8_tops_dense": 1e12}],
            ["[0].int8_tops_dense: must be at most 1,000,000 (check the unit)"],
        ),
    ],
)
def test_classify_reports_every_problem_and_prints_nothing(
    tmp_path: Path, payload: object, lines: list[str]
) -> None:
    code, out, err = run_classify(tmp_path, payload)
    assert (code, out) == (2, "")
    assert err.splitlines() == lines


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("[{", "not valid JSON: Expecting property name"),
        ('[{"bf16_tflops_dense": NaN}]', "not valid JSON: NaN is not a number"),
        ("[1e99999]", None),  # valid JSON, but an entry that is not an object
    ],
)
def test_classify_refuses_invalid_json(tmp_path: Path, text: str, start: str | None) -> None:
    code, out, err = run_classify(tmp_path, text)
    assert (code, out) == (2, "")
    if start is not None:
        assert err.startswith(str(tmp_path / "chips.json") + ": " + start)


def test_classify_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(catalog_app, ["classify", str(tmp_path / "absent.json")])
    assert (result.exit_code, result.stdout) == (2, "")
    assert "absent.json: cannot read" in result.stderr


def test_list_shows_every_model_with_its_eccn() -> None:
    result = runner.invoke(catalog_app, ["list"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    for spec in load_accelerators():
        row = next(line for line in lines if line.split() and line.split()[0] == spec.model)
        assert row.split()[-1] in {"3A090.a", "3A090.b", "not-3A090", "undetermined"}
    h20_row = next(line for line in lines if line.startswith(" h20 ") or line.startswith("h20 "))
    assert h20_row.split()[-1] == "not-3A090"


def test_no_arguments_shows_help() -> None:
    result = runner.invoke(catalog_app, [])
    assert "classify" in result.output and "list" in result.output
