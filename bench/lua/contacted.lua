-- (b) Every request a new lead sent as Contacted. Every other request is about a person the
-- agent already has as a contact (pre-created by bench/bulk_load.py), so the lead matches
-- that contact; the rest are strangers, for whom a contact is created.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

function body_for(n)
  local person = (n % 2 == 0) and next_known() or nil
  return lead_json(person or new_person(n), "Contacted", "")
end
