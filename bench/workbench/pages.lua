-- wrk script of the workbench's load bench (bench/workbench/run.sh): each
-- wrk thread is one signed-in user (its own session cookie, one connection)
-- asking for one kind of page, PAGE, with its values drawn at random from
-- the year's dates, item ids, order numbers, kinds and channels.
-- env: PAGE, LISTS (the directory of cookies.txt, dates.txt, ids.txt, orders.txt)
local page = os.getenv("PAGE")
local lists = os.getenv("LISTS")

local function lines(name)
	local t = {}
	for l in io.lines(lists .. "/" .. name) do
		if #l > 0 then t[#t + 1] = l end
	end
	return t
end

local n_threads = 0
function setup(thread)
	n_threads = n_threads + 1
	thread:set("user", n_threads)
end

local cookie, dates, ids, orders
local kinds = { "SHORT_PAYMENT", "OVERPAYMENT", "STATUS_MISMATCH", "DOUBLE_CHARGE" }
local channels = { "wechat", "alipay" }
local ages = { "0-3", "4-7", "8-30", "31-" }

function init(args)
	local cookies = lines("cookies.txt")
	cookie = cookies[(user - 1) % #cookies + 1]
	dates, ids, orders = lines("dates.txt"), lines("ids.txt"), lines("orders.txt")
	math.randomseed(user * 7919)
end

local function pick(t)
	return t[math.random(#t)]
end

function request()
	local path
	if page == "nights" then
		path = "/nights"
	elseif page == "night" then
		path = "/night/" .. pick(dates)
	elseif page == "queue" then
		path = "/items"
	elseif page == "queue-filtered" then
		path = "/items?kind=" .. pick(kinds) .. "&channel=" .. pick(channels) .. "&age=" .. pick(ages) .. "&sort=amount&dir=desc"
	elseif page == "queue-page" then
		path = "/items?page=" .. math.random(1000)
	elseif page == "night-items" then
		path = "/items?seen=" .. pick(dates)
	elseif page == "night-items-all" then
		path = "/items?seen=" .. pick(dates) .. "&status=all"
	elseif page == "item" then
		path = "/item/" .. pick(ids)
	elseif page == "search" then
		path = "/search?q=" .. pick(orders)
	else
		error("unknown PAGE " .. tostring(page))
	end
	return wrk.format("GET", path, { ["Cookie"] = "recon_session=" .. cookie })
end
