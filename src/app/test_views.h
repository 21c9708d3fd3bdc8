#pragma once
// Test-only views (compiled natively and into the wasm-wasi-test module, never
// into the deployed one): drive any SessionBase operation from a request so
// the middleware's behaviour matrix can be tested end to end through workerd.
#include "app/app.h"

namespace test_views {

// GET /__test__/session?op=...&op=... runs the ops in order, then answers
// JSON describing the session. Ops:
//   get:KEY  set:KEY=JSON  del:KEY  pop:KEY  clear  flush  cycle  modified
//   expiry:SECONDS  expiry_none  expiry_in:SECONDS (absolute deadline)
//   test_cookie  status:CODE  big:BYTES (stores a string of that size under "big")
app::App::View session_script(session::Session& s, const http::Request& req);

}  // namespace test_views
