# Tests of the converter and the .hearth format beyond the GoogleTest binary (included by
# tests/CMakeLists.txt): the libFuzzer target for the .hearth header/table parser, built with
# clang like tests/fuzz.cmake's safetensors fuzzer and run briefly on a seed corpus.
find_program(HEARTH_CLANGXX NAMES clang++ clang++-14)
if(HEARTH_CLANGXX)
  set(HEARTH_HEARTH_FUZZ_DIR ${CMAKE_BINARY_DIR}/fuzz)
  set(_hearth_fuzz_srcs
    ${PROJECT_SOURCE_DIR}/tests/fuzz/hearth_file_fuzz.cpp
    ${PROJECT_SOURCE_DIR}/src/io/hearth_file_format.cpp
    ${PROJECT_SOURCE_DIR}/src/io/hearth_file_checksum.cpp
    ${PROJECT_SOURCE_DIR}/quant/format.cpp)
  add_custom_command(
    OUTPUT ${HEARTH_HEARTH_FUZZ_DIR}/hearth_file_fuzz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${HEARTH_HEARTH_FUZZ_DIR}
    COMMAND ${HEARTH_CLANGXX} -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined
            -I${PROJECT_SOURCE_DIR} ${_hearth_fuzz_srcs}
            -lfmt -lzstd -o ${HEARTH_HEARTH_FUZZ_DIR}/hearth_file_fuzz
    DEPENDS ${_hearth_fuzz_srcs} ${PROJECT_SOURCE_DIR}/src/io/hearth_file_format.h
    COMMENT "Building the .hearth file fuzzer with clang")
  add_custom_target(hearth_file_fuzz ALL DEPENDS ${HEARTH_HEARTH_FUZZ_DIR}/hearth_file_fuzz)
  file(MAKE_DIRECTORY ${HEARTH_HEARTH_FUZZ_DIR}/corpus_hearth_file)
  add_test(NAME fuzz.hearth_file_index
           COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
                   ${HEARTH_HEARTH_FUZZ_DIR}/hearth_file_fuzz -max_total_time=20 -rss_limit_mb=2048
                   ${HEARTH_HEARTH_FUZZ_DIR}/corpus_hearth_file
                   ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/hearth_file)
  set_tests_properties(fuzz.hearth_file_index PROPERTIES LABELS fuzz TIMEOUT 120)
endif()
