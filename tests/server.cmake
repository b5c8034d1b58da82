# The official OpenAI client (npm `openai`, pinned by tests/server/package-lock.json and
# installed by .ci/setup with `npm ci`) against `hearth serve`. Without node, or without the
# package, the test fails saying what to install; it is never skipped.
find_program(HEARTH_NODE NAMES node nodejs)
if(HEARTH_NODE)
  add_test(NAME server.openai_client
           COMMAND ${HEARTH_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/server/openai_client_test.mjs $<TARGET_FILE:hearth>)
  set_tests_properties(server.openai_client PROPERTIES PASS_REGULAR_EXPRESSION "PASS" TIMEOUT 300)
else()
  add_test(NAME server.openai_client
           COMMAND ${CMAKE_COMMAND} -E echo "FAIL: node is not installed; run .ci/setup (apt-get install nodejs npm)")
  set_tests_properties(server.openai_client PROPERTIES PASS_REGULAR_EXPRESSION "^PASS$")
endif()
