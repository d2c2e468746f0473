/* People acting on items from the workbench, through the same code as
 * `recon items resolve` and `recon items approve` (rcn_items_apply,
 * rcn_items_approve): the items locked, every change checked, all or
 * nothing, one event each in the append-only history. A viewer reads
 * only; a clerk acts; a supervisor also approves write-offs above the
 * threshold that someone else asked for. Every action needs a note. */
#include <stdlib.h>
#include <string.h>

#include "recon/report.h"
#include "serve/serve_int.h"

enum { SELECTION_MAX = 500, NOTE_MAX = 2000 };

typedef struct {
	const char *back;
	const rcn_item_done *done;
	size_t n;
	const char *what;
} done_page;

static const char *outcome_text(rcn_item_outcome o)
{
	switch (o) {
	case RCN_ITEM_CHANGED:
		return "已更新 changed";
	case RCN_ITEM_AWAITS_APPROVAL:
		return "待主管审批 awaits a supervisor's approval";
	case RCN_ITEM_APPROVED:
		return "已批准核销 written off (approved)";
	case RCN_ITEM_UNCHANGED:
		return "无变化 unchanged (it already was so)";
	case RCN_ITEM_PASSED_OVER:
		return "已跳过 passed over";
	}
	return "";
}

static void done_body(FILE *f, const void *p)
{
	const done_page *d = p;
	fputs("<h1>已完成 Done</h1>\n<p id=\"done\">", f);
	rcn_html_text(f, d->what);
	fputs("</p>\n<table><tr><th>编号 Id</th><th>结果 Outcome</th><th>状态 Status now</th></tr>\n", f);
	for (size_t i = 0; i < d->n; i++) {
		fputs("<tr><td><a href=\"/item/", f);
		rcn_sv_url_text(f, d->done[i].id);
		fputs("\">", f);
		rcn_html_text(f, d->done[i].id);
		fputs("</a></td><td>", f);
		rcn_html_text(f, outcome_text(d->done[i].outcome));
		fputs("</td><td>", f);
		rcn_html_text(f, rcn_item_status_cn(d->done[i].to));
		fputs(" <small>", f);
		rcn_html_text(f, rcn_item_status_name(d->done[i].to));
		fputs("</small></td></tr>\n", f);
	}
	fputs("</table>\n<p><a href=\"", f);
	rcn_html_text(f, d->back);
	fputs("\">返回 Back</a> · <a href=\"/items\">待处理事项 Open items</a></p>\n", f);
}

/* A link back within the workbench: a path of ours, nothing else. */
static const char *safe_back(const char *back)
{
	if (back[0] != '/' || back[1] == '/' || back[1] == '\\' || strpbrk(back, "\r\n\"<>"))
		return "/items";
	return back;
}

static enum MHD_Result refused(const rcn_sv_req *r, const char *why)
{
	rcn_err err;
	rcn_err_set(&err, RCN_EUSAGE, "", 0, "%s", why);
	return rcn_sv_fail(r, &err);
}

