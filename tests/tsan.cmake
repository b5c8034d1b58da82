# The serving engine's scheduling tests (tests/engine/engine_test.cpp: many submitting threads,
# cancellation, the serve loop) once more under ThreadSanitizer, label "tsan":
#   ctest --test-dir build -L tsan
# The engine's own sources are compiled instrumented into the test; the layers below (KV cache,
# tokenizer) are linked as built, and run only on the engine's thread there.
include(CheckCXXSourceCompiles)
set(CMAKE_REQUIRED_FLAGS -fsanitize=thread)
set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=thread)
check_cxx_source_compiles("int main() { return 0; }" HEARTH_HAVE_TSAN)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
if(HEARTH_HAVE_TSAN)
  file(GLOB _engine_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/engine/*.cpp)
  add_executable(hearth_engine_tsan_tests ${CMAKE_CURRENT_SOURCE_DIR}/engine/engine_test.cpp ${_engine_sources})
  target_compile_options(hearth_engine_tsan_tests PRIVATE -fsanitize=thread -g -O1)
  target_link_options(hearth_engine_tsan_tests PRIVATE -fsanitize=thread)
  target_link_libraries(hearth_engine_tsan_tests PRIVATE hearth_model hearth_tokenizer GTest::gtest GTest::gtest_main)
  add_test(NAME engine.tsan.Engine COMMAND hearth_engine_tsan_tests --gtest_filter=Engine.*)
  set_tests_properties(engine.tsan.Engine PROPERTIES LABELS tsan
    ENVIRONMENT "TSAN_OPTIONS=halt_on_error=1 second_deadlock_stack=1"
    FAIL_REGULAR_EXPRESSION "ThreadSanitizer")
else()
  message(STATUS "no -fsanitize=thread here: the tsan-labelled engine test is not built")
endif()
