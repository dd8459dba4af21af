"""ECCN 3A090 classification and the packaged accelerator catalogue."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suanli.catalog.accelerators import (
    CatalogError,
    get_accelerator,
    load_accelerators,
    parse_accelerators,
)
from suanli.catalog.classify import (
    ECCN_RANK,
    Classification,
    FigureError,
    classify,
    classify_spec,
)

HEADER = (
    "model,vendor,name,domestic,datacenter,bf16_tflops_dense,int8_tops_dense,"
    "memory_gb,memory_bw_gbs,interconnect_gbs,tdp_w,die_mm2,source\n"
)
GOOD_ROW = "x1,Acme,X1,true,true,100,200,48,768,240,300,500,acme.example\n"


def by_tpp(
    tpp: str | Decimal, die: str | Decimal | None, *, datacenter: bool = True
) -> Classification:
    """Classify a chip whose only figure is INT8 = tpp / 8 (exact for decimal tpp)."""
    return classify(
        "t",
        bf16_tflops_dense=None,
        int8_tops_dense=Decimal(tpp) / 8,
        die_mm2=None if die is None else Decimal(die),
        datacenter=datacenter,
    )


# --- known answers from the packaged catalogue -------------------------------------------


@pytest.mark.parametrize(
    ("model", "eccn"),
    [
        ("h100-sxm", "3A090.a"),
        ("h800-sxm", "3A090.a"),
        ("a100-sxm-80g", "3A090.a"),
        ("a800-sxm-80g", "3A090.a"),
        ("h20", "not-3A090"),
        ("l20", "not-3A090"),
        ("rtx-4090", "3A090.a"),
    ],
)
def test_known_answers(model: str, eccn: str) -> None:
    assert classify_spec(get_accelerator(model)).eccn == eccn


def test_h100_figures_and_reason() -> None:
    result = classify_spec(get_accelerator("h100-sxm"))
    assert result.tpp == Decimal("15832")
    assert result.performance_density == Decimal("19.44")  # 15832 / 814 = 19.4496..., truncated
    assert result.clause == "3A090.a.1: TPP >= 4800"
    assert "TPP 15,832 >= 4,800" in result.reason


def test_rtx_4090_is_controlled_although_not_a_datacentre_part() -> None:
    spec = get_accelerator("rtx-4090")
    result = classify_spec(spec)
    assert not spec.datacenter
    assert result.tpp == Decimal("5286.4")
    assert result.clause.startswith("3A090.a.1")


def test_h20_and_l20_fall_below_for_the_stated_reasons() -> None:
    h20 = classify_spec(get_accelerator("h20"))
    assert h20.tpp == Decimal("2368")
    assert "TPP 2,368 < 2,400 and PD 2.9 < 3.2" in h20.reason
    l20 = classify_spec(get_accelerator("l20"))
    assert "PD 3.13 < 3.2" in l20.reason


EXPECTED_CATALOGUE = {
    "h100-sxm": ("3A090.a", "15832.0", "19.44"),
    "h800-sxm": ("3A090.a", "15832.0", "19.44"),
    "h20": ("not-3A090", "2368.0", "2.90"),
    "a100-sxm-80g": ("3A090.a", "4992.0", "6.04"),
    "a800-sxm-80g": ("3A090.a", "4992.0", "6.04"),
    "l40s": ("3A090.a", "5864.0", "9.62"),
    "l20": ("not-3A090", "1912.0", "3.13"),
    "rtx-4090": ("3A090.a", "5286.4", "8.68"),
    "ascend-910": ("3A090.a", "4096.0", "8.97"),
    "ascend-910b": ("3A090.a", "5120.0", "7.69"),
    "ascend-910c": ("3A090.a", "12800.0", "9.61"),
    "mlu370-x8": ("undetermined", "2048.0", None),
    "hygon-k100-ai": ("undetermined", "3136.0", None),
    "biren-br100": ("3A090.a", "16384.0", "16.38"),
    "metax-c500": ("undetermined", "3840.0", None),
    "mthreads-s4000": ("undetermined", "1600.0", None),
    # Added with the parts Chinese data centres list today (issue 16):
    "h200": ("3A090.a", "15832.0", "19.44"),
    "h100-pcie": ("3A090.a", "12104.0", "14.86"),
    "h800-pcie": ("3A090.a", "12104.0", "14.86"),
    "a100-sxm-40g": ("3A090.a", "4992.0", "6.04"),
    "a100-pcie-40g": ("3A090.a", "4992.0", "6.04"),
    "a100-pcie-80g": ("3A090.a", "4992.0", "6.04"),
    "a800-pcie-80g": ("3A090.a", "4992.0", "6.04"),
    "a30": ("3A090.b", "2640.0", "3.19"),  # b.1: 2400 <= TPP < 4800, 1.6 <= PD < 5.92
    "l40": ("3A090.b", "2896.8", "4.75"),  # b.1: BF16 181.05 x 16 (INT8 gives 2896)
    "l4": ("3A090.a", "1940.0", "6.58"),  # a.2: small TPP, but a dense small die
    "rtx-4090d": ("not-3A090", "4704.0", "7.72"),  # below 4800 and not a data-centre part
    "b200": ("3A090.a", "36000.0", None),  # a.1 decides without the die area
    "mi300x": ("3A090.a", "20919.2", None),
    "ascend-910b1": ("undetermined", None, None),  # no compute figure confirmed
    "ascend-910b2": ("3A090.a", "6016.0", "9.03"),
    "ascend-910b3": ("3A090.a", "5008.0", "7.52"),
    "ascend-910b4": ("3A090.a", "4480.0", "6.73"),  # a.2 on density
    "kunlunxin-p800": ("undetermined", None, None),
    "mlu590": ("undetermined", None, None),
    "enflame-t20": ("undetermined", None, None),
    "corex-bi-v100": ("undetermined", "2360.0", None),  # the die area would decide
}


def test_whole_packaged_catalogue_classifies() -> None:
    got = {}
    for spec in load_accelerators():
        r = classify_spec(spec)
        pd = None if r.performance_density is None else str(r.performance_density)
        got[spec.model] = (r.eccn, None if r.tpp is None else str(r.tpp), pd)
    assert got == EXPECTED_CATALOGUE


# --- thresholds, exactly ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tpp", "die", "datacenter", "eccn", "clause"),
    [
        ("4800", None, True, "3A090.a", "3A090.a.1"),
        ("4800", None, False, "3A090.a", "3A090.a.1"),
        ("4799.9", None, False, "not-3A090", "Note 2"),
        ("4799.9", None, True, "undetermined", "die area unknown"),
        ("4799.9", "100000", True, "not-3A090", "below 3A090.b"),
        ("1628", "275", True, "3A090.a", "3A090.a.2"),  # PD exactly 5.92
        ("1628", "275.0001", True, "3A090.b", "3A090.b.2"),  # PD 5.91999...
        ("1600", "500", True, "3A090.b", "3A090.b.2"),  # TPP 1600, PD exactly 3.2
        ("1600", "500.0001", True, "not-3A090", "below 3A090.b"),
        ("1600", "1000", True, "not-3A090", "below 3A090.b"),  # PD 1.6 needs TPP >= 2400
        ("2400", "1500", True, "3A090.b", "3A090.b.1"),  # TPP 2400, PD exactly 1.6
        ("2400", "1500.0001", True, "not-3A090", "below 3A090.b"),
        ("2399.9", "1000", True, "not-3A090", "below 3A090.b"),
        ("1599.9", "1", True, "not-3A090", "below 3A090: TPP < 1600"),
        ("1599.9", None, True, "not-3A090", "below 3A090: TPP < 1600"),
        ("3000", None, True, "undetermined", "die area unknown"),
        ("3000", None, False, "not-3A090", "Note 2"),
        ("3000", "100", False, "not-3A090", "Note 2"),
    ],
)
def test_thresholds(tpp: str, die: str | None, datacenter: bool, eccn: str, clause: str) -> None:
    result = by_tpp(tpp, die, datacenter=datacenter)
    assert (result.eccn, result.clause.startswith(clause)) == (eccn, True), result


def test_reported_figures_are_truncated_to_the_same_side_of_the_threshold() -> None:
    result = by_tpp("1628", "275.0001")
    assert result.performance_density == Decimal("5.91")
    assert "PD 5.91 is in [3.2, 5.92)" in result.reason
    assert by_tpp("4799.99", None, datacenter=False).tpp == Decimal("4799.9")


def test_float_inputs_compare_exactly() -> None:
    # In floats 1616.752 / 273.1 is 5.919999999999999: a naive check says 3A090.b.
    assert (202.094 * 8) / 273.1 < 5.92
    result = classify(
        "f", bf16_tflops_dense=None, int8_tops_dense=202.094, die_mm2=273.1, datacenter=True
    )
    assert result.eccn == "3A090.a"
    assert result.performance_density == Decimal("5.92")


def test_tpp_is_the_larger_precision_and_either_may_be_missing() -> None:
    both = classify("m", bf16_tflops_dense=100, int8_tops_dense=300, die_mm2=None, datacenter=True)
    assert both.tpp == Decimal("2400") and "INT8 300 TOPS x 8" in both.reason
    bf16 = classify("m", bf16_tflops_dense=300, int8_tops_dense=None, die_mm2=None, datacenter=True)
    assert bf16.tpp == Decimal("4800") and bf16.eccn == "3A090.a"
    none = classify("m", bf16_tflops_dense=None, int8_tops_dense=None, die_mm2=800, datacenter=True)
    assert (none.eccn, none.tpp, none.performance_density) == ("undetermined", None, None)


def test_undetermined_reason_gives_the_deciding_die_areas() -> None:
    reason = by_tpp("3136", None).reason
    assert "at most about 529.7 mm²" in reason  # 3136 / 5.92
    assert "at most about 1,960 mm²" in reason  # 3136 / 1.6


@pytest.mark.parametrize(
    ("kwargs", "field", "problem"),
    [
        ({"bf16_tflops_dense": -1}, "bf16_tflops_dense", "must not be negative"),
        ({"int8_tops_dense": float("nan")}, "int8_tops_dense", "must be a finite number"),
        ({"int8_tops_dense": Decimal("Infinity")}, "int8_tops_dense", "must be a finite number"),
        ({"bf16_tflops_dense": True}, "bf16_tflops_dense", "must be a number or null"),
        ({"bf16_tflops_dense": "989.5"}, "bf16_tflops_dense", "must be a number or null"),
        ({"die_mm2": 0}, "die_mm2", "must be greater than 0"),
        ({"bf16_tflops_dense": 10**7}, "bf16_tflops_dense", "must be at most 1,000,000"),
    ],
)
def test_bad_figures_name_the_field(kwargs: dict[str, object], field: str, problem: str) -> None:
    figures: dict[str, object] = {"bf16_tflops_dense": 1, "int8_tops_dense": 1, "die_mm2": 1}
    with pytest.raises(FigureError) as info:
        classify("bad", datacenter=True, **(figures | kwargs))  # type: ignore[arg-type]
    assert info.value.field == field
    assert problem in str(info.value)


# --- properties ---------------------------------------------------------------------------

tpps = st.decimals(min_value=0, max_value=20000, places=1)
dies = st.decimals(min_value="0.1", max_value=3000, places=1)
RANKED = ("not-3A090", "3A090.b", "3A090.a")


@given(tpps, tpps, dies)
def test_raising_tpp_never_lowers_the_class(t1: Decimal, t2: Decimal, die: Decimal) -> None:
    low, high = sorted((t1, t2))
    assert ECCN_RANK[by_tpp(low, die).eccn] <= ECCN_RANK[by_tpp(high, die).eccn]


@given(tpps, dies, dies)
def test_a_larger_die_never_raises_the_class(tpp: Decimal, d1: Decimal, d2: Decimal) -> None:
    small, large = sorted((d1, d2))
    assert ECCN_RANK[by_tpp(tpp, large).eccn] <= ECCN_RANK[by_tpp(tpp, small).eccn]


@given(tpps, dies)
def test_not_a_datacentre_chip_is_never_stricter(tpp: Decimal, die: Decimal) -> None:
    consumer = by_tpp(tpp, die, datacenter=False).eccn
    assert consumer in RANKED
    assert ECCN_RANK[consumer] <= ECCN_RANK[by_tpp(tpp, die).eccn]


@given(tpps, dies, st.booleans())
def test_a_missing_die_is_undetermined_only_when_it_decides(
    tpp: Decimal, die: Decimal, datacenter: bool
) -> None:
    unknown = by_tpp(tpp, None, datacenter=datacenter)
    if unknown.eccn != "undetermined":
        assert unknown.eccn == by_tpp(tpp, die, datacenter=datacenter).eccn
    else:
        assert datacenter and Decimal(1600) <= tpp < Decimal(4800)


@given(st.one_of(st.none(), tpps), st.one_of(st.none(), dies))
def test_pd_is_none_only_when_a_figure_is_missing(tpp: Decimal | None, die: Decimal | None) -> None:
    result = classify(
        "p",
        bf16_tflops_dense=None,
        int8_tops_dense=None if tpp is None else tpp / 8,
        die_mm2=die,
        datacenter=True,
    )
    assert (result.performance_density is None) == (tpp is None or die is None)
    assert (result.tpp is None) == (tpp is None)
    if result.tpp is not None:
        assert result.tpp == tpp  # one decimal in, one decimal out: no rounding


# --- the catalogue loader -----------------------------------------------------------------


def test_packaged_catalogue_keeps_sources_and_unknowns() -> None:
    specs = load_accelerators()
    assert len(specs) == 37
    assert all(spec.source for spec in specs)
    s4000 = get_accelerator("mthreads-s4000")
    assert (s4000.die_mm2, s4000.tdp_w, s4000.domestic) == (None, None, True)
    assert get_accelerator("h100-sxm").bf16_tflops_dense == Decimal("989.5")
    with pytest.raises(KeyError, match="nope"):
        get_accelerator("nope")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (GOOD_ROW.replace("true,true", "yes,true"), "line 2, column 'domestic'"),
        (GOOD_ROW.replace(",500,", ",5x0,"), "line 2, column 'die_mm2': '5x0' is not a number"),
        (GOOD_ROW.replace(",48,", ",48.5,"), "column 'memory_gb'"),
        (GOOD_ROW.replace(",100,", ",-100,"), "column 'bf16_tflops_dense'"),
        (GOOD_ROW.replace("acme.example", ""), "column 'source': must not be empty"),
        (GOOD_ROW.replace(",Acme,", ",Acme,extra,"), "line 2: expected 13 cells, got 14"),
        (GOOD_ROW + GOOD_ROW, "line 3, column 'model': duplicate model id 'x1'"),
    ],
)
def test_parse_errors_name_row_and_column(row: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message.replace("(", r"\(")):
        parse_accelerators(HEADER + row)


def test_parse_refuses_a_wrong_header_and_skips_blank_lines() -> None:
    with pytest.raises(CatalogError, match="line 1: header"):
        parse_accelerators(HEADER.replace("die_mm2", "die") + GOOD_ROW)
    assert len(parse_accelerators(HEADER + "\n" + GOOD_ROW + "\n")) == 1
