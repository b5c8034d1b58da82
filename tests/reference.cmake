# PyTorch reference tests (included by tests/CMakeLists.txt). Each synthesises a checkpoint with
# models/synth.py, computes float64 logits with tests/reference/ (independent of the C++ code), and
# compares every position of `hearth logits` (whole-prompt prefill, then prefill + one-by-one decode).
# Needs Debian's /usr/bin/python3 with python3-torch and python3-numpy. `ctest -L reference` runs them.
#
# Shapes come from models/synth_archs.py (SHAPES), one test per (architecture, shape):
#   reference.<arch>.<shape>   e.g. reference.qwen3_moe.odd

set(HEARTH_REFERENCE_ARCHS llama qwen2 qwen3 mixtral qwen3_moe qwen2_moe deepseek_v2 deepseek_v3)

set(_ref_dir ${PROJECT_SOURCE_DIR}/tests/reference)
set(_ref_archs ${HEARTH_REFERENCE_ARCHS})
set(_ref_env OPENBLAS_NUM_THREADS=1)

# The shape table is read from models/synth_archs.py (plain data; needs no torch) so it has one home.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/models/synth_archs.py)
execute_process(
  COMMAND ${HEARTH_REFERENCE_PYTHON} -c
    "import sys; sys.path.insert(0, sys.argv[1]); from synth_archs import SHAPES; print(';'.join(a + ':' + ','.join(s) for a, s in SHAPES.items()))"
    ${PROJECT_SOURCE_DIR}/models
  OUTPUT_VARIABLE _ref_table OUTPUT_STRIP_TRAILING_WHITESPACE
  RESULT_VARIABLE _ref_rc ERROR_VARIABLE _ref_err)
if(NOT _ref_rc EQUAL 0)
  message(WARNING "reference tests not registered: ${HEARTH_REFERENCE_PYTHON} could not read "
                  "models/synth_archs.py: ${_ref_err}")
  return()
endif()

function(hearth_reference_test name)
  add_test(NAME ${name} COMMAND ${HEARTH_REFERENCE_PYTHON} ${ARGN})
  set_tests_properties(${name} PROPERTIES LABELS reference ENVIRONMENT "${_ref_env}" TIMEOUT 300
                       SKIP_RETURN_CODE 77)
endfunction()

foreach(_entry ${_ref_table})
  string(REPLACE ":" ";" _pair "${_entry}")
  list(GET _pair 0 _arch)
  list(GET _pair 1 _shapes)
  if(NOT _arch IN_LIST _ref_archs)
    continue()
  endif()
  string(REPLACE "," ";" _shapes "${_shapes}")
  foreach(_shape ${_shapes})
    hearth_reference_test(reference.${_arch}.${_shape} ${_ref_dir}/check_model.py
      --hearth $<TARGET_FILE:hearth> --arch ${_arch} --shape ${_shape})
  endforeach()
endforeach()

# Loader variants: sharded safetensors with an index, and float16 / float32 storage.
if("qwen3" IN_LIST _ref_archs)
  hearth_reference_test(reference.qwen3.base_sharded ${_ref_dir}/check_model.py
    --hearth $<TARGET_FILE:hearth> --arch qwen3 --shape base --shards 3)
endif()
# Decode of 300 positions with 2 threads: each decode row's context (from 64 positions on) is split
# between them and their partial softmaxes merged (AttentionGqa::attend_decode); the 16-token
# checks above stay on one thread.
if("qwen3" IN_LIST _ref_archs)
  hearth_reference_test(reference.qwen3.base_long_decode ${_ref_dir}/check_model.py
    --hearth $<TARGET_FILE:hearth> --arch qwen3 --shape base --n-tokens 300)
  set_tests_properties(reference.qwen3.base_long_decode PROPERTIES ENVIRONMENT "${_ref_env};OMP_NUM_THREADS=2")
endif()
if("llama" IN_LIST _ref_archs)
  hearth_reference_test(reference.llama.base_f16 ${_ref_dir}/check_model.py
    --hearth $<TARGET_FILE:hearth> --arch llama --shape base --dtype f16)
endif()
if("deepseek_v3" IN_LIST _ref_archs)
  hearth_reference_test(reference.deepseek_v3.base_f32 ${_ref_dir}/check_model.py
    --hearth $<TARGET_FILE:hearth> --arch deepseek_v3 --shape base --dtype f32)
endif()

# The trained tiny checkpoints: hearth against the reference (ids chosen as for synthetic models).
if("qwen3_moe" IN_LIST _ref_archs)
  hearth_reference_test(reference.tiny_qwen3_moe ${_ref_dir}/check_model.py
    --hearth $<TARGET_FILE:hearth> --model ${PROJECT_SOURCE_DIR}/models/tiny-qwen3-moe)
endif()
if("deepseek_v3" IN_LIST _ref_archs)
  hearth_reference_test(reference.tiny_deepseek_v3 ${_ref_dir}/check_model.py
    --hearth $<TARGET_FILE:hearth> --model ${PROJECT_SOURCE_DIR}/tests/data/models/tiny-deepseek-v3)
endif()

# The reference itself against the golden files shipped with the trained checkpoints (no C++ involved):
# last-position logits to 1e-9 and 32 greedy tokens for every prompt.
hearth_reference_test(reference.golden.tiny_qwen3_moe ${_ref_dir}/check_golden.py
  --model ${PROJECT_SOURCE_DIR}/models/tiny-qwen3-moe
  --golden ${PROJECT_SOURCE_DIR}/tests/data/models/tiny-qwen3-moe/reference.jsonl)
hearth_reference_test(reference.golden.tiny_deepseek_v3 ${_ref_dir}/check_golden.py
  --model ${PROJECT_SOURCE_DIR}/tests/data/models/tiny-deepseek-v3
  --golden ${PROJECT_SOURCE_DIR}/tests/data/models/tiny-deepseek-v3/reference.jsonl)
