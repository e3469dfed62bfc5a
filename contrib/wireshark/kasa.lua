-- SPDX-License-Identifier: MIT
--
-- Wireshark dissector for the TP-Link Kasa smart plug LAN protocol.
--
-- TCP port 9999: a 4-byte big-endian payload length, then the payload.
-- UDP port 9999 (discovery): the payload alone.  The payload is UTF-8 JSON
-- under the "autokey XOR" cipher: the key starts at 171 (0xAB) and each
-- ciphertext byte is the key of the next one.
--
-- Frames split over several TCP segments are reassembled (dissect_tcp_pdus,
-- subject to TCP's "Allow subdissector to reassemble TCP streams"
-- preference).  The decrypted text is shown as the field kasa.json and, as a
-- data source of its own, handed to Wireshark's JSON dissector when there is
-- one.
--
-- Use:
--   wireshark -X lua_script:kasa.lua capture.pcapng
--   tshark -X lua_script:kasa.lua -Y kasa -T fields -e kasa.json -r capture.pcapng
-- or copy this file to ~/.local/lib/wireshark/plugins/.  Plugs on another port
-- (kasa-emu, for one): "Decode As...", or -d tcp.port==PORT,kasa and
-- -d udp.port==PORT,kasa.
--
-- Display filter fields: kasa.length, kasa.payload, kasa.json, kasa.type
-- (1 request, 2 reply), kasa.method ("system.get_sysinfo" and so on, one per
-- module of the message).
--
-- A frame whose length header is 0 (some firmware, then the payload up to the
-- end of the connection) is decoded from the rest of its segment only.
-- Wireshark has a built-in dissector for this protocol too (4.0 does:
-- "tplink-smarthome"); while this script is loaded, port 9999 is its own.

local KASA_PORT = 9999
local HEADER_LEN = 4

local kasa = Proto("kasa", "TP-Link Kasa Smart Plug Protocol")

local types = { [1] = "Request", [2] = "Reply" }

local f_length = ProtoField.uint32("kasa.length", "Length", base.DEC, nil, nil,
	"Payload length from the 4-byte header (TCP only)")
local f_payload = ProtoField.bytes("kasa.payload", "Encrypted payload")
local f_json = ProtoField.string("kasa.json", "JSON", base.UNICODE,
	"The payload, decrypted")
local f_type = ProtoField.uint8("kasa.type", "Type", base.DEC, types)
local f_method = ProtoField.string("kasa.method", "Method", base.ASCII,
	"module.method, one per module of the message")
kasa.fields = { f_length, f_payload, f_json, f_type, f_method }

local e_too_long = ProtoExpert.new("kasa.too_long", "Length over the frame cap",
	expert.group.MALFORMED, expert.severity.ERROR)
local e_zero_len = ProtoExpert.new("kasa.zero_length",
	"Length 0: the payload runs to the end of the connection",
	expert.group.PROTOCOL, expert.severity.NOTE)
local e_not_json = ProtoExpert.new("kasa.not_json",
	"Plaintext does not look like JSON (not Kasa, or a broken frame)",
	expert.group.MALFORMED, expert.severity.WARN)
local e_short = ProtoExpert.new("kasa.short", "Frame shorter than its length header",
	expert.group.MALFORMED, expert.severity.ERROR)
kasa.experts = { e_too_long, e_zero_len, e_not_json, e_short }

kasa.prefs.max_frame = Pref.uint("Largest frame",
	65536, "A TCP length header above this many bytes is taken as malformed "
	.. "and not reassembled (real plugs send under 9 KB)")
kasa.prefs.json = Pref.bool("Dissect the plaintext as JSON", true,
	"Hand the decrypted text to Wireshark's JSON dissector")

-- XOR of two bytes, from whichever library this Wireshark's Lua has:
-- bit32 (Lua 5.2), Wireshark's own "bit" (LuaBitOp), or the native operator
-- of Lua 5.3 and later (compiled at run time so that 5.2 can parse this file).
local bxor
if bit32 then
	bxor = bit32.bxor
elseif bit then
	bxor = bit.bxor
else
	bxor = load("return function(a, b) return a ~ b end")()
end

-- The plaintext of a range as a ByteArray.
local function decrypt(range)
	local src = range:bytes()
	local n = src:len()
	local out = ByteArray.new()
	out:set_size(n)
	local key = 0xAB
	for i = 0, n - 1 do
		local c = src:get_index(i)
		out:set_index(i, bxor(c, key))
		key = c
	end
	return out
end

