-- (g) Follow-ups from an integrator that names its leads: as (f), each request also sends
-- the person's External_LeadId, "<tag>-<index>". The bulk loader gave every other lead that
-- ID; the rest have none yet and take it with their first follow-up, as `service.apply`
-- names an open lead its own integrator sends an unused ID for.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

function body_for(n)
  local person = next_known(true)
  local message = "Follow-up " .. tag .. "-" .. tid .. "-" .. n .. ": can we visit on Saturday?"
  local extra = ',"External_LeadId":"' .. known_tag .. "-" .. person.k .. '"'
  return lead_json(person, "Contacted", extra, message)
end