enum MHD_Result rcn_sv_act(const rcn_sv_req *r)
{
	if (r->who->role < RCN_ROLE_CLERK)
		return rcn_sv_forbidden(r, "只读用户不能处理事项 A viewer cannot act on items.");
	char action[32] = "", owner[80] = "", note[NOTE_MAX * 4 + 1] = "", back[600] = "/items";
	(void)rcn_sv_form(r->body, "action", action, sizeof action);
	(void)rcn_sv_form(r->body, "owner", owner, sizeof owner);
	(void)rcn_sv_form(r->body, "back", back, sizeof back);
	if (!rcn_sv_form(r->body, "note", note, sizeof note))
		note[0] = '\0';
	const char *status = strcmp(action, "acknowledge") == 0 || strcmp(action, "assign") == 0 ? "acknowledged"
			     : strcmp(action, "resolve") == 0					 ? "resolved"
			     : strcmp(action, "write_off") == 0					 ? "written_off"
												 : NULL;
	if (!status)
		return refused(r, "未知的操作 Unknown action: choose acknowledge, assign, resolve or write off.");
	const char *n = note;
	while (*n == ' ' || *n == '\t' || *n == '\r' || *n == '\n')
		n++;
	if (!*n)
		return refused(r, "请填写说明 Every action needs a note: nothing was changed.");
	if (strcmp(action, "assign") == 0 && !owner[0])
		return refused(r, "请填写负责人 Assign to whom? Give an owner: nothing was changed.");
	/* taking an item makes it yours unless assigned to someone; closing it keeps its owner */
	bool takes = strcmp(action, "acknowledge") == 0 || strcmp(action, "assign") == 0;
	const char *who = owner[0] ? owner : takes ? r->who->name : NULL;
	if (owner[0] && !rcn_user_name_ok(owner))
		return refused(r, "负责人名称不对 The owner is not a user's name: nothing was changed.");
	rcn_item_change *changes = rcn_xcalloc(SELECTION_MAX, sizeof(*changes));
	char(*ids)[RCN_ITEM_ID_MAX + 8] = rcn_xcalloc(SELECTION_MAX, sizeof(*ids));
	size_t k = 0;
	for (; k < SELECTION_MAX && rcn_sv_form_nth(r->body, "id", k, ids[k], sizeof ids[k]); k++)
		changes[k] = (rcn_item_change){.id = ids[k], .status = status, .owner = who, .note = note};
	enum MHD_Result ok;
	if (k == 0) {
		ok = refused(r, "没有选择事项 No item was selected: nothing was changed.");
	} else if (rcn_sv_form_nth(r->body, "id", SELECTION_MAX, ids[0], sizeof ids[0])) {
		ok = refused(r, "一次最多处理 500 项 At most 500 items at once: nothing was changed.");
	} else {
		rcn_err err;
		rcn_items_actor a = {.by = r->who->name, .writeoff_approval_fen = r->o->writeoff_approval_fen};
		rcn_rc rc = rcn_sv_as_of(r, &a.as_of, &err);
		rcn_item_done *done = rcn_xcalloc(k, sizeof(*done));
		if (rc == RCN_OK)
			rc = rcn_items_apply(r->db, changes, k, &a, done, &err);
		if (rc != RCN_OK) {
			ok = rcn_sv_fail(r, &err);
		} else {
			done_page d = {safe_back(back), done, k, "所选事项已处理 The selected items were acted on."};
			ok = rcn_sv_page(r, 200, "已完成 Done", done_body, &d);
		}
		free(done);
	}
	free(ids);
	free(changes);
	return ok;
}

enum MHD_Result rcn_sv_approve(const rcn_sv_req *r, const char *typed)
{
	if (r->who->role < RCN_ROLE_SUPERVISOR)
		return rcn_sv_forbidden(r, "只有主管可以审批核销 Only a supervisor approves a write-off.");
	char id[RCN_ITEM_ID_MAX], note[NOTE_MAX * 4 + 1] = "";
	if (!rcn_item_id_parse(typed, id))
		return rcn_sv_text(r->c, 404, "404 no such item\n");
	(void)rcn_sv_form(r->body, "note", note, sizeof note);
	rcn_err err;
	rcn_items_actor a = {.by = r->who->name, .writeoff_approval_fen = r->o->writeoff_approval_fen};
	rcn_item_done done;
	rcn_rc rc = rcn_sv_as_of(r, &a.as_of, &err);
	if (rc == RCN_OK)
		rc = rcn_items_approve(r->db, id, note[0] ? note : NULL, &a, &done, &err);
	if (rc != RCN_OK)
		return rcn_sv_fail(r, &err);
	char back[40];
	snprintf(back, sizeof back, "/item/%s", id);
	done_page d = {back, &done, 1, "核销已批准 The write-off is approved."};
	return rcn_sv_page(r, 200, "已完成 Done", done_body, &d);
}
