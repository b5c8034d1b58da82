# Tokenizer test material: tests/data/tokenizers.tar.xz (five model families, see
# its README.md) is extracted at configure time into the build tree and its location is
# passed to hearth_tests as HEARTH_TOKENIZER_DATA_DIR. Re-extracted when the archive changes.
set(HEARTH_TOKENIZER_ARCHIVE ${CMAKE_CURRENT_SOURCE_DIR}/data/tokenizers.tar.xz)
set(HEARTH_TOKENIZER_DATA_ROOT ${CMAKE_CURRENT_BINARY_DIR}/tokenizer_data)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${HEARTH_TOKENIZER_ARCHIVE})
file(SHA256 ${HEARTH_TOKENIZER_ARCHIVE} HEARTH_TOKENIZER_ARCHIVE_HASH)
set(HEARTH_TOKENIZER_STAMP ${HEARTH_TOKENIZER_DATA_ROOT}/.extracted-${HEARTH_TOKENIZER_ARCHIVE_HASH})
if(NOT EXISTS ${HEARTH_TOKENIZER_STAMP})
  file(REMOVE_RECURSE ${HEARTH_TOKENIZER_DATA_ROOT})
  file(ARCHIVE_EXTRACT INPUT ${HEARTH_TOKENIZER_ARCHIVE} DESTINATION ${HEARTH_TOKENIZER_DATA_ROOT})
  file(TOUCH ${HEARTH_TOKENIZER_STAMP})
endif()
target_compile_definitions(hearth_tests PRIVATE
  HEARTH_TOKENIZER_DATA_DIR="${HEARTH_TOKENIZER_DATA_ROOT}/tokenizers")
