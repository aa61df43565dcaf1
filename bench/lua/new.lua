-- (a) Every request a New lead from a person never seen before.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

function body_for(n)
  return lead_json(new_person(n), "New", "")
end
