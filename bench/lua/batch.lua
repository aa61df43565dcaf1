-- (d) POST /listingexport/leads/batch with BENCH_BATCH_SIZE (500) distinct New leads.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

endpoint = "/listingexport/leads/batch"

function body_for(n)
  local items = {}
  for i = 1, batch_size do
    items[i] = lead_json(new_person((n - 1) * batch_size + i), "New", "")
  end
  return "[" .. table.concat(items, ",") .. "]"
end
