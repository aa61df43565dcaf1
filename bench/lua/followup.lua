-- (f) Follow-ups: every request is about a person who already has an open lead
-- (bulk-loaded by bench/bulk_load.py: every other one New, the rest Contacted and linked to
-- their contact), sent as Contacted with a message of its own. So each request updates its
-- lead: a New one becomes Contacted and is linked to the person's contact, a Contacted one
-- records the new enquiry. Each thread goes through its own slice of the people in order,
-- and starts it again once it is used up; a person is never in flight twice.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

function body_for(n)
  local message = "Follow-up " .. tag .. "-" .. tid .. "-" .. n .. ": can we visit on Saturday?"
  return lead_json(next_known(true), "Contacted", "", message)
end