-- "module.method" for each module at the top of a JSON object, in order:
-- the method is the first key of the module's object whose value is an
-- object too; a module without one (a module-level error) is listed alone;
-- the outlet "context" is left out.  A small scanner, not a parser: it
-- follows strings and nesting only, which is all the keys need.
local function methods(text)
	local found = {}
	local depth, i, n = 0, 1, #text
	local module, method, key = nil, nil, nil
	while i <= n do
		local ch = text:sub(i, i)
		if ch == '"' then
			local j = i + 1
			while j <= n do
				local cj = text:sub(j, j)
				if cj == "\\" then
					j = j + 1
				elseif cj == '"' then
					break
				end
				j = j + 1
			end
			key = text:sub(i + 1, j - 1)
			i = j
		elseif ch == ":" then
			if depth == 1 then
				module, method = key, nil
			elseif depth == 2 and module and not method
				and text:match("^%s*{", i + 1) then
				method = key
			end
			key = nil
		elseif ch == "{" or ch == "[" then
			depth = depth + 1
		elseif ch == "}" or ch == "]" then
			depth = depth - 1
			if depth == 1 and module then
				if module ~= "context" then
					found[#found + 1] = method and (module .. "." .. method) or module
				end
				module = nil
			end
		elseif ch == "," then
			key = nil
		end
		i = i + 1
	end
	return found
end

local json_dissector
do
	local ok, d = pcall(Dissector.get, "json")
	if ok then
		json_dissector = d
	end
end

-- A request goes to the plug's port; whatever comes from it is a reply.
-- match_uint is the port this dissector was found under (9999, or the one
-- given with Decode As).
local function message_type(pinfo)
	local port = pinfo.match_uint
	if port == nil or port == 0 then
		port = KASA_PORT
	end
	if pinfo.dst_port == port then
		return 1
	end
	return 2
end

-- The Info column: one message, or several (frames sharing a TCP segment)
-- joined with " | ".  Set whole each time, which also drops what the JSON
-- dissector appends.  packet_info is emptied as each packet's dissection
-- starts.
local packet_info = {}
local function set_info(pinfo, text)
	packet_info[#packet_info + 1] = text
	pinfo.cols.info:set(table.concat(packet_info, " | "))
end

-- Adds the plaintext of `range` under `item`, and sets the columns.
local function show_payload(range, pinfo, item)
	local kind = message_type(pinfo)
	item:add(f_type, kind):set_generated()
	if range:len() == 0 then
		set_info(pinfo, types[kind] .. " (empty)")
		return
	end
	item:add(f_payload, range)

	local plain = decrypt(range)
	local ptvb = plain:tvb("Kasa plaintext")
	local text = ptvb:range():string()
	local json_item = item:add(f_json, ptvb:range(), text)

	local info = types[kind]
	if text:match("^%s*[{%[]") then
		local list = methods(text)
		for _, m in ipairs(list) do
			item:add(f_method, m):set_generated()
		end
		if #list > 0 then
			info = info .. " " .. table.concat(list, ", ")
		end
		if json_dissector and kasa.prefs.json then
			json_dissector:call(ptvb, pinfo, item)
		end
	else
		json_item:add_proto_expert_info(e_not_json)
	end
	pinfo.cols.protocol = "Kasa"
	set_info(pinfo, info)
	item:append_text(", " .. types[kind] .. ", " .. range:len() .. " bytes")
end

-- TCP ---------------------------------------------------------------------

-- The length of the frame at `offset`: the header and its payload.  A length
-- over the cap consumes what is there without reassembly; a length of 0
-- (some firmware: the payload follows up to the end of the connection) takes
-- the rest of this segment.
local function tcp_frame_len(tvb, pinfo, offset)
	local len = tvb:range(offset, HEADER_LEN):uint()
	local rest = tvb:reported_length_remaining(offset)
	if len == 0 or len > kasa.prefs.max_frame then
		return rest
	end
	return HEADER_LEN + len
end

local function dissect_tcp_frame(tvb, pinfo, tree)
	local item = tree:add(kasa, tvb:range())
	local len_range = tvb:range(0, HEADER_LEN)
	local len = len_range:uint()
	local len_item = item:add(f_length, len_range)
	local avail = tvb:len() - HEADER_LEN
	local payload_len = len
	if len == 0 then
		len_item:add_proto_expert_info(e_zero_len)
		payload_len = avail
	elseif len > kasa.prefs.max_frame then
		len_item:add_proto_expert_info(e_too_long)
		payload_len = avail
	elseif avail < len then
		len_item:add_proto_expert_info(e_short)
		payload_len = avail
	end
	show_payload(tvb:range(HEADER_LEN, payload_len), pinfo, item)
	return tvb:len()
end

local function dissect_tcp(tvb, pinfo, tree)
	packet_info = {}
	dissect_tcp_pdus(tvb, tree, HEADER_LEN, tcp_frame_len, dissect_tcp_frame, true)
	return tvb:len()
end

-- UDP ---------------------------------------------------------------------

local function dissect_udp(tvb, pinfo, tree)
	packet_info = {}
	local item = tree:add(kasa, tvb:range())
	show_payload(tvb:range(), pinfo, item)
	return tvb:len()
end

-- One protocol for both transports, so that the filter "kasa" shows both.
-- pinfo.port_type: 2 is TCP, 3 UDP (epan's enum port_type).
local PT_TCP, PT_UDP = 2, 3

function kasa.dissector(tvb, pinfo, tree)
	local pt = pinfo.port_type
	if pt == PT_UDP then
		return dissect_udp(tvb, pinfo, tree)
	elseif pt == PT_TCP then
		return dissect_tcp(tvb, pinfo, tree)
	end
	return 0
end

DissectorTable.get("tcp.port"):add(KASA_PORT, kasa)
DissectorTable.get("udp.port"):add(KASA_PORT, kasa)
