/* The fixture server's alert receiver: POST /alert/hook stands in for a
 * WeCom / DingTalk robot or any webhook. Each body it accepts is stored as
 * <state>/alerts/NNN.json (001, 002, ... in arrival order) and answered 200
 * {"errcode":0,"errmsg":"ok"}. Behaviour by scenario (alone or "word-<any>"):
 * ok (default), flaky (500 for the first two requests, then as ok), down
 * (always 503), errcode (200 with a robot's errcode 93000; nothing stored). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture_server.h"

static void reply(fx_response *r, int status, const char *body)
{
	fx_status(r, status);
	fx_header(r, "Content-Type", "application/json");
	fx_body(r, body, strlen(body));
}

/* Writes the body to the first free <state>/alerts/NNN.json. */
static bool store(const fx_request *req, const fx_ctx *ctx)
{
	char dir[4096], path[4200];
	snprintf(dir, sizeof(dir), "%s/alerts", ctx->state_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return false;
	for (int i = 1; i < 1000; i++) {
		snprintf(path, sizeof(path), "%s/%03d.json", dir, i);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (fd < 0) {
			if (errno == EEXIST)
				continue;
			return false;
		}
		size_t done = 0;
		while (done < req->body_len) {
			ssize_t w = write(fd, req->body + done, req->body_len - done);
			if (w <= 0) {
				close(fd);
				return false;
			}
			done += (size_t)w;
		}
		return close(fd) == 0;
	}
	return false;
}

static void alert_hook(const fx_request *req, fx_response *r, const fx_ctx *ctx)
{
	if (fx_scenario_is(ctx, "down")) {
		reply(r, 503, "{\"errcode\":-1,\"errmsg\":\"service unavailable\"}");
		return;
	}
	if (fx_scenario_is(ctx, "flaky") && ctx->count < 2) {
		reply(r, 500, "{\"errcode\":-1,\"errmsg\":\"try again later\"}");
		return;
	}
	if (fx_scenario_is(ctx, "errcode")) {
		reply(r, 200, "{\"errcode\":93000,\"errmsg\":\"invalid webhook url\"}");
		return;
	}
	if (!store(req, ctx)) {
		reply(r, 500, "{\"errcode\":-1,\"errmsg\":\"cannot store the body\"}");
		return;
	}
	reply(r, 200, "{\"errcode\":0,\"errmsg\":\"ok\"}");
}

const fx_route fx_alert_routes[] = {
	{"POST", "/alert/hook", alert_hook},
	{NULL, NULL, NULL},
};
