"""Experts import (EXP-11) through the core import engine (/admin/imports/experts, or /admin/experts/import
with the "create accounts and mail them" option): one expert per row. The phone is normalised and must be new
in the file and to the live pool; every field code must exist (an unknown one refuses the row naming it).
Rows are checked a chunk at a time (codes and taken phones loaded once per chunk); experts are created through
`bulk.create_imported`, so numbers, history and audit are those of an admin entry."""
from __future__ import annotations

from app.core import db, phones
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.import_files import as_date, as_email, as_list, as_text
from app.core.imports import ImportColumn, ImportContext, ImportSpec, register
from app.experts import bulk, experts

KIND = bulk.IMPORT_KIND
GENDER_WORDS = {"男": "男", "m": "男", "male": "男", "女": "女", "f": "女", "female": "女"}
TYPE_WORDS = {"individual": "individual", "个人": "individual", "个人专家": "individual",
              "organisation": "organisation", "organization": "organisation", "单位": "organisation",
              "机构": "organisation", "单位专家": "organisation", "机构专家": "organisation"}


def _phone(raw, _ctx=None) -> str:
    phone = phones.normalise(str(raw))
    if phone is None:
        raise Invalid("", _("%(value)s is not a mainland China mobile number (11 digits starting with 1).",
                            value=raw))
    return phone


def _gender(raw, _ctx=None) -> str:
    found = GENDER_WORDS.get(str(raw).strip().lower())
    if found is None:
        raise Invalid("", _("Write 男 or 女."))
    return found


def _expert_type(raw, _ctx=None) -> str:
    found = TYPE_WORDS.get(str(raw).strip().lower())
    if found is None:
        raise Invalid("", _("Write individual (个人) or organisation (单位)."))
    return found


COLUMNS = [
    ImportColumn("name", L("Name"), required=True, parse=as_text(max_length=64), example="张工",
                 aliases=("姓名", "专家姓名")),
    ImportColumn("phone", L("Mobile number"), required=True, parse=_phone, example="13900001111", unique=True,
                 help=L("11 digits; identifies the expert: it must not belong to another expert in the pool or in "
                        "this file."), aliases=("手机", "手机号", "手机号码", "电话")),
    ImportColumn("email", L("Email"), parse=as_email, example="zhanggong@example.cn", aliases=("邮箱", "e-mail")),
    ImportColumn("gender", L("Gender"), parse=_gender, example="男", aliases=("性别",)),
    ImportColumn("employer", L("Employer"), parse=as_text(max_length=200), example="同窗设计研究院",
                 aliases=("工作单位", "单位")),
    ImportColumn("title", L("Professional title"), parse=as_text(max_length=64), example="高级工程师",
                 aliases=("职称",)),
    ImportColumn("specialty", L("Specialty"), parse=as_text(max_length=200), example="桥梁结构",
                 aliases=("专业", "专业方向")),
    ImportColumn("industry", L("Industry"), parse=as_text(max_length=64), example="建筑业", aliases=("行业",)),
    ImportColumn("region", L("Region"), parse=as_text(max_length=64), example="北京",
                 aliases=("地区", "地域", "所在地")),
    ImportColumn("expert_type", L("Expert type"), parse=_expert_type, example="individual",
                 help=L("individual (个人) or organisation (单位); empty: individual."), aliases=("专家类型", "类型")),
    ImportColumn("fields", L("Field codes"), parse=as_list, example="",
                 help=L("Codes of fields of expertise (see Fields of expertise), several separated by ; 、 or ,"),
                 aliases=("领域", "领域编码", "专业领域", "fields")),
    ImportColumn("valid_until", L("Valid until"), parse=as_date, example="",
                 help=L("The date the expert's term ends, e.g. 2029-12-31; empty: three years from today."),
                 aliases=("有效期", "有效期至")),
]


async def _prepare(chunk: list[dict], ctx: ImportContext) -> None:
    """Field codes, phones already in the pool and the batch's options, in three queries per chunk."""
    if "codes" not in ctx.cache:
        ctx.cache["codes"] = {r["code"].lower(): r["id"] for r in await db.fetch("SELECT id, code FROM exp_field")}
    if "accounts" not in ctx.cache:
        ctx.cache["accounts"] = bool(ctx.batch_id and await db.fetchval(
            "SELECT create_accounts FROM exp_import_option WHERE batch = $1", ctx.batch_id))
    wanted = [v["phone"] for v in chunk if v.get("phone")]
    rows = await db.fetch("SELECT id, name, number, phone FROM exp_expert WHERE phone = ANY($1::text[])"
                          " AND status <> 'deleted'", wanted)
    ctx.cache["taken"] = {r["phone"]: r for r in rows}


async def _validate(values: dict, ctx: ImportContext) -> dict | None:
    errors: dict = {}
    if values.get("phone") and (other := ctx.cache["taken"].get(values["phone"])):
        errors["phone"] = experts.duplicate_message(other)
    ids, unknown = [], []
    for code in values.get("fields") or []:
        found = ctx.cache["codes"].get(code.lower())
        if found:
            ids.append(found)
        else:
            unknown.append(code)
    if unknown:
        errors["fields"] = _("Unknown field code %(code)s.", code=", ".join(unknown))
    values["field_ids"] = sorted(set(ids))
    values["create_account"] = ctx.cache["accounts"]
    return errors or None


async def _create(actor, values: dict) -> str:
    data = {k: values.get(k) or "" for k in ("name", "phone", "email", "gender", "employer", "title", "specialty",
                                             "industry", "region")}
    data |= {"expert_type": values.get("expert_type") or "individual", "fields": values.get("field_ids") or [],
             "valid_until": values.get("valid_until")}
    expert_id = await bulk.create_imported(actor, data, create_account=bool(values.get("create_account")))
    return str(expert_id)


async def _rollback(actor, entity_id: str) -> None:
    await bulk.remove_imported(actor, int(entity_id))


EXPERT_IMPORT = register(ImportSpec(
    kind=KIND, title=L("Experts"), permission="exp.expert.export", columns=COLUMNS, create=_create,
    rollback=_rollback, validate_row=_validate, prepare=_prepare,
    instructions=(L("One expert per row. The mobile number identifies the expert: a number already in the pool or"
                    " twice in the file refuses the row."),
                  L("Field codes must exist in Fields of expertise; a row naming an unknown code is refused."),
                  L("Every refused row is listed with its reason; fix the file and upload those rows again.")),
))
