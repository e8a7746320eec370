"""Forms and surveys (OPS-05): questions with skip logic on the custom-form engine, required answers refused with
field messages, one answer per person, anonymous answers only when public, per-question statistics and the
export rows."""
import pytest

from app.core.audit import SYSTEM, Actor
from app.core.forms import Conflict
from app.ops import custom_forms, surveys
from app.ops.registrations import FormErrors
from tests.ops.factories import make_user


async def _survey(**values) -> int:
    survey_id = await surveys.create(SYSTEM, {"title": "校友满意度调查", **values})
    form_id = (await surveys.get(survey_id))["form"]
    for q in ({"label": "您对校友会的服务满意吗", "key": "sat", "kind": "choice", "options": "满意\n一般\n不满意",
               "required": True},
              {"label": "请说明不满意的原因", "key": "why", "kind": "textarea", "required": True,
               "show_if_field": "sat", "show_if_values": "不满意"},
              {"label": "您希望参加的活动", "key": "wish", "kind": "multiple", "options": "讲座\n聚会\n运动"},
              {"label": "毕业年数", "key": "years", "kind": "number"}):
        await custom_forms.add_question(SYSTEM, form_id, q)
    await surveys.set_status(SYSTEM, survey_id, "open")
    return survey_id


@pytest.mark.req("OPS-05")
async def test_skip_logic_required_once_and_statistics(db):
    survey_id = await _survey()
    a, b, c = [await make_user(db, n) for n in ("甲", "乙", "丙")]
    with pytest.raises(FormErrors) as missing:
        await surveys.submit(a, survey_id, {"q_sat": "不满意"})  # the follow-up question now applies
    assert set(missing.value.form.errors) == {"q_why"}
    await surveys.submit(a, survey_id, {"q_sat": "不满意", "q_why": "活动太少", "q_wish": ["讲座", "聚会"],
                                        "q_years": "12"})
    await surveys.submit(b, survey_id, {"q_sat": "满意", "q_why": "", "q_wish": ["聚会"], "q_years": "20"})
    await surveys.submit(c, survey_id, {"q_sat": "满意"})  # "why" skipped: not required for them
    with pytest.raises(Conflict, match="already answered"):
        await surveys.submit(a, survey_id, {"q_sat": "一般"})
    stats = {s["key"]: s for s in await surveys.statistics(survey_id)}
    assert [(i["label"], i["value"]) for i in stats["sat"]["items"]] == [("满意", 2), ("一般", 0), ("不满意", 1)]
    assert stats["sat"]["items"][0]["share"] == 67
    assert [(i["label"], i["value"]) for i in stats["wish"]["items"]] == [("讲座", 1), ("聚会", 2), ("运动", 0)]
    assert float(stats["years"]["average"]) == 16.0 and stats["why"]["latest"] == ["活动太少"]
    columns, rows = await surveys.export_rows(survey_id)
    assert ("q_sat", "您对校友会的服务满意吗") in columns and rows[0]["q_wish"] == "讲座、聚会"


@pytest.mark.req("OPS-05")
async def test_public_and_closed(db):
    private = await _survey()
    with pytest.raises(surveys.access.NotAllowed):
        await surveys.submit(Actor(None, "anonymous"), private, {"q_sat": "满意"})
    public = await _survey(public=True)
    assert await surveys.submit(Actor(None, "anonymous"), public, {"q_sat": "一般"}, ip="10.1.1.1")
    await surveys.set_status(SYSTEM, public, "closed")
    with pytest.raises(Conflict, match="not open"):
        await surveys.submit(Actor(None, "anonymous"), public, {"q_sat": "一般"})


@pytest.mark.req("OPS-05")
async def test_survey_pages_without_js(as_user, client, db):
    from tests.helpers import csrf_from

    survey_id = await _survey(public=True)
    page = await client.get(f"/h5/surveys/{survey_id}")  # anonymous, as a shared link opens it
    assert page.status_code == 200 and "您对校友会的服务满意吗" in page.text and "data-show-if" in page.text
    token = csrf_from(page.text)
    bad = await client.post(f"/h5/surveys/{survey_id}", data={"_csrf_token": token, "q_sat": "不满意", "q_years": "8"})
    assert bad.status_code == 422 and "This field is required." in bad.text and 'value="8"' in bad.text
    good = await client.post(f"/h5/surveys/{survey_id}", data={"_csrf_token": token, "q_sat": "不满意",
                                                               "q_why": "太远", "q_years": "8"})
    assert good.status_code == 200 and "Thank you for your answers." in good.text
    admin = await as_user("admin")
    stats = await admin.get(f"/admin/ops/surveys/{survey_id}")
    assert stats.status_code == 200 and "<svg" in stats.text and "太远" in stats.text
    poster = await admin.get(f"/admin/ops/surveys/{survey_id}/poster")
    assert poster.status_code == 200 and f"/h5/surveys/{survey_id}" in poster.text and "<svg" in poster.text
    export = await admin.get(f"/admin/ops/surveys/{survey_id}/export")
    assert export.status_code == 200 and export.content[:2] == b"PK"
