-- (c) A realistic mix: 50% New, 30% Contacted, 20% Archived (a lead first seen archived is
-- created archived), each with qualification fields and its own External_LeadId.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local STATUSES = {"New", "New", "New", "New", "New",
                  "Contacted", "Contacted", "Contacted", "Archived", "Archived"}

function body_for(n)
  local price = 100000 + (n % 50) * 5000
  local extra = string.format(
    ',"Price_Min":%d,"Price_Max":%d,"Room_Min":%d,"LeadType_Id":%d,'
      .. '"Listing_Attributes":[1,5,%d],"External_LeadId":"%s-%d-%d"',
    price, price + 100000, 1 + n % 4, 1 + n % 2, (n % 2 == 0) and 7 or 51, tag, tid, n)
  return lead_json(new_person(n), STATUSES[(n % 10) + 1], extra)
end
