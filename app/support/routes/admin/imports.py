"""Import wizard pages (SUP-18, the engine in app.core.imports): start (template + upload + recent
batches) → column mapping → report (rows with errors, commit, progress, error file, rollback)."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core import imports, settings_store
from app.core.exports import attachment
from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, is_htmx, redirect, render

GUARD = [requires("sup.admin")]  # plus the spec's own permission, checked by the engine


async def _spec(request: Request, kind: str) -> imports.ImportSpec:
    try:
        return await imports.ready(imports.spec_for(kind, actor(request)))
    except LookupError:
        raise NotFoundException() from None


async def _batch(request: Request, batch_id: int) -> tuple[dict, imports.ImportSpec]:
    try:
        batch = await imports.get_batch(batch_id, actor(request))
    except LookupError:
        raise NotFoundException() from None
    return batch, imports.get_spec(batch["kind"])


async def _start_page(request: Request, spec: imports.ImportSpec, error: str = "", status: int = 200) -> Response:
    max_mb = await settings_store.get("upload.max_mb")
    form = Form([Field("file", L("File"), "file", required=True,
                       help=_("An Excel workbook (.xlsx) or a CSV file, up to %(n)s MB.", n=max_mb))])
    if error:
        form.add_error("file", error)
    batches = await imports.list_batches(actor(request), spec.kind, PageRequest.from_query(request.query_params))
    return await render(request, "support/admin/import_start.html", spec=spec, page=batches, form=form, status=status,
                        block="results")


@get("/admin/imports/{kind:str}", guards=GUARD)
async def import_start(request: Request, kind: str) -> Response:
    return await _start_page(request, await _spec(request, kind))


@get("/admin/imports/{kind:str}/template.xlsx", guards=GUARD)
async def import_template(request: Request, kind: str) -> Response:
    spec = await _spec(request, kind)
    return attachment(_("%(title)s template.xlsx", title=spec.title), imports.template_xlsx(spec))


@post("/admin/imports/{kind:str}", guards=GUARD)
async def import_upload(request: Request, kind: str) -> Response:
    spec = await _spec(request, kind)
    upload = (await form_data(request)).get("file")
    if not getattr(upload, "filename", None):
        return await _start_page(request, spec, _("Choose a file to upload."), 422)
    try:
        batch_id = await imports.parse_upload(spec, upload.filename, await upload.read(), actor(request))
    except Invalid as exc:
        return await _start_page(request, spec, exc.message, 422)
    return redirect(request, f"/admin/imports/batch/{batch_id}/mapping")


async def _mapping_page(request: Request, batch: dict, spec, mapping: dict, errors: dict | None = None,
                        status: int = 200) -> Response:
    hidden = {str(mapping.get(c.key)) for c in spec.columns if c.sensitive}  # e.g. passwords: not shown back
    return await render(request, "support/admin/import_mapping.html", batch=batch, spec=spec, errors=errors or {},
                        mapping={k: str(v) if v is not None else "" for k, v in mapping.items()}, hidden=hidden,
                        sample=await imports.preview(batch["id"]), status=status)


@get("/admin/imports/batch/{batch_id:int}/mapping", guards=GUARD)
async def import_mapping(request: Request, batch_id: int) -> Response:
    batch, spec = await _batch(request, batch_id)
    return await _mapping_page(request, batch, spec, batch["mapping"])


@post("/admin/imports/batch/{batch_id:int}/mapping", guards=GUARD)
async def import_mapping_save(request: Request, batch_id: int) -> Response:
    batch, spec = await _batch(request, batch_id)
    data = await form_data(request)
    mapping = {c.key: data.get(f"map_{c.key}") or None for c in spec.columns}
    try:
        checked = await imports.apply_mapping_and_validate(batch_id, mapping, actor(request))
    except Invalid as exc:
        return await _mapping_page(request, batch, spec, mapping, {exc.field: exc.message}, 422)
    except Conflict as exc:
        return redirect(request, f"/admin/imports/batch/{batch_id}", str(exc), "error")
    return redirect(request, f"/admin/imports/batch/{batch_id}",
                    _("Rows ready to import: %(ok)s. Rows with errors: %(errors)s.", ok=checked["ok_count"],
                      errors=checked["error_count"]), "warning" if checked["error_count"] else "success")


@get("/admin/imports/batch/{batch_id:int}", guards=GUARD)
async def import_report(request: Request, batch_id: int) -> Response:
    batch, spec = await _batch(request, batch_id)
    job = await imports.job_state(batch)
    running = batch["status"] == "committing" and (job is None or job["status"] in ("queued", "running"))
    polling = request.headers.get("hx-target") == "progress"
    if polling and not running:
        return Response("", headers={"HX-Refresh": "true"})  # finished: reload counts, rows and buttons
    status = request.query_params.get("status") or ""
    rows = await imports.list_rows(batch_id, status, PageRequest.from_query(request.query_params))
    columns = [{"key": "row_no", "label": _("Row")}, {"key": "status", "label": _("Status"), "custom": True},
               *[{"key": c.key, "label": c.label, "index": batch["mapping"][c.key], "sensitive": c.sensitive,
                  "custom": True} for c in spec.columns if batch["mapping"].get(c.key) is not None],
               {"key": "errors", "label": _("Errors"), "custom": True}]
    duplicates = await imports.duplicate_rows(batch_id) if batch["duplicates"] else []
    return await render(request, "support/admin/import_report.html", batch=batch, spec=spec, job=job, page=rows,
                        columns=columns, duplicates=duplicates, choices=_choice_labels(spec),
                        running=running, htmx=is_htmx(request), block="progress" if polling else "results",
                        describe=lambda errors: imports.describe_errors(spec, errors))


def _choice_labels(spec: imports.ImportSpec) -> list[tuple[str, str]]:
    labels = {"skip": _("Skip (keep the existing record)"), "overwrite": _("Overwrite with the file's values"),
              "merge": _("Merge (fill empty fields only)")}
    return [(c, labels[c]) for c in imports.choices_for(spec)]


@post("/admin/imports/batch/{batch_id:int}/duplicates", guards=GUARD)
async def import_duplicates(request: Request, batch_id: int) -> Response:
    """Per duplicate row: skip / overwrite / merge (fields choice_<row id>), or one choice for all."""
    await _batch(request, batch_id)
    data = await form_data(request)
    choices = {key[len("choice_"):]: data.get(key) for key in data if key.startswith("choice_")
               and key[len("choice_"):].isdigit()}
    try:
        await imports.set_duplicate_choices(batch_id, choices, actor(request), data.get("apply_all") or "")
    except (Invalid, Conflict) as exc:
        return redirect(request, f"/admin/imports/batch/{batch_id}", getattr(exc, "message", None) or str(exc),
                        "error")
    return redirect(request, f"/admin/imports/batch/{batch_id}", _("Your choices for the duplicates are saved."))


@post("/admin/imports/batch/{batch_id:int}/commit", guards=GUARD)
async def import_commit(request: Request, batch_id: int) -> Response:
    await _batch(request, batch_id)
    try:
        await imports.commit(batch_id, actor(request))
    except Conflict as exc:
        return redirect(request, f"/admin/imports/batch/{batch_id}", str(exc), "error")
    return redirect(request, f"/admin/imports/batch/{batch_id}", _("Import started."))


@get("/admin/imports/batch/{batch_id:int}/rollback", guards=GUARD)
async def import_rollback_confirm(request: Request, batch_id: int) -> Response:
    batch, _kind_spec = await _batch(request, batch_id)
    message = (_("The %(n)s records created by this import will be deleted and the %(m)s records it updated get "
                 "their earlier values back. This cannot be undone.", n=batch["imported_count"] - batch["updated"],
                 m=batch["updated"]) if batch["updated"] else
               _("The %(n)s records created by this import will be deleted. This cannot be undone.",
                 n=batch["imported_count"]))
    return await confirm_page(request, title=_("Roll back this import?"), message=message,
                              action=f"/admin/imports/batch/{batch_id}/rollback",
                              cancel=f"/admin/imports/batch/{batch_id}")


@post("/admin/imports/batch/{batch_id:int}/rollback", guards=GUARD)
async def import_rollback(request: Request, batch_id: int) -> Response:
    await _batch(request, batch_id)
    try:
        undone = await imports.rollback(batch_id, actor(request))
    except Conflict as exc:
        return redirect(request, f"/admin/imports/batch/{batch_id}", str(exc), "error")
    return redirect(request, f"/admin/imports/batch/{batch_id}", _("%(n)s records rolled back.", n=undone))


@get("/admin/imports/batch/{batch_id:int}/errors.xlsx", guards=GUARD)
async def import_errors(request: Request, batch_id: int) -> Response:
    batch, _kind_spec = await _batch(request, batch_id)
    return attachment(_("Import %(id)s errors.xlsx", id=batch_id), await imports.error_report_xlsx(batch["id"]))


ROUTES = [import_start, import_template, import_upload, import_mapping, import_mapping_save, import_report,
          import_duplicates, import_commit, import_rollback_confirm, import_rollback, import_errors]
