"""The sentence that explains one criterion's result, in English and Simplified Chinese (pure).

Each sentence has a key (`rule.<style>.<op>.<pass|fail|missing>`) and parameters, so a page
may translate it again; `explain()` returns both languages ready to show.
"""

from __future__ import annotations

from dataclasses import dataclass

from suanli.programs.criteria import Field, Kind, Names, Value, value_text

# {f}: the field, {a}: the applicant's value, {v}: the rule's value.
TEMPLATES: dict[str, tuple[str, str]] = {
    "num.ge.pass": ("{f} {a} meets the required minimum of {v}", "{f}{a}，达到不低于{v}的要求"),
    "num.ge.fail": ("{f} {a} is below the required {v}", "{f}{a}，低于要求的{v}"),
    "num.gt.pass": ("{f} {a} is above {v}, as required", "{f}{a}，高于{v}，符合要求"),
    "num.gt.fail": ("{f} {a} is not above the required {v}", "{f}{a}，未高于要求的{v}"),
    "num.le.pass": ("{f} {a} is within the maximum of {v}", "{f}{a}，未超过上限{v}"),
    "num.le.fail": ("{f} {a} exceeds the maximum of {v}", "{f}{a}，超过上限{v}"),
    "num.lt.pass": ("{f} {a} is below {v}, as required", "{f}{a}，低于{v}，符合要求"),
    "num.lt.fail": ("{f} {a} is not below the limit of {v}", "{f}{a}，未低于限额{v}"),
    "num.eq.pass": ("{f} is {a}, as required", "{f}为{a}，符合要求"),
    "num.eq.fail": ("{f} is {a}, not the required {v}", "{f}为{a}，不是要求的{v}"),
    "num.ne.pass": ("{f} is {a}, not the excluded {v}", "{f}为{a}，不是被排除的{v}"),
    "num.ne.fail": ("{f} is {a}, which is excluded", "{f}为{a}，属于排除情形"),
    "is.eq.pass": ("{f}: {a}, as required", "{f}：{a}，符合要求"),
    "is.eq.fail": ("{f}: {a}, but {v} is required", "{f}：{a}，但要求为{v}"),
    "is.ne.pass": ("{f}: {a}, not the excluded {v}", "{f}：{a}，不属于被排除的{v}"),
    "is.ne.fail": ("{f}: {a}, which is excluded", "{f}：{a}，属于排除情形"),
    "is.in.pass": ("{f} {a} is one of {v}", "{f}{a}属于{v}之一"),
    "is.in.fail": ("{f} {a} is not one of {v}", "{f}{a}不属于{v}"),
    "is.not_in.pass": ("{f} {a} is not among the excluded {v}", "{f}{a}不在被排除的{v}之列"),
    "is.not_in.fail": ("{f} {a} is excluded ({v})", "{f}{a}属于被排除的情形（{v}）"),
    "text.present.pass": ("{f} {a} is given", "已提供{f}{a}"),
    "text.present.fail": ("no {f} is given, but one is required", "未提供{f}，但此项为必需"),
    "text.absent.pass": ("no {f} is given, as required", "未提供{f}，符合要求"),
    "text.absent.fail": ("{f} {a} is given, but none may be", "提供了{f}{a}，但不得提供"),
    "text.eq.pass": ("{f} is {a}, as required", "{f}为{a}，符合要求"),
    "text.eq.fail": ("{f} is {a}, not the required {v}", "{f}为{a}，不是要求的{v}"),
    "text.ne.pass": ("{f} is {a}, not the excluded {v}", "{f}为{a}，不是被排除的{v}"),
    "text.ne.fail": ("{f} is {a}, which is excluded", "{f}为{a}，属于排除情形"),
    "text.prefix.pass": ("{f} {a} begins with {v}, as required", "{f}{a}以{v}开头，符合要求"),
    "text.prefix.fail": ("{f} {a} does not begin with the required {v}", "{f}{a}不以要求的{v}开头"),
    "text.not_prefix.pass": ("{f} {a} does not begin with {v}", "{f}{a}不以{v}开头"),
    "text.not_prefix.fail": ("{f} {a} begins with the excluded {v}", "{f}{a}以被排除的{v}开头"),
    "tags.empty.pass": ("{f}: none, as required", "{f}：无，符合要求"),
    "tags.empty.fail": ("{f}: {a}, but none may be held", "{f}：{a}，但不得同时享受"),
    "tags.not_empty.pass": ("{f}: {a}", "{f}：{a}"),
    "tags.not_empty.fail": ("{f}: none, but at least one is required", "{f}：无，但至少需要一项"),
    "tags.contains.pass": ("{f} include {v}, as required", "{f}包括{v}，符合要求"),
    "tags.contains.fail": ("{f} ({a}) do not include the required {v}",
                           "{f}（{a}）不包括要求的{v}"),
    "tags.not_contains.pass": ("{f} do not include {v}", "{f}不包括{v}"),
    "tags.not_contains.fail": ("{f} include {v}, which is excluded", "{f}包括{v}，属于排除情形"),
    "missing": ("{f} is not given, so a reviewer must check it", "未提供{f}，需由审核人员核实"),
}

STYLE = {Kind.MONEY: "num", Kind.COUNT: "num", Kind.YEARS: "num", Kind.FLAG: "is",
         Kind.CITY: "is", Kind.CHOICE: "is", Kind.TEXT: "text", Kind.TAGS: "tags"}


@dataclass(frozen=True)
class Sentence:
    key: str
    params: dict[str, str]  # English renderings of the field, the applicant's and the rule's value
    en: str
    zh: str


def sentence_key(field: Field, op: str, passed: bool | None) -> str:
    """The template key for a criterion's result; `passed` None means the fact is missing."""
    if passed is None:
        return "missing"
    return f"{STYLE[field.kind]}.{op}.{'pass' if passed else 'fail'}"


def explain(field: Field, op: str, value: Value, fact: Value, passed: bool | None,
            names: Names | None = None) -> Sentence:
    """Both languages' sentence for `field op value` against the applicant's `fact`."""
    key = sentence_key(field, op, passed)
    rendered: dict[str, str] = {}
    params: dict[str, str] = {}
    for index, lang in enumerate(("en", "zh")):
        parts = {"f": field.zh if lang == "zh" else field.en,
                 "a": value_text(field, fact, lang, names),
                 "v": value_text(field, value, lang, names)}
        if lang == "en":
            params = dict(parts)
        text = TEMPLATES[key][index].format(**parts)
        rendered[lang] = text[0].upper() + text[1:] if lang == "en" else text
    return Sentence(key="rule." + key, params=params, en=rendered["en"], zh=rendered["zh"])
