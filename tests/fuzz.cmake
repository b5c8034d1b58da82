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

# libFuzzer target for the server's request reading (read_body, then openai::parse_request on
# the bundled model's tokenizer and chat template): the two parsing files are built with clang
# and instrumented; the layers they call come from this build's static libraries.
if(HEARTH_CLANGXX)
  set(_request_libs hearth_engine hearth_models hearth_model hearth_tokenizer hearth_jinja hearth_ops hearth_dispatch
      hearth_kernels_avx512 hearth_kernels_arm hearth_kernels hearth_io hearth_quant hearth_base)
  set(_request_lib_files)
  set(_request_targets)
  foreach(_lib ${_request_libs})
    if(TARGET ${_lib})  # the other CPU family's kernel layer has no library
      list(APPEND _request_lib_files $<TARGET_FILE:${_lib}>)
      list(APPEND _request_targets ${_lib})
    endif()
  endforeach()
  add_custom_command(
    OUTPUT ${HEARTH_FUZZ_DIR}/openai_request_fuzz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${HEARTH_FUZZ_DIR}
    COMMAND ${HEARTH_CLANGXX} -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined
            -I${PROJECT_SOURCE_DIR} -DHEARTH_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
            ${PROJECT_SOURCE_DIR}/tests/fuzz/openai_request_fuzz.cpp
            ${PROJECT_SOURCE_DIR}/src/serve/request_body.cpp
            ${PROJECT_SOURCE_DIR}/src/engine/openai_api_request.cpp
            -Wl,--start-group ${_request_lib_files} -Wl,--end-group
            -lgomp -lpcre2-8 -lfmt -lzstd -lpng -lpthread -o ${HEARTH_FUZZ_DIR}/openai_request_fuzz
    DEPENDS ${PROJECT_SOURCE_DIR}/tests/fuzz/openai_request_fuzz.cpp ${PROJECT_SOURCE_DIR}/src/serve/request_body.cpp
            ${PROJECT_SOURCE_DIR}/src/serve/request_body.h ${PROJECT_SOURCE_DIR}/src/engine/openai_api_request.cpp
            ${PROJECT_SOURCE_DIR}/src/engine/openai_api.h ${_request_targets}
    COMMENT "Building the OpenAI request fuzzer with clang"
    VERBATIM)
  add_custom_target(openai_request_fuzz ALL DEPENDS ${HEARTH_FUZZ_DIR}/openai_request_fuzz)
  file(MAKE_DIRECTORY ${HEARTH_FUZZ_DIR}/corpus_openai_request)
  add_test(NAME fuzz.openai_request
           COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
                   ${HEARTH_FUZZ_DIR}/openai_request_fuzz -max_total_time=20 -rss_limit_mb=2048
                   ${HEARTH_FUZZ_DIR}/corpus_openai_request
                   ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/openai_request)
  set_tests_properties(fuzz.openai_request PROPERTIES LABELS fuzz TIMEOUT 120)
endif()
