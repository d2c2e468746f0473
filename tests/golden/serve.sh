# recon serve (issue 21, items 3-4 so far): the login on a real server and
# PostgreSQL, driven over HTTP with curl — no session → the login page for
# every route; a login needs the form's token; wrong passwords are counted
# and back off; a session cookie is HttpOnly and SameSite=Strict, kept in
# the database only as a hash, dead after logout, expiry or its user's
# disabling; a POST without or with a wrong CSRF token is refused (403) and
# changes nothing; every answer has the security headers; values are
# escaped; every login, failure and logout is in the audit trail; SIGTERM
# stops it cleanly.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"

fresh_db serve_web
demo_conf
CONF=$WORK/recon.conf
PW='清算 clerk passphrase 7'
printf '%s\n' "$PW" | "$RECON" user add lina --role clerk --by admin1 --config "$CONF" >/dev/null ||
	fail "user add"
printf '%s\n' "$PW" | "$RECON" user add wang --role viewer --by admin1 --config "$CONF" >/dev/null ||
	fail "user add wang"

start_serve

# no session: every route is the login page
for path in / /nights /night/2026-03-02 /night/2026-03-02/discrepancies.csv /items /item/0006R /search?q=x /logout; do
	[ "$(req anon "$URL$path")" = 303 ] || fail "GET $path without a session: $(cat "$WORK/h")"
	[ "$(header Location)" = /login ] || fail "GET $path: to $(header Location)"
