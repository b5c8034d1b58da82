# libFuzzer target for the safetensors header parser, built with clang (the main build may
# use g++) and run briefly as a test. Skipped with a message when clang is not installed;
# .ci/run installs it.
find_program(HEARTH_CLANGXX NAMES clang++ clang++-14)
if(HEARTH_CLANGXX)
  set(HEARTH_FUZZ_DIR ${CMAKE_BINARY_DIR}/fuzz)
  get_target_property(HEARTH_JSON_INC nlohmann_json::nlohmann_json INTERFACE_INCLUDE_DIRECTORIES)
  add_custom_command(
    OUTPUT ${HEARTH_FUZZ_DIR}/safetensors_fuzz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${HEARTH_FUZZ_DIR}
    COMMAND ${HEARTH_CLANGXX} -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined
            -I${PROJECT_SOURCE_DIR}
            ${PROJECT_SOURCE_DIR}/tests/fuzz/safetensors_fuzz.cpp
            ${PROJECT_SOURCE_DIR}/src/io/safetensors.cpp
            ${PROJECT_SOURCE_DIR}/quant/format.cpp
            -lfmt -o ${HEARTH_FUZZ_DIR}/safetensors_fuzz
    DEPENDS ${PROJECT_SOURCE_DIR}/tests/fuzz/safetensors_fuzz.cpp ${PROJECT_SOURCE_DIR}/src/io/safetensors.cpp
            ${PROJECT_SOURCE_DIR}/src/io/safetensors.h ${PROJECT_SOURCE_DIR}/quant/format.cpp
    COMMENT "Building the safetensors fuzzer with clang")
  add_custom_target(safetensors_fuzz ALL DEPENDS ${HEARTH_FUZZ_DIR}/safetensors_fuzz)
  # New inputs go to the first corpus folder (in the build tree); the seeds stay read-only.
  file(MAKE_DIRECTORY ${HEARTH_FUZZ_DIR}/corpus_safetensors)
  add_test(NAME fuzz.safetensors_header
           COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
                   ${HEARTH_FUZZ_DIR}/safetensors_fuzz -max_total_time=20 -rss_limit_mb=2048
                   -dict=${PROJECT_SOURCE_DIR}/tests/fuzz/safetensors.dict
                   ${HEARTH_FUZZ_DIR}/corpus_safetensors
                   ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/safetensors)
  set_tests_properties(fuzz.safetensors_header PROPERTIES LABELS fuzz TIMEOUT 120)
else()
  message(WARNING "clang++ not found: the libFuzzer targets are not built (apt-get install clang)")
endif()
