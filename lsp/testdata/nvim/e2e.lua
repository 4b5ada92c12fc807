-- e2e.lua: neovim (0.7+) as a real client of `gun lsp`, run headless by
-- lsp/e2e_test.go. It sets up the Gunfile filetype and the server the way
-- docs/editors.md tells users to, opens the file given on the command line,
-- waits for diagnostics, asks for completion and hover, formats the buffer,
-- types a line with non-ASCII text and waits for the diagnostics of that
-- version, and prints one JSON object on stdout.
--
-- Environment: GUN_BIN (the gun binary), GUN_COMPLETE and GUN_HOVER
-- (LINE:COL, 1-based), GUN_TIMEOUT_MS (per step, default 10000).
local out = {ok = false}
local function finish(code)
  io.stdout:write(vim.fn.json_encode(out) .. "\n")
  io.stdout:flush()
  os.exit(code)
end
local function fail(msg)
  out.error = msg
  finish(1)
end

local gun = os.getenv("GUN_BIN") or fail("GUN_BIN not set")
local timeout = tonumber(os.getenv("GUN_TIMEOUT_MS") or "10000")

-- Count the diagnostics the server publishes, then let neovim show them.
local published = 0
local show = vim.lsp.handlers["textDocument/publishDiagnostics"]
vim.lsp.handlers["textDocument/publishDiagnostics"] = function(err, result, ctx, config)
  published = published + 1
  out.diagnostics_version = result.version
  return show(err, result, ctx, config)
end

-- The neovim 0.7 setup of docs/editors.md, with the binary under test.
vim.cmd([[autocmd BufRead,BufNewFile Gunfile,*.gunfile setfiletype gunfile]])
vim.api.nvim_create_autocmd("FileType", {
  pattern = "gunfile",
  callback = function(args)
    local client = vim.lsp.start_client({
      name = "gun",
      cmd = { gun, "lsp" },
      root_dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(args.buf), ":p:h"),
    })
    if client then vim.lsp.buf_attach_client(args.buf, client) end
  end,
})

vim.cmd("edit " .. vim.fn.fnameescape(vim.fn.argv(0)))
local bufnr = vim.api.nvim_get_current_buf()
out.filetype = vim.bo[bufnr].filetype
if out.filetype ~= "gunfile" then fail("filetype not detected: " .. out.filetype) end
-- The client shows among the buffer's clients once it is initialized.
local client_id
if not vim.wait(timeout, function()
  for id, _ in pairs(vim.lsp.buf_get_clients(bufnr)) do client_id = id end
  return client_id ~= nil
end, 10) then fail("no client attached to the buffer") end
if not vim.wait(timeout, function()
  local c = vim.lsp.get_client_by_id(client_id)
  return c ~= nil and c.initialized
end, 10) then fail("server did not initialize") end
if not vim.wait(timeout, function() return published > 0 end, 10) then fail("no diagnostics") end

-- Diagnostics as neovim holds them: 1-based lines and byte columns.
local function diagnostics()
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local code = d.code
    if code == nil and d.user_data and d.user_data.lsp then code = d.user_data.lsp.code end
    table.insert(list, {line = d.lnum + 1, col = d.col + 1, severity = d.severity, code = code, message = d.message})
  end
  return list
end
out.diagnostics = diagnostics()

local function position(env)
  local l, c = (os.getenv(env) or "1:1"):match("^(%d+):(%d+)$")
  return {line = tonumber(l) - 1, character = tonumber(c) - 1}
end
local function request(method, params)
  local resp, err = vim.lsp.buf_request_sync(bufnr, method, params, timeout)
  if not resp then fail(method .. ": " .. tostring(err)) end
  local r = resp[client_id]
  if not r then fail(method .. ": no response") end
  if r.err then fail(method .. ": " .. vim.inspect(r.err)) end
  return r.result
end

local items = request("textDocument/completion", {
  textDocument = vim.lsp.util.make_text_document_params(bufnr), position = position("GUN_COMPLETE")})
if items and items.items then items = items.items end
out.completion = {}
for _, it in ipairs(items or {}) do table.insert(out.completion, it.label) end

local hover = request("textDocument/hover", {
  textDocument = vim.lsp.util.make_text_document_params(bufnr), position = position("GUN_HOVER")})
out.hover = hover and hover.contents and hover.contents.value or vim.NIL

-- Formatting through the editor's own command, applied to the buffer.
vim.lsp.buf.formatting_sync(nil, timeout)
out.formatted = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n") .. "\n"

-- An edit, sent as an incremental change: "é" is 2 bytes and 1 UTF-16
-- unit, "𝄞" 4 bytes and 2 units, so a wrong column conversion shows.
local before = published
vim.api.nvim_buf_set_lines(bufnr, -1, -1, false, {'Label "é𝄞" "${ALSO}"'})
local version = vim.lsp.util.buf_versions[bufnr]
if not vim.wait(timeout, function()
  return published > before and out.diagnostics_version == version
end, 10) then fail("no diagnostics for version " .. tostring(version)) end
out.edited = diagnostics()

vim.lsp.stop_client(client_id)
vim.wait(timeout, function() return vim.lsp.get_client_by_id(client_id) == nil end, 10)
out.ok = true
finish(0)