done
[ "$(req anon -X POST -d csrf=x "$URL/logout")" = 303 ] || fail "POST /logout without a session"
[ "$(req anon "$URL/login")" = 200 ] || fail "GET /login"
[ "$(header Content-Security-Policy)" = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'" ] ||
	fail "CSP: $(header Content-Security-Policy)"
[ "$(header X-Frame-Options)" = DENY ] || fail "X-Frame-Options: $(header X-Frame-Options)"
[ "$(header X-Content-Type-Options)" = nosniff ] || fail "X-Content-Type-Options"
header Set-Cookie | grep -q '^recon_login=[0-9a-f]\{64\}; Path=/; HttpOnly; SameSite=Strict' ||
	fail "the pre-login cookie: $(header Set-Cookie)"
grep -q '用户名 Name' "$WORK/b" || fail "the login page: $(cat "$WORK/b")"

# a login without the form's token, or with another: 403, no session
[ "$(req b1 "$URL/login")" = 200 ]
csrf=$(form_csrf)
[ "$(req b1 --data-urlencode name=lina --data-urlencode "password=$PW" "$URL/login")" = 403 ] ||
	fail "a login without the token"
[ "$(req b1 --data-urlencode csrf=0000000000000000000000000000000000000000000000000000000000000000 \
	--data-urlencode name=lina --data-urlencode "password=$PW" "$URL/login")" = 403 ] || fail "a login with a wrong token"
expect_sql 0 "select count(*) from recon_sessions"

# a wrong password: the page says so, the name escaped, the failure counted and audited
[ "$(req b1 "$URL/login")" = 200 ]
csrf=$(form_csrf)
[ "$(req b1 --data-urlencode "csrf=$csrf" --data-urlencode 'name="><img src=x onerror=alert(1)>' \
	--data-urlencode "password=nope" "$URL/login")" = 200 ] || fail "a login of an unknown name"
grep -q '用户名或密码错误 Wrong name or password' "$WORK/b" || fail "no wrong-password message"
grep -q '<img' "$WORK/b" && fail "the name was not escaped: $(grep -o 'value="[^"]*img[^"]*' "$WORK/b")"
grep -q '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;' "$WORK/b" || fail "the name not shown escaped"
[ "$(req b1 "$URL/login")" = 200 ]
csrf=$(form_csrf)
req b1 --data-urlencode "csrf=$csrf" --data-urlencode name=lina --data-urlencode "password=wrong one" "$URL/login" >/dev/null
expect_sql 1 "select failed_logins from recon_users where name = 'lina'"
expect_sql "login_failed|?|unknown user|login_failed|lina|wrong password" \
	"select string_agg(action || '|' || subject || '|' || detail, '|' order by audit_id) from recon_audit where action like 'login%'"

# the right password: a session cookie, the token nowhere in the database
[ "$(req b1 "$URL/login")" = 200 ]
csrf=$(form_csrf)
[ "$(req b1 --data-urlencode "csrf=$csrf" --data-urlencode name=lina --data-urlencode "password=$PW" "$URL/login")" = 303 ] ||
	fail "the right password: $(cat "$WORK/b")"
[ "$(header Location)" = / ] || fail "after the login: to $(header Location)"
header Set-Cookie | grep -q '^recon_session=[0-9a-f]\{64\}; Path=/; HttpOnly; SameSite=Strict$' ||
	fail "the session cookie: $(header Set-Cookie)"
token=$(header Set-Cookie | sed 's/^recon_session=//; s/;.*//')
expect_sql 0 "select failed_logins from recon_users where name = 'lina'"
expect_sql 1 "select count(*) from recon_sessions where user_name = 'lina' and ended_at is null"
expect_sql 0 "select count(*) from recon_sessions s, recon_audit a where s::text like '%$token%' or a::text like '%$token%'"
grep -q "$token" "$WORK/serve.log" && fail "the token is in the log"
grep -q "passphrase" "$WORK/serve.log" && fail "the password is in the log"
[ "$(req b1 "$URL/")" = 303 ] || fail "GET / with the session"
[ "$(header Location)" = /nights ] || fail "GET /: to $(header Location)"
[ "$(req b1 "$URL/nights")" = 200 ] || fail "GET /nights with the session"
grep -q 'lina <small>(clerk)</small>' "$WORK/b" || fail "the nights page does not say who: $(cat "$WORK/b")"
csrf=$(form_csrf)
[ ${#csrf} = 64 ] || fail "no CSRF token on the page"

# a forged session cookie: the login page
[ "$(curl -sS -o /dev/null -w '%{http_code}' -b 'recon_session=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' "$URL/nights")" = 303 ] ||
	fail "a forged session"
[ "$(curl -sS -o /dev/null -w '%{http_code}' -b "recon_session=$token'; DROP TABLE recon_users; --" "$URL/nights")" = 303 ] ||
	fail "a session with SQL in it"
# a state-changing request without the CSRF token, or with another session's: 403, nothing changed
[ "$(req b1 -X POST "$URL/logout")" = 403 ] || fail "logout without the token"
other=${csrf%?}0
[ "$other" = "$csrf" ] && other=${csrf%?}1
[ "$(req b1 --data-urlencode "csrf=$other" "$URL/logout")" = 403 ] || fail "logout with a wrong token"
[ "$(req b1 "$URL/nights")" = 200 ] || fail "the session died of a refused logout"
# logout: the cookie is dead, even replayed
[ "$(req b1 --data-urlencode "csrf=$csrf" "$URL/logout")" = 303 ] || fail "logout"
[ "$(curl -sS -o /dev/null -w '%{http_code}' -b "recon_session=$token" "$URL/nights")" = 303 ] || fail "a session cookie after logout"
expect_sql "login|logout" "select string_agg(action, '|' order by audit_id) from recon_audit where subject = 'lina' and action in ('login', 'logout')"

# an expired session (opened 13 hours ago; idle for 31 minutes): dead
[ "$(login b2 lina "$PW")" = 303 ] || fail "the second login"
sql "update recon_sessions set created_at = now() - interval '13 hours' where ended_at is null" >/dev/null
[ "$(req b2 "$URL/nights")" = 303 ] || fail "a session 13 hours old"
[ "$(login b2 lina "$PW")" = 303 ] || fail "the third login"
sql "update recon_sessions set last_seen_at = now() - interval '31 minutes' where ended_at is null" >/dev/null
[ "$(req b2 "$URL/nights")" = 303 ] || fail "a session idle for 31 minutes"
# a disabled user's session ends, and they cannot log in again
[ "$(login b3 wang "$PW")" = 303 ] || fail "wang's login"
[ "$(req b3 "$URL/nights")" = 200 ] || fail "wang's page"
"$RECON" user disable wang --by admin1 --config "$CONF" >/dev/null || fail "disable wang"
[ "$(req b3 "$URL/nights")" = 303 ] || fail "a disabled user's session"
[ "$(login b3 wang "$PW")" = 200 ] || fail "a disabled user's login"

# 20 wrong passwords: backed off — the right one is refused meanwhile (429), each counted
for _ in $(seq 20); do login b4 lina "not the password" >/dev/null; done
expect_sql 20 "select failed_logins from recon_users where name = 'lina'"
expect_sql t "select locked_until > now() + interval '14 minutes' from recon_users where name = 'lina'"
[ "$(login b4 lina "$PW")" = 429 ] || fail "the right password while locked"
grep -q 'Too many failed logins: try again in' "$WORK/b" || fail "the lockout page: $(cat "$WORK/b")"
# recon user passwd ends the lockout
printf '%s\n' "$PW" | "$RECON" user passwd lina --by admin1 --config "$CONF" >/dev/null || fail "passwd"
[ "$(login b4 lina "$PW")" = 303 ] || fail "the login after passwd"

# a name nobody has backs off as a user's does: a lock says nothing of whether the name exists
for _ in $(seq 7); do login b5 nobody-here "not the password" >/dev/null; done
[ "$(login b5 nobody-here "still not it")" = 429 ] || fail "an unknown name is not backed off as a user is"
grep -q 'Too many failed logins: try again in' "$WORK/b" || fail "the unknown name's lockout page: $(cat "$WORK/b")"
expect_sql t "select locked_until > now() from recon_login_throttle where key = 'name:nobody-here'"
# many names tried from one address: the address backs off, for every name (lina's right password too)
locked=0
for i in $(seq 60); do
	if [ "$(login b6 "guess$i" "not the password")" = 429 ]; then
		locked=$i
		break
	fi
done
[ $locked -gt 0 ] || fail "60 failed logins from one address were never backed off"
expect_sql t "select failures >= 50 from recon_login_throttle where key = 'addr:127.0.0.1'"
[ "$(login b7 lina "$PW")" = 429 ] || fail "the right password from a locked address"
expect_sql 0 "select count(*) from recon_sessions where user_name = 'lina' and created_at > now() - interval '2 seconds'"

# the access log: one line per request, no secret
grep -q "^recon: serve: 127.0.0.1 \"POST /login\" 303 [0-9.]* ms$" "$WORK/serve.log" || fail "the access log: $(tail -3 "$WORK/serve.log")"
grep -q '"GET /nights" 200 [0-9.]* ms lina$' "$WORK/serve.log" || fail "the access log names the user"
# SIGTERM: a clean stop
stop_serve
grep -q "recon: serve: stopping" "$WORK/serve.log" || fail "no stop in the log"
finish
